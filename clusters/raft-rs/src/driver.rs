//! The driver thread: the network between the nodes, the clients and the fault schedule.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use raft::eraftpb::{Message, MessageType};
use raftcheck_format::eventlog::{EventWriter, Header, VERSION};

use crate::disk::Disk;
use crate::node::{self, Input, NodeParams, Parked, ToDriver};
use crate::rng::Rng;
use crate::{ClusterConfig, Fault, Summary};

/// A node that stopped by itself this often stays down.
const MAX_SELF_STOPS: u32 = 5;
/// An armed crash that has not fired by then is given up.
const ARMED_FOR: Duration = Duration::from_secs(1);

enum Life {
    Up {
        inbox: Sender<Input>,
        handle: JoinHandle<Parked>,
    },
    Down {
        parked: Box<Parked>,
        restart_at: Instant,
    },
    /// Only while moving between the other two.
    Moving,
}

struct Slot {
    id: u64,
    life: Life,
    latency_us: Arc<AtomicU64>,
    slow_until: Option<Instant>,
    /// The highest index this node acknowledged.
    acked: u64,
    self_stops: u32,
}

impl Slot {
    fn is_up(&self) -> bool {
        matches!(self.life, Life::Up { .. })
    }
}

/// A message held back by the delay fault.
struct Delayed {
    at: Instant,
    seq: u64,
    msg: Message,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// When an armed crash fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    /// Right after the node grants a vote.
    AfterVote,
    /// Right after the node acknowledges entries beyond what it acknowledged before.
    AfterAck,
}

struct Armed {
    node: u64,
    trigger: Trigger,
    until: Instant,
}

struct Driver {
    cfg: ClusterConfig,
    /// The fault schedule.
    sched: Rng,
    /// Per-message decisions (loss, delay): their number depends on the run's timing.
    net: Rng,
    /// Which node each proposal goes to.
    clients: Rng,
    slots: Vec<Slot>,
    to_driver: Sender<ToDriver>,
    queue: BinaryHeap<Reverse<Delayed>>,
    queued: u64,
    /// Cut links (unordered pairs) and until when.
    cuts: Vec<(u64, u64)>,
    cut_until: Option<Instant>,
    loss: Option<(f64, Instant)>,
    delay: Option<(u64, Instant)>,
    armed: Option<Armed>,
    next_fault: Instant,
    next_proposal: Instant,
    next_value: u64,
    summary: Summary,
}

