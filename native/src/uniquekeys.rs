//! Duplicate keys of validate's `unique` rule, a batch at a time, in bounded memory.
//!
//! Twin of the Python loop in `stages/columnar/validate.py` (`_unique`, the reference): each
//! present row's key is remembered as a 128-bit digest (two SipHash-1-3 values under random
//! per-rule keys, never the key itself); a key seen before is a violation; once `limit` distinct
//! keys are held the rule stops tracking (overflow) and says so.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;

pub struct UniqueKeys {
    seen: HashSet<u128>,
    hashers: (RandomState, RandomState),
    limit: usize,
    overflow: bool,
}

impl UniqueKeys {
    pub fn new(limit: usize) -> Self {
        UniqueKeys { seen: HashSet::new(), hashers: (RandomState::new(), RandomState::new()), limit, overflow: false }
    }

    pub fn overflow(&self) -> bool {
        self.overflow
    }

    /// The positions in `keys` (in order) whose key was seen before; stops at overflow.
    pub fn feed<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Vec<usize> {
        let mut repeated = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if self.overflow {
                break;
            }
            let key = key.as_ref();
            let digest = (u128::from(self.hashers.0.hash_one(key)) << 64) | u128::from(self.hashers.1.hash_one(key));
            if self.seen.contains(&digest) {
                repeated.push(i);
            } else if self.seen.len() >= self.limit {
                self.overflow = true;
            } else {
                self.seen.insert(digest);
            }
        }
        repeated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_found_in_order_until_the_limit() {
        let mut keys = UniqueKeys::new(2);
        assert_eq!(keys.feed(&["a", "b", "a"]), vec![2]);
        assert!(!keys.overflow());
        assert_eq!(keys.feed(&["b", "c", "a"]), vec![0]);
        assert!(keys.overflow());
        assert_eq!(keys.feed(&["a"]), Vec::<usize>::new());
    }
}
