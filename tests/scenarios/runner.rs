//! Running a scenario script on one target: each command becomes inputs, each input is a
//! lockstep step judged against the spec by the executor every run uses
//! (`raftcheck::engine::executor`: judgement and safety properties), and what the target emitted and the nodes it changed are printed the way
//! raftcheck prints a trace. A step where the target and the spec part is an error, never
//! printed output: a script cannot expect a divergence.

use raftcheck::engine::coverage::MESSAGE_KINDS as KINDS;
use raftcheck::engine::executor;
use raftcheck::report::node_line;
use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{
    Action, Bounds, Change, ChangeOp, ClusterState, ClusterView, ConfChange, Flavour, Input,
    Message, Mode, NodeId, Output, RaftModel, Role, Term,
};

/// How a target's cluster is built at a `reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Number of voters of the initial configuration.
    pub nodes: u64,
    /// Nodes outside it.
    pub spares: u64,
    /// Pre-vote on.
    pub pre_vote: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            nodes: 3,
            spares: 0,
            pre_vote: false,
        }
    }
}

/// A configuration change in script words: `add N`, `learner N`, `remove N`, `joint WORDS
/// [explicit]` (the same words for each change, left automatically unless `explicit`),
/// `leave`.
fn conf_change(words: &[&str]) -> Result<ConfChange, String> {
    let change = |op: &str, n: &str| -> Result<Change, String> {
        let op = match op {
            "add" => ChangeOp::AddVoter,
            "learner" => ChangeOp::AddLearner,
            "remove" => ChangeOp::Remove,
            other => return Err(format!("'{other}' is not add, learner or remove")),
        };
        Ok(Change {
            op,
            node: node_number(n)?,
        })
    };
    match words {
        ["leave"] => Ok(ConfChange::Leave),
        ["joint", rest @ ..] => {
            let (rest, auto_leave) = match rest {
                [changes @ .., "explicit"] => (changes, false),
                changes => (changes, true),
            };
            if rest.is_empty() || rest.len() % 2 != 0 {
                return Err("`joint` takes pairs: joint add 4 remove 3 [explicit]".into());
            }
            let changes = rest
                .chunks(2)
                .map(|pair| change(pair[0], pair[1]))
                .collect::<Result<_, _>>()?;
            Ok(ConfChange::Joint {
                changes,
                auto_leave,
            })
        }
        [op, n] => Ok(ConfChange::Single {
            change: change(op, n)?,
        }),
        _ => Err(
            "a change is add N, learner N, remove N, joint add N remove M [explicit], or leave"
                .into(),
        ),
    }
}

/// Builds a target's adapter for a setup.
pub type Build = Box<dyn Fn(&Setup) -> Result<Box<dyn Adapter>, AdapterError>>;

/// A target: a name used in block tags and the adapter it drives.
pub struct Target {
    /// `spec`, `raft-rs` or `etcd`.
    pub name: &'static str,
    /// The flavour the target must declare for a setup (its family, pre-vote as set up).
    pub flavour: fn(&Setup) -> Flavour,
    /// Builds a fresh adapter.
    pub build: Build,
}

/// Which messages a `deliver`, `drop` or `duplicate` acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Selector {
    from: Option<NodeId>,
    to: Option<NodeId>,
    kind: Option<String>,
    term: Option<Term>,
}

impl Selector {
    fn matches(&self, m: &Message) -> bool {
        self.from.is_none_or(|f| f == m.from)
            && self.to.is_none_or(|t| t == m.to)
            && self.kind.as_deref().is_none_or(|k| k == m.payload.kind())
            && self.term.is_none_or(|t| t == m.term)
    }

    fn is_all(&self) -> bool {
        *self
            == Selector {
                from: None,
                to: None,
                kind: None,
                term: None,
            }
    }
}

/// What a network command does with the messages it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NetworkAction {
    Deliver,
    Drop,
    Duplicate,
}

/// One script command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Command {
    Reset(Setup),
    Input(Input),
    Network(NetworkAction, Selector),
    ShowState,
    ShowNetwork,
}

