//! Swarm testing for guided walks: each walk leaves out a random subset of the optional kinds
//! of input and may make elections rare, so that the budget also goes to walks that, say,
//! replicate across several terms without restarts, or restart without new values — runs a
//! uniform choice among all inputs rarely makes (Groce et al., "Swarm Testing", ISSTA 2012).
//! The per-run bounds stay the plan's: a swarm only narrows what a walk picks among the inputs
//! the spec offers.

use raftcheck_spec::Input;

use crate::engine::random::SplitMix64;

/// The kinds of input a swarm may leave out. Timeouts and deliveries always stay: without them
/// nothing happens.
const OPTIONAL: [&str; 8] = [
    "Restart",
    "ClientRequest",
    "Heartbeat",
    "Drop",
    "Duplicate",
    "ProposeConfChange",
    "Compact",
    "StepDown",
];

/// Which inputs one walk picks from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swarm {
    /// Bit `k` set: the `k`-th kind of [`OPTIONAL`] is left out.
    off: u8,
    /// Timeouts are picked only one time in four when another input is offered.
    rare_timeouts: bool,
}

impl Swarm {
    /// The swarm that leaves nothing out: a plain random walk.
    pub fn all() -> Swarm {
        Swarm::default()
    }

    /// A random swarm: half the time the full one; otherwise each optional kind left out with
    /// probability one quarter, and elections made rare with probability one half.
    pub fn draw(rng: &mut SplitMix64) -> Swarm {
        let bits = rng.next_u64();
        if bits & 1 == 0 {
            return Swarm::all();
        }
        Swarm {
            off: (bits >> 8) as u8 & (bits >> 16) as u8,
            rare_timeouts: bits & 2 != 0,
        }
    }

    /// Whether this swarm picks `input`.
    fn allows(&self, input: &Input) -> bool {
        OPTIONAL
            .iter()
            .position(|kind| *kind == input.kind())
            .is_none_or(|k| self.off & (1 << k) == 0)
    }

    /// Picks one of `offered` (not empty): uniformly among those the swarm allows, or among all
    /// when it allows none.
    pub fn pick<'a>(&self, offered: &'a [Input], rng: &mut SplitMix64) -> &'a Input {
        if *self == Swarm::all() {
            return &offered[rng.below(offered.len())];
        }
        let mut allowed: Vec<&Input> = offered.iter().filter(|i| self.allows(i)).collect();
        if allowed.is_empty() {
            allowed = offered.iter().collect();
        }
        if self.rare_timeouts && rng.below(4) != 0 {
            let others: Vec<&Input> = allowed
                .iter()
                .copied()
                .filter(|i| !matches!(i, Input::Timeout { .. }))
                .collect();
            if !others.is_empty() {
                return others[rng.below(others.len())];
            }
        }
        allowed[rng.below(allowed.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swarm_picks_only_what_it_allows_unless_nothing_is_allowed() {
        let offered = vec![Input::Timeout { node: 1 }, Input::Restart { node: 2 }];
        let no_restarts = Swarm {
            off: 1,
            rare_timeouts: false,
        };
        let mut rng = SplitMix64::new(5);
        for _ in 0..50 {
            assert_eq!(no_restarts.pick(&offered, &mut rng), &offered[0]);
        }
        let only_restart = [Input::Restart { node: 2 }];
        assert_eq!(no_restarts.pick(&only_restart, &mut rng), &only_restart[0]);
        let rare = Swarm {
            off: 0,
            rare_timeouts: true,
        };
        let timeouts = (0..400)
            .filter(|_| matches!(rare.pick(&offered, &mut rng), Input::Timeout { .. }))
            .count();
        assert!((40..160).contains(&timeouts), "{timeouts} of 400");
    }

    #[test]
    fn the_full_swarm_is_the_random_walks_choice() {
        let offered: Vec<Input> = (1..=5).map(|n| Input::Timeout { node: n }).collect();
        let (mut a, mut b) = (SplitMix64::new(8), SplitMix64::new(8));
        for _ in 0..20 {
            assert_eq!(
                Swarm::all().pick(&offered, &mut a),
                &offered[b.below(offered.len())]
            );
        }
    }
}
