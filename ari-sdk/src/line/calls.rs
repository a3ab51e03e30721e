// The stream of incoming calls of one or more applications.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::super::events::Event;
use super::super::{EventsBuilder, Item};
use super::Call;
use crate::generic::{Output, Running};
use crate::{Client, Result};

impl super::super::Api {
    /// The calls entering Stasis applications: `.calls(["hello"]).connect().await?`
    /// opens an event connection for them and yields a [`Call`] for every `StasisStart`,
    /// its channel's events subscribed at that moment. Calls the application originates
    /// itself (an originate answered with `Watched`) are not handed out here: take them
    /// with `Watched::into_call`.
    pub fn calls<I, S>(&self, apps: I) -> CallsBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CallsBuilder {
            client: self.client.clone(),
            events: self.events(apps),
        }
    }
}

/// Settings of a call stream; from `client.calls(..)`. The connection's settings are those
/// of [`EventsBuilder`].
#[derive(Debug, Clone)]
pub struct CallsBuilder {
    client: Client,
    events: EventsBuilder,
}

impl CallsBuilder {
    /// See [`EventsBuilder::ping_interval`].
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.events = self.events.ping_interval(interval);
        self
    }
    /// See [`EventsBuilder::pong_timeout`].
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.events = self.events.pong_timeout(timeout);
        self
    }
    /// See [`EventsBuilder::reconnect_backoff`].
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.events = self.events.reconnect_backoff(initial, max);
        self
    }
    /// See [`EventsBuilder::max_reconnect_attempts`].
    pub fn max_reconnect_attempts(mut self, attempts: Option<u32>) -> Self {
        self.events = self.events.max_reconnect_attempts(attempts);
        self
    }
    /// Items (calls and other events) held for a slow reader (default
    /// [`DEFAULT_EVENT_BUFFER`](crate::DEFAULT_EVENT_BUFFER)).
    pub fn buffer(mut self, items: usize) -> Self {
        self.events = self.events.buffer(items);
        self
    }
    /// Opens the connection; fails at once when the server refuses it or cannot be
    /// reached (reconnects by itself afterwards).
    pub async fn connect(self) -> Result<Calls> {
        Ok(Calls {
            client: self.client,
            running: self.events.connect_calls().await?,
        })
    }
}

/// Everything a call stream yields, for [`Calls::next_item`].
#[derive(Debug)]
#[non_exhaustive]
pub enum CallsItem {
    /// A channel entered one of the applications.
    Call(Call),
    /// Any other event of the applications. A call's own events come here too, as well as in
    /// the call's stream.
    Event(Event),
    /// The connection is open (first item).
    Connected,
    /// The connection was lost; reconnecting follows. Calls in progress keep their
    /// streams; events of the gap are lost.
    Disconnected {
        /// Why, e.g. `the server closed the connection (1001)`.
        reason: String,
    },
    /// Open again after `attempt` tries.
    Reconnected {
        /// The reconnect attempt that succeeded (1 for the first).
        attempt: u32,
    },
}

/// Incoming calls: a `futures::Stream` of `Result<Call>`. An `Err` item (a frame that did
/// not decode, a reader falling behind) does not end the stream: log it and go on.
/// Dropping the stream closes the connection; calls already handed out keep their
/// streams only while another event connection of the client is open.
pub struct Calls {
    client: Client,
    running: Running<Event>,
}

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls")
            .field("open", &!self.running.is_closed())
            .finish()
    }
}

impl Calls {
    /// The next call; other events and connection changes are skipped (see
    /// [`next_item`](Self::next_item) to see them).
    pub async fn next(&mut self) -> Option<Result<Call>> {
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *self), cx)).await
    }

    /// The next item of any kind.
    pub async fn next_item(&mut self) -> Option<Result<CallsItem>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<CallsItem>>> {
        let client = &self.client;
        self.running.poll_next(cx).map(|next| {
            next.map(|output| match output? {
                Output::Call {
                    start: Event::StasisStart(start),
                    events,
                } => Ok(CallsItem::Call(Call::new(client.clone(), start, events))),
                // Only a `StasisStart` opens a call.
                Output::Call { start, .. } => Ok(CallsItem::Event(start)),
                Output::Item(item) => Ok(match item {
                    Item::Event(event) => CallsItem::Event(event),
                    Item::Connected => CallsItem::Connected,
                    Item::Disconnected { reason } => CallsItem::Disconnected { reason },
                    Item::Reconnected { attempt } => CallsItem::Reconnected { attempt },
                }),
            })
        })
    }

    /// Closes the socket cleanly and waits for the connection task to finish.
    pub async fn close(self) {
        self.running.close().await
    }
}

impl futures_core::Stream for Calls {
    type Item = Result<Call>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.poll_item(cx) {
                Poll::Ready(Some(Ok(CallsItem::Call(call)))) => return Poll::Ready(Some(Ok(call))),
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