fn node_number(word: &str) -> Result<NodeId, String> {
    word.parse::<NodeId>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| format!("'{word}' is not a node number (1, 2, ...)"))
}

fn selector(words: &[&str]) -> Result<Selector, String> {
    let (first, rest) = words.split_first().ok_or(
        "names no messages: all, N (to node N) or F->T, then optionally a kind and a term",
    )?;
    let mut sel = Selector {
        from: None,
        to: None,
        kind: None,
        term: None,
    };
    if *first != "all" {
        match first.split_once("->") {
            Some((f, t)) => {
                sel.from = Some(node_number(f)?);
                sel.to = Some(node_number(t)?);
            }
            None => sel.to = Some(node_number(first)?),
        }
    }
    for word in rest {
        let term = word.strip_prefix('t').and_then(|t| t.parse::<Term>().ok());
        match term {
            Some(t) if sel.term.is_none() => sel.term = Some(t),
            None if sel.kind.is_none() && KINDS.contains(word) => sel.kind = Some(word.to_string()),
            _ if sel.kind.is_some() && sel.term.is_some() => {
                return Err(format!("too many words after '{first}'"))
            }
            _ => {
                return Err(format!(
                    "'{word}' is neither a term (t1, t2, ...) nor a message kind (known: {})",
                    KINDS.join(", ")
                ))
            }
        }
    }
    Ok(sel)
}

fn parse(command: &str) -> Result<Command, String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let node = |i: usize| -> Result<NodeId, String> {
        let word = words
            .get(i)
            .ok_or_else(|| format!("`{}` needs a node number", words[0]))?;
        if words.len() > i + 1 {
            return Err(format!("`{}` takes one node number", words[0]));
        }
        node_number(word)
    };
    Ok(match words.first().copied() {
        Some("reset") => {
            let mut setup = Setup::default();
            for word in &words[1..] {
                match word.split_once('=') {
                    Some(("nodes", n)) => setup.nodes = node_number(n)?,
                    Some(("spares", n)) => {
                        setup.spares = n
                            .parse()
                            .map_err(|_| format!("'{n}' is not a number of spares"))?
                    }
                    None if *word == "pre-vote" => setup.pre_vote = true,
                    _ => {
                        return Err(format!(
                            "`reset` takes nodes=N, spares=N and pre-vote, not '{word}'"
                        ))
                    }
                }
            }
            Command::Reset(setup)
        }
        Some("timeout") => Command::Input(Input::Timeout { node: node(1)? }),
        Some("restart") => Command::Input(Input::Restart { node: node(1)? }),
        Some("heartbeat") => Command::Input(Input::Heartbeat { node: node(1)? }),
        Some("compact") => Command::Input(Input::Compact { node: node(1)? }),
        Some("change") => {
            let Some(n) = words.get(1) else {
                return Err("`change` takes a leader and a change: change 1 add 4".into());
            };
            Command::Input(Input::ProposeConfChange {
                node: node_number(n)?,
                change: conf_change(&words[2..])?,
            })
        }
        Some("propose") => {
            let (Some(n), Some(v), None) = (words.get(1), words.get(2), words.get(3)) else {
                return Err("`propose` takes a node and a value: propose 1 v1".into());
            };
            let value = v
                .strip_prefix('v')
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("'{v}' is not a value (v1, v2, ...)"))?;
            Command::Input(Input::ClientRequest {
                node: node_number(n)?,
                value,
            })
        }
        Some("deliver") => Command::Network(NetworkAction::Deliver, selector(&words[1..])?),
        Some("drop") => Command::Network(NetworkAction::Drop, selector(&words[1..])?),
        Some("duplicate") => Command::Network(NetworkAction::Duplicate, selector(&words[1..])?),
        Some("state") if words.len() == 1 => Command::ShowState,
        Some("network") if words.len() == 1 => Command::ShowNetwork,
        _ => {
            return Err(format!(
                "unknown command `{command}` (known: reset, timeout, restart, heartbeat, \
                 propose, change, compact, deliver, drop, duplicate, state, network)"
            ))
        }
    })
}

