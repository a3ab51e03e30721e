//! A session's counters, read at one moment.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::link::TransportStats;
use crate::session::PacingCounters;

/// What a session has carried so far ([`MediaSession::stats`](crate::MediaSession::stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MediaStats {
    /// Audio frames received from Asterisk.
    pub frames_received: u64,
    /// Audio frames sent to Asterisk.
    pub frames_sent: u64,
    /// Audio bytes received.
    pub bytes_received: u64,
    /// Audio bytes sent.
    pub bytes_sent: u64,
    /// Packets or frames dropped as malformed.
    pub malformed: u64,
    /// RTP packets never received.
    pub lost: u64,
    /// RTP packets that came too late or twice.
    pub late_or_duplicate: u64,
    /// RTP packets put back in order.
    pub reordered: u64,
    /// Audio frames dropped because the reader fell behind.
    pub dropped_for_slow_reader: u64,
    /// Frames waiting to be sent.
    pub queued_frames: usize,
    /// How late the pacer sent frames: the 99th percentile, to a quarter millisecond.
    pub pacing_p99: Duration,
}

impl MediaStats {
    pub(crate) fn read(
        transport: &TransportStats,
        pacing: &PacingCounters,
        queued_frames: usize,
    ) -> MediaStats {
        let get = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
        MediaStats {
            frames_received: get(&transport.frames_in),
            frames_sent: get(&transport.frames_out),
            bytes_received: get(&transport.bytes_in),
            bytes_sent: get(&transport.bytes_out),
            malformed: get(&transport.malformed),
            lost: get(&transport.lost),
            late_or_duplicate: get(&transport.late_or_duplicate),
            reordered: get(&transport.reordered),
            dropped_for_slow_reader: get(&transport.dropped_for_slow_reader),
            queued_frames,
            pacing_p99: pacing.lateness_quantile(0.99),
        }
    }
}
