//! The instance's event side: the feeds its event connections read, the consumers that fill
//! them (its own owned events, and those of dead instances it adopted), the claiming of new
//! calls, and which node each resource it has seen lives on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ari_sdk::relay::{Feed, FeedItem};
use async_nats::jetstream::{self, AckKind, consumer};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};

use crate::jetstream::Store;
use crate::protocol::{self, Claim, ClaimReply, Envelope, NewCall, kind, subject};

/// One open event connection of the instance.
struct Slot {
    id: u64,
    apps: Vec<String>,
    sender: mpsc::Sender<FeedItem>,
}

/// What the hub's tasks share.
pub(crate) struct Hub {
    pub(crate) nats: async_nats::Client,
    pub(crate) store: Store,
    pub(crate) instance: String,
    pub(crate) ack_wait: Duration,
    feeds: Mutex<Vec<Slot>>,
    next_slot: AtomicU64,
    /// The applications some open feed wants (consumers pause while none does).
    wanted: watch::Sender<Vec<String>>,
    /// Resource (kind, id) -> the node it lives on, from the events and answers seen.
    nodes: Mutex<HashMap<(&'static str, String), String>>,
    /// Channel -> the dead instance this one adopted it from.
    pub(crate) adopted_calls: Mutex<HashMap<String, String>>,
    /// Set when another instance adopted this one (it was thought dead): it stops.
    pub(crate) fenced: watch::Sender<bool>,
}

impl Hub {
    pub(crate) fn new(
        nats: async_nats::Client,
        store: Store,
        instance: String,
        ack_wait: Duration,
    ) -> Hub {
        Hub {
            nats,
            store,
            instance,
            ack_wait,
            feeds: Mutex::new(Vec::new()),
            next_slot: AtomicU64::new(0),
            wanted: watch::channel(Vec::new()).0,
            nodes: Mutex::new(HashMap::new()),
            adopted_calls: Mutex::new(HashMap::new()),
            fenced: watch::channel(false).0,
        }
    }

