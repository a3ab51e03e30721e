// Waits that read this line's events: on what a request created (`Watched`), on a
// resource's stream (`ResourceEvents`) and on a channel handle. Compiled into each release
// line module that supports calls; `super::` is that line. Every wait takes its time limit
// as a `Duration` argument and fails with `Error::WaitTimedOut` when it passes.

use std::time::Duration;

use super::events::{Event, StasisStart};
use super::handles::ChannelHandle;
use super::models::{Channel, ChannelState, LiveRecording, Playback, PlaybackState};
use super::{ResourceEvents, Watched};
use crate::{Client, Error, Result};

impl Watched<Playback> {
    /// Waits for `PlaybackFinished` and returns the final playback. Fails with
    /// [`Error::Gone`] when the channel or bridge it plays to goes away first (also when
    /// the playback ended `failed` because of it), with [`Error::NoEventConnection`] naming
    /// the cause when the client's event connection ends for good, with [`Error::Failed`] naming the media when Asterisk could not play it (a missing sound,
    /// an empty recording), and after `timeout` ([`Error::WaitTimedOut`]).
    pub async fn finished(self, timeout: Duration) -> Result<Playback> {
        let target_uri = self.target_uri.clone();
        let client = self.client().clone();
        let playback = self
            .wait_media(&target_uri, timeout, |event| match event {
                Event::PlaybackFinished(e) => Some(Ok(e.playback)),
                _ => None,
            })
            .await?;
        if playback.state != PlaybackState::Failed {
            return Ok(playback);
        }
        let what = format!("playback {} of {}", playback.id, playback.media_uri);
        Err(playback_failure(&client, &target_uri, what).await)
    }
}

/// Why a playback ended `failed`: its channel left ([`Error::Gone`]), or Asterisk could not
/// play the media ([`Error::Failed`] naming it, in `what`).
pub(crate) async fn playback_failure(client: &Client, target_uri: &str, what: String) -> Error {
    use crate::runtime::LineKind;
    if let Some((super::ResourceKind::Channel, channel)) =
        super::ResourceKind::of_target_uri(target_uri)
    {
        let handle = ChannelHandle::new(client.clone(), channel);
        if let Err(error) = handle.get().await {
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
        reason: "Asterisk could not play it (a sound or recording that does not exist, or a recording without audio?)".to_owned(),
    }
}

impl Watched<LiveRecording> {
    /// Waits for `RecordingFinished` (the final recording) or `RecordingFailed` (an
    /// [`Error::Failed`] with its cause); fails with [`Error::Gone`] if what is recorded
    /// goes away first, and after `timeout` ([`Error::WaitTimedOut`]).
    pub async fn finished(self, timeout: Duration) -> Result<LiveRecording> {
        let target_uri = self.target_uri.clone();
        let what = format!("recording {}", self.name);
        self.wait_media(&target_uri, timeout, move |event| match event {
            Event::RecordingFinished(e) => Some(Ok(e.recording)),
            Event::RecordingFailed(e) => Some(Err(Error::Failed {
                what: what.clone(),
                reason: e
                    .recording
                    .cause
                    .clone()
                    .unwrap_or_else(|| "RecordingFailed".to_owned()),
            })),
            _ => None,
        })
        .await
    }
}

impl Watched<Channel> {
    /// Waits until the new channel enters a Stasis application (`StasisStart`); fails when
    /// it is destroyed first (with the hang-up cause) or after `timeout`.
    pub async fn stasis_start(&mut self, timeout: Duration) -> Result<StasisStart> {
        let what = format!("StasisStart of channel {}", self.id);
        self.events()
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
    /// and makes it a [`Call`](super::Call), its events continuing from this stream
    /// (subscribed before the originate left): the same object incoming calls are, with
    /// nothing missed. A call stream of the same application does not hand this channel
    /// out as well.
    pub async fn into_call(mut self, timeout: Duration) -> Result<super::Call> {
        let start = self.stasis_start(timeout).await?;
        let (_, client, events) = self.into_all();
        Ok(super::Call::new(client, Box::new(start), events))
    }
}

impl ResourceEvents {
    /// The next DTMF digit the channel receives.
    pub async fn next_dtmf(&mut self, timeout: Duration) -> Result<String> {
        self.wait_for(timeout, |event| match event {
            Event::ChannelDtmfReceived(e) => Some(e.digit.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until a `ChannelStateChange` reports `state`; returns the channel then.
    pub async fn wait_for_state(
        &mut self,
        state: ChannelState,
        timeout: Duration,
    ) -> Result<Channel> {
        self.wait_for(timeout, |event| match event {
            Event::ChannelStateChange(e) if e.channel.state == state => Some(e.channel.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until the channel hangs up or leaves the application (an event of
    /// [`Event::is_hangup`]: `ChannelHangupRequest`, `StasisEnd`, `ChannelDestroyed`);
    /// returns that event.
    pub async fn wait_for_hangup(&mut self, timeout: Duration) -> Result<Event> {
        self.wait_for(timeout, |event| event.is_hangup().then(|| event.clone()))
            .await
    }
}

impl ChannelHandle {
    /// Waits until the channel is in `state`, checking its current state after
    /// subscribing, so a change that already happened is not waited for in vain.
    pub async fn wait_for_state(&self, state: ChannelState, timeout: Duration) -> Result<Channel> {
        let mut events = self.events();
        let now = self.get().await?;
        if now.state == state {
            return Ok(now);
        }
        events.wait_for_state(state, timeout).await
    }

    /// The next DTMF digit. To collect several digits without missing any, keep one
    /// [`events`](Self::events) stream and call [`ResourceEvents::next_dtmf`] on it.
    pub async fn next_dtmf(&self, timeout: Duration) -> Result<String> {
        self.events().next_dtmf(timeout).await
    }

    /// Waits until the channel hangs up or leaves the application.
    pub async fn wait_for_hangup(&self, timeout: Duration) -> Result<Event> {
        self.events().wait_for_hangup(timeout).await
    }
}
