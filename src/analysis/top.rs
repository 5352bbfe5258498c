//! The N largest of a stream, kept in a bounded heap: the slowest events, the longest gaps,
//! the slowest runs of a long session, without keeping the rest.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Keeps the `limit` items with the largest keys seen; among equal keys, the earliest pushed.
#[derive(Debug, Clone)]
pub struct TopN<T> {
    limit: usize,
    heap: BinaryHeap<Reverse<Ranked<T>>>,
    pushed: u64,
}

#[derive(Debug, Clone)]
struct Ranked<T> {
    key: u64,
    order: u64,
    item: T,
}

impl<T> Ranked<T> {
    /// Larger keys rank higher; for equal keys, earlier items rank higher.
    fn rank(&self) -> (u64, Reverse<u64>) {
        (self.key, Reverse(self.order))
    }
}

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl<T> Eq for Ranked<T> {}

impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl<T> TopN<T> {
    pub fn new(limit: usize) -> TopN<T> {
        TopN {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(1024) + 1),
            pushed: 0,
        }
    }

    /// Offers an item; it is kept if its key is among the `limit` largest so far.
    pub fn push(&mut self, key: u64, item: T) {
        let ranked = Ranked {
            key,
            order: self.pushed,
            item,
        };
        self.pushed += 1;
        if self.limit == 0 {
            return;
        }
        if self.heap.len() < self.limit {
            self.heap.push(Reverse(ranked));
        } else if self
            .heap
            .peek()
            .is_some_and(|Reverse(smallest)| ranked > *smallest)
        {
            self.heap.pop();
            self.heap.push(Reverse(ranked));
        }
    }

    /// The kept items, largest key first.
    pub fn into_sorted_vec(self) -> Vec<T> {
        // `Reverse` sorts ascending as largest-first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(r)| r.item)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_largest_and_the_earliest_among_equals() {
        let mut top = TopN::new(3);
        for (key, name) in [(5, "a"), (9, "b"), (1, "c"), (9, "d"), (7, "e"), (9, "f")] {
            top.push(key, name);
        }
        assert_eq!(top.into_sorted_vec(), ["b", "d", "f"]);
        let mut none = TopN::new(0);
        none.push(1, ());
        assert!(none.into_sorted_vec().is_empty());
    }
}
