#!/usr/bin/env bash
# The raft-rs side of the mutation-score measurement (README "Mutation score"): for each mutant
# of sample.json, raft-rs's own unit and integration tests (`cargo test --release --workspace`
# in raft-rs at tag v0.7.0: the crate's tests, harness/tests, datadriven) with the mutant
# applied. Not run by CI.
#
# Usage: tests/mutants/run-raft-rs.sh RAFT_RS_CHECKOUT [FIRST [LAST]]
#   RAFT_RS_CHECKOUT  a work tree of https://github.com/tikv/raft-rs at tag v0.7.0 (left
#                     unmodified: the mutants are applied to a copy)
# Environment: MUTANTS_SCRATCH, MUTANT_TIMEOUT (default 600 s) as for run.sh.
# Output: "name TAB verdict TAB first failing test" per mutant, on stderr and in
#         $MUTANTS_SCRATCH/raft-rs-results.tsv.
#
# raft 0.7.0 denies missing docs, which today's rustc also applies to the test build of its
# module `raft`; --cap-lints=warn lets the unmodified tests build (all pass) without touching
# its sources.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
sample="$repo/tests/mutants/sample.json"
checkout="${1:?usage: run-raft-rs.sh RAFT_RS_CHECKOUT [FIRST [LAST]]}"
count="$(jq length "$sample")"
first="${2:-1}"
last="${3:-$count}"
limit="${MUTANT_TIMEOUT:-600}"
scratch="${MUTANTS_SCRATCH:-$(mktemp -d)}"
mkdir -p "$scratch"
[ -f "$checkout/src/raft.rs" ] || { echo "run-raft-rs.sh: no raft-rs sources in $checkout" >&2; exit 2; }

work="$scratch/raft-rs"
export CARGO_TARGET_DIR="$scratch/raft-rs-target" RUSTFLAGS="--cap-lints=warn"
results="$scratch/raft-rs-results.tsv"
: >"$results"
for i in $(seq $((first - 1)) $((last - 1))); do
    name="$(jq -r ".[$i].name" "$sample")"
    rm -rf "$work"
    cp -r "$checkout" "$work"
    jq -r ".[$i].diff" "$sample" | patch --quiet -p0 -d "$work"
    echo "== mutant $((i + 1))/$count: $name" >&2
    log="$scratch/raft-rs-$((i + 1)).log"
    if ! (cd "$work" && nice -n 15 cargo test --release --workspace --no-run) >"$log" 2>&1; then
        printf '%s\tunviable\tbuild\n' "$name" | tee -a "$results" >&2
        continue
    fi
    set +e
    (cd "$work" && timeout "$limit" nice -n 15 cargo test --release --workspace --no-fail-fast) >>"$log" 2>&1
    rc=$?
    set -e
    case "$rc" in
        0) verdict=survived killer=- ;;
        124) verdict=timeout killer=- ;;
        *) verdict=killed
           killer="$(grep -m1 -E '^test .* \.\.\. FAILED$' "$log" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/')"
           [ -n "$killer" ] || killer="exit $rc" ;;
    esac
    printf '%s\t%s\t%s\n' "$name" "$verdict" "$killer" | tee -a "$results" >&2
done
