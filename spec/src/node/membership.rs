//! Membership changes (Raft §4) and the application's side of a node: proposing a
//! configuration change, and applying committed entries — client values to the state machine,
//! configuration changes to the node's [`Configuration`] — as a real application does with
//! raft-rs `apply_conf_change` / etcd `ApplyConfChange` when it applies a committed entry.
//!
//! The rules follow what raft-rs 0.7 and etcd raft 3.4 share:
//!
//! - A leader refuses a change — it appends an empty entry in its place — while an earlier one
//!   may be unapplied (`pending_conf_index > applied`), when it is joint and the change does not
//!   leave, and when it is not joint and the change is a leave (`stepLeader`, `MsgProp`).
//! - A node applies a committed change at once, in the step that commits it; a leader then
//!   tracks the new members from match index 0 and forgets the removed ones, and may commit
//!   more under the new quorum (`switchToConfig` / `post_conf_change`). A removed leader does
//!   not step down on its own (both families leave that to the application).
//! - With `auto_leave`, a leader whose applied index has reached its pending index appends the
//!   leave itself (raft-rs `commit_apply`, etcd `advance`; see
//!   [`crate::Flavour::auto_leave_needs_apply`]).

use super::{Mutation, NodeState, Outbox};
use crate::configuration::Configuration;
use crate::flavour::Flavour;
use crate::types::{Change, ChangeOp, ConfChange, Entry, NodeId, Role};

impl NodeState {
    /// A client asks this node, a leader, to change the configuration. The change is appended,
    /// or an empty entry in its place when the leader refuses it; either is replicated like any
    /// entry.
    pub fn propose_conf_change(&mut self, change: &ConfChange, out: &mut Outbox) {
        debug_assert_eq!(self.role, Role::Leader, "only offered to leaders");
        let entry = match self.conf_change_refusal(change, out) {
            Some(_) => Entry::empty(self.term),
            None => {
                self.pending_conf_index = self.last_index() + 1;
                Entry::conf(self.term, change.clone())
            }
        };
        self.log.push(entry);
        self.advance_leader_commit(out);
    }

    /// Why this leader refuses `change` now, if it does.
    pub fn conf_change_refusal(&self, change: &ConfChange, out: &Outbox) -> Option<&'static str> {
        let leave = matches!(change, ConfChange::Leave);
        if self.pending_conf_index > self.applied
            && out.mutation != Some(Mutation::ConfChangeWhilePending)
        {
            Some("an earlier configuration change may not be applied yet")
        } else if self.config.is_joint() && !leave {
            Some("the configuration is joint and must be left first")
        } else if !self.config.is_joint() && leave {
            Some("the configuration is not joint; there is nothing to leave")
        } else {
            None
        }
    }

    /// Applies every committed entry not yet applied, in order, and what follows from it in the
    /// same step: a leader's commit index under a new configuration, and the automatic leave
    /// of a joint configuration.
    pub fn apply_committed(&mut self, out: &mut Outbox) {
        let mut applied_any = false;
        loop {
            while self.applied < self.commit {
                let index = self.applied + 1;
                let Some(entry) = self.log.entry(index).cloned() else {
                    // Commit indexes stay within the log; a broken spec variant may not.
                    return;
                };
                if let Some(value) = entry.value {
                    self.state_machine.push(value);
                }
                if let Some(change) = &entry.conf {
                    self.apply_conf_change(change, out);
                }
                self.applied = index;
                applied_any = true;
            }
            let before = (self.commit, self.last_index());
            self.maybe_auto_leave(applied_any, out.flavour);
            if !applied_any && self.last_index() == before.1 {
                // Nothing applied and nothing appended: the commit index cannot move.
                return;
            }
            self.advance_leader_commit(out);
            if self.commit == before.0 {
                return;
            }
        }
    }

    /// The application applies a committed configuration change (raft-rs `apply_conf_change`,
    /// etcd `ApplyConfChange`). A change that cannot be applied leaves the configuration as it
    /// is; no leader of the spec proposes one (the snapshot property would flag it).
    fn apply_conf_change(&mut self, change: &ConfChange, out: &mut Outbox) {
        let Ok(next) = self.config.apply(change) else {
            return;
        };
        self.config = next.into();
        if self.role != Role::Leader {
            return;
        }
        let old = std::mem::take(&mut self.match_index);
        self.match_index = self
            .config
            .peers(self.id)
            .map(|p| (p, old.get(p).copied().unwrap_or(0)))
            .collect();
        self.advance_leader_commit(out);
    }

    /// A leader in a joint configuration with `auto_leave` proposes the leave once it has
    /// applied everything up to its pending index.
    fn maybe_auto_leave(&mut self, applied_any: bool, flavour: &Flavour) {
        let due = self.role == Role::Leader
            && self.config.is_joint()
            && self.config.auto_leave
            && self.applied >= self.pending_conf_index
            && (applied_any || !flavour.auto_leave_needs_apply);
        if due {
            self.log.push(Entry::conf(self.term, ConfChange::Leave));
            self.pending_conf_index = self.last_index();
        }
    }
}

/// The configuration changes a client may propose to a leader in `config`, among the nodes
/// `ids`: one change per node — add a node outside the configuration as a voter or a learner,
/// promote or remove a learner, remove a voter (while another voter remains) — and, with
/// `joint`, the same changes entering a joint configuration (left automatically or not), the
/// replacement of a voter by a new one as one joint change, and the leave. Changes the leader
/// is bound to refuse (a single change while joint) are on the menu too: refusing them is
/// behaviour to check.
pub fn conf_change_menu(
    config: &Configuration,
    ids: impl Iterator<Item = NodeId> + Clone,
    joint: bool,
) -> Vec<ConfChange> {
    let singles: Vec<Change> = ids
        .clone()
        .flat_map(|node| {
            let ops: &[ChangeOp] = if config.learners.contains(&node) {
                &[ChangeOp::AddVoter, ChangeOp::Remove]
            } else if config.voters.incoming.contains(node) {
                if config.voters.incoming.len() > 1 {
                    &[ChangeOp::Remove]
                } else {
                    &[]
                }
            } else if config.contains(node) {
                &[]
            } else {
                &[ChangeOp::AddVoter, ChangeOp::AddLearner]
            };
            ops.iter().map(move |&op| Change { op, node })
        })
        .collect();
    let mut menu: Vec<ConfChange> = singles
        .iter()
        .map(|&change| ConfChange::Single { change })
        .collect();
    if !joint {
        return menu;
    }
    for auto_leave in [true, false] {
        for &change in &singles {
            menu.push(ConfChange::Joint {
                changes: vec![change],
                auto_leave,
            });
        }
    }
    let newcomers = ids.clone().filter(|&n| !config.contains(n));
    for added in newcomers {
        for removed in config.voters.incoming.ids() {
            menu.push(ConfChange::Joint {
                changes: vec![
                    Change {
                        op: ChangeOp::AddVoter,
                        node: added,
                    },
                    Change {
                        op: ChangeOp::Remove,
                        node: removed,
                    },
                ],
                auto_leave: true,
            });
        }
    }
    menu.push(ConfChange::Leave);
    menu
}
