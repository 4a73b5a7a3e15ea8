#!/usr/bin/env python3
"""Draw the mutation-score sample from `cargo mutants --list --json` output.

Usage: draw.py MUTANTS.json SEED SIZE > sample.txt

Keeps the mutants of raft-rs 0.7.0's election and replication code that the exclusion rule
(EXCLUDED below, matched against the name of the function a mutant sits in) does not rule out,
then draws SIZE of them with Python's `random.Random(SEED).sample`, in the order cargo-mutants
listed them. Prints one cargo-mutants mutant name per line.
"""

import json
import random
import re
import sys

# Functions of features raftcheck does not model (the adapter never turns them on, or the spec
# has no input for them), and functions that only format or log. A mutant inside any other
# function is eligible, including tick-driven code, which raftcheck never drives (elections come
# from `campaign`, heartbeats from `ping`): those are counted, not hidden.
EXCLUDED = re.compile(
    r"read_index|read_only|read_state|lease"  # read-index / read-only / leases
    r"|check_quorum|recent_active|quorum_active"  # check-quorum (off in the adapter)
    r"|transfer|transferee|timeout_now"  # leadership transfer (no spec input)
    r"|priority"  # election priority
    r"|group_commit|commit_group"  # group commit
    r"|inflight|batch|max_msg_size|uncommitted_size|committed_size_per_ready"  # flow control
    r"|skip_bcast|bcast_commit"  # commit broadcast suppression
    r"|request_snapshot"  # follower-requested snapshots
    r"|\bfmt\b|logger|Debug|Display"  # formatting and logging only
)


def function_name(mutant):
    """The name of the function a mutant sits in (cargo-mutants 27 JSON)."""
    function = mutant.get("function") or {}
    return function.get("function_name", "") if isinstance(function, dict) else str(function)


def main():
    path, seed, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(path, encoding="utf-8") as file:
        mutants = json.load(file)
    eligible = [m for m in mutants if not EXCLUDED.search(function_name(m))]
    chosen = sorted(random.Random(seed).sample(range(len(eligible)), size))
    print(f"# {len(mutants)} listed, {len(eligible)} eligible, seed {seed}, {size} drawn",
          file=sys.stderr)
    for index in chosen:
        print(eligible[index]["name"])


if __name__ == "__main__":
    main()
