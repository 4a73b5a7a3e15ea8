#!/usr/bin/env python3
"""Draw the mutation-score sample (README "Mutation score").

Reads the mutants of raft 0.7.0 as `cargo mutants --list --json --diff` prints them (restricted
with --file to src/raft.rs, src/raft_log.rs and src/tracker/progress.rs), leaves out mutants in
functions raftcheck does not model (EXCLUDED below), and prints a random sample of SIZE of the
rest, drawn with Python's random.Random(SEED), as JSON.

Usage: sample.py MUTANTS_JSON SEED SIZE > sample.json
"""

import json
import random
import sys

# Functions whose code raftcheck's raft-rs adapter never runs, or runs only for a feature the
# spec does not model. A mutant is left out when its enclosing function's name is listed, or
# when it sits in a Debug/Display implementation.
EXCLUDED = {
    # read index and read-only requests, leases
    "pending_read_count", "ready_read_count", "in_lease", "handle_ready_read_index",
    "commit_to_current_term", "apply_to_current_term", "bcast_heartbeat_with_ctx",
    # leader transfer and priority
    "handle_transfer_leader", "send_timeout_now", "abort_leader_transfer",
    "get_priority", "set_priority",
    # check-quorum (off in the adapter)
    "check_quorum_active", "set_check_quorum",
    # group commit
    "enable_group_commit", "group_commit", "assign_commit_groups", "clear_commit_group",
    "check_group_commit_consistent", "set_commit_group", "maybe_update_committed_with_group",
    # batching, flow control and size limits not modelled (max_size_per_msg = NO_LIMIT)
    "try_batching", "set_batch_append", "maybe_increase_uncommitted_size",
    "maybe_reduce_uncommitted_size", "reduce_uncommitted_size", "uncommitted_size",
    "is_no_limit", "set_max_committed_size_per_ready", "maybe_free_inflight_buffers",
    "inflight_buffers_size", "adjust_max_inflight_msgs", "skip_bcast_commit",
    # snapshot requests by followers and reports from the application
    "request_snapshot", "send_request_snapshot", "handle_snapshot_status",
    "handle_unreachable", "is_snapshot_request_pending",
    # logging only, and accessors/setters of configuration
    "log_broadcast_vote", "log_vote_approve", "log_vote_reject", "with_default_logger",
    "fmt", "set_randomized_election_timeout",
    # test-only helpers ("Only used by tests")
    "all_entries",
}


def enclosing(mutant):
    func = mutant.get("function") or {}
    return func.get("function_name", "")


def kept(mutant):
    name = enclosing(mutant)
    last = name.split("::")[-1]
    if last in EXCLUDED:
        return False
    return "Debug for" not in name and "Display for" not in name


def main():
    path, seed, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path) as f:
        mutants = json.load(f)
    pool = [m for m in mutants if kept(m)]
    sample = random.Random(seed).sample(pool, size)
    print(f"{len(mutants)} mutants, {len(pool)} after exclusions, {size} drawn with seed {seed}",
          file=sys.stderr)
    json.dump(
        [{"name": m["name"], "function": enclosing(m), "diff": m["diff"]} for m in sample],
        sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
