//! The event WebSocket (`/ari/events`): a typed, reconnecting stream of events, and
//! per-resource streams fed from it.

mod backoff;
pub(crate) mod connection;
mod copies;
mod queue;
mod registry;
mod session;
mod tls;
mod wait;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

pub(crate) use registry::{Registries, Registry};

pub use registry::ResourceEvents;

use crate::runtime::LineEvent;
use crate::{Client, Error, Result};
pub(crate) use queue::{Popped, Queue};

/// What a connection task hands its consumer: stream items, and, on a call stream
/// (`client.calls(..)`), each `StasisStart` of its applications with the channel's
/// stream, subscribed in the connection task before the next frame was read.
#[doc(hidden)]
pub enum Output<E: LineEvent> {
    Item(Item<E>),
    Call { start: E, events: ResourceEvents<E> },
}

impl<E: LineEvent> From<Item<E>> for Output<E> {
    fn from(item: Item<E>) -> Self {
        Output::Item(item)
    }
}

/// The consumer's side of a running connection task; dropping it stops the task.
#[doc(hidden)]
pub struct Running<E: LineEvent> {
    pub(crate) queue: Arc<Queue<Result<Output<E>>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl<E: LineEvent> Running<E> {
    /// The next thing the connection task handed on.
    pub async fn next(&self) -> Option<Result<Output<E>>> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next thing the connection task handed on.
    pub fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Output<E>>>> {
        self.queue.poll_pop(cx).map(|popped| {
            popped.map(|popped| match popped {
                Popped::Item(output) => output,
                Popped::Lagged(missed) => Err(Error::Lagged { missed }),
            })
        })
    }

    /// Whether the connection task stopped for good.
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// Closes the socket cleanly and waits for the connection task to finish.
    pub(crate) async fn close(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl<E: LineEvent> Drop for Running<E> {
    fn drop(&mut self) {
        // The task sees this, sends a close frame and ends.
        let _ = self.stop.send(true);
        self.queue.close();
    }
}

/// What the event stream yields besides errors: events, and changes of the connection
/// (after a `Disconnected`, events may have been missed: resynchronize, e.g. list channels).
///
/// `E` is a release line's `Event`; each line names this `ari_sdk::asterisk_NN::Item`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Item<E> {
    /// An event of the connection's applications (or of the whole system, with
    /// `subscribe_all`).
    Event(E),
    /// The connection is open (first item of a stream).
    Connected,
    /// The connection was lost; reconnecting follows unless the stream ends.
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

/// Settings of an event connection; from `client.events(..)`.
#[derive(Debug, Clone)]
pub struct EventsBuilder<E> {
    client: Client,
    settings: Settings,
    line: std::marker::PhantomData<fn() -> E>,
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) target: connection::Target,
    pub(crate) ping_interval: Duration,
    pub(crate) pong_timeout: Duration,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) buffer: usize,
    /// A connection Asterisk opened to us: no reconnecting, no application list.
    pub(crate) outbound: bool,
    /// Hand out a [`Call`](crate::Call) for each `StasisStart` of the applications.
    pub(crate) calls: bool,
}

impl<E: LineEvent> EventsBuilder<E> {
    /// The event connection of `client` for one or more Stasis applications.
    #[doc(hidden)]
    pub fn new<I, S>(client: &Client, apps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        EventsBuilder {
            client: client.clone(),
            line: std::marker::PhantomData,
            settings: Settings {
                target: connection::Target {
                    apps: apps.into_iter().map(Into::into).collect(),
                    subscribe_all: false,
                },
                ping_interval: crate::DEFAULT_PING_INTERVAL,
                pong_timeout: crate::DEFAULT_PONG_TIMEOUT,
                backoff_initial: crate::DEFAULT_RECONNECT_BACKOFF_INITIAL,
                backoff_max: crate::DEFAULT_RECONNECT_BACKOFF_MAX,
                max_attempts: None,
                buffer: crate::DEFAULT_EVENT_BUFFER,
                outbound: false,
                calls: false,
            },
        }
    }

