//! Snapshots: what a node can and cannot do where its log is compacted (Raft §7).
//!
//! A leader can replicate by appends only from an index whose term its log still knows — its
//! snapshot index or later. A follower that needs anything before that can be caught up only
//! by installing a snapshot. The spec has no compaction and no snapshot install yet (every
//! snapshot index is 0), so today the rules here only state that boundary, which replication
//! respects; compaction and install will be added here.

use super::NodeState;
use crate::types::LogIndex;

impl NodeState {
    /// The lowest previous index an append from this node can carry: its snapshot index, the
    /// last index whose term it still knows.
    pub fn first_append_prev(&self) -> LogIndex {
        self.log.snapshot_index()
    }

    /// Why an append from `prev_log_index` cannot come from this node, when its log has
    /// compacted that index away.
    pub(super) fn compacted_append(&self, prev_log_index: LogIndex) -> Option<String> {
        (prev_log_index < self.first_append_prev()).then(|| {
            format!(
                "prev_log_index {} is inside the leader's compacted prefix (up to {}); only a \
                 snapshot reaches that far back",
                prev_log_index,
                self.first_append_prev()
            )
        })
    }
}
