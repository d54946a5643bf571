//! The event queue: a binary heap ordered by `(time, phase, seq)`; `seq` is assigned on push, so
//! events at the same time and phase pop in FIFO order.

use super::time::SimTime;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Same-instant order of events; see the [engine docs](super).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Pods finish.
    Departure = 0,
    /// Pods arrive; timeline steps (apply, scale, delete) run.
    Arrival = 1,
    /// Node lifecycle steps (instance running, node Ready, GPUs advertised) and pod start-up
    /// steps (image pulled, container started).
    Lifecycle = 2,
    /// A scheduling cycle.
    Schedule = 3,
    /// An autoscaler loop.
    Scaler = 4,
    /// A time-series sample.
    Sample = 5,
}

/// Scheduling into the past is a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastEvent {
    /// The queue's current time.
    pub now: SimTime,
    /// The time asked for.
    pub at: SimTime,
}

impl std::fmt::Display for PastEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event scheduled at {} which is before the current time {}", self.at, self.now)
    }
}

impl std::error::Error for PastEvent {}

struct Entry<E> {
    key: (SimTime, Phase, u64),
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key.cmp(&o.key)
    }
}

/// A deterministic event queue.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    seq: u64,
    now: SimTime,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), seq: 0, now: SimTime::ZERO }
    }
    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// Pushes an event; an event before `now` is an error.
    pub fn push(&mut self, at: SimTime, phase: Phase, event: E) -> Result<(), PastEvent> {
        if at < self.now {
            return Err(PastEvent { now: self.now, at });
        }
        self.seq += 1;
        self.heap.push(Reverse(Entry { key: (at, phase, self.seq), event }));
        Ok(())
    }
    /// The key of the next event.
    pub fn peek(&self) -> Option<(SimTime, Phase)> {
        self.heap.peek().map(|Reverse(e)| (e.key.0, e.key.1))
    }
    /// Pops the next event and advances `now` to it.
    pub fn pop(&mut self) -> Option<(SimTime, Phase, E)> {
        let Reverse(e) = self.heap.pop()?;
        self.now = e.key.0;
        Some((e.key.0, e.key.1, e.event))
    }
    /// Advances `now` (for events taken from a merged stream); never moves backwards.
    pub fn advance(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }
    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }
    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_phase_then_fifo() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), Phase::Sample, "sample@10").unwrap();
        q.push(SimTime(10), Phase::Departure, "dep-a@10").unwrap();
        q.push(SimTime(5), Phase::Schedule, "sched@5").unwrap();
        q.push(SimTime(10), Phase::Departure, "dep-b@10").unwrap();
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|e| e.2)).collect();
        assert_eq!(order, ["sched@5", "dep-a@10", "dep-b@10", "sample@10"]);
        assert_eq!(q.push(SimTime(3), Phase::Arrival, "late"), Err(PastEvent { now: SimTime(10), at: SimTime(3) }));
    }
}