/// Runs the cluster as `cfg` says and returns what it did; the event logs are in `cfg.out`.
pub fn run(cfg: &ClusterConfig) -> anyhow::Result<Summary> {
    anyhow::ensure!(
        (1..=9).contains(&cfg.nodes),
        "--nodes must be 1 to 9, not {}",
        cfg.nodes
    );
    std::fs::create_dir_all(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let voters: Vec<u64> = (1..=cfg.nodes).collect();
    let faults: Vec<&str> = cfg.faults.iter().map(|f| f.name()).collect();
    let header = Header {
        raftcheck_eventlog: VERSION,
        nodes: voters.clone(),
        flavour: Some("raft-rs".into()),
        pre_vote: cfg.pre_vote.then_some(true),
        // Every trigger's `Ready`s are handled before the node's next input.
        immediate: Some(true),
        source: Some(format!(
            "raftcheck-cluster-raft-rs on raft 0.7: seed {}, faults {}, inject {}",
            cfg.seed,
            if faults.is_empty() {
                "none".into()
            } else {
                faults.join(",")
            },
            cfg.bug.map_or("none".into(), |b| b.to_string())
        )),
        term_offset: 0,
        index_offset: 0,
    };
    let (to_driver, from_nodes) = mpsc::channel();
    let start = Instant::now();
    let mut sched = Rng::new(cfg.seed);
    let net = Rng::new(sched.next_u64());
    let clients = Rng::new(sched.next_u64());
    let mut driver = Driver {
        cfg: cfg.clone(),
        sched,
        net,
        clients,
        slots: Vec::new(),
        to_driver,
        queue: BinaryHeap::new(),
        queued: 0,
        cuts: Vec::new(),
        cut_until: None,
        loss: None,
        delay: None,
        armed: None,
        next_fault: start,
        next_proposal: start,
        next_value: 1,
        summary: Summary::default(),
    };
    driver.next_fault = start + driver.fault_gap();
    driver.next_proposal = start + driver.proposal_gap();
    for &id in &voters {
        let path = cfg.out.join(format!("n{id}.ndjson"));
        let writer = EventWriter::create(&path, id, &header)
            .with_context(|| format!("creating {}", path.display()))?;
        driver.summary.files.push(path);
        let latency_us = Arc::new(AtomicU64::new(0));
        let parked = Parked {
            writer,
            disk: Disk::new(&voters, cfg.bug, latency_us.clone()),
            events: 0,
            unmodelled: 0,
            commit: 0,
        };
        driver.slots.push(Slot {
            id,
            life: Life::Moving,
            latency_us,
            slow_until: None,
            acked: 0,
            self_stops: 0,
        });
        driver.start_node(id, parked, false);
    }
    let end = start + cfg.duration;
    driver.main_loop(&from_nodes, end);
    driver.finish(start)
}

impl Driver {
    fn slot(&mut self, id: u64) -> &mut Slot {
        &mut self.slots[(id - 1) as usize]
    }

    fn gap(rng: &mut Rng, mean: Duration) -> Duration {
        let mean = mean.as_micros().max(2) as u64;
        Duration::from_micros(rng.range(mean / 2, mean * 3 / 2))
    }

    fn fault_gap(&mut self) -> Duration {
        Self::gap(&mut self.sched, self.cfg.fault_every)
    }

    fn proposal_gap(&mut self) -> Duration {
        Self::gap(&mut self.clients, self.cfg.propose_every)
    }

    fn start_node(&mut self, id: u64, parked: Parked, restart: bool) {
        let (inbox, rx) = mpsc::channel();
        let params = NodeParams {
            id,
            tick: self.cfg.tick,
            bug: self.cfg.bug,
            pre_vote: self.cfg.pre_vote,
            restart,
        };
        let handle = node::spawn(params, parked, rx, self.to_driver.clone());
        self.slot(id).life = Life::Up { inbox, handle };
    }

    fn main_loop(&mut self, from_nodes: &Receiver<ToDriver>, end: Instant) {
        loop {
            let now = Instant::now();
            if now >= end {
                return;
            }
            self.due(now);
            let wake = self.next_wake().min(end);
            match from_nodes.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(ToDriver::Msg(m)) => self.route(m),
                Ok(ToDriver::Down { id, reason }) => self.on_down(id, reason),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn next_wake(&self) -> Instant {
        let mut wake = self.next_proposal.min(self.next_fault);
        let mut at = |t: Option<Instant>| {
            if let Some(t) = t {
                wake = wake.min(t);
            }
        };
        at(self.queue.peek().map(|d| d.0.at));
        at(self.cut_until);
        at(self.loss.map(|l| l.1));
        at(self.delay.map(|d| d.1));
        at(self.armed.as_ref().map(|a| a.until));
        for s in &self.slots {
            at(s.slow_until);
            if let Life::Down { restart_at, .. } = s.life {
                at(Some(restart_at));
            }
        }
        wake
    }

    /// Everything whose time has come: delayed messages, restarts, ends of fault windows,
    /// proposals, the next fault.
    fn due(&mut self, now: Instant) {
        while self.queue.peek().is_some_and(|d| d.0.at <= now) {
            let Reverse(d) = self.queue.pop().expect("peeked");
            self.deliver(d.msg);
        }
        for i in 0..self.slots.len() {
            if self.slots[i].slow_until.is_some_and(|t| t <= now) {
                self.slots[i].slow_until = None;
                self.slots[i].latency_us.store(0, Ordering::Relaxed);
            }
            if matches!(self.slots[i].life, Life::Down { restart_at, .. } if restart_at <= now) {
                let id = self.slots[i].id;
                if let Life::Down { parked, .. } =
                    std::mem::replace(&mut self.slots[i].life, Life::Moving)
                {
                    self.summary.restarts += 1;
                    self.start_node(id, *parked, true);
                }
            }
        }
        if self.cut_until.is_some_and(|t| t <= now) {
            self.cut_until = None;
            self.cuts.clear();
        }
        if self.loss.is_some_and(|l| l.1 <= now) {
            self.loss = None;
        }
        if self.delay.is_some_and(|d| d.1 <= now) {
            self.delay = None;
        }
        if self.armed.as_ref().is_some_and(|a| a.until <= now) {
            self.armed = None;
        }
        if self.next_proposal <= now {
            let id = self.clients.range(1, self.cfg.nodes);
            let value = self.next_value;
            if let Life::Up { inbox, .. } = &self.slot(id).life {
                if inbox.send(Input::Propose(value)).is_ok() {
                    self.next_value += 1;
                    self.summary.proposals += 1;
                }
            }
            self.next_proposal = now + self.proposal_gap();
        }
        if self.next_fault <= now {
            if !self.cfg.faults.is_empty() {
                let fault = self.sched.pick(&self.cfg.faults);
                self.start_fault(fault, now);
            }
            self.next_fault = now + self.fault_gap();
        }
    }

    fn window(&mut self, lo_ms: u64, hi_ms: u64, now: Instant) -> Instant {
        self.summary.windows += 1;
        now + Duration::from_millis(self.sched.range(lo_ms, hi_ms))
    }

    fn start_fault(&mut self, fault: Fault, now: Instant) {
        let n = self.cfg.nodes;
        match fault {
            Fault::Crash => {
                // One node down at a time, so a majority stays up.
                let all_up = self.slots.iter().all(Slot::is_up);
                let node = self.sched.range(1, n);
                let variant = self.sched.range(0, 2);
                if !all_up {
                    return;
                }
                match variant {
                    // With a crash already armed, this one happens at once.
                    _ if self.armed.is_some() => self.crash(node),
                    0 => self.crash(node),
                    v => {
                        let trigger = if v == 1 {
                            Trigger::AfterVote
                        } else {
                            Trigger::AfterAck
                        };
                        self.armed = Some(Armed {
                            node,
                            trigger,
                            until: now + ARMED_FOR,
                        });
                    }
                }
            }
            Fault::Partition => {
                if self.cut_until.is_some() || n < 2 {
                    return;
                }
                let a = self.sched.range(1, n);
                if self.sched.chance(0.5) {
                    // Isolate `a`.
                    self.cuts = (1..=n).filter(|&b| b != a).map(|b| (a, b)).collect();
                } else {
                    let b = (a + self.sched.range(0, n - 2)) % n + 1;
                    self.cuts = vec![(a, b)];
                }
                self.cut_until = Some(self.window(200, 1500, now));
            }
            Fault::Loss => {
                let p = self.sched.range(5, 30) as f64 / 100.0;
                let until = self.window(300, 2000, now);
                self.loss = Some((p, until));
            }
            Fault::Delay => {
                let max_ms = self.sched.range(5, 60);
                let until = self.window(300, 2000, now);
                self.delay = Some((max_ms, until));
            }
            Fault::SlowDisk => {
                let node = self.sched.range(1, n);
                let us = self.sched.range(2_000, 20_000);
                let until = self.window(300, 2000, now);
                let slot = self.slot(node);
                slot.latency_us.store(us, Ordering::Relaxed);
                slot.slow_until = Some(until);
            }
        }
    }

    fn is_cut(&self, a: u64, b: u64) -> bool {
        self.cuts
            .iter()
            .any(|&(x, y)| (x, y) == (a, b) || (y, x) == (a, b))
    }

    fn route(&mut self, m: Message) {
        self.summary.messages += 1;
        let from = m.from;
        let granted = m.get_msg_type() == MessageType::MsgRequestVoteResponse && !m.reject;
        let acked = m.get_msg_type() == MessageType::MsgAppendResponse && !m.reject;
        let mut fire = false;
        if (1..=self.cfg.nodes).contains(&from) {
            let before = self.slot(from).acked;
            if acked {
                self.slot(from).acked = before.max(m.index);
            }
            if let Some(a) = &self.armed {
                fire = a.node == from
                    && match a.trigger {
                        Trigger::AfterVote => granted,
                        Trigger::AfterAck => acked && m.index > before,
                    };
            }
        }
        let lost = self.is_cut(from, m.to) || self.loss.is_some_and(|(p, _)| self.net.chance(p));
        if lost {
            self.summary.dropped += 1;
        } else if let Some((max_ms, _)) = self.delay {
            let at = Instant::now() + Duration::from_micros(self.net.range(0, max_ms * 1000));
            self.queued += 1;
            self.queue.push(Reverse(Delayed {
                at,
                seq: self.queued,
                msg: m,
            }));
        } else {
            self.deliver(m);
        }
        if fire {
            self.armed = None;
            self.crash(from);
        }
    }

    fn deliver(&mut self, m: Message) {
        let to = m.to;
        if !(1..=self.cfg.nodes).contains(&to) {
            self.summary.dropped += 1;
            return;
        }
        let delivered = match &self.slot(to).life {
            Life::Up { inbox, .. } => inbox.send(Input::Msg(m)).is_ok(),
            _ => false,
        };
        if !delivered {
            self.summary.dropped += 1;
        }
    }

    /// Stops the node's thread (after the inputs already queued for it) and parks it.
    fn stop(&mut self, id: u64, input: Input) -> Option<Parked> {
        match std::mem::replace(&mut self.slot(id).life, Life::Moving) {
            Life::Up { inbox, handle } => {
                let _ = inbox.send(input);
                drop(inbox);
                match handle.join() {
                    Ok(parked) => Some(parked),
                    Err(_) => {
                        self.summary
                            .downs
                            .push((id, "the node thread itself panicked".into()));
                        None
                    }
                }
            }
            other => {
                self.slot(id).life = other;
                None
            }
        }
    }

    fn park_crashed(&mut self, id: u64, mut parked: Parked, down: (Duration, Duration)) {
        parked.disk.crash();
        let (lo, hi) = (down.0.as_micros() as u64, down.1.as_micros() as u64);
        let restart_at = Instant::now() + Duration::from_micros(self.sched.range(lo, hi.max(lo)));
        self.slot(id).life = Life::Down {
            parked: Box::new(parked),
            restart_at,
        };
    }

    fn crash(&mut self, id: u64) {
        if let Some(parked) = self.stop(id, Input::Crash) {
            self.summary.crashes += 1;
            self.park_crashed(id, parked, self.cfg.down);
        }
    }

    fn on_down(&mut self, id: u64, reason: String) {
        self.summary.downs.push((id, reason));
        self.slot(id).self_stops += 1;
        if let Some(parked) = self.stop(id, Input::Stop) {
            if self.slot(id).self_stops < MAX_SELF_STOPS {
                let down = Duration::from_millis(300);
                self.park_crashed(id, parked, (down, down));
            } else {
                // Parked for good: it is not restarted again.
                self.slot(id).life = Life::Down {
                    parked: Box::new(parked),
                    restart_at: Instant::now() + Duration::from_secs(1 << 30),
                };
            }
        }
    }

    fn finish(mut self, start: Instant) -> anyhow::Result<Summary> {
        let mut machines = Vec::new();
        for i in 0..self.slots.len() {
            let id = self.slots[i].id;
            let parked = match std::mem::replace(&mut self.slots[i].life, Life::Moving) {
                Life::Down { parked, .. } => Some(*parked),
                up @ Life::Up { .. } => {
                    self.slots[i].life = up;
                    self.stop(id, Input::Stop)
                }
                Life::Moving => None,
            };
            if let Some(p) = parked {
                self.summary.events += p.events;
                self.summary.unmodelled += p.unmodelled;
                let cache = p.disk.cache();
                let s = cache.rl();
                self.summary.applied = self.summary.applied.max(s.applied);
                machines.push((id, s.state_machine.clone()));
            }
        }
        self.summary.elapsed = start.elapsed();
        for (i, (a, va)) in machines.iter().enumerate() {
            for (b, vb) in &machines[i + 1..] {
                if let Some(k) = (0..va.len().min(vb.len())).find(|&k| va[k] != vb[k]) {
                    self.summary.disagreement.get_or_insert(format!(
                        "n{a} applied {} and n{b} applied {} as their value number {}",
                        va[k],
                        vb[k],
                        k + 1
                    ));
                }
            }
        }
        for f in &self.summary.files {
            self.summary.bytes += std::fs::metadata(f)
                .with_context(|| format!("reading {}", f.display()))?
                .len();
        }
        Ok(self.summary)
    }
}