    /// Receive every event of the system, not only those of the applications' resources.
    pub fn subscribe_all(mut self, all: bool) -> Self {
        self.settings.target.subscribe_all = all;
        self
    }
    /// How often to ping the server when it is quiet (default
    /// [`DEFAULT_PING_INTERVAL`](crate::DEFAULT_PING_INTERVAL)).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.settings.ping_interval = interval.max(Duration::from_millis(10));
        self
    }
    /// How long a ping may go unanswered before the connection counts as dead (default
    /// [`DEFAULT_PONG_TIMEOUT`](crate::DEFAULT_PONG_TIMEOUT)).
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.settings.pong_timeout = timeout.max(Duration::from_millis(10));
        self
    }
    /// First reconnect delay and the most any delay may reach (defaults
    /// [`DEFAULT_RECONNECT_BACKOFF_INITIAL`](crate::DEFAULT_RECONNECT_BACKOFF_INITIAL) and
    /// [`DEFAULT_RECONNECT_BACKOFF_MAX`](crate::DEFAULT_RECONNECT_BACKOFF_MAX)).
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.settings.backoff_initial = initial;
        self.settings.backoff_max = max.max(initial);
        self
    }
    /// Give up after this many failed reconnects in a row (default: never).
    pub fn max_reconnect_attempts(mut self, attempts: Option<u32>) -> Self {
        self.settings.max_attempts = attempts;
        self
    }
    /// Items the stream holds for a slow consumer before it drops and reports lag
    /// (default [`DEFAULT_EVENT_BUFFER`](crate::DEFAULT_EVENT_BUFFER)); per-resource streams hold what the client was built with
    /// (`ClientBuilder::resource_buffer`).
    pub fn buffer(mut self, items: usize) -> Self {
        self.settings.buffer = items.max(1);
        self
    }

    /// Opens the connection. Fails at once, without retrying, when the server refuses it
    /// (wrong credentials, bad application name) or cannot be reached.
    pub async fn connect(self) -> Result<EventStream<E>> {
        Ok(EventStream {
            running: self.open().await?,
        })
    }

    /// Opens the connection (see [`connect`](Self::connect)) in call mode: each
    /// `StasisStart` of the applications comes as [`Output::Call`].
    #[doc(hidden)]
    pub async fn connect_calls(mut self) -> Result<Running<E>> {
        self.settings.calls = true;
        self.open().await
    }

    async fn open(self) -> Result<Running<E>> {
        if let Some(peer) = self.client.outbound_peer() {
            return Err(Error::InvalidArgument {
                operation: connection::OPERATION.to_owned(),
                argument: "client".to_owned(),
                reason: format!(
                    "this client belongs to the connection Asterisk opened from {peer}: its events come with that connection"
                ),
            });
        }
        connection::validate(&self.settings.target)?;
        let registry = self.client.inner.registries.of::<E>();
        let sources = self.settings.target.apps.len();
        registry.expect_sources(sources);
        let socket = match connection::open(&self.client, &self.settings.target).await {
            Ok(socket) => socket,
            Err(error) => {
                registry.forget_sources(sources);
                return Err(error);
            }
        };
        tracing::info!(apps = ?self.settings.target.apps, "event connection open");
        let queue = Arc::new(Queue::new(self.settings.buffer));
        queue.push(Ok(Item::Connected.into()));
        Ok(EventStream::start(
            self.client,
            self.settings,
            socket,
            queue,
            Vec::new(),
        ))
    }
}

impl<E: LineEvent> EventStream<E> {
    /// The stream of a connection Asterisk opened to an outbound server.
    pub(crate) fn start_outbound(
        client: Client,
        buffer: usize,
        application: String,
        socket: connection::WebSocket,
        first: Vec<E>,
    ) -> Self {
        let settings = Settings {
            target: connection::Target {
                apps: vec![application],
                subscribe_all: false,
            },
            ping_interval: crate::DEFAULT_PING_INTERVAL,
            pong_timeout: crate::DEFAULT_PONG_TIMEOUT,
            backoff_initial: Duration::ZERO,
            backoff_max: Duration::ZERO,
            max_attempts: Some(0),
            buffer,
            outbound: true,
            calls: false,
        };
        client.inner.registries.of::<E>().expect_sources(1);
        let queue = Arc::new(Queue::new(buffer));
        queue.push(Ok(Item::Connected.into()));
        EventStream {
            running: EventStream::start(
                client,
                settings,
                connection::Socket::web_socket(socket),
                queue,
                first,
            ),
        }
    }

    /// Runs the connection task for an open socket (its applications already counted by
    /// [`Registry::expect_sources`]); `first` are events already read.
    fn start(
        client: Client,
        settings: Settings,
        socket: connection::Socket,
        queue: Arc<Queue<Result<Output<E>>>>,
        first: Vec<E>,
    ) -> Running<E> {
        let registry = client.inner.registries.of::<E>();
        let connection = registry.connection_opened();
        for event in first {
            registry.deliver(&event, connection);
            queue.push(Ok(Item::Event(event).into()));
        }
        let requests = client.inner.link.attach();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(session::run(
            client,
            settings,
            (socket, connection),
            queue.clone(),
            stopped,
            requests,
        ));
        Running {
            queue,
            stop,
            task: Some(task),
        }
    }
}

/// The event stream: a `futures::Stream` of `Result<Item>` in arrival order.
///
/// A frame that is not a valid event gives an `Err` item and the stream goes on; a slow
/// consumer gets `Err(Error::Lagged { missed })` where items were dropped. Dropping the
/// stream, or [`close`](Self::close), closes the socket.
///
/// `E` is a release line's `Event`; each line names this `ari_sdk::asterisk_NN::EventStream`.
pub struct EventStream<E: LineEvent> {
    running: Running<E>,
}

impl<E: LineEvent> std::fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("open", &!self.running.queue.is_closed())
            .finish()
    }
}

impl<E: LineEvent> EventStream<E> {
    /// The next item, like `StreamExt::next`.
    pub async fn next(&mut self) -> Option<Result<Item<E>>> {
        std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *self), cx)).await
    }

    /// The next event, skipping connection-state items.
    pub async fn next_event(&mut self) -> Option<Result<E>> {
        loop {
            match self.next().await? {
                Ok(Item::Event(event)) => return Some(Ok(event)),
                Ok(_) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Closes the socket cleanly and waits for the connection task to finish.
    pub async fn close(self) {
        self.running.close().await
    }
}

impl<E: LineEvent> futures_core::Stream for EventStream<E> {
    type Item = Result<Item<E>>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.running.poll_next(cx).map(|next| {
            next.map(|output| match output? {
                Output::Item(item) => Ok(item),
                // Not in call mode: never made; keep the event if it ever is.
                Output::Call { start, .. } => Ok(Item::Event(start)),
            })
        })
    }
}
