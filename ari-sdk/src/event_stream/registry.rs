//! Per-resource subscriptions: every event reaches the streams of the resources it
//! concerns, found by a map lookup (not a scan), exactly once and in arrival order.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::copies::{Copies, Fingerprint, Source};
use super::queue::{Popped, Queue};
use crate::{Client, Error, Event, Result};

/// What a stream shares with the registry: its queue, and the signal that it ended
/// because its resource did (not because the consumer dropped it).
pub(crate) struct Shared {
    queue: Queue<Event>,
    ended: tokio::sync::watch::Sender<bool>,
    /// Set for the stream of a channel the application created itself (an originate
    /// answered with `Watched`): its `StasisStart` belongs to that caller, so a call
    /// stream hands out no second [`Call`](crate::Call) for it.
    claims_call: bool,
}

impl Shared {
    fn end(&self) {
        self.queue.close();
        self.ended.send_replace(true);
    }
}

/// One stream in the map, with the copies it has seen (see [`Copies`]).
struct Entry {
    shared: Arc<Shared>,
    copies: Copies,
}

/// Resource kind -> resource id -> streams. Looked up with the borrowed `(kind, id)` an
/// event names: no key is built per event.
type Subscriptions = HashMap<&'static str, HashMap<String, Vec<Entry>>>;

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
    /// Numbers the connections, to tell where a copy of an event came from.
    next_connection: AtomicU64,
    /// Applications over all connections, counted before a connection opens: with more
    /// than one, Asterisk may send one event several times (once per application that
    /// sees it, on each connection), and streams must recognise the copies.
    sources: AtomicUsize,
    /// Capacity of each resource stream.
    pub(crate) capacity: AtomicUsize,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            subscribers: Mutex::default(),
            connections: AtomicUsize::new(0),
            next_connection: AtomicU64::new(1),
            sources: AtomicUsize::new(0),
            capacity: AtomicUsize::new(256),
        }
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Subscriptions> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for `apps` applications is about to open: from now on its copies
    /// must be recognised, even before the socket is up (Asterisk may send an event to
    /// the new connection while an older one is still delivering its own copy).
    pub(crate) fn expect_sources(&self, apps: usize) {
        self.sources.fetch_add(apps, Ordering::SeqCst);
    }

    /// Undoes [`expect_sources`](Self::expect_sources) for a connection that closed or
    /// never opened.
    pub(crate) fn forget_sources(&self, apps: usize) {
        self.sources.fetch_sub(apps, Ordering::SeqCst);
    }

    /// A connection opened; returns the number naming it in [`deliver`](Self::deliver).
    pub(crate) fn connection_opened(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::SeqCst);
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// The last connection going away ends every resource stream.
    pub(crate) fn connection_closed(&self) {
        if self.connections.fetch_sub(1, Ordering::SeqCst) == 1 {
            for (_, by_id) in self.lock().drain() {
                for entry in by_id.into_values().flatten() {
                    entry.shared.end();
                }
            }
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connections.load(Ordering::SeqCst) > 0
    }

    pub(crate) fn subscribe(
        &self,
        kind: &'static str,
        id: String,
        claims_call: bool,
    ) -> Arc<Shared> {
        self.subscribe_seeded(kind, id, claims_call, Copies::default())
    }

    /// Opens the stream of a call's channel right after its `StasisStart` (which arrived
    /// on `connection`): the stream starts after that event and takes no copy of it.
    pub(crate) fn subscribe_after(
        &self,
        id: String,
        start: &Event,
        connection: u64,
    ) -> Arc<Shared> {
        let mut copies = Copies::default();
        if self.sources.load(Ordering::SeqCst) > 1 {
            copies.first_copy(
                Fingerprint::of(start),
                Source::new(connection, start.application()),
                std::time::Instant::now(),
            );
        }
        self.subscribe_seeded("Channel", id, true, copies)
    }

    fn subscribe_seeded(
        &self,
        kind: &'static str,
        id: String,
        claims_call: bool,
        copies: Copies,
    ) -> Arc<Shared> {
        let shared = Arc::new(Shared {
            queue: Queue::new(self.capacity.load(Ordering::Relaxed)),
            ended: tokio::sync::watch::Sender::new(false),
            claims_call,
        });
        self.lock()
            .entry(kind)
            .or_default()
            .entry(id)
            .or_default()
            .push(Entry {
                shared: shared.clone(),
                copies,
            });
        shared
    }

    fn unsubscribe(&self, kind: &'static str, id: &str, shared: &Arc<Shared>) {
        let mut map = self.lock();
        let Some(by_id) = map.get_mut(kind) else {
            return;
        };
        if let Some(list) = by_id.get_mut(id) {
            list.retain(|e| !Arc::ptr_eq(&e.shared, shared));
            if list.is_empty() {
                by_id.remove(id);
            }
        }
        if by_id.is_empty() {
            map.remove(kind);
        }
    }

    /// Whether a stream of channel `id` was opened by the originate that created it.
    pub(crate) fn is_claimed(&self, id: &str) -> bool {
        self.lock()
            .get("Channel")
            .and_then(|by_id| by_id.get(id))
            .is_some_and(|list| list.iter().any(|e| e.shared.claims_call))
    }

    /// Hands an event that arrived on `connection` to the streams of every resource it
    /// concerns. An event no stream wants costs a map lookup per resource it names,
    /// whatever the number of streams, and allocates nothing.
    ///
    /// Each stream gets each event once: when the client has several sources (more than
    /// one connection or application), the copies of one event are recognised by their
    /// content, however many other events arrive between them (see [`Copies`]).
    pub(crate) fn deliver(&self, event: &Event, connection: u64) {
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
        let copies_possible = self.sources.load(Ordering::SeqCst) > 1;
        let source = Source::new(connection, event.application());
        let mut fingerprint = None;
        let mut now = None;
        let type_name = event.type_name();
        let mut lagging = 0u64;
        event.for_each_resource(|kind, id| {
            let Some(by_id) = map.get_mut(kind) else {
                return;
            };
            let Some(list) = by_id.get_mut(id) else {
                return;
            };
            let finished = ends(kind, type_name);
            let mut all_ended = finished;
            for entry in list.iter_mut() {
                if copies_possible {
                    let print = *fingerprint.get_or_insert_with(|| Fingerprint::of(event));
                    let now = *now.get_or_insert_with(std::time::Instant::now);
                    if !entry.copies.first_copy(print, source, now) {
                        // A copy of an event this stream already has: an ending
                        // event ended the stream the first time.
                        continue;
                    }
                }
                if entry
                    .shared
                    .queue
                    .push(event.clone())
                    .is_some_and(|dropped| dropped > 0)
                {
                    lagging += 1;
                }
                if finished {
                    entry.shared.end();
                } else {
                    all_ended = false;
                }
            }
            if all_ended {
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
///
/// The stream starts when it is opened: events that arrived before are not in it. For a
/// channel that enters your application, take the stream from a
/// [`Call`](crate::Call) (`client.calls(..)`), which is opened at the moment its
/// `StasisStart` arrives; for what a request creates, use the [`Watched`](crate::Watched)
/// answer, opened before the request leaves.
pub struct ResourceEvents {
    kind: &'static str,
    id: String,
    state: SubscriptionState,
}

enum SubscriptionState {
    Live {
        registry: Arc<Registry>,
        shared: Arc<Shared>,
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
        Self::open(client, kind, id.into(), false)
    }

    /// Subscribes for the caller that is creating channel `id`, which takes its
    /// `StasisStart` from this stream (no call stream hands it out).
    pub(crate) fn subscribe_claiming(
        client: &Client,
        kind: &'static str,
        id: String,
    ) -> ResourceEvents {
        Self::open(client, kind, id, kind == "Channel")
    }

    fn open(client: &Client, kind: &'static str, id: String, claims_call: bool) -> ResourceEvents {
        let registry = client.inner.registry.clone();
        let state = if registry.is_connected() {
            let shared = registry.subscribe(kind, id.clone(), claims_call);
            SubscriptionState::Live { registry, shared }
        } else {
            SubscriptionState::NotConnected(Some(Error::NoEventConnection {
                what: format!("events of {kind} {id}"),
            }))
        };
        ResourceEvents { kind, id, state }
    }

    /// The stream of a subscription the connection task made (a call's channel).
    pub(crate) fn from_registry(
        registry: Arc<Registry>,
        kind: &'static str,
        id: String,
        shared: Arc<Shared>,
    ) -> ResourceEvents {
        ResourceEvents {
            kind,
            id,
            state: SubscriptionState::Live { registry, shared },
        }
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

    /// Watches for the end of the resource (its final event delivered, or the last event
    /// connection closed for good); `None` when the stream was never live.
    pub(crate) fn ended_signal(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        match &self.state {
            SubscriptionState::Live { shared, .. } => Some(shared.ended.subscribe()),
            SubscriptionState::NotConnected(_) => None,
        }
    }
}

impl futures_core::Stream for ResourceEvents {
    type Item = Result<Event>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match &mut this.state {
            SubscriptionState::NotConnected(error) => Poll::Ready(error.take().map(Err)),
            SubscriptionState::Live { shared, .. } => shared.queue.poll_pop(cx).map(|p| {
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
        if let SubscriptionState::Live { registry, shared } = &self.state {
            shared.queue.close();
            registry.unsubscribe(self.kind, &self.id, shared);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::{Popped, Registry, Shared};
    use crate::Event;

    fn channel_event(event_type: &str, channel: &str, app: &str, digit: &str) -> Event {
        let text = format!(
            r#"{{"digit":"{digit}","duration_ms":100,"type":"{event_type}","timestamp":"2026-11-27T10:36:24.327+0000","channel":{{"id":"{channel}","name":"PJSIP/a-1","state":"Up","protocol_id":"","caller":{{"name":"","number":""}},"connected":{{"name":"","number":""}},"accountcode":"","dialplan":{{"context":"default","exten":"7000","priority":1,"app_name":"","app_data":""}},"creationtime":"2026-11-27T10:36:24.327+0000","language":"en"}},"application":"{app}"}}"#
        );
        crate::decode_event(&text).expect("a valid event")
    }

    fn dtmf(channel: &str, app: &str, digit: &str) -> Event {
        channel_event("ChannelDtmfReceived", channel, app, digit)
    }

    /// Every event queued so far as (application, digit), then whether the stream ended.
    fn drain(shared: &Shared) -> (Vec<(String, String)>, bool) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut seen = Vec::new();
        loop {
            match shared.queue.poll_pop(&mut cx) {
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

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, d)| ((*a).to_owned(), (*d).to_owned()))
            .collect()
    }

    fn two_sources() -> Registry {
        let registry = Registry::default();
        registry.expect_sources(2);
        registry
    }

    #[test]
    fn copies_for_other_applications_are_delivered_once_and_final_events_end_streams() {
        let registry = two_sources();
        let mine = registry.subscribe("Channel", "ch-1".to_owned(), false);
        let other = registry.subscribe("Channel", "ch-2".to_owned(), false);

        registry.deliver(&dtmf("ch-1", "hello", "1"), 1);
        registry.deliver(&dtmf("ch-1", "world", "1"), 1); // the same event, for another app
        registry.deliver(&dtmf("ch-1", "hello", "2"), 1); // same type and time, other content
        registry.deliver(&dtmf("ch-1", "hello", "2"), 1); // a repeat from the same source is kept
        registry.deliver(&dtmf("ch-3", "hello", "3"), 1); // nobody's channel
        assert_eq!(
            drain(&mine),
            (
                pairs(&[("hello", "1"), ("hello", "2"), ("hello", "2")]),
                false
            )
        );
        assert_eq!(drain(&other), (vec![], false));

        registry.deliver(&channel_event("StasisEnd", "ch-1", "hello", ""), 1);
        registry.deliver(&channel_event("StasisEnd", "ch-1", "world", ""), 1);
        assert_eq!(drain(&mine), (pairs(&[("hello", "")]), true));
        assert!(*mine.ended.borrow(), "the end is signalled");
        assert!(!registry.lock()["Channel"].contains_key("ch-1"));
        assert_eq!(drain(&other), (vec![], false));

        registry.unsubscribe("Channel", "ch-2", &other);
        assert!(registry.lock().is_empty(), "empty maps are removed");
    }

    #[test]
    fn copies_are_recognised_however_many_events_lie_between_them() {
        let registry = two_sources();
        let streams: Vec<Arc<Shared>> = (0..50)
            .map(|i| registry.subscribe("Channel", format!("ch-{i}"), false))
            .collect();
        // Connection 1 (app hello) delivers every call's digit, then connection 2 (an
        // observer) delivers its copies, 50 events later.
        for i in 0..50 {
            registry.deliver(&dtmf(&format!("ch-{i}"), "hello", "1"), 1);
        }
        for i in 0..50 {
            registry.deliver(&dtmf(&format!("ch-{i}"), "observer", "1"), 2);
        }
        // A second, real press of the same digit on every channel, seen by both.
        for i in 0..50 {
            registry.deliver(&dtmf(&format!("ch-{i}"), "observer", "1"), 2);
            registry.deliver(&dtmf(&format!("ch-{i}"), "hello", "1"), 1);
        }
        for stream in &streams {
            let (seen, _) = drain(stream);
            assert_eq!(seen.len(), 2, "two presses, each once: {seen:?}");
        }
    }

    #[test]
    fn one_source_delivers_everything_without_fingerprints() {
        let registry = Registry::default();
        registry.expect_sources(1);
        let stream = registry.subscribe("Channel", "ch-1".to_owned(), false);
        for _ in 0..3 {
            registry.deliver(&dtmf("ch-1", "hello", "5"), 1);
        }
        assert_eq!(drain(&stream).0.len(), 3);
    }

    #[test]
    fn streams_of_one_channel_each_get_their_copy() {
        let registry = two_sources();
        let first = registry.subscribe("Channel", "ch-1".to_owned(), false);
        registry.deliver(&dtmf("ch-1", "hello", "1"), 1);
        let second = registry.subscribe("Channel", "ch-1".to_owned(), true);
        registry.deliver(&dtmf("ch-1", "observer", "1"), 2); // a copy: first has it
        registry.deliver(&dtmf("ch-1", "hello", "2"), 1);
        registry.deliver(&dtmf("ch-1", "observer", "2"), 2);
        assert_eq!(drain(&first).0, pairs(&[("hello", "1"), ("hello", "2")]));
        // The second stream opened after the first press: it has the observer's copy of
        // it (it never saw the original), then the second press once.
        assert_eq!(
            drain(&second).0,
            pairs(&[("observer", "1"), ("hello", "2")])
        );
        assert!(registry.is_claimed("ch-1"));
        assert!(!registry.is_claimed("ch-2"));
    }
}
