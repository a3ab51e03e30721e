//! What a test can measure on a media channel: what the application sent, when, and how
//! much of it was garbage.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ari_media::AudioFormat;

/// The frame period every transport here runs at.
pub const PTIME: Duration = Duration::from_millis(20);
/// How much received audio a probe keeps, newest last.
const KEEP_AUDIO: Duration = Duration::from_secs(10);
/// How many arrival gaps a probe keeps for its statistics.
const KEEP_GAPS: usize = 30_000;

/// Which transport a media channel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeTransport {
    /// RTP over UDP (`encapsulation=rtp`).
    Rtp,
    /// AudioSocket over TCP.
    AudioSocket,
    /// `chan_websocket`, either direction.
    WebSocket,
}

/// A snapshot of a media channel's traffic ([`Control::media`](crate::Control::media)).
/// It outlives the channel, so a test can look after hanging up.
#[derive(Debug, Clone)]
pub struct MediaProbe {
    /// The transport the channel speaks.
    pub transport: ProbeTransport,
    /// The audio format (`ulaw`, `slin16`, ...).
    pub format: AudioFormat,
    /// The transport is (or was) up: the socket connected, the WebSocket accepted.
    pub connected: bool,
    /// The transport has ended (hang-up, stop, or the application went away).
    pub closed: bool,
    /// Audio frames sent to the application.
    pub frames_sent: u64,
    /// Audio frames (packets, AudioSocket frames, WebSocket messages) from the application.
    pub frames_received: u64,
    /// Audio payload bytes from the application.
    pub bytes_received: u64,
    /// When the first audio frame from the application arrived.
    pub first_received: Option<Instant>,
    /// When the last audio frame from the application arrived.
    pub last_received: Option<Instant>,
    /// The largest distance of a gap between two received frames from 20 ms.
    pub max_gap_deviation: Duration,
    /// The 99th percentile of that distance.
    pub p99_gap_deviation: Duration,
    /// Input that could not be understood (bad RTP, a bad AudioSocket frame, an invalid
    /// WebSocket command): counted and logged, never fatal.
    pub malformed: u64,
    /// WebSocket only: audio frames the application sent while Asterisk's queue was at
    /// its maximum (1000 frames) and that were dropped, as Asterisk drops them.
    pub dropped: u64,
    /// WebSocket only: frames queued to "play" now.
    pub queue_length: usize,
    /// The received audio as 16-bit samples at the format's rate, the last 10 s.
    pub samples: Vec<i16>,
}

impl MediaProbe {
    /// How strongly `hz` is present in all of [`samples`](Self::samples) (0 none, about 1
    /// for a full-scale tone), measured over the whole buffer at once (Hann-windowed, so
    /// its middle counts most): for a sequence of tones, cut `samples` into blocks and use
    /// `ari_media::codec::analysis` on each.
    pub fn tone_level(&self, hz: f64) -> f64 {
        super::signal::tone_level(&self.samples, self.format.sample_rate(), hz)
    }

    /// The received audio's RMS level (0..1 of full scale).
    pub fn rms(&self) -> f64 {
        ari_media::codec::analysis::rms(&self.samples) / 32768.0
    }
}

/// The live counters behind a [`MediaProbe`], updated by the channel's media task.
#[derive(Debug)]
pub struct ProbeState {
    pub transport: ProbeTransport,
    pub format: AudioFormat,
    pub connected: bool,
    pub closed: bool,
    pub frames_sent: u64,
    pub frames_received: u64,
    pub bytes_received: u64,
    pub first_received: Option<Instant>,
    pub last_received: Option<Instant>,
    gap_deviations: VecDeque<Duration>,
    pub malformed: u64,
    pub dropped: u64,
    pub queue_length: usize,
    samples: VecDeque<i16>,
}

impl ProbeState {
    pub fn new(transport: ProbeTransport, format: AudioFormat) -> Self {
        ProbeState {
            transport,
            format,
            connected: false,
            closed: false,
            frames_sent: 0,
            frames_received: 0,
            bytes_received: 0,
            first_received: None,
            last_received: None,
            gap_deviations: VecDeque::new(),
            malformed: 0,
            dropped: 0,
            queue_length: 0,
            samples: VecDeque::new(),
        }
    }

    /// One frame of audio arrived from the application.
    pub fn received(&mut self, bytes: usize, samples: &[i16]) {
        let now = Instant::now();
        if let Some(last) = self.last_received {
            let gap = now.duration_since(last);
            let deviation = gap.abs_diff(PTIME);
            if self.gap_deviations.len() == KEEP_GAPS {
                self.gap_deviations.pop_front();
            }
            self.gap_deviations.push_back(deviation);
        }
        self.first_received.get_or_insert(now);
        self.last_received = Some(now);
        self.frames_received += 1;
        self.bytes_received += bytes as u64;
        let keep = self.format.samples_in(KEEP_AUDIO);
        self.samples.extend(samples);
        while self.samples.len() > keep {
            self.samples.pop_front();
        }
    }

    /// Input that made no sense, with what was wrong for the log.
    pub fn malformed(&mut self, channel_id: &str, what: &str) {
        self.malformed += 1;
        tracing::warn!(channel = channel_id, "media: malformed input: {what}");
    }

    pub fn snapshot(&self) -> MediaProbe {
        let mut sorted: Vec<Duration> = self.gap_deviations.iter().copied().collect();
        sorted.sort_unstable();
        let p99 = sorted
            .get((sorted.len() * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or_default();
        MediaProbe {
            transport: self.transport,
            format: self.format,
            connected: self.connected,
            closed: self.closed,
            frames_sent: self.frames_sent,
            frames_received: self.frames_received,
            bytes_received: self.bytes_received,
            first_received: self.first_received,
            last_received: self.last_received,
            max_gap_deviation: sorted.last().copied().unwrap_or_default(),
            p99_gap_deviation: p99,
            malformed: self.malformed,
            dropped: self.dropped,
            queue_length: self.queue_length,
            samples: self.samples.iter().copied().collect(),
        }
    }
}