/// Deliveries one `deliver all` may make before the cluster counts as never quiescent.
const QUIESCENCE_LIMIT: usize = 1000;

/// Budgets no script exhausts: the bounds of exploration do not apply to a script.
fn bounds(setup: &Setup) -> Bounds {
    Bounds {
        nodes: setup.nodes,
        spares: setup.spares,
        conf_changes: 1000,
        snapshots: 1000,
        joint: true,
        max_term: 1000,
        values: 1000,
        restarts: 1000,
        heartbeats: 1000,
        drops: 1000,
        duplicates: 1000,
        max_in_flight: usize::MAX,
        depth: usize::MAX,
    }
}

/// One target's cluster in lockstep with the spec.
struct Cluster<'t> {
    target: &'t Target,
    model: RaftModel,
    adapter: Box<dyn Adapter>,
    state: ClusterState,
}

impl<'t> Cluster<'t> {
    fn new(target: &'t Target, setup: &Setup) -> Result<Self, String> {
        let flavour = (target.flavour)(setup);
        let mut adapter = (target.build)(setup).map_err(|e| format!("cannot build: {e}"))?;
        if adapter.flavour() != flavour {
            return Err(format!(
                "the adapter declares the flavour {}, not {flavour}",
                adapter.flavour()
            ));
        }
        let model = RaftModel::new(bounds(setup), flavour, Mode::Lockstep);
        let state = model.initial_state();
        let findings = executor::start(&model, adapter.as_mut());
        if findings.kind().is_some() {
            return Err(format!(
                "the fresh cluster differs from the spec's initial state: {}",
                findings.lines().join("; ")
            ));
        }
        Ok(Cluster {
            target,
            model,
            adapter,
            state,
        })
    }

    /// Applies one input in lockstep; appends what it printed to `out`.
    fn input(&mut self, input: &Input, out: &mut Vec<String>) -> Result<(), String> {
        if let Err(why) = self.model.check_enabled(&self.state, input) {
            if !self.is_no_op(input) {
                return Err(format!("{input} cannot be taken: {why}"));
            }
        }
        let action = Action::Input(input.clone());
        let outcome = executor::step(
            &self.model,
            Some(self.adapter.as_mut()),
            &self.state,
            &action,
        );
        if outcome.findings.kind().is_some() {
            return Err(format!(
                "{} diverges from the spec at {input}:\n    {}",
                self.target.name,
                outcome.findings.lines().join("\n    ")
            ));
        }
        if let Some(v) = &outcome.violation {
            return Err(format!("{input} violates {}: {}", v.property, v.detail));
        }
        out.push(input.to_string());
        let mut outputs = outcome.outputs.clone();
        // Events first, then sends by content: targets emit in different orders.
        outputs.sort_by_key(|o| (matches!(o, Output::Send { .. }), o.clone()));
        for o in &outputs {
            out.push(format!("  → {o}"));
        }
        let before = ClusterView::from(&self.state);
        let after = ClusterView::from(&outcome.next);
        for (i, (b, a)) in before.nodes.iter().zip(&after.nodes).enumerate() {
            if b != a {
                out.push(format!(
                    "  n{}: {}",
                    i + 1,
                    node_line(a, &self.model.initial_config())
                ));
            }
        }
        self.state = outcome.next;
        Ok(())
    }

    /// A timeout at a leader or a heartbeat at a node that is not one: the spec defines both as
    /// doing nothing, and exploration does not offer them for that reason; a script may still
    /// check that the implementation does nothing too.
    fn is_no_op(&self, input: &Input) -> bool {
        let role = |node: NodeId| {
            self.state
                .has_node(node)
                .then(|| self.state.node(node).role)
        };
        match input {
            Input::Timeout { node } => role(*node) == Some(Role::Leader),
            Input::Heartbeat { node } => role(*node).is_some_and(|r| r != Role::Leader),
            _ => false,
        }
    }

    /// The messages in flight that `sel` selects, in network order, each copy once.
    fn selected(&self, sel: &Selector) -> Vec<Message> {
        self.state
            .network
            .iter()
            .filter(|m| sel.matches(m))
            .cloned()
            .collect()
    }

