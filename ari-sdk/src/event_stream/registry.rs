//! Per-resource subscriptions: every event reaches the streams of the resources it
//! concerns, found by a map lookup (not a scan), in arrival order.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::queue::{Popped, Queue};
use crate::{Client, Error, Event, Result};

type Subscriber = Arc<Queue<Event>>;
/// Resource kind -> resource id -> streams. Looked up with the borrowed `(kind, id)` an
/// event names: no key is built per event.
type Subscriptions = HashMap<&'static str, HashMap<String, Vec<Subscriber>>>;

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
    subscribers: Mutex<Subscriptions>,
    /// Open event connections delivering into this registry.
    connections: AtomicUsize,
    /// Capacity of each resource stream.
    pub(crate) capacity: AtomicUsize,
    /// The last events delivered to a resource stream: one connection subscribed to
    /// several applications gets one copy of an event per application, and a resource
    /// stream wants it once. Events that reach no stream are not kept (their copies for
    /// other applications reach none either).
    recent: Mutex<VecDeque<Recent>>,
}

/// How many recent events duplicates are looked for among.
const RECENT: usize = 8;

/// A delivered event, and its JSON without `application` once a comparison needed it.
struct Recent {
    event: Event,
    stripped: Option<serde_json::Value>,
}

/// The event as JSON without `application`, to compare copies sent to two applications.
fn without_application(event: &Event) -> serde_json::Value {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("application");
    }
    value
}

/// Whether `event` is a copy of an event in `recent` sent to another application. The
/// JSON comparison runs only for an event of the same type and timestamp, to another
/// application; the recent side's JSON is made once.
fn is_duplicate(recent: &mut VecDeque<Recent>, event: &Event) -> bool {
    let mut mine = None;
    recent.iter_mut().any(|r| {
        if r.event.type_name() != event.type_name()
            || r.event.timestamp() != event.timestamp()
            || r.event.application() == event.application()
        {
            return false;
        }
        let theirs = r
            .stripped
            .get_or_insert_with(|| without_application(&r.event));
        *theirs == *mine.get_or_insert_with(|| without_application(event))
    })
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
    fn lock(&self) -> std::sync::MutexGuard<'_, Subscriptions> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn connection_opened(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// The last connection going away ends every resource stream.
    pub(crate) fn connection_closed(&self) {
        if self.connections.fetch_sub(1, Ordering::SeqCst) == 1 {
            for (_, by_id) in self.lock().drain() {
                for s in by_id.into_values().flatten() {
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
            .entry(kind)
            .or_default()
            .entry(id)
            .or_default()
            .push(queue.clone());
        queue
    }

    fn unsubscribe(&self, kind: &'static str, id: &str, queue: &Subscriber) {
        let mut map = self.lock();
        let Some(by_id) = map.get_mut(kind) else {
            return;
        };
        if let Some(list) = by_id.get_mut(id) {
            list.retain(|q| !Arc::ptr_eq(q, queue));
            if list.is_empty() {
                by_id.remove(id);
            }
        }
        if by_id.is_empty() {
            map.remove(kind);
        }
    }

    /// Hands an event to the streams of every resource it concerns. An event no stream
    /// wants costs a map lookup per resource it names, whatever the number of streams,
    /// and allocates nothing.
    pub(crate) fn deliver(&self, event: &Event) {
        let mut map = self.lock();
        if map.is_empty() {
            return;
        }
        let mut wanted = false;
        event.for_each_resource(|kind, id| {
            wanted = wanted || map.get(kind).is_some_and(|by_id| by_id.contains_key(id));
        });
        if !wanted {
            return;
        }
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if is_duplicate(&mut recent, event) {
                return;
            }
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(Recent {
                event: event.clone(),
                stripped: None,
            });
        }
        let type_name = event.type_name();
        let mut lagging = 0u64;
        event.for_each_resource(|kind, id| {
            let Some(by_id) = map.get_mut(kind) else {
                return;
            };
            let Some(list) = by_id.get(id) else {
                return;
            };
            let finished = ends(kind, type_name);
            for queue in list {
                if queue.push(event.clone()).is_some_and(|dropped| dropped > 0) {
                    lagging += 1;
                }
                if finished {
                    queue.close();
                }
            }
            if finished {
                by_id.remove(id);
                if by_id.is_empty() {
                    map.remove(kind);
                }
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

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::{Popped, Registry, Subscriber};
    use crate::Event;

    fn channel_event(event_type: &str, channel: &str, app: &str, digit: &str) -> Event {
        let text = format!(
            r#"{{"digit":"{digit}","duration_ms":100,"type":"{event_type}","timestamp":"2026-11-27T10:36:24.327+0000","channel":{{"id":"{channel}","name":"PJSIP/a-1","state":"Up","protocol_id":"","caller":{{"name":"","number":""}},"connected":{{"name":"","number":""}},"accountcode":"","dialplan":{{"context":"default","exten":"7000","priority":1,"app_name":"","app_data":""}},"creationtime":"2026-11-27T10:36:24.327+0000","language":"en"}},"application":"{app}"}}"#
        );
        crate::decode_event(&text).expect("a valid event")
    }

    /// Every event queued so far, then whether the stream ended.
    fn drain(queue: &Subscriber) -> (Vec<(String, String)>, bool) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut seen = Vec::new();
        loop {
            match queue.poll_pop(&mut cx) {
                Poll::Ready(Some(Popped::Item(event))) => {
                    let digit = match &event {
                        Event::ChannelDtmfReceived(e) => e.digit.clone(),
                        _ => String::new(),
                    };
                    seen.push((event.application().to_owned(), digit));
                }
                Poll::Ready(Some(Popped::Lagged(_))) => panic!("nothing was dropped"),
                Poll::Ready(None) => return (seen, true),
                Poll::Pending => return (seen, false),
            }
        }
    }

    #[test]
    fn copies_for_other_applications_are_delivered_once_and_final_events_end_streams() {
        let registry = Registry::default();
        let mine = registry.subscribe("Channel", "ch-1".to_owned());
        let other = registry.subscribe("Channel", "ch-2".to_owned());
        let dtmf = |channel, app, digit| channel_event("ChannelDtmfReceived", channel, app, digit);

        registry.deliver(&dtmf("ch-1", "hello", "1"));
        registry.deliver(&dtmf("ch-1", "world", "1")); // the same event, for another app
        registry.deliver(&dtmf("ch-1", "hello", "2")); // same type and time, other content
        registry.deliver(&dtmf("ch-1", "hello", "2")); // a repeat for the same app is kept
        registry.deliver(&dtmf("ch-3", "hello", "3")); // nobody's channel
        assert_eq!(
            drain(&mine),
            (
                vec![
                    ("hello".to_owned(), "1".to_owned()),
                    ("hello".to_owned(), "2".to_owned()),
                    ("hello".to_owned(), "2".to_owned()),
                ],
                false
            )
        );
        assert_eq!(drain(&other), (vec![], false));

        registry.deliver(&channel_event("StasisEnd", "ch-1", "hello", ""));
        registry.deliver(&channel_event("StasisEnd", "ch-1", "world", ""));
        assert_eq!(
            drain(&mine),
            (vec![("hello".to_owned(), String::new())], true)
        );
        assert!(!registry.lock()["Channel"].contains_key("ch-1"));
        assert_eq!(drain(&other), (vec![], false));

        registry.unsubscribe("Channel", "ch-2", &other);
        assert!(registry.lock().is_empty(), "empty maps are removed");
    }
}
