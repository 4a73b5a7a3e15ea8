#!/usr/bin/env python3
"""The raftcheck adapter for PySyncObj (the `pysyncobj` package from PyPI, pinned in
requirements.txt), speaking impl_adapter/PROTOCOL.md version 1 on stdin/stdout, with the
optional features `fingerprint`, `reset_node`, `step` (§6: `step` and `replay`) and `node_step`
(§7: `node_step` and `node_fingerprints`).

One `SyncObj` per node, driven in-process and deterministically through the package's own seams,
none of its sources patched:

- time: `pysyncobj.syncobj.monotonicTime` (imported there by name) is replaced by a virtual
  clock, one per node, that moves only when this adapter ticks the node; a `timeout` makes the
  node's election deadline due and a `heartbeat` its leader's append time, so no timer ever
  comes due by itself and the clock is no hidden state;
- transport: `SyncObj(..., transport=...)` gets a `CapturedTransport` whose `send` hands every
  message to raftcheck, which owns the network; `receive` inputs are delivered through the
  transport's own `_onMessageReceived`;
- no threads: `SyncObjConf(autoTick=False)`, and each input is followed by `doTick` until the
  node is quiescent;
- storage: `pysyncobj.syncobj.createJournal` is replaced by a factory of `DurableJournal`, a
  `pysyncobj.journal.Journal` that keeps what `FileJournal` would have on disk — every entry at
  once (FileJournal writes them through an mmap), the metadata (`currentTerm`,
  `votedForNodeId`, `raftCommitIndex`) as of its last store — in memory, per node, across that
  node's restarts; `restart` rebuilds the node's `SyncObj` from that image only.

README.md beside this file maps PySyncObj's messages and state onto the spec field by field.
"""

import json
import hashlib
import os
import random
import sys
import traceback

try:
    import pysyncobj
    import pysyncobj.journal as pso_journal
    import pysyncobj.syncobj as pso
    from pysyncobj import SyncObj, SyncObjConf, replicated
    from pysyncobj.config import FAIL_REASON
    from pysyncobj.node import Node
    from pysyncobj.transport import Transport
    from pysyncobj.version import VERSION
except ImportError as error:  # the Rust side checks first; this is for direct use
    sys.stderr.write(
        "the pysyncobj package is not installed (%s); install it with "
        "`python3 -m pip install -r impl_adapter/pysyncobj/requirements.txt`\n" % error
    )
    sys.exit(2)

PROTOCOL = 1

# The injectable bugs this adapter implements (names and meaning of impl_adapter/src/inject.rs).
BUG_VOTE_NOT_PERSISTED = "vote-not-persisted"
BUG_TERM_NOT_PERSISTED = "term-not-persisted"
BUG_UNSYNCED_TAIL_LOST = "unsynced-tail-lost"
BUG_ACK_BEFORE_PERSIST = "ack-before-persist"
BUG_STALE_TERM_AS_CURRENT = "stale-term-as-current"
BUG_REPLY_TO_WRONG_PEER = "reply-to-wrong-peer"
BUGS = [
    BUG_VOTE_NOT_PERSISTED,
    BUG_TERM_NOT_PERSISTED,
    BUG_UNSYNCED_TAIL_LOST,
    BUG_ACK_BEFORE_PERSIST,
    BUG_STALE_TERM_AS_CURRENT,
    BUG_REPLY_TO_WRONG_PEER,
]

# The optional requests of PROTOCOL.md this adapter answers. RAFTCHECK_PYSYNCOBJ_FEATURES (a
# comma-separated subset, possibly empty) offers fewer, to measure what each one saves.
FEATURES = ["fingerprint", "reset_node", "step", "node_step"]
if os.environ.get("RAFTCHECK_PYSYNCOBJ_FEATURES") is not None:
    OFFERED = {f.strip() for f in os.environ["RAFTCHECK_PYSYNCOBJ_FEATURES"].split(",")}
    FEATURES = [f for f in FEATURES if f in OFFERED]

