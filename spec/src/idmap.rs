//! [`IdMap`]: a small map keyed by node id.
//!
//! Spec states are cloned and hashed on every transition, and what they key by node id (the
//! nodes of a cluster, a candidate's votes, a leader's match indexes) has a handful of entries.
//! A sorted vector serves that better than a tree: one allocation to clone, one slice to hash,
//! iteration in id order, lookup by binary search.

use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};

use crate::types::NodeId;

/// A map from node id to `V`, iterated in ascending id order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IdMap<V> {
    /// Sorted by id, each id once.
    entries: Vec<(NodeId, V)>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            entries: Vec::new(),
        }
    }
}

impl<V> IdMap<V> {
    /// The empty map.
    pub fn new() -> Self {
        IdMap::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, id: NodeId) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(k, _)| *k)
    }

    /// True when `id` has an entry.
    pub fn contains(&self, id: NodeId) -> bool {
        self.position(id).is_ok()
    }

    /// The value for `id`.
    pub fn get(&self, id: NodeId) -> Option<&V> {
        self.position(id).ok().map(|at| &self.entries[at].1)
    }

    /// The value for `id`, to change it.
    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut V> {
        self.position(id).ok().map(|at| &mut self.entries[at].1)
    }

    /// Sets the value for `id`, returning the one it replaces.
    pub fn insert(&mut self, id: NodeId, value: V) -> Option<V> {
        match self.position(id) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (id, value));
                None
            }
        }
    }

    /// The value for `id`, first setting it to `value` if `id` has none.
    pub fn or_insert(&mut self, id: NodeId, value: V) -> &mut V {
        let at = match self.position(id) {
            Ok(at) => at,
            Err(at) => {
                self.entries.insert(at, (id, value));
                at
            }
        };
        &mut self.entries[at].1
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in ascending id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (NodeId, &V)> + '_ {
        self.entries.iter().map(|(id, v)| (*id, v))
    }

    /// The ids in ascending order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = NodeId> + '_ {
        self.entries.iter().map(|(id, _)| *id)
    }

    /// The values in ascending id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in ascending id order, to change them.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl<V> IntoIterator for IdMap<V> {
    type Item = (NodeId, V);
    type IntoIter = std::vec::IntoIter<(NodeId, V)>;

    /// The pairs, in ascending id order.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<V> FromIterator<(NodeId, V)> for IdMap<V> {
    /// The map of the pairs; of two pairs with the same id the later one stays.
    fn from_iter<I: IntoIterator<Item = (NodeId, V)>>(pairs: I) -> Self {
        let mut map = IdMap::new();
        for (id, value) in pairs {
            map.insert(id, value);
        }
        map
    }
}

impl<V> Index<NodeId> for IdMap<V> {
    type Output = V;

    /// # Panics
    ///
    /// If `id` has no entry.
    fn index(&self, id: NodeId) -> &V {
        self.get(id).unwrap_or_else(|| panic!("no entry for n{id}"))
    }
}

impl<V> IndexMut<NodeId> for IdMap<V> {
    /// # Panics
    ///
    /// If `id` has no entry.
    fn index_mut(&mut self, id: NodeId) -> &mut V {
        self.get_mut(id)
            .unwrap_or_else(|| panic!("no entry for n{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_sorted_by_id() {
        let mut m: IdMap<&str> = [(3, "c"), (1, "a")].into_iter().collect();
        assert_eq!(m.insert(2, "b"), None);
        assert_eq!(m.insert(3, "C"), Some("c"));
        assert_eq!(m.ids().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), ["a", "b", "C"]);
        assert_eq!((m.get(2), m.get(4)), (Some(&"b"), None));
        assert_eq!(m[1], "a");
        assert_eq!(*m.or_insert(1, "x"), "a", "an existing entry stays");
        assert_eq!(*m.or_insert(9, "i"), "i");
        assert!(m.contains(9) && m.len() == 4);
        m.clear();
        assert!(m.is_empty());
    }

    #[test]
    fn equal_contents_are_equal_maps() {
        let a: IdMap<u64> = [(1, 5), (2, 6)].into_iter().collect();
        let b: IdMap<u64> = [(2, 6), (1, 5)].into_iter().collect();
        assert_eq!(a, b);
    }

    #[test]
    #[should_panic(expected = "no entry for n7")]
    fn indexing_a_missing_id_names_it() {
        let m: IdMap<u64> = IdMap::new();
        let _ = m[7];
    }
}
