//! A small receive-side jitter buffer: puts RTP packets back in sequence order.
//!
//! Packets that continue the sequence are released at once (the application wants audio
//! as early as possible; nothing is played out here). After a gap the buffer holds what
//! follows until the missing packet arrives, more than `depth` packets wait behind the
//! gap, or the oldest waiting packet has waited `max_wait`; then the gap is counted as
//! lost and skipped.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::link::TransportStats;

/// Packets held behind a gap before it is given up on.
pub(crate) const DEFAULT_DEPTH: usize = 3;

/// A sequence jump larger than this (either way) is taken as the sender restarting its
/// sequence rather than as loss or lateness.
const RESYNC_DISTANCE: i64 = 500;

pub(crate) struct JitterBuffer<T> {
    depth: usize,
    max_wait: Duration,
    /// The extended (wrap-free) sequence number released next; `None` before the first
    /// packet.
    next: Option<u64>,
    /// Packets waiting, by extended sequence number, with when they arrived.
    held: BTreeMap<u64, (Instant, T)>,
    /// Packets released without waiting (after a resync).
    ready: VecDeque<(u16, T)>,
    stats: Arc<TransportStats>,
}

impl<T> JitterBuffer<T> {
    pub(crate) fn new(depth: usize, max_wait: Duration, stats: Arc<TransportStats>) -> Self {
        JitterBuffer {
            depth,
            max_wait,
            next: None,
            held: BTreeMap::new(),
            ready: VecDeque::new(),
            stats,
        }
    }

    /// Adds a packet; late packets and duplicates are dropped and counted.
    pub(crate) fn push(&mut self, sequence: u16, item: T, now: Instant) {
        // Extended numbers start one cycle up so that "before the first packet" still fits.
        let next = *self.next.get_or_insert(u64::from(sequence) + (1 << 16));
        let distance = i64::from(sequence.wrapping_sub(next as u16) as i16);
        if distance.abs() > RESYNC_DISTANCE {
            self.resync(sequence);
            self.held.insert(self.next.unwrap_or_default(), (now, item));
            return;
        }
        if distance < 0 {
            self.stats.late_or_duplicate.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let extended = next + distance as u64;
        if self.held.contains_key(&extended) {
            self.stats.late_or_duplicate.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if self.held.range(extended..).next().is_some() {
            self.stats.reordered.fetch_add(1, Ordering::Relaxed);
        }
        self.held.insert(extended, (now, item));
    }

    /// The next packet in order, if it may be released now.
    pub(crate) fn pop(&mut self, now: Instant) -> Option<(u16, T)> {
        if let Some(released) = self.ready.pop_front() {
            return Some(released);
        }
        let next = self.next?;
        let (&first, _) = self.held.first_key_value()?;
        if first != next {
            let waited_too_long = self
                .oldest_arrival()
                .is_some_and(|arrived| now.duration_since(arrived) >= self.max_wait);
            if self.held.len() <= self.depth && !waited_too_long {
                return None;
            }
            self.stats.lost.fetch_add(first - next, Ordering::Relaxed);
        }
        let (_, item) = self.held.remove(&first)?;
        self.next = Some(first + 1);
        Some((first as u16, item))
    }

    /// When [`pop`](Self::pop) will release a packet waiting behind a gap, if one waits.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let (&first, _) = self.held.first_key_value()?;
        if Some(first) == self.next {
            return None;
        }
        self.oldest_arrival().map(|arrived| arrived + self.max_wait)
    }

    fn oldest_arrival(&self) -> Option<Instant> {
        self.held.values().map(|(arrived, _)| *arrived).min()
    }

    /// Releases everything held in order and starts over at `sequence`.
    fn resync(&mut self, sequence: u16) {
        for (extended, (_, item)) in std::mem::take(&mut self.held) {
            self.ready.push_back((extended as u16, item));
        }
        self.next = Some(u64::from(sequence) + (1 << 16));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_millis(60);

    fn buffer() -> (JitterBuffer<u16>, Arc<TransportStats>) {
        let stats = Arc::new(TransportStats::default());
        (JitterBuffer::new(DEFAULT_DEPTH, WAIT, stats.clone()), stats)
    }

    /// Pushes each sequence number (as its own item) and collects what is released.
    fn feed(buffer: &mut JitterBuffer<u16>, sequences: &[u16], now: Instant) -> Vec<u16> {
        let mut released = Vec::new();
        for &sequence in sequences {
            buffer.push(sequence, sequence, now);
            while let Some((released_sequence, item)) = buffer.pop(now) {
                assert_eq!(released_sequence, item);
                released.push(item);
            }
        }
        released
    }

    fn count(counter: &std::sync::atomic::AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    #[test]
    fn reordered_packets_come_out_in_order() {
        let (mut buffer, stats) = buffer();
        let released = feed(&mut buffer, &[10, 12, 13, 11, 14], Instant::now());
        assert_eq!(released, [10, 11, 12, 13, 14]);
        assert_eq!(count(&stats.reordered), 1);
        assert_eq!(count(&stats.lost), 0);
    }

    #[test]
    fn duplicates_and_late_packets_are_dropped() {
        let (mut buffer, stats) = buffer();
        let released = feed(&mut buffer, &[1, 2, 2, 3, 1, 4], Instant::now());
        assert_eq!(released, [1, 2, 3, 4]);
        assert_eq!(count(&stats.late_or_duplicate), 2);

        // A duplicate of a packet still held behind a gap.
        let released = feed(&mut buffer, &[6, 6], Instant::now());
        assert!(released.is_empty());
        assert_eq!(count(&stats.late_or_duplicate), 3);
    }

    #[test]
    fn a_gap_is_lost_once_enough_packets_wait_behind_it() {
        let (mut buffer, stats) = buffer();
        let now = Instant::now();
        assert_eq!(feed(&mut buffer, &[1, 3, 4, 5], now), [1]);
        assert_eq!(feed(&mut buffer, &[6], now), [3, 4, 5, 6]);
        assert_eq!(count(&stats.lost), 1);
        // The lost packet arriving now is late.
        assert!(feed(&mut buffer, &[2], now).is_empty());
        assert_eq!(count(&stats.late_or_duplicate), 1);
    }

    #[test]
    fn a_gap_is_lost_once_the_oldest_packet_waited_too_long() {
        let (mut buffer, stats) = buffer();
        let start = Instant::now();
        assert_eq!(feed(&mut buffer, &[1, 4], start), [1]);
        assert_eq!(buffer.deadline(), Some(start + WAIT));
        assert_eq!(buffer.pop(start + WAIT / 2), None);
        assert_eq!(buffer.pop(start + WAIT), Some((4, 4)));
        assert_eq!(count(&stats.lost), 2);
        assert_eq!(buffer.deadline(), None);
    }

    #[test]
    fn sequence_numbers_wrap_at_65535() {
        let (mut buffer, stats) = buffer();
        let released = feed(&mut buffer, &[65_534, 0, 65_535, 1, 65_535], Instant::now());
        assert_eq!(released, [65_534, 65_535, 0, 1]);
        assert_eq!(count(&stats.reordered), 1);
        assert_eq!(count(&stats.late_or_duplicate), 1);
        assert_eq!(count(&stats.lost), 0);
    }

    #[test]
    fn a_sequence_restart_releases_what_was_held_and_starts_over() {
        let (mut buffer, stats) = buffer();
        let released = feed(&mut buffer, &[100, 102, 30_000, 30_001], Instant::now());
        assert_eq!(released, [100, 102, 30_000, 30_001]);
        assert_eq!(count(&stats.lost), 0);
    }
}
