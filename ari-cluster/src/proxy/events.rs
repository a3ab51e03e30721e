//! Asterisk's event WebSocket: every frame routed to the owners of what it concerns, to
//! the new-call queue, or to the node's subject; resynchronisation after each connect.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ari_sdk::Event;
use ari_sdk::generic::LineEvent;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::routing::{
    Buffered, MAX_BUFFERED, PendingCall, Resource, Routing, ends_kind, resources_of,
};
use super::{Shared, TaskSet, commands, owners, publish};
use crate::protocol::{NewCall, OwnerRecord, RESYNC_EVENT, event_message_id, kind, subject};

const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long after a `StasisEnd` the channel's existence is checked.
const DESTROYED_CHECK_DELAY: Duration = Duration::from_millis(500);

/// Keeps the WebSocket connected while the proxy is active (the task is aborted when it
/// steps down).
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let mut draining: Vec<TaskSet> = Vec::new();
    let mut failures: u32 = 0;
    loop {
        match shared.asterisk.connect_events(&shared.config.apps).await {
            Ok(mut socket) => {
                backoff = Duration::from_millis(100);
                failures = 0;
                tracing::info!(node = %shared.node, "event WebSocket up");
                // Creates are served only while events can be delivered; subscribed
                // (and the server told) before the proxy says its WebSocket is up.
                let creates = commands::subscribe_creates(&shared).await;
                super::confirm_subscriptions(&shared.nats).await;
                let (stop_creates, stopped) = tokio::sync::oneshot::channel();
                let mut while_up = TaskSet::default();
                while_up.spawn(commands::serve_creates(shared.clone(), creates, stopped));
                shared.websocket_up.store(true, Ordering::SeqCst);
                if shared.version.lock().map(|v| v.is_none()).unwrap_or(false)
                    && let Some(version) = shared.asterisk.version().await
                    && let Ok(mut known) = shared.version.lock()
                {
                    *known = Some(version);
                }
                resync(&shared).await;
                while let Some(frame) = socket.next().await {
                    match frame {
                        Ok(Message::Text(text)) => route_frame(&shared, text.as_str()).await,
                        Ok(Message::Close(_)) => break,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(node = %shared.node, error = %e, "event WebSocket failed");
                            break;
                        }
                    }
                }
                // No new creates; those in flight finish (unless the proxy steps down).
                let _ = stop_creates.send(());
                draining.retain(|tasks| !tasks.is_finished());
                draining.push(while_up);
                shared.websocket_up.store(false, Ordering::SeqCst);
                tracing::warn!(node = %shared.node, "event WebSocket down; reconnecting");
            }
            // Warned once per outage; the retries are debug lines.
            Err(e) if failures == 0 => {
                failures += 1;
                tracing::warn!(node = %shared.node, error = %e, "event WebSocket not connected; retrying");
            }
            Err(e) => {
                failures += 1;
                tracing::debug!(node = %shared.node, error = %e, failures, "event WebSocket not connected");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Tells every owner that events may have been missed, then ends the owned channels
/// Asterisk no longer has (their `StasisEnd` was missed).
async fn resync(shared: &Shared) {
    let (pairs, channels) = {
        let routing = shared.routing.lock().await;
        let channels: Vec<String> = routing
            .settled_owned()
            .into_iter()
            .filter(|(k, _)| *k == kind::CHANNEL)
            .map(|(_, id)| id)
            .collect();
        (routing.owner_apps(), channels)
    };
    for (instance, app) in pairs {
        let event = json!({
            "type": RESYNC_EVENT,
            "application": app,
            "timestamp": publish::asterisk_now(),
            "asterisk_id": shared.node,
            "node": shared.node,
        });
        shared
            .publish_synthetic(subject::owned_events(&instance, &app), &app, &event)
            .await;
    }
    for id in channels {
        match shared.asterisk.channel_exists(&id).await {
            Ok(false) => end_missed_channel(shared, &id).await,
            Ok(true) => {}
            Err(e) => {
                tracing::warn!(node = %shared.node, channel = %id, reason = %e.reason(), "channel not checked")
            }
        }
    }
    adopt_orphans(shared).await;
}

/// Unowned calls waiting in Stasis for our applications: queued by an earlier proxy (or
/// by this one before the WebSocket dropped) and not claimed yet. They get a claim
/// deadline here, so none waits forever.
async fn adopt_orphans(shared: &Shared) {
    let channels = match shared.asterisk.channels().await {
        Ok(channels) => channels,
        Err(e) => {
            tracing::warn!(node = %shared.node, reason = %e.reason(), "channels not listed");
            return;
        }
    };
    let deadline = Instant::now() + shared.config.claim_timeout;
    let mut routing = shared.routing.lock().await;
    for channel in &channels {
        let Some(id) = channel.get("id").and_then(|id| id.as_str()) else {
            continue;
        };
        let ours = super::asterisk::stasis_app(channel)
            .is_some_and(|app| shared.config.apps.iter().any(|a| a == app));
        if ours && !routing.knows_channel(id) {
            routing.orphans.insert(id.to_owned(), deadline);
        }
    }
}

async fn end_missed_channel(shared: &Shared, id: &str) {
    let mut routing = shared.routing.lock().await;
    let resource: Resource = (kind::CHANNEL, id.to_owned());
    let Some(owned) = routing.owner_of(&resource).cloned() else {
        return;
    };
    if routing.is_creating(&resource) {
        // Created while it was checked.
        return;
    }
    let app = owned.record.app.clone();
    let channel = owned
        .record
        .snapshot
        .clone()
        .unwrap_or_else(|| minimal_channel(id));
    let event = json!({
        "type": "StasisEnd",
        "application": app,
        "timestamp": publish::asterisk_now(),
        "asterisk_id": shared.node,
        "channel": channel,
    });
    shared
        .publish_synthetic(
            subject::owned_events(&owned.record.instance, &app),
            &app,
            &event,
        )
        .await;
    owners::forget(shared, &mut routing, &resource).await;
}

/// A `Channel` with every required field, for a channel known only by its id.
fn minimal_channel(id: &str) -> serde_json::Value {
    let nobody = json!({"name": "", "number": ""});
    json!({
        "id": id,
        "name": "",
        "state": "Down",
        "caller": nobody,
        "connected": nobody,
        "accountcode": "",
        "dialplan": {"context": "", "exten": "", "priority": 1},
        "creationtime": publish::asterisk_now(),
        "language": "en",
    })
}

/// Routes one frame.
async fn route_frame(shared: &Arc<Shared>, text: &str) {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let event = match ari_sdk::decode_event(text) {
        Ok(event) => event,
        Err(e) => {
            publish_undecodable(shared, seq, text, &e.to_string()).await;
            return;
        }
    };
    if let Some(app) = event.replaced_application() {
        // Another connection took the application: its events no longer come here.
        tracing::error!(node = %shared.node, app, "application taken over by another WebSocket");
    }
    let app = event.application().to_owned();
    let resources = resources_of(&event);
    tracing::debug!(node = %shared.node, seq, kind = event.type_name(), "event");
    let mut routing = shared.routing.lock().await;
    if let Event::StasisStart(start) = &event {
        let channel = start.channel.id.clone();
        if routing.channel_owner(&channel).is_none() && !routing.pending.contains_key(&channel) {
            routing.orphans.remove(&channel);
            queue_new_call(shared, &mut routing, seq, &app, &channel, text).await;
            return;
        }
        if let Some(owned) = routing.channel_owner(&channel).cloned() {
            // An instance originated it (or it came back to Stasis): keep its snapshot.
            let snapshot = channel_json(text);
            let record = OwnerRecord {
                snapshot: snapshot.or(owned.record.snapshot),
                args: start_args(text),
                ..owned.record
            };
            owners::update(shared, &mut routing, &(kind::CHANNEL, channel), record).await;
        }
    }
    let owners_now = routing.owners_of(&resources);
    for owner in &owners_now {
        let app = if app.is_empty() {
            first_app(shared)
        } else {
            app.as_str()
        };
        if let Some(payload) = publish::envelope(&shared.node, &shared.boot, seq, app, false, text)
        {
            let msg_id = event_message_id(&shared.node, &shared.boot, seq, owner);
            shared
                .publisher
                .publish(subject::owned_events(owner, app), msg_id, payload)
                .await;
        }
    }
    let pending = routing.pending_among(&resources);
    let mut to_node = owners_now.is_empty();
    let ends = matches!(&event, Event::StasisEnd(_) | Event::ChannelDestroyed(_));
    if ends {
        for (_, id) in resources.iter().filter(|(k, _)| *k == kind::CHANNEL) {
            if routing.orphans.remove(id).is_some() {
                routing.mark_gone(id);
            }
        }
    }
    for channel in &pending {
        if ends {
            // Nobody claimed it before it ended: later claims get `Gone`.
            routing.pending.remove(channel);
            routing.mark_gone(channel);
            continue;
        }
        let Some(call) = routing.pending.get_mut(channel) else {
            continue;
        };
        if call.buffer.len() >= MAX_BUFFERED {
            call.deadline = Instant::now();
            continue;
        }
        call.buffer.push(Buffered {
            seq,
            app: app.clone(),
            text: text.to_owned(),
        });
        to_node = false;
    }
    if to_node {
        publish_to_node(shared, seq, &app, text).await;
    }
    if let Some(ended) = ends_kind(&event) {
        for resource in resources.iter().filter(|(k, _)| *k == ended) {
            owners::forget(shared, &mut routing, resource).await;
        }
    }
    if let Event::StasisEnd(end) = &event
        && routing.channel_owner(&end.channel.id).is_some()
    {
        forget_when_destroyed(shared.clone(), end.channel.id.clone());
    }
}

/// After a `StasisEnd` the application may not hear the channel's `ChannelDestroyed`:
/// ask Asterisk a moment later, and forget the owner when the channel is gone. A channel
/// that went back to the dialplan keeps its owner (it may come back to Stasis).
fn forget_when_destroyed(shared: Arc<Shared>, channel: String) {
    tokio::spawn(async move {
        tokio::time::sleep(DESTROYED_CHECK_DELAY).await;
        if let Ok(false) = shared.asterisk.channel_exists(&channel).await {
            let mut routing = shared.routing.lock().await;
            owners::forget(&shared, &mut routing, &(kind::CHANNEL, channel)).await;
        }
    });
}

/// A `StasisStart` nobody owns: queued for the instances, kept pending for a claim.
async fn queue_new_call(
    shared: &Shared,
    routing: &mut Routing,
    seq: u64,
    app: &str,
    channel: &str,
    text: &str,
) {
    let Ok(event) = serde_json::from_str(text) else {
        return;
    };
    let new_call = NewCall {
        channel: channel.to_owned(),
        envelope: crate::protocol::Envelope {
            node: shared.node.clone(),
            boot: shared.boot.clone(),
            seq,
            app: app.to_owned(),
            synthetic: false,
            event,
        },
    };
    let Ok(payload) = serde_json::to_vec(&new_call) else {
        return;
    };
    tracing::debug!(node = %shared.node, seq, channel, "new call");
    let msg_id = event_message_id(&shared.node, &shared.boot, seq, "newcall");
    if let Err(e) = shared
        .publisher
        .publish_confirmed(&subject::new_calls(app), &msg_id, Bytes::from(payload))
        .await
    {
        // Still pending: nobody can claim it, so it is handed back at its deadline.
        tracing::error!(node = %shared.node, channel, error = %e, "new call not queued");
    }
    routing.pending.insert(
        channel.to_owned(),
        PendingCall {
            app: app.to_owned(),
            start: Buffered {
                seq,
                app: app.to_owned(),
                text: text.to_owned(),
            },
            deadline: Instant::now() + shared.config.claim_timeout,
            buffer: Vec::new(),
        },
    );
}

async fn publish_to_node(shared: &Shared, seq: u64, app: &str, text: &str) {
    let app = if app.is_empty() {
        first_app(shared)
    } else {
        app
    };
    if let Some(payload) = publish::envelope(&shared.node, &shared.boot, seq, app, false, text) {
        let msg_id = event_message_id(&shared.node, &shared.boot, seq, "node");
        shared
            .publisher
            .publish(subject::node_events(&shared.node, app), msg_id, payload)
            .await;
    }
}

/// A frame the SDK cannot decode: JSON goes to the node's subject as it is, the rest is
/// only logged.
async fn publish_undecodable(shared: &Shared, seq: u64, text: &str, error: &str) {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            tracing::debug!(node = %shared.node, seq, error, "event not decoded; sent to the node subject");
            let app = value
                .get("application")
                .and_then(|a| a.as_str())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| first_app(shared))
                .to_owned();
            publish_to_node(shared, seq, &app, text).await;
        }
        Err(_) => tracing::warn!(node = %shared.node, seq, "frame is not JSON; skipped"),
    }
}

fn first_app(shared: &Shared) -> &str {
    shared.config.apps.first().map(String::as_str).unwrap_or("")
}

/// The `channel` object of an event, as sent.
/// The `args` of a `StasisStart`'s text (empty when it has none).
pub(crate) fn start_args(text: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| serde_json::from_value(value.get("args")?.clone()).ok())
        .unwrap_or_default()
}

pub(crate) fn channel_json(text: &str) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(value.get_mut("channel")?.take())
}
