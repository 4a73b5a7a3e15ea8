//! Shrinking a divergent path: remove inputs while the divergence (of the same kind) still
//! happens, so a long random walk becomes a trace a person can read.
//!
//! Greedy delta debugging: try removing chunks of decreasing size; keep any removal after which
//! the path still ends in the same kind of problem, cut the path right after the step where it
//! now shows, and retry at the same size. Inputs are matched loosely after a removal: a client
//! request takes the next value, and a message no longer in flight is replaced by one with the
//! same sender, receiver and kind (removing a timeout shifts every later term, and the
//! messages must follow). A candidate that still cannot be applied, or ends differently, is not
//! kept. The result is never longer than the original and is 1-minimal: removing any single
//! input loses the divergence.

use raftcheck_adapter::Adapter;
use raftcheck_spec::{Action, ClusterState, Input, Message, RaftModel};

use super::executor;
use super::outcome::Outcome;

/// What shrinking did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shrunk {
    /// The shrunk path.
    pub path: Vec<Input>,
    /// How many candidate paths were executed.
    pub attempts: usize,
}

/// The concrete path up to where `path` (resolved step by step) ends in the same kind of
/// problem as `target`, if it does.
fn reproduces(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    path: &[Input],
    target: &Outcome,
) -> Option<Vec<Input>> {
    let execution = execute_resolved(model, adapter, path);
    let same = execution.outcome().is_some_and(|o| o.same_kind(target));
    same.then(|| execution.inputs())
}

/// Executes `path` in lockstep from a fresh cluster, each input adapted by [`resolve`] to the
/// state it is applied in: how the shrinker runs a candidate.
pub fn execute_resolved(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    path: &[Input],
) -> executor::Execution {
    let actions: Vec<Action> = path.iter().cloned().map(Action::Input).collect();
    executor::execute(
        model,
        Some(adapter),
        &actions,
        |state, action| match action {
            Action::Input(input) => Action::Input(resolve(state, input)),
            send => send.clone(),
        },
    )
}

/// Adapts an input of a candidate to the state it is applied in: a client request takes the
/// next value the spec expects, and a message no longer in flight (because an earlier input was
/// removed, say, so terms shifted) is replaced by the first message in flight with the same
/// sender, receiver and kind.
pub fn resolve(state: &ClusterState, input: &Input) -> Input {
    let similar = |m: &Message| -> Message {
        if state.in_flight(m) {
            return m.clone();
        }
        state
            .distinct_in_flight()
            .find(|x| x.from == m.from && x.to == m.to && x.payload.kind() == m.payload.kind())
            .cloned()
            .unwrap_or_else(|| m.clone())
    };
    match input {
        Input::ClientRequest { node, .. } => Input::ClientRequest {
            node: *node,
            value: state.spent.values + 1,
        },
        Input::Receive { message } => Input::Receive {
            message: similar(message),
        },
        Input::Drop { message } => Input::Drop {
            message: similar(message),
        },
        Input::Duplicate { message } => Input::Duplicate {
            message: similar(message),
        },
        other => other.clone(),
    }
}

/// Shrinks `path`, which ends in `target` (a divergence or a violation).
pub fn shrink(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    path: &[Input],
    target: &Outcome,
) -> Shrunk {
    let mut attempts = 1;
    let mut best = path.to_vec();
    match reproduces(model, adapter, &best, target) {
        Some(concrete) => best = concrete,
        None => {
            return Shrunk {
                path: best,
                attempts,
            }
        }
    }
    let mut chunk = (best.len() / 2).max(1);
    loop {
        let mut removed_any = false;
        let mut at = 0;
        while at < best.len() {
            let end = (at + chunk).min(best.len());
            let candidate: Vec<Input> = best[..at].iter().chain(&best[end..]).cloned().collect();
            attempts += 1;
            match reproduces(model, adapter, &candidate, target) {
                Some(concrete) if concrete.len() < best.len() => {
                    best = concrete;
                    removed_any = true;
                }
                _ => at += chunk,
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        if !removed_any {
            chunk = (chunk / 2).max(1);
        }
    }
    Shrunk {
        path: best,
        attempts,
    }
}
