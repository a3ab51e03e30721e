//! The link task both connection types share: audio and control both ways.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::{AudioFrame, EndReason};
use crate::link::{Inbound, Link, Outbound, TaskSet, TransportStats};
use crate::wire::ws_control::{ControlEvent, ControlFormat, parse_event};

use super::*;

pub(super) fn spawn_link<S>(
    ws: WebSocketStream<S>,
    format: AudioFormat,
    control: ControlFormat,
    first: Option<ControlEvent>,
) -> Link
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_CAPACITY);
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (may_send_tx, may_send) = watch::channel(true);
    let stats = Arc::new(TransportStats::default());
    let state = LinkState {
        format,
        control,
        inbound: inbound_tx,
        may_send: may_send_tx,
        stats: Arc::clone(&stats),
    };
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(run_link(ws, outbound_rx, state, first)));
    Link {
        inbound,
        outbound,
        may_send,
        stats,
        tasks,
    }
}

struct LinkState {
    format: AudioFormat,
    control: ControlFormat,
    inbound: mpsc::Sender<Inbound>,
    may_send: watch::Sender<bool>,
    stats: Arc<TransportStats>,
}

/// What the far end's message means for the link.
enum Next {
    Continue,
    /// The far end said goodbye; its reason.
    Closing(String),
    /// The session is gone: stop without reporting.
    Stop,
}

impl LinkState {
    async fn report(&self, item: Inbound) -> bool {
        self.inbound.send(item).await.is_ok()
    }

    async fn received(&mut self, message: Message) -> Next {
        let delivered = match message {
            Message::Binary(payload) => {
                if payload.is_empty() {
                    return Next::Continue;
                }
                add(&self.stats.frames_in, 1);
                add(&self.stats.bytes_in, payload.len());
                self.report(Inbound::Audio(AudioFrame {
                    format: self.format,
                    payload,
                    sequence: None,
                    timestamp: None,
                    received_at: Instant::now(),
                }))
                .await
            }
            Message::Text(text) => self.control_text(text.as_str()).await,
            Message::Close(frame) => {
                let reason = match frame {
                    Some(frame) if frame.reason.is_empty() => format!("closed ({})", frame.code),
                    Some(frame) => format!("closed ({}): {}", frame.code, frame.reason),
                    None => "closed".to_owned(),
                };
                return Next::Closing(reason);
            }
            // tungstenite queues the pong itself; it goes out with the next write or read.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => true,
        };
        if delivered {
            Next::Continue
        } else {
            Next::Stop
        }
    }

    async fn control_text(&mut self, text: &str) -> bool {
        match parse_event(text) {
            Ok(ControlEvent::DtmfEnd { digit }) => self.report(Inbound::Dtmf(digit)).await,
            Ok(event) => {
                match &event {
                    // Flow control first, so the session sees the new state with the event.
                    ControlEvent::MediaXoff => {
                        self.may_send.send_replace(false);
                    }
                    ControlEvent::MediaXon => {
                        self.may_send.send_replace(true);
                    }
                    ControlEvent::MediaStart(_) => self.control = shape_of(text),
                    _ => {}
                }
                self.report(Inbound::Control(event)).await
            }
            Err(detail) => {
                add(&self.stats.malformed, 1);
                self.report(Inbound::Problem(MediaError::Malformed {
                    transport: TRANSPORT,
                    what: "control message",
                    detail,
                }))
                .await
            }
        }
    }
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

async fn run_link<S>(
    mut ws: WebSocketStream<S>,
    mut outbound: mpsc::Receiver<Outbound>,
    mut state: LinkState,
    first: Option<ControlEvent>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(event) = first
        && !state.report(Inbound::Control(event)).await
    {
        return;
    }
    // Set once either side starts closing; the link then only waits for the far end.
    let mut closing_since: Option<tokio::time::Instant> = None;
    let reason = loop {
        let deadline = closing_since.map(|since| since + CLOSE_WAIT);
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(message)) => match state.received(message).await {
                    Next::Continue => {}
                    Next::Stop => return,
                    Next::Closing(reason) => break drain(&mut ws, reason).await,
                },
                Some(Err(WsError::ConnectionClosed)) | None => {
                    break "connection closed".to_owned();
                }
                Some(Err(error)) => break format!("connection failed: {error}"),
            },
            item = outbound.recv(), if closing_since.is_none() => {
                let sent = match item {
                    Some(Outbound::Audio(payload)) => {
                        let len = payload.len();
                        let sent = ws.send(Message::Binary(payload)).await;
                        if sent.is_ok() {
                            add(&state.stats.frames_out, 1);
                            add(&state.stats.bytes_out, len);
                        }
                        sent
                    }
                    Some(Outbound::Command(command)) => {
                        ws.send(Message::text(command.to_text(state.control))).await
                    }
                    Some(Outbound::Close) => {
                        closing_since = Some(tokio::time::Instant::now());
                        let frame = CloseFrame {
                            code: CloseCode::Normal,
                            reason: "".into(),
                        };
                        ws.close(Some(frame)).await
                    }
                    // The session dropped its link: leave without ceremony.
                    None => {
                        let _ = ws.close(None).await;
                        return;
                    }
                };
                if let Err(error) = sent {
                    break format!("sending failed: {error}");
                }
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                break "closed; Asterisk did not answer the close in time".to_owned();
            }
        }
    };
    state
        .report(Inbound::Ended(EndReason::TransportClosed(reason)))
        .await;
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// After the far end's close frame: let tungstenite send the reply and see the socket
/// end, briefly.
async fn drain<S>(ws: &mut WebSocketStream<S>, reason: String) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    reason
}
