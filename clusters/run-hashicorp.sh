#!/usr/bin/env bash
# The full version of tests/cluster_hashicorp.rs: runs the hashicorp/raft cluster (clusters/hashicorp)
# once per seed under every kind of fault and validates each run's event logs with raftcheck.
#
#   clusters/run-hashicorp.sh SEEDS SECONDS [-- DRIVER FLAGS...]
#
# SEEDS is a count (seeds 1..SEEDS) or a range A-B; SECONDS the length of each run. Extra
# flags go to `hashicorp-cluster run` (e.g. -- --inject unsynced-tail-lost --faults kill).
# Runs land in target/hashicorp-runs/seed-N (logs n*.ndjson, data/, validate.txt); the script
# prints one line per seed and a tally, and exits 1 if any run diverged.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
  echo "usage: clusters/run-hashicorp.sh SEEDS SECONDS [-- DRIVER FLAGS...]" >&2
  exit 2
fi
seeds=$1 seconds=$2
shift 2
[ "${1:-}" = "--" ] && shift
case "$seeds" in
  *-*) first=${seeds%-*} last=${seeds#*-} ;;
  *) first=1 last=$seeds ;;
esac
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release --quiet
(cd clusters/hashicorp && GOFLAGS=-mod=readonly GOCACHE="$target/go-build-cache" CGO_ENABLED=0 \
  go build -o "$target/hashicorp-cluster" .)
agree=0 diverged=0
for seed in $(seq "$first" "$last"); do
  out="$target/hashicorp-runs/seed-$seed"
  mkdir -p "$out"
  summary=$("$target/hashicorp-cluster" run --nodes 3 --seconds "$seconds" --seed "$seed" --out "$out" "$@")
  if "$target/release/raftcheck" validate --out "$out/traces" "$out"/n*.ndjson >"$out/validate.txt" 2>&1; then
    agree=$((agree + 1))
    echo "seed $seed: agree $summary"
  else
    diverged=$((diverged + 1))
    echo "seed $seed: DIVERGED $summary: $(sed -n 2p "$out/validate.txt") (see $out/validate.txt)"
  fi
done
echo "$agree agreed, $diverged diverged"
[ "$diverged" -eq 0 ]