    fn network_command(
        &mut self,
        action: NetworkAction,
        sel: &Selector,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut round = self.selected(sel);
        if round.is_empty() {
            out.push("(no message matches)".into());
            return Ok(());
        }
        let until_quiescent = action == NetworkAction::Deliver && sel.is_all();
        let mut delivered = 0;
        while !round.is_empty() {
            for message in round {
                let input = match action {
                    NetworkAction::Deliver => Input::Receive { message },
                    NetworkAction::Drop => Input::Drop { message },
                    NetworkAction::Duplicate => Input::Duplicate { message },
                };
                self.input(&input, out)?;
                delivered += 1;
            }
            if !until_quiescent {
                break;
            }
            if delivered > QUIESCENCE_LIMIT {
                return Err(format!(
                    "the cluster is not quiescent after {QUIESCENCE_LIMIT} deliveries"
                ));
            }
            round = self.selected(sel);
        }
        Ok(())
    }

    fn print_state(&self, out: &mut Vec<String>) {
        for (i, n) in ClusterView::from(&self.state).nodes.iter().enumerate() {
            out.push(format!(
                "n{}: {}",
                i + 1,
                node_line(n, &self.model.initial_config())
            ));
        }
    }
}

/// Runs every block of `script` on `target`: the lines each block printed, or an error naming
/// the script, the line and the target.
pub fn run(script: &super::script::Script, target: &Target) -> Result<Vec<Vec<String>>, String> {
    let mut cluster = Cluster::new(target, &Setup::default())
        .map_err(|e| format!("{}: {}: {e}", script.name, target.name))?;
    let mut printed = Vec::new();
    for block in &script.blocks {
        let at = |e: String| {
            format!(
                "{}:{}: `{}` on {}: {e}",
                script.name, block.line, block.command, target.name
            )
        };
        let command = parse(&block.command).map_err(at)?;
        let mut out = Vec::new();
        match command {
            Command::Reset(setup) => {
                cluster = Cluster::new(target, &setup).map_err(at)?;
                cluster.print_state(&mut out);
            }
            Command::Input(input) => cluster.input(&input, &mut out).map_err(at)?,
            Command::Network(action, sel) => cluster
                .network_command(action, &sel, &mut out)
                .map_err(at)?,
            Command::ShowState => cluster.print_state(&mut out),
            Command::ShowNetwork => {
                if cluster.state.network.is_empty() {
                    out.push("(nothing in flight)".into());
                }
                for m in &cluster.state.network {
                    out.push(m.to_string());
                }
            }
        }
        printed.push(out);
    }
    Ok(printed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_or_say_why_not() {
        assert_eq!(
            parse("propose 2 v1"),
            Ok(Command::Input(Input::ClientRequest { node: 2, value: 1 }))
        );
        assert_eq!(
            parse("deliver 1->2 AppendEntries t2"),
            Ok(Command::Network(
                NetworkAction::Deliver,
                Selector {
                    from: Some(1),
                    to: Some(2),
                    kind: Some("AppendEntries".into()),
                    term: Some(2),
                }
            ))
        );
        assert_eq!(
            parse("reset nodes=5 pre-vote"),
            Ok(Command::Reset(Setup {
                nodes: 5,
                spares: 0,
                pre_vote: true
            }))
        );
        for (bad, why) in [
            ("jump 1", "unknown command"),
            ("timeout", "needs a node number"),
            ("timeout 0", "not a node number"),
            ("timeout 1 2", "takes one node number"),
            ("propose 1 7", "not a value"),
            ("deliver", "names no messages"),
            ("deliver 1->2 InstallSnapshot", "neither a term"),
            ("change 1 add", "a change is"),
            ("change 1 joint add 4 remove", "takes pairs"),
            ("change 1 promote 4", "not add, learner or remove"),
            ("deliver 1 t1 t2", "neither a term"),
            ("reset fast", "nodes=N, spares=N and pre-vote"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