# PySyncObj's timers, set so far apart that no tick brings one due: one tick moves a node's clock
# by TICK (past the journal's one-second metadata flush, far below every other timer); a
# `timeout` sets the node's election deadline to now, a `heartbeat` its leader's next append
# time. Leader fallback and log compaction never come due.
TICK = 1.0
APPEND_PERIOD = 1.0e6
ELECTION_MIN = 4.0e6
ELECTION_MAX = 5.0e6
NEVER = 1.0e15

# A node's ticks after an input before the adapter calls it a livelock.
MAX_TICKS = 64

ROLES = {0: "Follower", 1: "Candidate", 2: "Leader"}
NO_OP = b"\x01"
REGULAR = b"\x00"


class Unmodelled(Exception):
    """PySyncObj did something the spec has no words for."""


class Refused(Exception):
    """PySyncObj rejected the input."""


class Clock:
    """The virtual clocks: `now()` is the clock of the node being driven."""

    def __init__(self):
        self.times = {}
        self.current = None

    def now(self):
        return self.times.get(self.current, 0.0)

    def advance(self, node, seconds):
        self.times[node] = self.times.get(node, 0.0) + seconds


CLOCK = Clock()
pso.monotonicTime = CLOCK.now


# ---------------------------------------------------------------------------------------------
# Storage: what PySyncObj's FileJournal keeps on disk, kept in memory across a node's restarts,
# with the storage bugs as changes to when (and what) it writes.


class Disk:
    """One node's durable storage: the journal's entries and its stored metadata."""

    def __init__(self):
        self.entries = []
        self.meta = {}

    def image(self):
        return (tuple(self.entries), tuple(sorted(self.meta.items())))


class DurableJournal(pso_journal.Journal):
    """`FileJournal`'s behaviour without its files. Its entries are durable as soon as they are
    added, deleted or cleared (FileJournal writes them through an mmap, which survives the
    process); its metadata is durable as of the last store: `setCurrentTerm` stores at once,
    `setRaftCommitIndex` only marks it unsaved for the next one-second timer. A new journal over
    the same `Disk` (a restart) reads back exactly that.

    The bug in force changes that: `vote-not-persisted` / `term-not-persisted` store the metadata
    without the vote / with term 0; `unsynced-tail-lost` makes entries durable only when the
    metadata is stored by `setCurrentTerm`; `ack-before-persist` makes every write durable only
    at the node's next input (`complete_writes`), so the messages sent on it go out first."""

    def __init__(self, disk, bug):
        self.disk = disk
        self.bug = bug
        self.entries = list(disk.entries)
        self.meta = dict(disk.meta)
        self.stored_meta = dict(disk.meta)
        self.meta_saved = True
        self.pending = False
        # Every change, counted: the adapter's test for a quiescent node.
        self.writes = 0

    # -- durability -----------------------------------------------------------------------------

    def entries_written(self):
        self.writes += 1
        if self.bug == BUG_ACK_BEFORE_PERSIST:
            self.pending = True
        elif self.bug != BUG_UNSYNCED_TAIL_LOST:
            self.disk.entries = list(self.entries)

    def store_meta(self, with_entries=False):
        self.stored_meta = dict(self.meta)
        self.meta_saved = True
        if self.bug == BUG_ACK_BEFORE_PERSIST:
            self.pending = True
            return
        self.disk.meta = dict(self.stored_meta)
        if with_entries and self.bug == BUG_UNSYNCED_TAIL_LOST:
            self.disk.entries = list(self.entries)

    def complete_writes(self):
        """The writes held back by ack-before-persist become durable."""
        if self.pending:
            self.disk.entries = list(self.entries)
            self.disk.meta = dict(self.stored_meta)
            self.pending = False

    def state(self):
        """Everything about this journal that a later restart or store can reveal."""
        return (
            tuple(sorted(self.meta.items())),
            tuple(sorted(self.stored_meta.items())),
            self.meta_saved,
            self.pending,
            self.disk.image(),
        )

    # -- pysyncobj.journal.Journal --------------------------------------------------------------

    def add(self, command, idx, term):
        self.entries.append((command, idx, term))
        self.entries_written()

    def clear(self):
        self.entries = []
        self.entries_written()

    def deleteEntriesFrom(self, entryFrom):
        del self.entries[entryFrom:]
        self.entries_written()

    def deleteEntriesTo(self, entryTo):
        self.entries = self.entries[entryTo:]
        self.entries_written()

    def __getitem__(self, item):
        return self.entries[item]

    def __len__(self):
        return len(self.entries)

    def _destroy(self):
        pass

    def flush(self):
        pass

    def setRaftCommitIndex(self, raftCommitIndex):
        self.meta["raftCommitIndex"] = raftCommitIndex
        self.meta_saved = False
        self.writes += 1

    def getRaftCommitIndex(self):
        return self.meta.get("raftCommitIndex", 1)

    def setCurrentTerm(self, term, votedForNodeId):
        if self.bug == BUG_VOTE_NOT_PERSISTED:
            votedForNodeId = None
        if self.bug == BUG_TERM_NOT_PERSISTED:
            term = 0
        self.meta["currentTerm"] = term
        self.meta["votedForNodeId"] = votedForNodeId
        self.writes += 1
        self.store_meta(with_entries=True)

    def getCurrentTerm(self):
        return self.meta.get("currentTerm", 0)

    def getVotedForNodeId(self):
        return self.meta.get("votedForNodeId", None)

    def onOneSecondTimer(self):
        if not self.meta_saved:
            self.store_meta()


