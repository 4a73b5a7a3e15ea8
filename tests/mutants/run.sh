#!/usr/bin/env bash
# The raftcheck side of the mutation score (README "Mutation score"): for each mutant named in
# tests/mutants/sample.txt, apply it to a scratch copy of raft 0.7.0 from the cargo registry,
# build raftcheck against that copy ([patch.crates-io]) in a scratch copy of this repository,
# and run the raft-rs items of `raftcheck ci`'s built-in configuration
# (tests/mutants/raftcheck.toml, with the corpus's raft-rs traces). Killed = `raftcheck ci`
# exits non-zero or does not finish within the time box (a hang counts as killed).
#
# Not run by CI: it builds raftcheck once per mutant (minutes each).
#
# Needs: cargo-mutants 27.1.0 (`cargo install cargo-mutants --version 27.1.0 --locked`),
# python3, and raft 0.7.0 in the cargo registry (any build of this repository fetches it).
#
# Usage: tests/mutants/run.sh [FIRST [LAST]]   (1-based line range of sample.txt; default all)
# Environment: MUTANTS_WORK (scratch directory, default a fresh mktemp -d),
#              MUTANTS_TIMEOUT (seconds per `raftcheck ci` run, default 900),
#              CARGO_TARGET_DIR (reuse a warm target directory to save build time).
# Output: one line per mutant on stdout, "killed|survived|build-failed<TAB>exit<TAB>name",
#         and the same in $MUTANTS_WORK/results.tsv.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/tests/mutants"
work=${MUTANTS_WORK:-$(mktemp -d)}
time_box=${MUTANTS_TIMEOUT:-900}
first=${1:-1}
last=${2:-$(grep -vc '^#' "$here/sample.txt")}
mkdir -p "$work"

registry=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/raft-0.7.0 | head -n 1)
[ -d "$registry/src" ] || { echo "raft 0.7.0 is not in the cargo registry" >&2; exit 2; }

# The mutants, listed by cargo-mutants in a pristine copy of the crate.
if [ ! -s "$work/mutants.json" ]; then
    rm -rf "$work/pristine" && cp -r "$registry" "$work/pristine"
    (cd "$work/pristine" && cargo mutants --list --json --diff \
        --file src/raft.rs --file src/raft_log.rs --file src/tracker/progress.rs) \
        > "$work/mutants.json"
fi

# A scratch copy of this repository whose raft is the scratch copy of the crate.
rm -rf "$work/raftcheck" && mkdir -p "$work/raftcheck"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work/raftcheck")
printf '\n[patch.crates-io]\nraft = { path = "%s" }\n' "$work/raft" >> "$work/raftcheck/Cargo.toml"
mkdir -p "$work/ci/traces"
cp "$here/raftcheck.toml" "$work/ci/"
cp "$repo"/traces/raft-rs-*.json "$work/ci/traces/"

: > "$work/results.tsv"
grep -v '^#' "$here/sample.txt" | sed -n "${first},${last}p" | while IFS= read -r name; do
    python3 - "$work/mutants.json" "$name" > "$work/mutant.diff" <<'PY'
import json, sys
mutants = json.load(open(sys.argv[1], encoding="utf-8"))
found = [m for m in mutants if m["name"] == sys.argv[2]]
if not found:
    sys.exit(f"mutant not listed by cargo-mutants: {sys.argv[2]}")
print(found[0]["diff"], end="")
PY
    rm -rf "$work/raft" && cp -r "$registry" "$work/raft"
    # cargo-mutants' diffs name the file as a/src/... and b/src/...
    patch -s -p1 -d "$work/raft" < "$work/mutant.diff"
    if ! (cd "$work/raftcheck" && cargo build --release --quiet --bin raftcheck) \
        > "$work/build.log" 2>&1; then
        verdict=build-failed code=-
    else
        set +e
        (cd "$work/ci" && timeout "$time_box" \
            "${CARGO_TARGET_DIR:-$work/raftcheck/target}/release/raftcheck" ci --quiet) \
            > "$work/ci.log" 2>&1
        code=$?
        set -e
        if [ "$code" -eq 0 ]; then verdict=survived; else verdict=killed; fi
    fi
    printf '%s\t%s\t%s\n' "$verdict" "$code" "$name" | tee -a "$work/results.tsv"
done
