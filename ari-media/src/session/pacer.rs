//! Real-time pacing of what the application sends: it may write faster than real time;
//! frames wait in a bounded queue and leave one per frame interval.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::time::Instant;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::link::Outbound;

/// Sends audio into a media session; cheap to clone, one per task that talks.
///
/// Bytes are in the session's format (slin little-endian); they are cut into frames and
/// leave at real time. [`send`](Self::send) waits while the queue holds the session's send
/// buffer (one second by default), so a producer faster than real time is slowed to it
/// instead of growing memory.
#[derive(Debug, Clone)]
pub struct AudioSender {
    format: AudioFormat,
    frame_bytes: usize,
    frames: mpsc::Sender<Bytes>,
    /// Bytes of an incomplete frame, waiting for the rest.
    partial: Arc<Mutex<BytesMut>>,
    counters: Arc<PacingCounters>,
}

impl AudioSender {
    /// Queues `audio` (bytes of the session's format); waits while the queue is full.
    /// An incomplete last frame waits for the next call (or [`flush`](Self::flush)).
    pub async fn send(&self, audio: impl AsRef<[u8]>) -> Result<(), MediaError> {
        let mut partial = self.partial.lock().await;
        partial.extend_from_slice(audio.as_ref());
        while partial.len() >= self.frame_bytes {
            let frame = partial.split_to(self.frame_bytes).freeze();
            self.queue(frame).await?;
        }
        Ok(())
    }

    /// Queues 16-bit linear samples at the format's rate, encoded to the session's format.
    pub async fn send_samples(&self, samples: &[i16]) -> Result<(), MediaError> {
        self.send(crate::codec::from_linear(self.format, samples))
            .await
    }

    /// Sends an incomplete last frame, padded with silence.
    pub async fn flush(&self) -> Result<(), MediaError> {
        let mut partial = self.partial.lock().await;
        if partial.is_empty() {
            return Ok(());
        }
        let missing = self.frame_bytes - partial.len();
        partial.extend_from_slice(&crate::codec::from_linear(
            self.format,
            &vec![0; missing / self.format.bytes_per_sample()],
        ));
        let frame = partial.split().freeze();
        self.queue(frame).await
    }

    /// Frames queued and not yet sent.
    pub fn queued_frames(&self) -> usize {
        self.frames.max_capacity() - self.frames.capacity()
    }

    /// The session's format.
    pub fn format(&self) -> AudioFormat {
        self.format
    }