class JournalFactory:
    """`createJournal` for PySyncObj: the journal file name is the node's key into `disks`."""

    def __init__(self):
        self.disks = {}
        self.bug = None

    def __call__(self, journal_file=None):
        if journal_file is None:
            raise RuntimeError("the adapter always names a journal")
        return DurableJournal(self.disks[journal_file], self.bug)


JOURNALS = JournalFactory()
pso.createJournal = JOURNALS


# ---------------------------------------------------------------------------------------------
# Transport: messages go to raftcheck, never to a socket.


class CapturedTransport(Transport):
    """A transport that is ready at once, connected to every peer, and hands each message the
    node sends to its cluster's outbox (tagged with the sender's term at the time, since some
    PySyncObj messages carry none)."""

    def __init__(self, syncObj, selfNode, otherNodes):
        Transport.__init__(self, syncObj, selfNode, otherNodes)
        self.self_node = selfNode
        self.other_nodes = set(otherNodes)
        self.outbox = None
        self.sync_obj = syncObj

    def tryGetReady(self):
        pass

    @property
    def ready(self):
        return True

    def waitReady(self):
        pass

    def connect_all(self):
        for node in sorted(self.other_nodes, key=lambda n: int(n.id)):
            self._onNodeConnected(node)

    def send(self, node, message):
        self.outbox.append((int(self.self_node.id), int(node.id), message))
        return True

    def deliver(self, sender, message):
        self._onMessageReceived(Node(str(sender)), message)

    def destroy(self):
        pass


class Register(SyncObj):
    """The replicated application: a list of the client values applied, in order.

    `SyncObj.__init__` finds the replicated methods by scanning `dir(self)` twice, calling
    `getattr` on every attribute; `__dir__` lists only the attributes that scan keeps (computed
    once per class), which makes building a node cheap and finds the same methods."""

    _replicated_names = None

    def __dir__(self):
        cls = type(self)
        if cls._replicated_names is None:
            names = []
            for m in object.__dir__(self):
                attr = getattr(self, m, None)
                if callable(attr) and getattr(attr, "replicated", False):
                    names.append(m)
            cls._replicated_names = sorted(names)
        return list(cls._replicated_names)

    def __init__(self, *args, **kwargs):
        SyncObj.__init__(self, *args, **kwargs)
        self.__values = []
        self.dropped = []
        self.in_hand = None

    @replicated
    def put(self, value):
        self.__values.append(value)

    def values(self):
        return list(self.__values)

    # PySyncObj reports a command it cannot place (no leader known, `commandsWaitLeader` off)
    # to the command's callback only; a client request and a forwarded command have none
    # here, so the adapter hears of the drop where PySyncObj reports it.
    def _SyncObj__callErrCallback(self, err, callback):
        if err == FAIL_REASON.MISSING_LEADER and self.in_hand is not None:
            self.dropped.append(self.in_hand)
        SyncObj._SyncObj__callErrCallback(self, err, callback)


