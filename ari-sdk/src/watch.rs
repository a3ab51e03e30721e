//! Race-free waiting on what a request creates: the resource's events are subscribed
//! before the request leaves, so nothing that follows the answer can be missed.

use std::ops::Deref;
use std::time::Duration;

use crate::event_stream::ResourceEvents;
use crate::{Client, Error, Event, LiveRecording, Playback, PlaybackState, Result, StasisStart};

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
#[derive(Debug)]
pub struct Watched<T> {
    value: T,
    client: Client,
    kind: &'static str,
    id: String,
    events: ResourceEvents,
    /// The channel or bridge a playback or recording belongs to, subscribed with it.
    target: Option<ResourceEvents>,
}

impl<T> Deref for Watched<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Watched<T> {
    pub(crate) fn new(
        value: T,
        client: Client,
        kind: &'static str,
        id: String,
        events: ResourceEvents,
        target: Option<ResourceEvents>,
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
    fn target_events(&mut self, target_uri: &str) -> Option<ResourceEvents> {
        self.target.take().or_else(|| {
            crate::runtime::media_target(target_uri)
                .map(|(kind, id)| ResourceEvents::subscribe(&self.client, kind, id))
        })
    }
    /// The value, dropping the subscription.
    pub fn into_inner(self) -> T {
        self.value
    }
    /// The resource kind, e.g. `Playback`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
    /// The resource's events from the moment the request was sent; ends when it is gone.
    pub fn into_events(self) -> ResourceEvents {
        self.events
    }
    /// The value and the events.
    pub fn into_parts(self) -> (T, ResourceEvents) {
        (self.value, self.events)
    }
    /// The resource's events, from before the request was sent (borrowing).
    pub fn events(&mut self) -> &mut ResourceEvents {
        &mut self.events
    }
}

/// Waits for the first event `pick` accepts, failing when `gone` matches an event of the
/// media's target, when the stream ends, or after `timeout`.
/// Target events that mean what media plays to is going away.
fn ends_target(event: &Event) -> bool {
    matches!(
        event.type_name(),
        "ChannelHangupRequest" | "StasisEnd" | "ChannelDestroyed" | "BridgeDestroyed"
    )
}

async fn wait_media<R>(
    mut events: ResourceEvents,
    mut target: Option<ResourceEvents>,
    what: String,
    timeout: Option<Duration>,
    mut pick: impl FnMut(Event) -> Option<Result<R>>,
) -> Result<R> {
    let gone = |event: &Event| Error::Gone {
        what: what.clone(),
        event: event.type_name().to_owned(),
    };
    let wait = async {
        loop {
            let next = match &mut target {
                Some(t) => tokio::select! {
                    e = events.next() => Some(e),
                    t_event = t.next() => match t_event {
                        Some(Ok(event)) if ends_target(&event) => return Err(gone(&event)),
                        Some(_) => None,
                        None => { target = None; None }
                    },
                },
                None => Some(events.next().await),
            };
            match next {
                None => continue,
                Some(None) => {
                    return Err(Error::NoEventConnection {
                        what: format!("{what} (the event stream ended)"),
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
                                if ends_target(&event) {
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
    match timeout {
        Some(limit) => {
            tokio::time::timeout(limit, wait)
                .await
                .map_err(|_| Error::WaitTimedOut {
                    what: what.clone(),
                    timeout: limit,
                })?
        }
        None => wait.await,
    }
}

impl Watched<Playback> {
    /// Waits for `PlaybackFinished` and returns the final playback. Fails with
    /// [`Error::Gone`] when the channel or bridge it plays to goes away first (also when
    /// the playback ended `failed` because of it), with [`Error::Failed`] naming the media
    /// when Asterisk could not play it (a missing sound), and when the event connection
    /// ends. Bounded by the media's length and the target's life; see
    /// [`finished_within`](Self::finished_within) for a limit of your own.
    pub async fn finished(self) -> Result<Playback> {
        self.finished_within(None).await
    }

    /// [`finished`](Self::finished) with a time limit ([`Error::WaitTimedOut`]).
    pub async fn finished_within(mut self, timeout: Option<Duration>) -> Result<Playback> {
        let target_uri = self.value.target_uri.clone();
        let target = self.target_events(&target_uri);
        let what = format!("playback {}", self.id);
        let playback = wait_media(
            self.events,
            target,
            what.clone(),
            timeout,
            |event| match event {
                Event::PlaybackFinished(e) => Some(Ok(e.playback)),
                _ => None,
            },
        )
        .await?;
        if playback.state != PlaybackState::Failed {
            return Ok(playback);
        }
        let what = format!("{what} of {}", playback.media_uri);
        Err(playback_failure(&self.client, &target_uri, what).await)
    }
}

/// Why a playback ended `failed`: its channel left ([`Error::Gone`]), or Asterisk could not
/// play the media ([`Error::Failed`] naming it, in `what`).
pub(crate) async fn playback_failure(client: &Client, target_uri: &str, what: String) -> Error {
    if let Some(("Channel", channel)) = crate::runtime::media_target(target_uri) {
        if let Err(error) = client.channel(channel).get().await {
            if error.is_gone() {
                return Error::Gone {
                    what,
                    event: format!("the end of channel {channel} (the playback failed)"),
                };
            }
        }
    }
    Error::Failed {
        what,
        reason: "Asterisk could not play it (a sound or recording that does not exist?)".to_owned(),
    }
}

impl Watched<LiveRecording> {
    /// Waits for `RecordingFinished` (the final recording) or `RecordingFailed` (an error
    /// with its cause); fails if what is recorded goes away first.
    pub async fn finished(self) -> Result<LiveRecording> {
        self.finished_within(None).await
    }

    /// [`finished`](Self::finished) with a time limit.
    pub async fn finished_within(mut self, timeout: Option<Duration>) -> Result<LiveRecording> {
        let target_uri = self.value.target_uri.clone();
        let target = self.target_events(&target_uri);
        let what = format!("recording {}", self.id);
        let failed = what.clone();
        wait_media(
            self.events,
            target,
            what,
            timeout,
            move |event| match event {
                Event::RecordingFinished(e) => Some(Ok(e.recording)),
                Event::RecordingFailed(e) => Some(Err(Error::Failed {
                    what: failed.clone(),
                    reason: e
                        .recording
                        .cause
                        .clone()
                        .unwrap_or_else(|| "RecordingFailed".to_owned()),
                })),
                _ => None,
            },
        )
        .await
    }
}

impl Watched<crate::Channel> {
    /// Waits until the new channel enters a Stasis application (`StasisStart`); fails when
    /// it is destroyed first (with the hang-up cause) or after `timeout`.
    pub async fn stasis_start(&mut self, timeout: Duration) -> Result<StasisStart> {
        let what = format!("StasisStart of channel {}", self.id);
        self.events
            .wait_for(timeout, |event| match event {
                Event::StasisStart(e) => Some(Ok(e.as_ref().clone())),
                Event::ChannelDestroyed(e) => Some(Err(Error::Failed {
                    what: what.clone(),
                    reason: format!("channel destroyed, cause {} ({})", e.cause, e.cause_txt),
                })),
                _ => None,
            })
            .await?
    }

    /// Waits for the channel's `StasisStart` (see [`stasis_start`](Self::stasis_start))
    /// and makes it a [`Call`](crate::Call), its events continuing from this stream
    /// (subscribed before the originate left): the same object incoming calls are, with
    /// nothing missed. A call stream of the same application does not hand this channel
    /// out as well.
    pub async fn into_call(mut self, timeout: Duration) -> Result<crate::Call> {
        let start = self.stasis_start(timeout).await?;
        Ok(crate::Call::new(self.client, Box::new(start), self.events))
    }
}
