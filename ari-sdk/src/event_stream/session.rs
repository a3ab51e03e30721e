//! The connection task: reads frames, decodes them, pings a quiet server, and reconnects
//! with backoff when the socket dies.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::connection::{self, Frame, Socket};
use super::queue::Queue;
use super::{Item, Output, Registry, ResourceEvents, Settings, backoff};
use crate::runtime::LineEvent;
use crate::transport::websocket::{Requests, fail_unsent};
use crate::{Client, Result};

/// Why a session ended.
enum Ended {
    /// The application asked (stream dropped or closed).
    Stopped,
    /// Every application was taken over by another connection: reconnecting would take
    /// them back and start a tug of war.
    Replaced,
    /// The socket failed or closed; reconnect.
    Lost(String),
}

pub(crate) async fn run<E: LineEvent>(
    client: Client,
    mut settings: Settings,
    (mut socket, connection): (Socket, u64),
    out: Arc<Queue<Result<Output<E>>>>,
    mut stop: watch::Receiver<bool>,
    mut requests: Requests,
) {
    let registry = client.inner.registries.of::<E>();
    let sources = settings.target.apps.len();
    let mut requests_open = true;
    // Why the connection ended for good, for the waits of the streams it ends.
    let closed_because = loop {
        // Callers write to the socket themselves while it is open.
        client.inner.link.set_live(&requests, socket.live());
        let ended = session(
            &client,
            &mut settings,
            (&mut socket, connection),
            &out,
            &mut stop,
            (&mut requests, &mut requests_open),
        )
        .await;
        client.inner.link.set_live(&requests, None);
        socket.fail_in_flight(match &ended {
            Ended::Stopped => "the event stream was closed",
            Ended::Replaced => "the application was replaced by another connection",
            Ended::Lost(reason) => reason,
        });
        match ended {
            Ended::Stopped => {
                socket.close().await;
                break "the event stream was closed".to_owned();
            }
            Ended::Replaced => {
                socket.close().await;
                tracing::warn!(
                    "every application was replaced by another connection; not reconnecting"
                );
                out.push(Ok(Item::Disconnected {
                    reason: "application replaced by another connection".to_owned(),
                }
                .into()));
                break "the application was replaced by another connection (ApplicationReplaced)"
                    .to_owned();
            }
            Ended::Lost(reason) => {
                tracing::warn!(%reason, "event connection lost");
                let because = format!("the connection was lost ({reason})");
                if out.push(Ok(Item::Disconnected { reason }.into())).is_none() || settings.outbound
                {
                    // Asterisk opens outbound connections again itself: a new one is a
                    // new connection for the server to hand out.
                    break because;
                }
                match reconnect(&client, &settings, &out, &mut stop).await {
                    Some(new_socket) => socket = new_socket,
                    None => break format!("{because} and not reopened"),
                }
            }
        }
    };
    fail_unsent(&mut requests, "the event connection closed for good");
    client.inner.link.detach(&requests);
    out.close();
    client.inner.registries.connection_closed(&closed_because);
    registry.forget_sources(sources);
}

/// Tries until a connection opens, the application stops, or retrying cannot help.
async fn reconnect<E: LineEvent>(
    client: &Client,
    settings: &Settings,
    out: &Queue<Result<Output<E>>>,
    stop: &mut watch::Receiver<bool>,
) -> Option<Socket> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let wait = backoff::delay(attempt, settings.backoff_initial, settings.backoff_max);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped(stop) => return None,
        }
        let opened = tokio::select! {
            opened = connection::open(client, &settings.target) => opened,
            _ = stopped(stop) => return None,
        };
        match opened {
            Ok(socket) => {
                tracing::info!(attempt, "event connection open again");
                out.push(Ok(Item::Reconnected { attempt }.into()));
                return Some(socket);
            }
            Err(error) if connection::is_permanent(&error) => {
                tracing::error!(%error, "event connection refused; not retrying");
                out.push(Err(error));
                return None;
            }
            Err(error) => {
                tracing::debug!(attempt, %error, "reconnect failed");
                if settings.max_attempts.is_some_and(|max| attempt >= max) {
                    out.push(Err(error));
                    return None;
                }
            }
        }
    }
}

