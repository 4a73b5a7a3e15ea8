#!/usr/bin/env bash
# The raftcheck side of the mutation-score measurement (README "Mutation score"): for each
# mutant of raft 0.7.0 in sample.json, build raftcheck against the mutated crate and run the
# raft-rs items of `raftcheck ci`'s built-in configuration. Not run by CI: each mutant costs a
# rebuild and minutes of checking.
#
# Usage: tests/mutants/run.sh [FIRST [LAST]]   (1-based range of sample.json; default all)
# Environment:
#   MUTANTS_SCRATCH  scratch directory (default: a new temporary directory)
#   MUTANT_TIMEOUT   seconds for one mutant's items; past it the mutant counts as killed by a
#                    hang ("timeout") (default 600)
#   CARGO_TARGET_DIR reuse a warm target directory (default: inside the scratch directory)
# Output: one line per mutant, "name TAB verdict TAB item", on stderr and in
#         $MUTANTS_SCRATCH/results.tsv.
#
# Needs jq, patch and raft 0.7.0's sources in the cargo registry (`cargo fetch` puts them
# there). sample.json holds each mutant's diff as `cargo mutants --list --json --diff`
# (cargo-mutants 27.1.0) printed it, so cargo-mutants is not needed here. The items, in this
# order, stopping at the first that fails (`raftcheck ci` fails when any item fails):
#   1. replay of the raft-rs traces of traces/ (each against the outcome it records), then
#      raft-rs at the default bounds, pre-vote off
#   2. raft-rs at the default bounds, pre-vote on
#   3. raft-rs membership and snapshots (--conf-changes 1 --snapshots 1 --max-term 2
#      --restarts 0 --heartbeats 0), pre-vote off
#   4. the same, pre-vote on
#   5. raft-rs snapshots, random walks (3,000 walks of up to 100 inputs, seed 1, --snapshots 1
#      --values 2 --max-term 8 --restarts 3 --heartbeats 0 --depth 40), pre-vote off and on
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
sample="$repo/tests/mutants/sample.json"
count="$(jq length "$sample")"
first="${1:-1}"
last="${2:-$count}"
limit="${MUTANT_TIMEOUT:-600}"
scratch="${MUTANTS_SCRATCH:-$(mktemp -d)}"
mkdir -p "$scratch"

(cd "$repo" && cargo fetch --quiet)
pristine="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/raft-0.7.0 | head -n 1)"
[ -d "$pristine/src" ] || { echo "run.sh: raft 0.7.0 is not in the cargo registry" >&2; exit 2; }

# A copy of this repository whose raft is the scratch copy of raft 0.7.0.
work="$scratch/raftcheck"
raft="$scratch/raft-0.7.0"
rm -rf "$work"
mkdir -p "$work"
(cd "$repo" && git archive HEAD) | tar -x -C "$work"
printf '\n[patch.crates-io]\nraft = { path = "%s" }\n' "$raft" >>"$work/Cargo.toml"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$scratch/target}"

# The raft-rs items, one configuration file each (the traces with the first).
items="$scratch/items"
rm -rf "$items"
mkdir -p "$items/traces" "$items/none" "$items/out"
cp "$repo"/traces/raft-rs-*.json "$items/traces/"
item() { # name traces pre_vote bounds [extra]
    printf 'traces = "%s"\nout = "out"\n\n[[check]]\nname = "%s"\nimpl = "raft-rs"\npre_vote = %s\nbounds = { %s }\n%s' \
        "$2" "$1" "$3" "$4" "${5:-}" >"$items/$1.toml"
}
member='conf_changes = 1, snapshots = 1, max_term = 2, restarts = 0, heartbeats = 0'
item default-off traces false ''
item default-on none true ''
item membership-off none false "$member"
item membership-on none true "$member"
item snapshots-random none '"both"' \
    'snapshots = 1, values = 2, max_term = 8, restarts = 3, heartbeats = 0, depth = 40' \
    'random = { seed = 1, steps = 100, walks = 3000 }
'

results="$scratch/results.tsv"
: >"$results"
for i in $(seq $((first - 1)) $((last - 1))); do
    name="$(jq -r ".[$i].name" "$sample")"
    rm -rf "$raft"
    cp -r "$pristine" "$raft"
    # cargo-mutants names the file as src/... on both sides of its diffs.
    jq -r ".[$i].diff" "$sample" | patch --quiet -p0 -d "$raft"
    echo "== mutant $((i + 1))/$count: $name" >&2
    if ! (cd "$work" && nice -n 15 cargo build --release --quiet --bin raftcheck) >"$scratch/build-$((i + 1)).log" 2>&1; then
        printf '%s\tunviable\tbuild\n' "$name" | tee -a "$results" >&2
        continue
    fi
    verdict=survived
    killer=-
    start=$(date +%s)
    for it in default-off default-on membership-off membership-on snapshots-random; do
        left=$((limit - ($(date +%s) - start)))
        if [ "$left" -le 0 ]; then verdict=timeout; killer="$it"; break; fi
        set +e
        (cd "$items" && timeout "$left" nice -n 15 "$CARGO_TARGET_DIR/release/raftcheck" ci \
            --config "$it.toml" --quiet) >"$scratch/$((i + 1))-$it.log" 2>&1
        rc=$?
        set -e
        if [ "$rc" -eq 124 ]; then verdict=timeout; killer="$it"; break; fi
        if [ "$rc" -ne 0 ]; then verdict=killed; killer="$it (exit $rc)"; break; fi
    done
    printf '%s\t%s\t%s\n' "$name" "$verdict" "$killer" | tee -a "$results" >&2
done
