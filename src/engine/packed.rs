//! Packed spec states: how the exhaustive search keeps its frontier small.
//!
//! A spec state shares its nodes and its history with the state it was stepped from (they sit
//! behind `Arc`s and are copied only when a step changes them), but states reached along
//! different paths hold equal parts separately, and the messages in flight are the state's own;
//! a breadth-first search holds two levels of them, the widest ones. Neighbouring states differ
//! in one or two nodes and one or two messages: most parts of a level are equal to parts of
//! other states of it. A [`PackedState`] therefore holds its nodes, messages and history as
//! pointers into a [`StatePacker`], which keeps one shared copy of each distinct part
//! (hash-consing), and unpacking one shares the nodes and history again rather than copying
//! them.
//!
//! Packing is lossless: [`PackedState::unpack`] gives back a state equal to the one packed, so
//! fingerprints, judgements and traces are exactly those of a search that keeps states whole.
//! Which shared copy is kept first depends on thread timing, but shared copies are equal
//! values, so nothing observable does.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use raftcheck_spec::types::NodeId;
use raftcheck_spec::{ClusterState, History, Message, NodeState, Spent};
use siphasher::sip::SipHasher13;

/// Shards of an interner: enough that two to a few worker threads rarely wait on one another.
const SHARDS: usize = 16;

/// One shared copy of each distinct value given to it.
pub struct Interner<T> {
    shards: Vec<Mutex<HashMap<u64, Vec<Arc<T>>>>>,
}

impl<T: Hash + Eq> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl<T: Hash + Eq> Interner<T> {
    /// The shared copy of `value`, which becomes the shared copy if it is the first of its kind.
    pub fn intern(&self, value: T) -> Arc<T> {
        self.intern_shared(Arc::new(value))
    }

    /// [`Interner::intern`] for a value already behind an `Arc`, which becomes the shared copy
    /// if it is the first of its kind.
    pub fn intern_shared(&self, value: Arc<T>) -> Arc<T> {
        let mut hasher = SipHasher13::new_with_keys(0x7061_636b_6564_5f31, 0x696e_7465_726e_6572);
        value.hash(&mut hasher);
        let hash = hasher.finish();
        let mut shard = self.shards[(hash % SHARDS as u64) as usize]
            .lock()
            .expect("interner lock");
        let bucket = shard.entry(hash).or_default();
        if let Some(shared) = bucket.iter().find(|shared| **shared == value) {
            return Arc::clone(shared);
        }
        bucket.push(Arc::clone(&value));
        value
    }

    /// Forgets the values nothing but the interner points to any more (the parts of states
    /// already expanded), so its memory follows the frontier's.
    pub fn sweep(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock().expect("interner lock");
            shard.retain(|_, bucket| {
                bucket.retain(|shared| Arc::strong_count(shared) > 1);
                !bucket.is_empty()
            });
        }
    }

    /// The number of distinct values held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .expect("interner lock")
                    .values()
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }

    /// True when no value is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shared parts of the packed states of one search.
#[derive(Default)]
pub struct StatePacker {
    nodes: Interner<NodeState>,
    messages: Interner<Message>,
    histories: Interner<History>,
}

impl StatePacker {
    /// Packs a state, sharing each of its parts with the states packed before it.
    pub fn pack(&self, state: ClusterState) -> PackedState {
        let ClusterState {
            nodes,
            network,
            spent,
            history,
        } = state;
        let nodes = nodes
            .into_iter()
            .map(|(id, node)| (id, self.nodes.intern_shared(node)))
            .collect();
        PackedState {
            nodes,
            network: network
                .into_iter()
                .map(|m| self.messages.intern(m))
                .collect(),
            spent,
            history: self.histories.intern_shared(history),
        }
    }

    /// Forgets the parts no packed state holds any more.
    pub fn sweep(&self) {
        self.nodes.sweep();
        self.messages.sweep();
        self.histories.sweep();
    }

    /// Distinct nodes, messages and histories held.
    pub fn parts(&self) -> (usize, usize, usize) {
        (self.nodes.len(), self.messages.len(), self.histories.len())
    }
}

/// A spec state as pointers to shared parts; [`PackedState::unpack`] restores it.
#[derive(Clone, Debug)]
pub struct PackedState {
    nodes: Box<[(NodeId, Arc<NodeState>)]>,
    network: Box<[Arc<Message>]>,
    spent: Spent,
    history: Arc<History>,
}

impl PackedState {
    /// The state packed, whole again.
    pub fn unpack(&self) -> ClusterState {
        ClusterState {
            nodes: self
                .nodes
                .iter()
                .map(|(id, node)| (*id, Arc::clone(node)))
                .collect(),
            network: self.network.iter().map(|m| Message::clone(m)).collect(),
            spent: self.spent.clone(),
            history: Arc::clone(&self.history),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::{Action, Bounds, Flavour, Mode, RaftModel};
    use stateright::Model;

    /// Every state within three steps of the start, each once.
    fn states() -> Vec<ClusterState> {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
        let mut all = vec![model.initial_state()];
        let mut level = all.clone();
        for _ in 0..3 {
            let mut next = Vec::new();
            for state in &level {
                let mut actions: Vec<Action> = Vec::new();
                model.actions(state, &mut actions);
                next.extend(
                    actions
                        .into_iter()
                        .filter_map(|a| model.next_state(state, a)),
                );
            }
            all.extend(next.iter().cloned());
            level = next;
        }
        all
    }

    #[test]
    fn a_packed_state_unpacks_to_an_equal_state() {
        let packer = StatePacker::default();
        for state in states() {
            assert_eq!(packer.pack(state.clone()).unpack(), state);
        }
    }

    #[test]
    fn equal_parts_are_held_once_and_swept_when_unused() {
        let packer = StatePacker::default();
        let all = states();
        let packed: Vec<PackedState> = all.iter().cloned().map(|s| packer.pack(s)).collect();
        let (nodes, messages, histories) = packer.parts();
        assert!(
            nodes < all.len() && messages < all.len() && histories < all.len(),
            "{} states share {nodes} nodes, {messages} messages, {histories} histories",
            all.len()
        );
        let first = packed[0].clone();
        // The states themselves share their parts with their packed copies.
        drop(all);
        drop(packed);
        packer.sweep();
        let (nodes, messages, histories) = packer.parts();
        assert_eq!(
            (nodes, messages, histories),
            (first.nodes.len(), 0, 1),
            "only the initial state's parts are still held"
        );
    }
}