async fn session<E: LineEvent>(
    client: &Client,
    settings: &mut Settings,
    (socket, connection): (&mut Socket, u64),
    out: &Queue<Result<Output<E>>>,
    stop: &mut watch::Receiver<bool>,
    (requests, requests_open): (&mut Requests, &mut bool),
) -> Ended {
    let registry = client.inner.registries.of::<E>();
    let mut next_ping = Instant::now() + settings.ping_interval;
    let mut awaiting_pong: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            return Ended::Stopped;
        }
        let deadline = awaiting_pong.map_or(next_ping, |sent| sent + settings.pong_timeout);
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = sleep_until(deadline) => {
                if awaiting_pong.is_some() {
                    return Ended::Lost(format!("no answer to a ping within {:?}", settings.pong_timeout));
                }
                if let Err(e) = socket.ping().await {
                    return Ended::Lost(format!("sending a ping failed: {e}"));
                }
                awaiting_pong = Some(Instant::now());
                continue;
            }
            _ = stopped(stop) => return Ended::Stopped,
            outgoing = requests.receiver.recv(), if *requests_open => {
                match outgoing {
                    Some(outgoing) if !outgoing.reply.is_closed() => {
                        if let Err(e) = socket.write_queued(outgoing).await {
                            return Ended::Lost(format!("sending a request failed: {e}"));
                        }
                    }
                    // The caller gave up (timed out) before the request left.
                    Some(_) => {}
                    // Detached: this connection carries no more requests.
                    None => *requests_open = false,
                }
                continue;
            }
        };
        // Any frame shows the connection is alive.
        awaiting_pong = None;
        next_ping = Instant::now() + settings.ping_interval;
        let frame = match frame {
            None => return Ended::Lost("the server closed the connection".to_owned()),
            Some(Err(e)) => return Ended::Lost(format!("reading failed: {e}")),
            Some(Ok(frame)) => frame,
        };
        match frame {
            Frame::Text(text) => {
                if socket.complete(&text) {
                    continue;
                }
                let item = crate::runtime::decode_event::<E>(text.as_str());
                if let Some(replaced) = item.as_ref().ok().and_then(E::replaced_application) {
                    settings.target.apps.retain(|a| a != replaced);
                }
                if let Ok(event) = &item {
                    registry.deliver(event, connection);
                    client
                        .inner
                        .registries
                        .deliver_to_other_lines::<E>(text.as_str(), connection);
                }
                let output = match item {
                    Ok(event) => Ok(hand_on(&registry, settings, event, connection)),
                    Err(e) => Err(e),
                };
                match out.push(output) {
                    None => return Ended::Stopped,
                    Some(1) => tracing::warn!("event stream consumer is lagging; events dropped"),
                    Some(_) => {}
                }
                if settings.target.apps.is_empty() && !settings.outbound {
                    return Ended::Replaced;
                }
            }
            Frame::Close(close) => {
                let reason = match close {
                    Some(c) if !c.reason.is_empty() => format!(
                        "the server closed the connection ({}: {})",
                        c.code, c.reason
                    ),
                    Some(c) => format!("the server closed the connection ({})", c.code),
                    None => "the server closed the connection".to_owned(),
                };
                return Ended::Lost(reason);
            }
            // tungstenite answers pings itself; pongs and binary frames carry no events.
            Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_) => {}
            Frame::Binary(data) => tracing::debug!(bytes = data.len(), "ignored a binary frame"),
        }
    }
}

/// Resolves once the application asks to stop (or drops the stream).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// What the connection task hands on for `event`: for a `StasisStart` of a call
/// connection's applications, the event with its channel's stream, subscribed here, before
/// the next frame is read (so the call misses nothing); otherwise the event.
fn hand_on<E: LineEvent>(
    registry: &Arc<Registry<E>>,
    settings: &Settings,
    event: E,
    connection: u64,
) -> Output<E> {
    let (Some(kind), Some((app, channel))) = (E::call_kind(), event.call_start()) else {
        return Item::Event(event).into();
    };
    if !settings.calls
        || !settings.target.apps.iter().any(|a| a == app)
        || registry.is_claimed(kind, channel)
    {
        return Item::Event(event).into();
    }
    let id = channel.to_owned();
    let shared = registry.subscribe_after(kind, id.clone(), &event, connection);
    let events = ResourceEvents::from_registry(registry.clone(), kind, id, shared);
    Output::Call {
        start: event,
        events,
    }
}
