#!/bin/sh
# Runs SEEDS seeded raft-rs cluster runs of SECONDS each (every fault on; INJECT=<bug> for a
# bug, PRE_VOTE=1 for raft-rs with pre-vote), validates each with `raftcheck validate`, and prints
# one line per run. The logs of runs that did not validate are kept under KEEP (default:
# ./raft-rs-runs).
#
#   clusters/run-raft-rs.sh 10 60            # ten one-minute stock runs
#   INJECT=vote-not-persisted clusters/run-raft-rs.sh 3 20
set -eu
seeds=${1:-10}
seconds=${2:-60}
keep=${KEEP:-raft-rs-runs}
inject=${INJECT:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin raftcheck --bin raft-rs-cluster
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-5s %-8s %-9s %-8s %-8s %-8s %-9s %s\n' seed events events/s MB crashes exit validate verdict
clean=0
for seed in $(seq 1 "$seeds"); do
    dir="$work/seed$seed"
    set -- run --seconds "$seconds" --seed "$seed" --out "$dir"
    [ -n "$inject" ] && set -- "$@" --inject "$inject"
    [ -n "${PRE_VOTE:-}" ] && set -- "$@" --pre-vote
    summary=$("$bin/raft-rs-cluster" "$@")
    events=$(printf '%s\n' "$summary" | sed -n 's/^[0-9.]*s: \([0-9]*\) events (\([0-9]*\)\/s).*/\1 \2/p')
    crashes=$(printf '%s\n' "$summary" | sed -n 's/^faults: \([0-9]*\) crashes.*/\1/p')
    bytes=$(cat "$dir"/*.ndjson | wc -c)
    start=$(date +%s.%N)
    set +e
    "$bin/raftcheck" validate --out "$dir/traces" "$dir"/*.ndjson >"$dir/validate.txt" 2>&1
    exit=$?
    set -e
    took=$(echo "$(date +%s.%N) - $start" | bc)
    case $exit in
        0) verdict=valid; clean=$((clean + 1)) ;;
        1) verdict=DIVERGES ;;
        *) verdict=ERROR ;;
    esac
    if [ "$exit" -ne 0 ]; then
        mkdir -p "$keep"
        rm -rf "$keep/seed$seed"
        cp -r "$dir" "$keep/seed$seed"
        verdict="$verdict (kept in $keep/seed$seed)"
    fi
    printf '%-5s %-8s %-9s %-8s %-8s %-8s %-9s %s\n' "$seed" ${events% *} ${events#* } \
        "$(echo "scale=1; $bytes / 1000000" | bc)" "$crashes" "$exit" "$(printf '%.1fs' "$took")" "$verdict"
done
echo "$clean of $seeds runs validated clean"