class WatchedQueue:
    """The node's command queue, unchanged but for remembering the command last taken out, so a
    drop can be named by its value."""

    def __init__(self, queue, owner):
        self.queue = queue
        self.owner = owner

    def put_nowait(self, item):
        self.queue.put_nowait(item)

    def get_nowait(self):
        item = self.queue.get_nowait()
        self.owner.in_hand = decode_command(item[0])
        return item


def decode_command(command):
    """A command's client value, or None for anything else."""
    if command[:1] != REGULAR:
        return None
    body = pso.pickle.loads(command[1:])
    if isinstance(body, tuple) and len(body) == 2 and len(body[1]) == 1:
        return body[1][0]
    return None


# ---------------------------------------------------------------------------------------------
# The cluster.


def journal_name(n):
    return "n%d" % n



class Cluster:
    """The nodes `1..=size`, each a `Register` over its own `Disk`."""

    def __init__(self, nodes, bug):
        self.size = nodes
        self.bug = bug
        self.put_id = None
        self.nodes = {}
        self.confs = {}
        CLOCK.times = {}
        random.seed(0)
        JOURNALS.disks = {}
        JOURNALS.bug = bug
        for n in range(1, nodes + 1):
            self.nodes[n] = self.fresh(n)

    def close(self):
        JOURNALS.disks = {}

    def fresh(self, n):
        """A brand-new node n: empty storage, its clock at zero."""
        JOURNALS.disks[journal_name(n)] = Disk()
        CLOCK.times[n] = 0.0
        return self.build(n)

    def reset_node(self, n):
        if n not in self.nodes:
            raise Refused("no node %d" % n)
        self.nodes[n] = self.fresh(n)

    def build(self, n):
        """Node n's `SyncObj` over what its disk holds."""
        others = [Node(str(m)) for m in range(1, self.size + 1) if m != n]
        CLOCK.current = n
        obj = Register(Node(str(n)), others, conf=self.conf(n), transportClass=CapturedTransport)
        obj._SyncObj__commandsQueue = WatchedQueue(obj._SyncObj__commandsQueue, obj)
        obj._SyncObj__transport.connect_all()
        self.put_id = obj._methodToID[obj._getFuncName("put")]
        return obj

    def conf(self, n):
        """Node n's configuration (PySyncObj only reads it, so one serves every rebuild)."""
        if n in self.confs:
            return self.confs[n]
        self.confs[n] = SyncObjConf(
            autoTick=False,
            journalFile=journal_name(n),
            fullDumpFile=None,
            commandsWaitLeader=False,
            appendEntriesUseBatch=True,
            appendEntriesPeriod=APPEND_PERIOD,
            raftMinTimeout=ELECTION_MIN,
            raftMaxTimeout=ELECTION_MAX,
            connectionTimeout=ELECTION_MAX,
            leaderFallbackTimeout=NEVER,
            logCompactionMinEntries=2**62,
            logCompactionMinTime=NEVER,
            dynamicMembershipChange=False,
            useFork=False,
        )
        return self.confs[n]

    # -- inputs ---------------------------------------------------------------------------------

    def apply(self, inp):
        kind = inp.get("input")
        outbox = []
        outputs = []
        if kind in ("drop", "duplicate"):
            return []
        if kind == "receive":
            message = inp["message"]
            n = int(message["to"])
        else:
            n = int(inp["node"])
        if n not in self.nodes:
            raise Refused("no node %d" % n)
        CLOCK.current = n
        obj = self.nodes[n]
        if kind != "restart":
            # ack-before-persist: what the node wrote at its last input is durable by now.
            obj._SyncObj__raftLog.complete_writes()
        obj._SyncObj__transport.outbox = outbox
        was_leader = obj._isLeader()
        handling = None
        if kind == "timeout":
            # The election timer fires: its deadline is now. A leader has none.
            if not obj._isLeader():
                obj._SyncObj__raftElectionDeadline = CLOCK.now()
        elif kind == "heartbeat":
            # The leader's append timer fires.
            if obj._isLeader():
                obj._SyncObj__newAppendEntriesTime = CLOCK.now()
        elif kind == "client_request":
            obj.put(int(inp["value"]))
        elif kind == "restart":
            # A crash: the node's memory is gone, its disk stays (writes still pending are lost).
            obj = self.nodes[n] = self.build(n)
            obj._SyncObj__transport.outbox = outbox
            was_leader = False
        elif kind == "receive":
            pso_message, handling = self.to_pysyncobj(message, obj)
            if pso_message is not None:
                obj._SyncObj__transport.deliver(int(message["from"]), pso_message)
        else:
            raise Unmodelled("input %r is not driven by this adapter" % kind)
        self.quiesce(n, obj, outbox)
        for sender, to, m in outbox:
            outputs.append(
                {"output": "send", "message": self.from_pysyncobj(sender, to, m, obj, handling)}
            )
        if obj._isLeader() and not was_leader:
            # PySyncObj becomes leader inside the handler of the deciding vote, before it sends
            # the new leader's appends, so the event comes first.
            outputs.insert(
                self.first_append(outputs),
                {"output": "become_leader", "node": n, "term": obj.raftCurrentTerm},
            )
        for value in obj.dropped:
            outputs.append({"output": "proposal_dropped", "node": n, "value": value})
        obj.dropped = []
        if self.bug == BUG_REPLY_TO_WRONG_PEER:
            for output in outputs:
                m = output.get("message")
                if m and m["type"] in ("RequestVoteResponse", "AppendEntriesResponse"):
                    m["to"] = self.next_peer(m["from"], m["to"])
        return outputs

    def first_append(self, outputs):
        for i, output in enumerate(outputs):
            if output.get("message", {}).get("type") == "AppendEntries":
                return i
        return len(outputs)

    def next_peer(self, me, to):
        peer = to
        while True:
            peer = peer % self.size + 1
            if peer != me:
                return peer

    def quiesce(self, n, obj, outbox):
        """Ticks the node until a tick changes nothing and sends nothing."""
        for _ in range(MAX_TICKS):
            before = (self.node_state(obj), len(outbox))
            CLOCK.advance(n, TICK)
            obj.doTick(0.0)
            if (self.node_state(obj), len(outbox)) == before:
                return
        raise RuntimeError("node %d is still busy after %d ticks" % (n, MAX_TICKS))

    # -- messages -------------------------------------------------------------------------------

    def to_pysyncobj(self, m, obj):
        """The PySyncObj message for a raftcheck message, and what the adapter needs to know to
        translate the answer back (the append being answered)."""
        kind = m["type"]
        term = int(m.get("term", 0))
        if self.bug == BUG_STALE_TERM_AS_CURRENT and kind != "Propose":
            term = max(term, obj.raftCurrentTerm)
        if kind == "RequestVote":
            return {
                "type": "request_vote",
                "term": term,
                "last_log_index": int(m.get("last_log_index", 0)) + 1,
                "last_log_term": int(m.get("last_log_term", 0)),
            }, None
        if kind == "RequestVoteResponse":
            if m.get("reject"):
                raise Unmodelled("PySyncObj has no vote refusal to deliver")
            return {"type": "response_vote", "term": term}, None
        if kind == "AppendEntries":
            entries = [
                self.entry_to_pysyncobj(e, int(m.get("prev_log_index", 0)) + 2 + i)
                for i, e in enumerate(m.get("entries", []))
            ]
            return {
                "type": "append_entries",
                "term": term,
                "commit_index": int(m.get("commit", 0)) + 1,
                "entries": entries,
                "prevLogIdx": int(m.get("prev_log_index", 0)) + 1,
                "prevLogTerm": int(m.get("prev_log_term", 0)),
            }, int(m.get("prev_log_index", 0))
        if kind == "AppendEntriesResponse":
            if m.get("reject"):
                return {
                    "type": "next_node_idx",
                    "next_node_idx": int(m.get("reject_hint", 0)) + 2,
                    "reset": True,
                    "success": False,
                }, None
            return {
                "type": "next_node_idx",
                "next_node_idx": int(m.get("index", 0)) + 2,
                "reset": False,
                "success": True,
            }, None
        if kind == "Propose":
            return {"type": "apply_command", "command": self.command(int(m["value"]))}, None
        raise Unmodelled("PySyncObj has no message for a %s" % kind)

    def command(self, value):
        return REGULAR + pso.pickle.dumps((self.put_id, (value,)))

    def entry_to_pysyncobj(self, e, index):
        term = int(e["term"])
        if "conf" in e:
            raise Unmodelled("configuration entries are not driven on PySyncObj")
        if "value" in e and e["value"] is not None:
            return (self.command(int(e["value"])), index, term)
        return (NO_OP, index, term)

    def entry_from_pysyncobj(self, entry):
        command, _, term = entry
        if command == NO_OP:
            return {"term": term}
        value = decode_command(command)
        if value is None:
            raise Unmodelled("PySyncObj log entry %r has no spec form" % (command,))
        return {"term": term, "value": value}

    def from_pysyncobj(self, sender, to, m, obj, handling):
        kind = m.get("type")
        base = {"from": sender, "to": to}
        if kind == "request_vote":
            return dict(
                base,
                term=m["term"],
                type="RequestVote",
                last_log_index=m["last_log_index"] - 1,
                last_log_term=m["last_log_term"],
            )
        if kind == "response_vote":
            return dict(base, term=m["term"], type="RequestVoteResponse", reject=False)
        if kind == "append_entries":
            if "prevLogIdx" not in m or "transmission" in m:
                raise Unmodelled("PySyncObj sent an append the spec has no form for: %r" % m)
            entries = [self.entry_from_pysyncobj(e) for e in m.get("entries", [])]
            return dict(
                base,
                term=m["term"],
                type="AppendEntries",
                prev_log_index=m["prevLogIdx"] - 1,
                prev_log_term=m["prevLogTerm"],
                entries=entries,
                commit=m["commit_index"] - 1,
            )
        if kind == "next_node_idx":
            # The message carries no term: it goes out at the sender's term (which, for an
            # answer to an append, is the append's term).
            term = obj.raftCurrentTerm
            if m["success"] and not m["reset"]:
                return dict(
                    base,
                    term=term,
                    type="AppendEntriesResponse",
                    reject=False,
                    index=m["next_node_idx"] - 2,
                )
            if m["reset"] and not m["success"] and handling is not None:
                return dict(
                    base,
                    term=term,
                    type="AppendEntriesResponse",
                    reject=True,
                    index=handling,
                    reject_hint=m["next_node_idx"] - 2,
                )
            raise Unmodelled("PySyncObj sent a next_node_idx the spec has no form for: %r" % m)
        if kind == "apply_command" and "request_id" not in m:
            value = decode_command(m["command"])
            if value is not None:
                return dict(base, term=0, type="Propose", value=value)
        raise Unmodelled("PySyncObj sent a message the spec has no form for: %r" % m)

    # -- state ----------------------------------------------------------------------------------

    def node_state(self, obj):
        """What a tick may change: a node whose tick leaves this (and its outbox) alone is
        quiescent. The journal's write count stands for its log and metadata."""
        return (
            obj.raftCurrentTerm,
            obj._SyncObj__raftState,
            obj._SyncObj__votedForNodeId,
            obj._SyncObj__raftLeader,
            obj._SyncObj__raftLog.writes,
            obj.raftCommitIndex,
            obj.raftLastApplied,
        )

    def observe(self):
        return {"nodes": [self.node_view(n) for n in range(1, self.size + 1)]}

    def node_view(self, n):
        """Node n's abstract state (PROTOCOL.md, observe)."""
        obj = self.nodes[n]
        log = obj._SyncObj__raftLog
        if len(log) == 0 or log[0] != (NO_OP, 1, 0):
            raise Unmodelled("node %d's journal does not start with its bootstrap no-op" % n)
        vote = obj._SyncObj__votedForNodeId
        leader = obj._SyncObj__raftLeader
        return {
            "term": obj.raftCurrentTerm,
            "role": ROLES[obj._SyncObj__raftState],
            "vote": None if vote is None else int(vote),
            "leader": None if leader is None else int(leader.id),
            "log": [self.entry_from_pysyncobj(log[i]) for i in range(1, len(log))],
            "commit": obj.raftCommitIndex - 1,
        }

    def node_fingerprint(self, n):
        """Node n's own fingerprint (PROTOCOL.md §7): its hidden state alone, as `fingerprint`
        digests it for every node. The injected bug is the cluster's, the same for every node."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr(self.node_hidden(self.nodes[n])).encode())
        return digest.hexdigest()

    def fingerprint(self):
        """A digest of every node's hidden state: all a `SyncObj` keeps that can change what it
        does next, beyond what `observe` shows, and its journal's unsaved and durable state.
        Left out, as no part of what a node does next: its clock and timer deadlines (no timer
        comes due but by an input), its connections (always all peers), callbacks and plumbing."""
        digest = hashlib.blake2b(digest_size=16)
        for n in range(1, self.size + 1):
            digest.update(repr(self.node_hidden(self.nodes[n])).encode())
        return digest.hexdigest()

    def node_hidden(self, obj):
        def by_node(d):
            return tuple(sorted((int(node.id), v) for node, v in d.items()))

        leader = obj._SyncObj__raftLeader
        return (
            obj.raftCurrentTerm,
            obj._SyncObj__raftState,
            obj._SyncObj__votedForNodeId,
            None if leader is None else int(leader.id),
            tuple(obj._SyncObj__raftLog.entries),
            obj.raftCommitIndex,
            obj.raftLastApplied,
            obj._SyncObj__votesCount,
            by_node(obj._SyncObj__raftNextIndex),
            by_node(obj._SyncObj__raftMatchIndex),
            obj._SyncObj__leaderCommitIndex,
            obj._SyncObj__transferInProgress,
            obj._SyncObj__commandsLocalCounter,
            tuple(sorted((k, len(v)) for k, v in obj._SyncObj__commandsWaitingCommit.items() if v)),
            tuple(sorted(obj._SyncObj__commandsWaitingReply)),
            obj._SyncObj__recvTransmission,
            obj._SyncObj__enabledCodeVersion,
            tuple(obj.values()),
            obj._SyncObj__raftLog.state(),
        )

# ---------------------------------------------------------------------------------------------
# The protocol loop.


def answer(request, cluster):
    op = request.get("op")
    if op == "hello":
        if request.get("protocol") != PROTOCOL:
            raise RuntimeError("protocol %r is not spoken here" % request.get("protocol"))
        return cluster, {
            "protocol": PROTOCOL,
            "implementation": "PySyncObj %s" % VERSION,
            "flavour": "pysyncobj",
            "bugs": BUGS,
            "features": FEATURES,
        }
    if op == "reset":
        bug = request.get("inject")
        if bug is not None and bug not in BUGS:
            raise RuntimeError("bug %r is not implemented by this adapter" % bug)
        if request.get("pre_vote") or request.get("spares"):
            raise RuntimeError("pre-vote and spares are not features of this adapter")
        if cluster is not None:
            cluster.close()
        return Cluster(int(request["nodes"]), bug), {}
    if cluster is None:
        raise RuntimeError("%s before reset" % op)
    if op == "apply":
        return cluster, {"outputs": cluster.apply(request["input"])}
    if op == "observe":
        return cluster, cluster.observe()
    if op == "fingerprint":
        return cluster, {"fingerprint": cluster.fingerprint()}
    if op == "reset_node":
        cluster.reset_node(int(request["node"]))
        return cluster, {}
    if op == "step":
        outputs = cluster.apply(request["input"])
        ok = cluster.observe()
        ok["outputs"] = outputs
        if "fingerprint" in FEATURES:
            ok["fingerprint"] = cluster.fingerprint()
        return cluster, ok
    if op == "replay":
        replay(cluster, request.get("steps"))
        return cluster, {}
    if op == "node_step":
        target = input_target(request["input"])
        if target is None or target not in cluster.nodes:
            raise RuntimeError("node_step needs an input addressed to a node of the cluster")
        outputs = cluster.apply(request["input"])
        return cluster, {
            "outputs": outputs,
            "node": cluster.node_view(target),
            "fingerprint": cluster.node_fingerprint(target),
        }
    if op == "node_fingerprints":
        return cluster, {
            "fingerprints": [cluster.node_fingerprint(n) for n in range(1, cluster.size + 1)]
        }
    raise RuntimeError("unsupported request %r" % op)


def input_target(inp):
    """The node an input is addressed to (`node`, or a message's `to`), or None."""
    if not isinstance(inp, dict):
        return None
    if inp.get("input") == "receive":
        message = inp.get("message")
        return message.get("to") if isinstance(message, dict) else None
    return inp.get("node")


class StepFailed(Exception):
    """A step of a `replay` failed: its index and the error it gave."""

    def __init__(self, index, error):
        Exception.__init__(self, "step %d: %s" % (index, error))
        self.index = index
        self.error = error


def replay(cluster, steps):
    """Carries out a `replay`'s steps in order, dropping the outputs (PROTOCOL.md §6)."""
    if not isinstance(steps, list):
        raise RuntimeError("replay without a list of steps")
    for index, step in enumerate(steps):
        op = step.get("op") if isinstance(step, dict) else None
        try:
            if op == "apply" and isinstance(step.get("input"), dict):
                cluster.apply(step["input"])
            elif op == "reset_node" and "node" in step:
                cluster.reset_node(int(step["node"]))
            else:
                raise RuntimeError("replay step %d is not an apply or reset_node: %r" % (index, step))
        except Exception as error:  # noqa: BLE001 - passed on with the step's index
            raise StepFailed(index, error)


def error_kind(error):
    if isinstance(error, Unmodelled):
        return "unmodelled"
    if isinstance(error, Refused):
        return "refused"
    return "fault"


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # PySyncObj keeps its peers in a set of nodes hashed by their string ids: a fixed hash
        # seed makes the order in which a node sends to its peers the same on every run.
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    cluster = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        try:
            request = json.loads(line)
            rid = request.get("id")
            cluster, ok = answer(request, cluster)
            response = {"id": rid, "ok": ok}
        except StepFailed as e:
            if error_kind(e.error) == "fault":
                traceback.print_exc(file=sys.stderr)
            error = {"kind": error_kind(e.error), "message": str(e), "step": e.index}
            response = {"id": rid, "error": error}
        except Exception as e:  # noqa: BLE001 - every failure is answered
            kind = error_kind(e)
            message = str(e)
            if kind == "fault":  # the adapter itself failed: say where
                traceback.print_exc(file=sys.stderr)
                message = "%s: %s" % (type(e).__name__, e)
            response = {"id": rid, "error": {"kind": kind, "message": message}}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
