//! Per-resource subscriptions: every event reaches the streams of the resources it
//! concerns, found by a map lookup (not a scan), in arrival order.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::queue::{Popped, Queue};
use crate::{Client, Error, Event, Result};

type Key = (&'static str, String);
type Subscriber = Arc<Queue<Event>>;

/// The events that end a resource's stream (delivered, then the stream ends).
fn ends(kind: &str, event_type: &str) -> bool {
    matches!(
        (kind, event_type),
        ("Channel", "StasisEnd" | "ChannelDestroyed")
            | ("Bridge", "BridgeDestroyed")
            | ("Playback", "PlaybackFinished")
            | ("LiveRecording", "RecordingFinished" | "RecordingFailed")
    )
}

/// Shared by a client and its event connections.
pub(crate) struct Registry {
    subscribers: Mutex<HashMap<Key, Vec<Subscriber>>>,
    /// Open event connections delivering into this registry.
    connections: AtomicUsize,
    /// Capacity of each resource stream.
    pub(crate) capacity: AtomicUsize,
    /// The last events delivered: one connection subscribed to several applications gets
    /// one copy of an event per application, and a resource stream wants it once.
    recent: Mutex<std::collections::VecDeque<Event>>,
}

/// How many recent events duplicates are looked for among.
const RECENT: usize = 8;

/// The same event sent to another application: equal but for `application`.
fn same_but_application(a: &Event, b: &Event) -> bool {
    if a.type_name() != b.type_name()
        || a.timestamp() != b.timestamp()
        || a.application() == b.application()
    {
        return false;
    }
    let strip = |e: &Event| {
        let mut v = serde_json::to_value(e).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            map.remove("application");
        }
        v
    };
    strip(a) == strip(b)
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            subscribers: Mutex::default(),
            connections: AtomicUsize::new(0),
            capacity: AtomicUsize::new(256),
            recent: Mutex::default(),
        }
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Subscriber>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// The last connection going away ends every resource stream.
    pub(crate) fn connection_closed(&self) {
        if self.connections.fetch_sub(1, Ordering::SeqCst) == 1 {
            for (_, subscribers) in self.lock().drain() {
                for s in subscribers {
                    s.close();
                }
            }
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connections.load(Ordering::SeqCst) > 0
    }

    fn subscribe(&self, kind: &'static str, id: String) -> Subscriber {
        let queue = Arc::new(Queue::new(self.capacity.load(Ordering::Relaxed)));
        self.lock()
            .entry((kind, id))
            .or_default()
            .push(queue.clone());
        queue
    }

    fn unsubscribe(&self, kind: &'static str, id: &str, queue: &Subscriber) {
        let mut map = self.lock();
        let key = (kind, id.to_owned());
        if let Some(list) = map.get_mut(&key) {
            list.retain(|q| !Arc::ptr_eq(q, queue));
            if list.is_empty() {
                map.remove(&key);
            }
        }
    }

    /// Hands an event to the streams of every resource it concerns.
    pub(crate) fn deliver(&self, event: &Event) {
        let mut map = self.lock();
        if map.is_empty() {
            return;
        }
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.iter().any(|r| same_but_application(r, event)) {
                return;
            }
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(event.clone());
        }
        let type_name = event.type_name();
        let mut lagging = 0u64;
        event.for_each_resource(|kind, id| {
            let key = (kind, id.to_owned());
            let Some(list) = map.get_mut(&key) else {
                return;
            };
            let finished = ends(kind, type_name);
            for queue in list.iter() {
                if queue.push(event.clone()).is_some_and(|dropped| dropped > 0) {
                    lagging += 1;
                }
                if finished {
                    queue.close();
                }
            }
            if finished {
                map.remove(&key);
            }
        });
        if lagging > 0 {
            tracing::warn!(
                event = type_name,
                streams = lagging,
                "resource event streams are lagging; events dropped"
            );
        }
    }
}

/// The events of one resource (`client.channel(id).events()`): a `Stream` of
/// `Result<Event>` in arrival order, ending when the resource is gone. A consumer that
/// falls behind gets `Err(Error::Lagged { missed })` where events were dropped.
pub struct ResourceEvents {
    kind: &'static str,
    id: String,
    state: SubscriptionState,
}

enum SubscriptionState {
    Live {
        registry: Arc<Registry>,
        queue: Subscriber,
    },
    /// No event connection: one error, then the end.
    NotConnected(Option<Error>),
}

impl std::fmt::Debug for ResourceEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceEvents")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .finish()
    }
}

impl ResourceEvents {
    /// Subscribes to the events of the resource `kind` (`Channel`, `Bridge`, ...) with `id`.
    pub fn subscribe(client: &Client, kind: &'static str, id: impl Into<String>) -> ResourceEvents {
        let id = id.into();
        let registry = client.inner.registry.clone();
        let state = if registry.is_connected() {
            let queue = registry.subscribe(kind, id.clone());
            SubscriptionState::Live { registry, queue }
        } else {
            SubscriptionState::NotConnected(Some(Error::NoEventConnection {
                what: format!("events of {kind} {id}"),
            }))
        };
        ResourceEvents { kind, id, state }
    }

    /// The resource kind, e.g. `Channel`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The resource id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next item, like `StreamExt::next`.
    pub async fn next(&mut self) -> Option<Result<Event>> {
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *self), cx)).await
    }
}

impl futures_core::Stream for ResourceEvents {
    type Item = Result<Event>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match &mut this.state {
            SubscriptionState::NotConnected(error) => Poll::Ready(error.take().map(Err)),
            SubscriptionState::Live { queue, .. } => queue.poll_pop(cx).map(|p| {
                p.map(|p| match p {
                    Popped::Item(event) => Ok(event),
                    Popped::Lagged(missed) => Err(Error::Lagged { missed }),
                })
            }),
        }
    }
}

impl Drop for ResourceEvents {
    fn drop(&mut self) {
        if let SubscriptionState::Live { registry, queue } = &self.state {
            queue.close();
            registry.unsubscribe(self.kind, &self.id, queue);
        }
    }
}
