#!/usr/bin/env bash
# The full version of tests/cluster_etcd.rs: N seeded runs of the etcd raft v3.6 cluster
# (clusters/etcd-raftexample), each validated, and a table.
#
#   clusters/run-etcd.sh [SEEDS [SECONDS [BUG]]]     defaults: 10 seeds, 60 seconds, no bug
#
# Runs land in target/etcd-runs/<bug or stock>-seed-N (kept: a divergent run's logs are the
# evidence); exit 1 if any stock run is not valid (or any run with a bug is).
#
# ETCD_CLUSTER_FLAGS are extra `etcd-cluster run` flags (none by default; --omit-hint-term
# leaves the rejection hint's term out of the logs, see clusters/etcd-raftexample/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-10}"
seconds="${2:-60}"
bug="${3:-}"
root="$PWD"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release --quiet
raftcheck="$target/release/raftcheck"
(cd clusters/etcd-raftexample &&
  GOFLAGS=-mod=readonly GOCACHE="$target/go-cache-etcd-cluster" CGO_ENABLED=0 \
    go build -o "$target/etcd-cluster/etcd-cluster" .)
cluster="$target/etcd-cluster/etcd-cluster"

name="${bug:-stock}"
want=0
[ -z "$bug" ] || want=1
printf '%-6s %-8s %-8s %-9s %-6s %-9s %-10s %s\n' seed seconds events events/s kills validate "time (s)" verdict
bad=0
for seed in $(seq 1 "$seeds"); do
  out="$target/etcd-runs/$name-seed-$seed"
  rm -rf "$out"
  read -r -a inject <<<"${ETCD_CLUSTER_FLAGS-}"
  [ -z "$bug" ] || inject+=(--inject "$bug")
  summary="$("$cluster" run --nodes 3 --seconds "$seconds" --seed "$seed" --out "$out" "${inject[@]}" 2>&1 || true)"
  echo "$summary" >"$out/run.txt"
  events="$(sed -n 's/.* \([0-9]*\) events (\([0-9]*\)\/s).*/\1/p' <<<"$summary")"
  rate="$(sed -n 's/.* events (\([0-9]*\)\/s).*/\1/p' <<<"$summary")"
  kills="$(sed -n 's/.* \([0-9]*\) kills.*/\1/p' <<<"$summary")"
  start="$(date +%s%N)"
  set +e
  "$raftcheck" validate --out "$out" "$out"/n*.ndjson >"$out/validate.txt" 2>&1
  code=$?
  set -e
  took_ms=$((($(date +%s%N) - start) / 1000000))
  took="$((took_ms / 1000)).$(printf %03d $((took_ms % 1000)))"
  verdict=ok
  if [ "$code" -ne "$want" ]; then verdict="UNEXPECTED (see $out/validate.txt)"; bad=1; fi
  printf '%-6s %-8s %-8s %-9s %-6s %-9s %-10s %s\n' "$seed" "$seconds" "${events:-?}" "${rate:-?}" \
    "${kills:-?}" "$code" "$took" "$verdict"
done
exit "$bad"
