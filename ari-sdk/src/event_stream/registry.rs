//! Per-resource subscriptions: every event reaches the streams of the resources it
//! concerns, found by a map lookup (not a scan), exactly once and in arrival order.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::copies::{Copies, Fingerprint, Source};
use super::queue::{Popped, Queue};
use crate::runtime::{LineEvent, LineKind};
use crate::{Client, Error, Result};

/// What a stream shares with the registry: its queue, and the signal that it ended
/// because its resource did (not because the consumer dropped it).
pub(crate) struct Shared<E> {
    queue: Queue<E>,
    ended: tokio::sync::watch::Sender<bool>,
    /// Set for the stream of a channel the application created itself (an originate
    /// answered with `Watched`): its `StasisStart` belongs to that caller, so a call
    /// stream hands out no second [`Call`](crate::Call) for it.
    claims_call: bool,
    /// Why the stream ended when its resource did not end it: the last event connection
    /// closed (replaced, lost for good, closed).
    end_reason: std::sync::OnceLock<String>,
}

impl<E> Shared<E> {
    fn end(&self) {
        self.queue.close();
        self.ended.send_replace(true);
    }

    fn end_because(&self, reason: &str) {
        let _ = self.end_reason.set(reason.to_owned());
        self.end();
    }
}

/// One stream in the map, with the copies it has seen (see [`Copies`]).
struct Entry<E> {
    shared: Arc<Shared<E>>,
    copies: Copies,
}

/// Resource kind -> resource id -> streams. Looked up with the borrowed `(kind, id)` an
/// event names: no key is built per event.
type Subscriptions<E> = HashMap<<E as LineEvent>::Kind, HashMap<String, Vec<Entry<E>>>>;

/// What the registries of every line of one client share: the client's event connections,
/// whatever line they decode with.
#[derive(Default)]
pub(crate) struct Connections {
    /// Open event connections.
    open: AtomicUsize,
    /// Numbers the connections, to tell where a copy of an event came from.
    next: AtomicU64,
    /// Applications over all connections, counted before a connection opens: with more
    /// than one, Asterisk may send one event several times (once per application that
    /// sees it, on each connection), and streams must recognise the copies.
    sources: AtomicUsize,
}

/// The per-resource streams of one line, fed by every event connection of the client.
pub(crate) struct Registry<E: LineEvent> {
    subscribers: Mutex<Subscriptions<E>>,
    connections: Arc<Connections>,
    /// Capacity of each resource stream.
    capacity: usize,
}