    fn feeds(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new feed for `apps`.
    /// A new feed for `apps`. As on one Asterisk, where a second WebSocket for an
    /// application takes it over, the newest feed gets an application's events: older
    /// feeds of it are told `ApplicationReplaced` and stop getting them (an event connection
    /// that loses all its applications ends). Each call is then handed out once.
    pub(crate) fn open_feed(&self, apps: &[String]) -> Feed {
        let (sender, feed) = Feed::channel(1024);
        let id = self.next_slot.fetch_add(1, Ordering::Relaxed);
        {
            let mut feeds = self.feeds();
            for slot in feeds.iter_mut() {
                let (taken, kept): (Vec<String>, Vec<String>) =
                    slot.apps.drain(..).partition(|app| apps.contains(app));
                slot.apps = kept;
                for app in taken {
                    let replaced = serde_json::json!({
                        "type": "ApplicationReplaced",
                        "application": app,
                        "timestamp": crate::proxy::asterisk_now(),
                    });
                    let _ = slot.sender.try_send(FeedItem::Frame(replaced.to_string()));
                }
            }
            feeds.retain(|slot| !slot.apps.is_empty());
            feeds.push(Slot {
                id,
                apps: apps.to_vec(),
                sender,
            });
        }
        self.publish_wanted();
        feed
    }

    fn publish_wanted(&self) {
        let mut apps: Vec<String> = {
            let mut feeds = self.feeds();
            feeds.retain(|slot| !slot.sender.is_closed());
            feeds
                .iter()
                .flat_map(|slot| slot.apps.iter().cloned())
                .collect()
        };
        apps.sort();
        apps.dedup();
        self.wanted.send_if_modified(|current| {
            let changed = *current != apps;
            *current = apps;
            changed
        });
    }

    /// Tells every feed it is lost (the instance was fenced or is shutting down).
    pub(crate) fn lose_feeds(&self, reason: &str) {
        for slot in self.feeds().drain(..) {
            let _ = slot.sender.try_send(FeedItem::Lost(reason.to_owned()));
        }
        self.publish_wanted();
    }

    /// Waits until some feed wants `app` (any app when `None`).
    async fn until_wanted(&self, app: Option<&str>) {
        let mut wanted = self.wanted.subscribe();
        loop {
            self.publish_wanted();
            let ok = match app {
                Some(app) => wanted.borrow_and_update().iter().any(|a| a == app),
                None => !wanted.borrow_and_update().is_empty(),
            };
            if ok {
                return;
            }
            if wanted.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The feeds that get events of `app`: those that want it, or all when none does.
    fn senders_for(&self, app: &str) -> Vec<(u64, mpsc::Sender<FeedItem>)> {
        let feeds = self.feeds();
        let wanting = feeds.iter().any(|slot| slot.apps.iter().any(|a| a == app));
        feeds
            .iter()
            .filter(|slot| !wanting || slot.apps.iter().any(|a| a == app))
            .map(|slot| (slot.id, slot.sender.clone()))
            .collect()
    }

    /// Hands `frame` of `app` to every feed that wants it, or, when none does (a channel
    /// the instance originated into another application), to every feed: the client's
    /// per-resource streams and waits see it either way. Waits for room (a slow application
    /// slows the consumer, it does not lose events). False when no feed took it.
    async fn deliver(&self, app: &str, frame: &str, message: &jetstream::Message) -> bool {
        let senders = self.senders_for(app);
        let mut delivered = false;
        for (id, sender) in senders {
            let item = FeedItem::Frame(frame.to_owned());
            // Room at once (the usual case): no timer.
            let sent = match sender.try_send(item) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
                Err(mpsc::error::TrySendError::Full(item)) => {
                    self.send_slowly(&sender, item, message).await
                }
            };
            if sent {
                delivered = true;
            } else {
                self.feeds().retain(|slot| slot.id != id);
            }
        }
        delivered
    }

    /// Waits for room in a full feed, telling JetStream meanwhile that the message is being
    /// worked on, so it is not handed out again while the application catches up.
    async fn send_slowly(
        &self,
        sender: &mpsc::Sender<FeedItem>,
        item: FeedItem,
        message: &jetstream::Message,
    ) -> bool {
        let send = sender.send(item);
        tokio::pin!(send);
        let mut progress = tokio::time::interval(self.ack_wait / 3);
        progress.tick().await;
        loop {
            tokio::select! {
                sent = &mut send => return sent.is_ok(),
                _ = progress.tick() => { let _ = message.ack_with(AckKind::Progress).await; }
            }
        }
    }

    /// The event stream, for its consumers.
    pub(crate) async fn events_stream(&self) -> crate::Result<jetstream::stream::Stream> {
        self.store
            .context
            .get_stream(protocol::EVENTS_STREAM)
            .await
            .map_err(|e| crate::ClusterError::jetstream(protocol::EVENTS_STREAM, e))
    }

    /// The node resource `kind`/`id` lives on, when known.
    pub(crate) fn node_of(&self, kind: &'static str, id: &str) -> Option<String> {
        let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.get(&(kind, id.to_owned())).cloned()
    }

    /// Remembers that `kind`/`id` lives on `node`.
    pub(crate) fn learn_node(&self, kind: &'static str, id: &str, node: &str) {
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        nodes.insert((kind, id.to_owned()), node.to_owned());
    }

    fn learn_nodes_of(&self, event: &str, node: &str) {
        let Ok(mentions) = serde_json::from_str::<Mentions>(event) else {
            return;
        };
        let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
        // A channel's end (or its leaving the application, after which its events stop) is
        // where its entries go: the maps do not grow with calls.
        if matches!(mentions.kind.as_str(), "ChannelDestroyed" | "StasisEnd") {
            if let Some(id) = mentions.channel.and_then(Named::id) {
                self.adopted_calls
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
                nodes.remove(&(kind::CHANNEL, id));
            }
            return;
        }
        let mut learn = |kind: &'static str, id: Option<Named>| {
            if let Some(id) = id.and_then(Named::id) {
                nodes.insert((kind, id), node.to_owned());
            }
        };
        learn(kind::CHANNEL, mentions.channel);
        learn(kind::CHANNEL, mentions.peer);
        learn(kind::BRIDGE, mentions.bridge);
        learn(kind::PLAYBACK, mentions.playback);
        learn(kind::RECORDING, mentions.recording);
    }
}

/// The resources an event names, for learning their node (fields of other shapes ignored).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Mentions {
    #[serde(rename = "type")]
    kind: String,
    channel: Option<Named>,
    peer: Option<Named>,
    bridge: Option<Named>,
    playback: Option<Named>,
    recording: Option<Named>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct Named {
    id: Option<String>,
    name: Option<String>,
}

impl Named {
    fn id(self) -> Option<String> {
        self.id.or(self.name)
    }
}

/// Reads one durable consumer of owned events into the feeds, in order: the instance's own,
/// or (`replay` first) an adopted dead instance's. Runs until aborted.
pub(crate) async fn consume_owned(hub: Arc<Hub>, owner: String, replay: Vec<(String, String)>) {
    let consumer_name = protocol::instance_consumer(&owner);
    let mut replay = Some(replay);
    loop {
        hub.until_wanted(None).await;
        if let Some(frames) = replay.take() {
            for (app, frame) in frames {
                for (_, sender) in hub.senders_for(&app) {
                    let _ = sender.send(FeedItem::Frame(frame.clone())).await;
                }
            }
        }
        if let Err(error) = consume_once(&hub, &owner, &consumer_name).await {
            tracing::warn!(%error, consumer = %consumer_name, "owned-event consumer failed; starting again");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// The durable consumer of `owner`'s events, made when missing.
pub(crate) async fn owned_consumer(
    hub: &Hub,
    owner: &str,
) -> crate::Result<consumer::Consumer<consumer::pull::Config>> {
    let name = protocol::instance_consumer(owner);
    hub.events_stream()
        .await?
        .get_or_create_consumer(
            &name,
            consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: subject::all_owned_events(owner),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: hub.ack_wait,
                max_ack_pending: 10_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| crate::ClusterError::jetstream(name, e))
}

async fn consume_once(hub: &Hub, owner: &str, consumer_name: &str) -> crate::Result<()> {
    let consumer = owned_consumer(hub, owner).await?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| crate::ClusterError::jetstream(consumer_name, e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| crate::ClusterError::jetstream(consumer_name, e))?;
        let envelope: Envelope<'_> = match serde_json::from_slice(&message.payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                // It can never be read: keep it out of the way of the events behind it.
                tracing::warn!(subject = %message.subject, %error, "not an event envelope; set aside");
                let _ = message.ack_with(AckKind::Term).await;
                continue;
            }
        };
        hub.learn_nodes_of(envelope.event.get(), &envelope.node);
        let frame = envelope.event.get().to_owned();
        let app = envelope.app.clone();
        hub.until_wanted(None).await;
        if !hub.deliver(&app, &frame, &message).await {
            // Every feed closed while delivering: leave it for the next one.
            let _ = message
                .ack_with(AckKind::Nak(Some(Duration::from_millis(200))))
                .await;
            continue;
        }
        if let Err(error) = message.ack().await {
            tracing::warn!(%error, "acknowledging an event failed; it may come again");
        }
    }
    Ok(())
}

/// Takes new calls of `app` from the shared work queue, one at a time, and claims each
/// from its node; the node then sends the call's `StasisStart` and later events to this
/// instance's owned subject. Runs until aborted.
pub(crate) async fn claim_new_calls(hub: Arc<Hub>, app: String) {
    let name = protocol::new_call_consumer(&app);
    loop {
        hub.until_wanted(Some(&app)).await;
        if let Err(error) = claim_once(&hub, &app, &name).await {
            tracing::warn!(%error, consumer = %name, "new-call consumer failed; starting again");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

async fn claim_once(hub: &Hub, app: &str, name: &str) -> crate::Result<()> {
    let stream = hub
        .store
        .context
        .get_stream(protocol::NEW_CALLS_STREAM)
        .await
        .map_err(|e| crate::ClusterError::jetstream(protocol::NEW_CALLS_STREAM, e))?;
    let consumer = stream
        .get_or_create_consumer(
            name,
            consumer::pull::Config {
                durable_name: Some(name.to_owned()),
                filter_subject: subject::new_calls(app),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: hub.ack_wait,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| crate::ClusterError::jetstream(name, e))?;
    // One call at a time per instance: what is not taken here stays for the others.
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(1)
        .messages()
        .await
        .map_err(|e| crate::ClusterError::jetstream(name, e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| crate::ClusterError::jetstream(name, e))?;
        if !hub.wanted.borrow().iter().any(|a| a == app) {
            // Nobody here takes calls of this app any more: another instance will.
            let _ = message.ack_with(AckKind::Nak(None)).await;
            return Ok(());
        }
        let new_call: NewCall<'_> = match serde_json::from_slice(&message.payload) {
            Ok(new_call) => new_call,
            Err(error) => {
                tracing::warn!(subject = %message.subject, %error, "not a new call; set aside");
                let _ = message.ack_with(AckKind::Term).await;
                continue;
            }
        };
        let node = new_call.envelope.node.clone();
        let claim = Claim {
            channel: new_call.channel.clone(),
            instance: hub.instance.clone(),
            app: app.to_owned(),
            start: serde_json::from_str(new_call.envelope.event.get()).unwrap_or_default(),
        };
        let payload = serde_json::to_vec(&claim).unwrap_or_default();
        let request = async_nats::Request::new()
            .payload(payload.into())
            .timeout(Some(hub.ack_wait / 2));
        match hub.nats.send_request(subject::claim(&node), request).await {
            Ok(reply) => match serde_json::from_slice::<ClaimReply>(&reply.payload) {
                Ok(ClaimReply::Claimed) => {
                    hub.learn_node(kind::CHANNEL, &new_call.channel, &node);
                    let _ = message.double_ack().await;
                }
                Ok(outcome) => {
                    tracing::debug!(channel = %new_call.channel, ?outcome, "call not ours");
                    let _ = message.ack().await;
                }
                Err(error) => {
                    tracing::warn!(%node, %error, "bad claim reply; the call goes back to the queue");
                    let _ = message
                        .ack_with(AckKind::Nak(Some(Duration::from_millis(500))))
                        .await;
                }
            },
            // The node's proxy is away, or slow: a claim can be repeated (a node answers
            // Claimed again to the same instance), so the call goes back to the queue.
            Err(error) => {
                tracing::debug!(%node, %error, "claim got no answer; the call goes back to the queue");
                let _ = message
                    .ack_with(AckKind::Nak(Some(Duration::from_millis(500))))
                    .await;
            }
        }
    }
    Ok(())
}
