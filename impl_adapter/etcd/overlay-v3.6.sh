#!/bin/sh
# Writes the v3.6 build's view of this directory's Go sources into DIR, and DIR/overlay.json
# mapping each source to it, for `go build/vet/test -tags raft36 -overlay DIR/overlay.json`
# (module mode, with go.mod and go.sum here). The one rewrite is raftcheck's own
# (impl_adapter/src/etcd.rs, rewrite_imports): every quoted import path starting with
# go.etcd.io/etcd/raft names the same package under go.etcd.io/raft/v3. GOPATH mode (etcd 3.4)
# builds the sources as they are and ignores go.mod.
#
#   impl_adapter/etcd/overlay-v3.6.sh /tmp/etcd-v3.6 &&
#     go test -tags raft36 -overlay /tmp/etcd-v3.6/overlay.json .
set -eu
out=${1:?usage: overlay-v3.6.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
sep=
printf '{"Replace":{' >"$out/overlay.json"
for f in "$here"/*.go; do
  name=$(basename "$f")
  sed 's#"go\.etcd\.io/etcd/raft#"go.etcd.io/raft/v3#' "$f" >"$out/$name"
  printf '%s"%s":"%s"' "$sep" "$f" "$out/$name" >>"$out/overlay.json"
  sep=,
done
printf '}}\n' >>"$out/overlay.json"
