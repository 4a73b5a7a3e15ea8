//! Replaying a validation trace against the spec: its inputs must be enabled where they are
//! taken, and each discretionary send must be one its sender may send — in its state there or,
//! for a message logged after its sender stopped leading, in its last state as leader (or, in
//! flavours with `stale_leader_sends_current_log`, in its current state as a leader of that
//! term), as validation judged it.

use std::collections::BTreeMap;

use raftcheck_spec::{Action, NodeId, NodeState, RaftModel, Role};

use crate::engine::executor::step;
use crate::engine::{Execution, NotApplicable, Outcome};

/// Runs `actions` on the spec alone from its initial state.
pub fn execute(model: &RaftModel, actions: &[Action]) -> Execution {
    let mut state = model.initial_state();
    let mut execution = Execution {
        initial: state.clone(),
        initial_findings: Default::default(),
        steps: Vec::new(),
        end: Ok(Outcome::Agree),
    };
    let mut leader_past: BTreeMap<NodeId, NodeState> = BTreeMap::new();
    for (i, action) in actions.iter().enumerate() {
        let number = i + 1;
        let enabled = match action {
            Action::Input(input) => model.check_enabled(&state, input),
            Action::Send(m) => {
                model
                    .may_send(&state, m)
                    .or_else(|why| match leader_past.get(&m.from) {
                        Some(past) if past.term == m.term => past.may_send(m).or_else(|why| {
                            if model.flavour.stale_leader_sends_current_log {
                                state.node(m.from).may_send_for_past_term(m)
                            } else {
                                Err(why)
                            }
                        }),
                        _ => Err(why),
                    })
            }
        };
        if let Err(reason) = enabled {
            execution.end = Err(NotApplicable {
                step: number,
                reason,
            });
            return execution;
        }
        let taken = step(model, None, &state, action);
        if let Action::Input(input) = action {
            if let Some(id) = input.target() {
                let (was, now) = (state.node(id), taken.next.node(id));
                if was.role == Role::Leader && now.role != Role::Leader {
                    leader_past.insert(id, was.clone());
                }
            }
        }
        state = taken.next.clone();
        let end = taken.outcome(number);
        execution.steps.push(taken);
        if let Some(outcome) = end {
            execution.end = Ok(outcome);
            return execution;
        }
    }
    execution
}
