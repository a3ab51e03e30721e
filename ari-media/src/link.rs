//! The seam between a transport and the session: what every transport hands over.
//!
//! A transport owns its socket and tasks; the session owns ARI, pacing and cleanup. The
//! session sends [`Outbound`] items already paced (one frame each, at real time); the
//! transport turns each into its wire format and reports what arrives as [`Inbound`].

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use crate::error::MediaError;
use crate::frame::{AudioFrame, EndReason};
use crate::wire::ws_control::{Command, ControlEvent};

/// A transport's side of a session.
pub(crate) struct Link {
    /// What the far end sent, in order (RTP: after the jitter buffer). `Ended` is the
    /// last item; the channel closing without it means the transport failed.
    pub inbound: mpsc::Receiver<Inbound>,
    /// What to send now.
    pub outbound: mpsc::Sender<Outbound>,
    /// `false` while the far end asked the library to stop sending audio (WebSocket
    /// `MEDIA_XOFF`); always `true` for transports without flow control.
    pub may_send: watch::Receiver<bool>,
    /// Counters the transport keeps.
    pub stats: std::sync::Arc<TransportStats>,
    /// The transport's tasks, aborted when the link is dropped.
    pub tasks: TaskSet,
}

impl Link {
    /// The link of a transport without flow control (RTP, AudioSocket): its reader and
    /// writer tasks, and a `may_send` that stays open while the link lives.
    pub fn without_flow_control(
        inbound: mpsc::Receiver<Inbound>,
        outbound: mpsc::Sender<Outbound>,
        stats: std::sync::Arc<TransportStats>,
        reader: impl std::future::Future<Output = ()> + Send + 'static,
        writer: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Link {
        let (may_send_tx, may_send) = watch::channel(true);
        let mut tasks = TaskSet::default();
        tasks.push(tokio::spawn(reader));
        tasks.push(tokio::spawn(async move {
            let _open = may_send_tx;
            writer.await;
        }));
        Link {
            inbound,
            outbound,
            may_send,
            stats,
            tasks,
        }
    }
}

/// An item a transport received.
#[derive(Debug)]
pub(crate) enum Inbound {
    Audio(AudioFrame),
    Dtmf(char),
    Control(ControlEvent),
    /// Something the far end sent that was dropped (a malformed packet): not the end.
    Problem(MediaError),
    /// The far end hung up or closed the connection.
    Ended(EndReason),
}

/// An item for a transport to send.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// One frame of audio in the session's format (slin little-endian).
    Audio(Bytes),
    /// A WebSocket control command (other transports ignore it).
    Command(Command),
    /// Say goodbye the transport's way (AudioSocket hang-up frame, WebSocket close).
    Close,
}

/// Tasks aborted on drop.
#[derive(Debug, Default)]
pub(crate) struct TaskSet(Vec<tokio::task::JoinHandle<()>>);

impl TaskSet {
    pub fn push(&mut self, task: tokio::task::JoinHandle<()>) {
        self.0.push(task);
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Counters a transport keeps, read by the session's `stats()`.
#[derive(Debug, Default)]
pub(crate) struct TransportStats {
    pub frames_in: std::sync::atomic::AtomicU64,
    pub frames_out: std::sync::atomic::AtomicU64,
    pub bytes_in: std::sync::atomic::AtomicU64,
    pub bytes_out: std::sync::atomic::AtomicU64,
    /// Packets or frames dropped as malformed.
    pub malformed: std::sync::atomic::AtomicU64,
    /// RTP: packets never received (gaps in the sequence).
    pub lost: std::sync::atomic::AtomicU64,
    /// RTP: packets that came after their turn had passed, or twice.
    pub late_or_duplicate: std::sync::atomic::AtomicU64,
    /// RTP: packets the jitter buffer put back in order.
    pub reordered: std::sync::atomic::AtomicU64,
    /// Audio frames the application's reader had no room for (counted by the session).
    pub dropped_for_slow_reader: std::sync::atomic::AtomicU64,
}