    async fn queue(&self, frame: Bytes) -> Result<(), MediaError> {
        self.frames
            .send(frame)
            .await
            .map_err(|_| MediaError::Closed)?;
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// How far each frame left from its due time, for the pacing figures.
#[derive(Debug)]
pub(crate) struct PacingCounters {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    /// Lateness histogram: bucket `i` counts frames sent `i * BUCKET` late (the last
    /// bucket: later still).
    pub lateness: [AtomicU64; LATENESS_BUCKETS],
}

pub(crate) const LATENESS_BUCKETS: usize = 64;
pub(crate) const BUCKET: Duration = Duration::from_micros(250);

impl Default for PacingCounters {
    fn default() -> Self {
        PacingCounters {
            queued: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            lateness: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl PacingCounters {
    fn record(&self, late: Duration) {
        let bucket = (late.as_micros() / BUCKET.as_micros()) as usize;
        self.lateness[bucket.min(LATENESS_BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// The lateness `quantile` (0..=1) of frames sent so far, to the bucket's upper edge.
    pub fn lateness_quantile(&self, quantile: f64) -> Duration {
        let counts: Vec<u64> = self
            .lateness
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Duration::ZERO;
        }
        let wanted = (total as f64 * quantile).ceil() as u64;
        let mut seen = 0;
        for (bucket, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return BUCKET * (bucket as u32 + 1);
            }
        }
        BUCKET * LATENESS_BUCKETS as u32
    }
}

/// Makes a sender and the pacer task's inputs.
pub(crate) fn channel(
    format: AudioFormat,
    frame: Duration,
    buffer: Duration,
) -> (AudioSender, mpsc::Receiver<Bytes>, Arc<PacingCounters>) {
    let frame_bytes = format.bytes_in(frame).max(format.bytes_per_sample());
    let capacity = (buffer.as_micros() / frame.as_micros().max(1)).max(1) as usize;
    let (frames, queued) = mpsc::channel(capacity);
    let counters = Arc::new(PacingCounters::default());
    let sender = AudioSender {
        format,
        frame_bytes,
        frames,
        partial: Arc::new(Mutex::new(BytesMut::new())),
        counters: counters.clone(),
    };
    (sender, queued, counters)
}

/// Sends one queued frame per `frame` interval to the transport, while `may_send` allows.
///
/// Due times follow a fixed grid from the first frame of a talk spurt, so lateness does not
/// accumulate; after an idle moment (queue empty) or a stall longer than a few frames, the
/// grid restarts at the next frame instead of bursting to catch up.
pub(crate) async fn run(
    mut queued: mpsc::Receiver<Bytes>,
    outbound: mpsc::Sender<Outbound>,
    mut may_send: watch::Receiver<bool>,
    frame: Duration,
    counters: Arc<PacingCounters>,
) {
    let mut due: Option<Instant> = None;
    loop {
        let next = match queued.try_recv() {
            Ok(next) => next,
            Err(mpsc::error::TryRecvError::Empty) => {
                due = None;
                match queued.recv().await {
                    Some(next) => next,
                    None => return,
                }
            }
            Err(mpsc::error::TryRecvError::Disconnected) => return,
        };
        if !*may_send.borrow() {
            due = None;
            if may_send.wait_for(|may| *may).await.is_err() {
                return;
            }
        }
        let now = Instant::now();
        let at = match due {
            Some(at) if now.saturating_duration_since(at) < frame * 3 => at,
            _ => now,
        };
        // A frame already due leaves at once: tokio's timer would round even a past
        // deadline up to its next millisecond tick.
        if at > Instant::now() {
            tokio::time::sleep_until(at).await;
        }
        counters.record(Instant::now().saturating_duration_since(at));
        if outbound.send(Outbound::Audio(next)).await.is_err() {
            return;
        }
        due = Some(at + frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn frames_leave_at_real_time_however_fast_they_are_written() {
        let frame = Duration::from_millis(20);
        let (sender, queued, counters) = channel(AudioFormat::Ulaw, frame, Duration::from_secs(1));
        let (outbound, mut sent) = mpsc::channel(8);
        let (_flow, may_send) = watch::channel(true);
        tokio::spawn(run(queued, outbound, may_send, frame, counters.clone()));
        // Half a second in one write, plus 40 bytes that wait for the flush.
        sender.send(vec![0x55u8; 4000 + 40]).await.unwrap();
        sender.flush().await.unwrap();
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < 26 {
            match sent.recv().await {
                Some(Outbound::Audio(bytes)) => {
                    assert_eq!(bytes.len(), 160);
                    times.push(start.elapsed());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(times[25], frame * 25);
        assert_eq!(counters.lateness_quantile(0.99), BUCKET);
    }

    #[tokio::test(start_paused = true)]
    async fn flow_control_holds_frames_until_allowed() {
        let frame = Duration::from_millis(20);
        let (sender, queued, counters) = channel(AudioFormat::Slin, frame, Duration::from_secs(1));
        let (outbound, mut sent) = mpsc::channel(8);
        let (flow, may_send) = watch::channel(false);
        tokio::spawn(run(queued, outbound, may_send, frame, counters));
        sender.send(vec![0u8; 640]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(sent.try_recv().is_err(), "sent while the far end said stop");
        assert_eq!(sender.queued_frames(), 1);
        flow.send(true).unwrap();
        assert!(matches!(sent.recv().await, Some(Outbound::Audio(_))));
        assert!(matches!(sent.recv().await, Some(Outbound::Audio(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_makes_the_writer_wait() {
        let frame = Duration::from_millis(20);
        let (sender, _queued, _) = channel(AudioFormat::Ulaw, frame, Duration::from_millis(100));
        sender.send(vec![0u8; 160 * 5]).await.unwrap();
        let blocked =
            tokio::time::timeout(Duration::from_millis(50), sender.send(vec![0u8; 160])).await;
        assert!(
            blocked.is_err(),
            "a sixth frame fitted in a five-frame buffer"
        );
    }
}
