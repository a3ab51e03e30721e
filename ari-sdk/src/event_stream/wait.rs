//! Waiting for what a channel does next, on a stream subscribed beforehand.

use std::time::Duration;

use super::ResourceEvents;
use crate::handles::ChannelHandle;
use crate::{Channel, ChannelState, Error, Event, Result};

impl ResourceEvents {
    /// Waits for the first event `accept` maps to a value. Fails with [`Error::Gone`]
    /// when the stream ends (the resource is gone) and [`Error::WaitTimedOut`] after
    /// `timeout`.
    pub async fn wait_for<R>(
        &mut self,
        timeout: Duration,
        mut accept: impl FnMut(&Event) -> Option<R>,
    ) -> Result<R> {
        let what = format!("an awaited event of {} {}", self.kind(), self.id());
        let wait = async {
            while let Some(item) = self.next().await {
                if let Some(value) = accept(&item?) {
                    return Ok(value);
                }
            }
            Err(Error::Gone {
                what: what.clone(),
                event: "end of the resource's events".to_owned(),
            })
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| Error::WaitTimedOut {
                what: what.clone(),
                timeout,
            })?
    }

    /// The next DTMF digit the channel receives.
    pub async fn next_dtmf(&mut self, timeout: Duration) -> Result<String> {
        self.wait_for(timeout, |event| match event {
            Event::ChannelDtmfReceived(e) => Some(e.digit.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until a `ChannelStateChange` reports `state`; returns the channel then.
    pub async fn state(&mut self, state: ChannelState, timeout: Duration) -> Result<Channel> {
        self.wait_for(timeout, |event| match event {
            Event::ChannelStateChange(e) if e.channel.state == state => Some(e.channel.clone()),
            _ => None,
        })
        .await
    }

    /// Waits until the channel hangs up or leaves the application (`ChannelHangupRequest`,
    /// `StasisEnd` or `ChannelDestroyed`); returns that event.
    pub async fn hangup(&mut self, timeout: Duration) -> Result<Event> {
        self.wait_for(timeout, |event| {
            matches!(
                event.type_name(),
                "ChannelHangupRequest" | "StasisEnd" | "ChannelDestroyed"
            )
            .then(|| event.clone())
        })
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
        events.state(state, timeout).await
    }

    /// The next DTMF digit. To collect several digits without missing any, keep one
    /// [`events`](Self::events) stream and call [`ResourceEvents::next_dtmf`] on it.
    pub async fn next_dtmf(&self, timeout: Duration) -> Result<String> {
        self.events().next_dtmf(timeout).await
    }

    /// Waits until the channel hangs up or leaves the application.
    pub async fn wait_for_hangup(&self, timeout: Duration) -> Result<Event> {
        self.events().hangup(timeout).await
    }
}
