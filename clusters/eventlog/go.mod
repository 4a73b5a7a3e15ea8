module raftcheck.local/eventlog

go 1.26
