//! Race-free waiting on what a request creates: the resource's events are subscribed
//! before the request leaves, so nothing that follows the answer can be missed.

use std::ops::Deref;
use std::time::Duration;

use crate::event_stream::ResourceEvents;
use crate::runtime::{LineEvent, LineKind};
use crate::{Client, Error, Result};

/// Where the id of the resource an operation creates comes from.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum WatchId {
    /// A path parameter (`/channels/{channelId}/play/{playbackId}`).
    Path(String),
    /// An optional query parameter (`playbackId`); a fresh id is sent when it is unset.
    Query(&'static str),
}

/// A fresh id for a resource about to be created, in UUID v4 form like Asterisk's own.
pub(crate) fn new_id() -> String {
    let a = fastrand::u128(..);
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        8 | (a >> 60) as u8 & 3,
        &hex[17..20],
        &hex[20..]
    )
}

/// The answer of an operation that created a resource (a playback, a recording, a
/// channel, a bridge), with that resource's events already subscribed.
/// Dereferences to the value.
///
/// `E` is a release line's `Event`; each line names this `ari_sdk::asterisk_NN::Watched<T>`
/// and gives it the waits that fit `T` (`finished` on a playback or recording,
/// `stasis_start` and `into_call` on a channel).
#[derive(Debug)]
pub struct Watched<T, E: LineEvent> {
    value: T,
    client: Client,
    kind: E::Kind,
    id: String,
    events: ResourceEvents<E>,
    /// The channel or bridge a playback or recording belongs to, subscribed with it.
    target: Option<ResourceEvents<E>>,
}

impl<T, E: LineEvent> Deref for Watched<T, E> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T, E: LineEvent> Watched<T, E> {
    pub(crate) fn new(
        value: T,
        client: Client,
        kind: E::Kind,
        id: String,
        events: ResourceEvents<E>,
        target: Option<ResourceEvents<E>>,
    ) -> Self {
        Watched {
            value,
            client,
            kind,
            id,
            events,
            target,
        }
    }

    /// The target's stream subscribed before the request, else one subscribed now.
    fn target_events(&mut self, target_uri: &str) -> Option<ResourceEvents<E>> {
        self.target.take().or_else(|| {
            E::Kind::of_target_uri(target_uri)
                .map(|(kind, id)| ResourceEvents::subscribe(&self.client, kind, id))
        })
    }
    /// The value, dropping the subscription.
    pub fn into_inner(self) -> T {
        self.value
    }
    /// The resource kind.
    pub fn kind(&self) -> E::Kind {
        self.kind
    }
    /// The client the request was sent with.
    pub fn client(&self) -> &Client {
        &self.client
    }
    /// The resource's events from the moment the request was sent; ends when it is gone.
    pub fn into_events(self) -> ResourceEvents<E> {
        self.events
    }
    /// The value and the events.
    pub fn into_parts(self) -> (T, ResourceEvents<E>) {
        (self.value, self.events)
    }
    /// The resource's events, from before the request was sent (borrowing).
    pub fn events(&mut self) -> &mut ResourceEvents<E> {
        &mut self.events
    }

    /// Waits for the first event of the created media that `pick` maps to an outcome,
    /// failing with [`Error::Gone`] when the channel or bridge it plays to (named by
    /// `target_uri`) goes away first, [`Error::NoEventConnection`] when the event connection
    /// ends for good, or after `timeout` ([`Error::WaitTimedOut`]). For the line's
    /// `finished` helpers.
    #[doc(hidden)]
    pub async fn wait_media<R>(
        mut self,
        target_uri: &str,
        timeout: Duration,
        pick: impl FnMut(E) -> Option<Result<R>>,
    ) -> Result<R> {
        let target = self.target_events(target_uri);
        let what = format!("{} {}", self.kind.name(), self.id);
        wait_media(self.events, target, what, timeout, pick).await
    }

    /// The parts, for the line's helpers.
    #[doc(hidden)]
    pub fn into_all(self) -> (T, Client, ResourceEvents<E>) {
        (self.value, self.client, self.events)
    }
}

/// Waits for the first event `pick` accepts, failing when an event of the media's target
/// says it is going away, when the stream ends, or after `timeout`.
async fn wait_media<E: LineEvent, R>(
    mut events: ResourceEvents<E>,
    mut target: Option<ResourceEvents<E>>,
    what: String,
    timeout: Duration,
    mut pick: impl FnMut(E) -> Option<Result<R>>,
) -> Result<R> {
    let gone = |event: &E| Error::Gone {
        what: what.clone(),
        event: event.type_name().to_owned(),
    };
    let wait = async {
        loop {
            let next = match &mut target {
                Some(t) => tokio::select! {
                    e = events.next() => Some(e),
                    t_event = t.next() => match t_event {
                        Some(Ok(event)) if event.ends_media_target() => return Err(gone(&event)),
                        Some(_) => None,
                        None => { target = None; None }
                    },
                },
                None => Some(events.next().await),
            };
            match next {
                None => continue,
                Some(None) => {
                    let why = events.end_reason().unwrap_or("the event stream ended");
                    return Err(Error::NoEventConnection {
                        what: format!("{what} ({why})"),
                    });
                }
                Some(Some(Err(e))) => return Err(e),
                Some(Some(Ok(event))) => {
                    if let Some(done) = pick(event) {
                        // Media also finishes because its target hung up: if that news is
                        // already here, say so rather than report a normal end.
                        if let Some(t) = &mut target {
                            while let Ok(Some(Ok(event))) =
                                tokio::time::timeout(Duration::ZERO, t.next()).await
                            {
                                if event.ends_media_target() {
                                    return Err(gone(&event));
                                }
                            }
                        }
                        return done;
                    }
                }
            }
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| Error::WaitTimedOut {
            what: what.clone(),
            timeout,
        })?
}