impl<E: LineEvent> Registry<E> {
    pub(crate) fn new(capacity: usize, connections: Arc<Connections>) -> Self {
        Registry {
            subscribers: Mutex::default(),
            connections,
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subscriptions<E>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for `apps` applications is about to open: from now on its copies
    /// must be recognised, even before the socket is up (Asterisk may send an event to
    /// the new connection while an older one is still delivering its own copy).
    pub(crate) fn expect_sources(&self, apps: usize) {
        self.connections.sources.fetch_add(apps, Ordering::SeqCst);
    }

    /// Undoes [`expect_sources`](Self::expect_sources) for a connection that closed or
    /// never opened.
    pub(crate) fn forget_sources(&self, apps: usize) {
        self.connections.sources.fetch_sub(apps, Ordering::SeqCst);
    }

    /// A connection opened; returns the number naming it in [`deliver`](Self::deliver).
    pub(crate) fn connection_opened(&self) -> u64 {
        self.connections.open.fetch_add(1, Ordering::SeqCst);
        self.connections.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Ends every stream: the last event connection closed for good, for `reason`.
    fn end_all(&self, reason: &str) {
        for (_, by_id) in self.lock().drain() {
            for entry in by_id.into_values().flatten() {
                entry.shared.end_because(reason);
            }
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connections.open.load(Ordering::SeqCst) > 0
    }

    pub(crate) fn subscribe(&self, kind: E::Kind, id: String, claims_call: bool) -> Arc<Shared<E>> {
        self.subscribe_seeded(kind, id, claims_call, Copies::default())
    }

    /// Opens the stream of a call's channel right after its `StasisStart` (which arrived
    /// on `connection`): the stream starts after that event and takes no copy of it.
    pub(crate) fn subscribe_after(
        &self,
        kind: E::Kind,
        id: String,
        start: &E,
        connection: u64,
    ) -> Arc<Shared<E>> {
        let mut copies = Copies::default();
        if self.connections.sources.load(Ordering::SeqCst) > 1 {
            copies.first_copy(
                Fingerprint::of(start),
                Source::new(connection, start.application()),
                std::time::Instant::now(),
            );
        }
        self.subscribe_seeded(kind, id, true, copies)
    }

    fn subscribe_seeded(
        &self,
        kind: E::Kind,
        id: String,
        claims_call: bool,
        copies: Copies,
    ) -> Arc<Shared<E>> {
        let shared = Arc::new(Shared {
            queue: Queue::new(self.capacity),
            ended: tokio::sync::watch::Sender::new(false),
            end_reason: std::sync::OnceLock::new(),
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

    fn unsubscribe(&self, kind: E::Kind, id: &str, shared: &Arc<Shared<E>>) {
        let mut map = self.lock();
        let Some(by_id) = map.get_mut(&kind) else {
            return;
        };
        if let Some(list) = by_id.get_mut(id) {
            list.retain(|e| !Arc::ptr_eq(&e.shared, shared));
            if list.is_empty() {
                by_id.remove(id);
            }
        }
        if by_id.is_empty() {
            map.remove(&kind);
        }
    }

    /// Whether a stream of channel `id` was opened by the originate that created it.
    pub(crate) fn is_claimed(&self, kind: E::Kind, id: &str) -> bool {
        self.lock()
            .get(&kind)
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
    pub(crate) fn deliver(&self, event: &E, connection: u64) {
        let mut map = self.lock();
        if map.is_empty() {
            return;
        }
        let mut wanted = false;
        event.for_each_resource(|kind, id| {
            wanted = wanted || map.get(&kind).is_some_and(|by_id| by_id.contains_key(id));
        });
        if !wanted {
            return;
        }
        let copies_possible = self.connections.sources.load(Ordering::SeqCst) > 1;
        let source = Source::new(connection, event.application());
        let mut fingerprint = None;
        let mut now = None;
        let type_name = event.type_name();
        let mut lagging = 0u64;
        event.for_each_resource(|kind, id| {
            let Some(by_id) = map.get_mut(&kind) else {
                return;
            };
            let Some(list) = by_id.get_mut(id) else {
                return;
            };
            let finished = event.ends_stream_of(kind);
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
                    map.remove(&kind);
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
/// channel that enters your application, take the stream from a `Call` (`client.calls(..)`),
/// which is opened at the moment its `StasisStart` arrives; for what a request creates,
/// use the `Watched` answer, opened before the request leaves.
///
/// `E` is the `Event` type of a release line; each line names this stream
/// `ari_sdk::asterisk_NN::ResourceEvents` (the crate root's is the root line's).
pub struct ResourceEvents<E: LineEvent> {
    kind: E::Kind,
    id: String,
    state: SubscriptionState<E>,
}

enum SubscriptionState<E: LineEvent> {
    Live {
        registry: Arc<Registry<E>>,
        shared: Arc<Shared<E>>,
    },
    /// No event connection: one error, then the end.
    NotConnected(Option<Error>),
}

impl<E: LineEvent> std::fmt::Debug for ResourceEvents<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceEvents")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .finish()
    }
}

impl<E: LineEvent> ResourceEvents<E> {
    /// Subscribes to the events of the resource of `kind` with `id`, on the event
    /// connections of `client` that speak this stream's line.
    pub fn subscribe(client: &Client, kind: E::Kind, id: impl Into<String>) -> Self {
        Self::open(client, kind, id.into(), false)
    }

    /// Subscribes for the caller that is creating resource `id`: when it is a channel, the
    /// caller takes its `StasisStart` from this stream (no call stream hands it out).
    pub(crate) fn subscribe_claiming(client: &Client, kind: E::Kind, id: String) -> Self {
        Self::open(client, kind, id, Some(kind) == E::call_kind())
    }

    fn open(client: &Client, kind: E::Kind, id: String, claims_call: bool) -> Self {
        let registry = client.inner.registries.of::<E>();
        let state = if registry.is_connected() {
            let shared = registry.subscribe(kind, id.clone(), claims_call);
            SubscriptionState::Live { registry, shared }
        } else {
            let what = match id.as_str() {
                "" => format!("events of the new {}", kind.name()),
                id => format!("events of {} {id}", kind.name()),
            };
            SubscriptionState::NotConnected(Some(Error::NoEventConnection { what }))
        };
        ResourceEvents { kind, id, state }
    }

    /// The stream of a subscription the connection task made (a call's channel).
    pub(crate) fn from_registry(
        registry: Arc<Registry<E>>,
        kind: E::Kind,
        id: String,
        shared: Arc<Shared<E>>,
    ) -> Self {
        ResourceEvents {
            kind,
            id,
            state: SubscriptionState::Live { registry, shared },
        }
    }

    /// The resource kind.
    pub fn kind(&self) -> E::Kind {
        self.kind
    }

    /// The resource id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next item, like `StreamExt::next`.
    pub async fn next(&mut self) -> Option<Result<E>> {
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *self), cx)).await
    }

    /// Why the stream ended when its resource did not end it: the client's last event
    /// connection closed for good (`the application was replaced by another connection`,
    /// ...). `None` while it runs, or when the resource's final event ended it.
    pub fn end_reason(&self) -> Option<&str> {
        match &self.state {
            SubscriptionState::Live { shared, .. } => shared.end_reason.get().map(String::as_str),
            SubscriptionState::NotConnected(_) => None,
        }
    }

    /// Watches for the end of the resource (its final event delivered, or the last event
    /// connection closed for good); `None` when the stream was never live.
    #[doc(hidden)]
    pub fn ended_signal(&self) -> Option<tokio::sync::watch::Receiver<bool>> {
        match &self.state {
            SubscriptionState::Live { shared, .. } => Some(shared.ended.subscribe()),
            SubscriptionState::NotConnected(_) => None,
        }
    }
}

impl<E: LineEvent> futures_core::Stream for ResourceEvents<E> {
    type Item = Result<E>;
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

impl<E: LineEvent> Drop for ResourceEvents<E> {
    fn drop(&mut self) {
        if let SubscriptionState::Live { registry, shared } = &self.state {
            shared.queue.close();
            registry.unsubscribe(self.kind, &self.id, shared);
        }
    }
}

/// A line's registry as the others see it: frames of a connection of another line are
/// decoded again with this line's events, only when this line has streams.
trait LineRegistry: Send + Sync {
    fn line(&self) -> std::any::TypeId;
    fn deliver_frame(&self, frame: &str, connection: u64);
    fn end_all(&self, reason: &str);
}

impl<E: LineEvent> LineRegistry for Registry<E> {
    fn line(&self) -> std::any::TypeId {
        std::any::TypeId::of::<E>()
    }
    fn deliver_frame(&self, frame: &str, connection: u64) {
        if self.lock().is_empty() {
            return;
        }
        // A frame that does not decode is reported by the connection's own line.
        if let Ok(event) = crate::runtime::decode_event::<E>(frame) {
            self.deliver(&event, connection);
        }
    }
    fn end_all(&self, reason: &str) {
        Registry::end_all(self, reason)
    }
}

/// One line's registry, as itself (to hand out) and as one of the lines (to feed).
type LineEntry = (Arc<dyn std::any::Any + Send + Sync>, Arc<dyn LineRegistry>);

/// The registries of a client, one per release line in use. Every event connection feeds
/// every line: its own line's registry with the events it decoded, the others (when they
/// have streams) with the frame decoded again in their own events, so what a request of
/// `client.asterisk_20()` created is watched whichever line's connection is open.
pub(crate) struct Registries {
    by_line: Mutex<Vec<LineEntry>>,
    /// How many lines have a registry: with one, no frame is decoded twice.
    lines: AtomicUsize,
    connections: Arc<Connections>,
    /// Capacity of each resource stream.
    capacity: usize,
}

impl Registries {
    pub(crate) fn new(capacity: usize) -> Registries {
        Registries {
            by_line: Mutex::default(),
            lines: AtomicUsize::new(0),
            connections: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LineEntry>> {
        self.by_line.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The registry of the line whose events are `E`, made on first use.
    pub(crate) fn of<E: LineEvent>(&self) -> Arc<Registry<E>> {
        let mut lines = self.lock();
        let found = lines
            .iter()
            .find_map(|(any, _)| any.clone().downcast::<Registry<E>>().ok());
        found.unwrap_or_else(|| {
            let registry = Arc::new(Registry::<E>::new(self.capacity, self.connections.clone()));
            lines.push((registry.clone(), registry.clone()));
            self.lines.store(lines.len(), Ordering::SeqCst);
            registry
        })
    }

    /// Hands a frame that a connection of line `E` decoded (and delivered to its own
    /// registry) to the other lines' streams.
    pub(crate) fn deliver_to_other_lines<E: LineEvent>(&self, frame: &str, connection: u64) {
        if self.lines.load(Ordering::SeqCst) < 2 {
            return;
        }
        let own = std::any::TypeId::of::<E>();
        let others: Vec<Arc<dyn LineRegistry>> = self
            .lock()
            .iter()
            .filter(|(_, line)| line.line() != own)
            .map(|(_, line)| line.clone())
            .collect();
        for other in others {
            other.deliver_frame(frame, connection);
        }
    }

    /// A connection closed for `reason`; the last one going away ends every stream of every
    /// line, and the streams' waits name that reason.
    pub(crate) fn connection_closed(&self, reason: &str) {
        if self.connections.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            let lines: Vec<Arc<dyn LineRegistry>> =
                self.lock().iter().map(|(_, line)| line.clone()).collect();
            for line in lines {
                line.end_all(reason);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::{Popped, Registry, Shared};
    use crate::{Event, ResourceKind};

    const CHANNEL: ResourceKind = ResourceKind::Channel;

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
    fn drain(shared: &Shared<Event>) -> (Vec<(String, String)>, bool) {
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

    fn two_sources() -> Registry<Event> {
        let registry = Registry::new(256, Arc::default());
        registry.expect_sources(2);
        registry
    }

    #[test]
    fn copies_for_other_applications_are_delivered_once_and_final_events_end_streams() {
        let registry = two_sources();
        let mine = registry.subscribe(CHANNEL, "ch-1".to_owned(), false);
        let other = registry.subscribe(CHANNEL, "ch-2".to_owned(), false);

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
        assert!(!registry.lock()[&CHANNEL].contains_key("ch-1"));
        assert_eq!(drain(&other), (vec![], false));

        registry.unsubscribe(CHANNEL, "ch-2", &other);
        assert!(registry.lock().is_empty(), "empty maps are removed");
    }

    #[test]
    fn copies_are_recognised_however_many_events_lie_between_them() {
        let registry = two_sources();
        let streams: Vec<Arc<Shared<Event>>> = (0..50)
            .map(|i| registry.subscribe(CHANNEL, format!("ch-{i}"), false))
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
        let registry = Registry::<Event>::new(256, Arc::default());
        registry.expect_sources(1);
        let stream = registry.subscribe(CHANNEL, "ch-1".to_owned(), false);
        for _ in 0..3 {
            registry.deliver(&dtmf("ch-1", "hello", "5"), 1);
        }
        assert_eq!(drain(&stream).0.len(), 3);
    }

    #[test]
    fn streams_of_one_channel_each_get_their_copy() {
        let registry = two_sources();
        let first = registry.subscribe(CHANNEL, "ch-1".to_owned(), false);
        registry.deliver(&dtmf("ch-1", "hello", "1"), 1);
        let second = registry.subscribe(CHANNEL, "ch-1".to_owned(), true);
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
        assert!(registry.is_claimed(CHANNEL, "ch-1"));
        assert!(!registry.is_claimed(CHANNEL, "ch-2"));
    }
}
