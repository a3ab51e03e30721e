//! The end-to-end suite's shared parts: the real Asterisk named by `ARI_E2E_URL` (see
//! `support/servers.rs`), and a [`Session`] per test: its own Stasis applications, its
//! own id prefix, an event connection, and a clean-up that removes every channel, bridge
//! and stored recording the test made, also when it fails.
//!
//! Without `ARI_E2E_URL` every test passes after printing `SKIPPED <what>: ARI_E2E_URL is
//! not set`.
#![allow(dead_code)]

#[path = "../support/servers.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ari_sdk::{Channel, Client, Event, EventStream, Item, Transport, Watched};
pub use support::{Asterisk, asterisk, run_id};

/// The bound of every wait in the suite.
pub const LIMIT: Duration = Duration::from_secs(15);

impl Asterisk {
    /// A client of the suite's user.
    pub fn client(&self, transport: Transport) -> Client {
        self.client_as(&self.user, &self.password, transport)
    }

    /// A client of another `ari.conf` user (`ro`/`ro` is read-only).
    pub fn client_as(&self, user: &str, password: &str, transport: Transport) -> Client {
        self.client_builder_as(user, password)
            .transport(transport)
            .timeout(LIMIT)
            .build()
            .expect("a client")
    }

    /// A session for `test`: applications `e2e<tag>` and `e2e<tag>2` on one event
    /// connection of a client using `transport`. `None` (after saying so) without
    /// `ARI_E2E_URL`.
    pub async fn session(&self, tag: &str, transport: Transport) -> Session {
        let tag = format!("{tag}-{}", transport_name(transport));
        let prefix = format!("e2e-{}-{tag}", run_id());
        let guard = Cleanup::new(self, &prefix);
        let client = self.client(transport);
        let app = format!("e2e{}", tag.replace('-', ""));
        let other_app = format!("{app}2");
        let events = client
            .events([app.clone(), other_app.clone()])
            .connect()
            .await
            .expect("event connection for the test's applications");
        Session {
            asterisk: self.clone(),
            client,
            app,
            other_app,
            events,
            prefix,
            guard,
            next: AtomicUsize::new(0),
        }
    }
}

/// `http` or `websocket`.
pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::WebSocket => "ws",
        _ => "http",
    }
}

/// Starts the session of `test` over `transport`, or says the test is skipped.
pub async fn session(test: &str, tag: &str, transport: Transport) -> Option<Session> {
    let asterisk = asterisk(&format!("{test} over {transport:?}"))?;
    Some(asterisk.session(tag, transport).await)
}

/// One test's corner of the shared Asterisk.
pub struct Session {
    pub asterisk: Asterisk,
    /// The test's client (its REST requests use the transport the session was made for).
    pub client: Client,
    /// The test's own Stasis application, and a second one to move channels to.
    pub app: String,
    pub other_app: String,
    /// The event connection for both applications (it also carries REST requests over
    /// [`Transport::WebSocket`]).
    pub events: EventStream,
    /// Every channel, bridge and recording the test makes has an id starting with this.
    pub prefix: String,
    guard: Cleanup,
    next: AtomicUsize,
}

impl Session {
    /// A fresh id under the session's prefix, e.g. `e2e-1f3a-dtmf-http-caller3`.
    pub fn id(&self, what: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{what}{n}", self.prefix)
    }

    /// Originates `Local/<exten>@default` into the session's application: the `;1` half
    /// gets the returned id and enters the application once the `;2` half (id
    /// [`other_half`]) answers in the dialplan.
    pub fn originate(&self, exten: &str, what: &str) -> ari_sdk::channels::Originate {
        let id = self.id(what);
        self.client
            .channels()
            .originate(format!("Local/{exten}@default"))
            .app(&self.app)
            .other_channel_id(other_half(&id))
            .channel_id(id)
    }

    /// Originates into the session's application and waits for its `StasisStart`.
    pub async fn enter(&self, exten: &str, what: &str) -> Watched<Channel> {
        let mut channel = self
            .originate(exten, what)
            .await
            .unwrap_or_else(|e| panic!("originate Local/{exten}: {e}"));
        let start = channel
            .stasis_start(LIMIT)
            .await
            .unwrap_or_else(|e| panic!("StasisStart of Local/{exten}: {e}"));
        assert_eq!(start.application, self.app);
        channel
    }

    /// Creates a bridge of `kind` (`mixing`, `holding`) with a fresh id, and returns the id.
    pub async fn bridge(&self, kind: &str) -> String {
        let id = self.id(kind);
        self.client
            .bridges()
            .create_with_id(&id)
            .r#type(kind)
            .await
            .unwrap_or_else(|e| panic!("create a {kind} bridge: {e}"));
        id
    }

    /// The first event on the session's connection that `pick` accepts, within [`LIMIT`].
    pub async fn event<R>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<R>) -> R {
        let wait = async {
            loop {
                match self.events.next().await {
                    Some(Ok(Item::Event(event))) => {
                        if let Some(found) = pick(&event) {
                            return found;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("event stream error while waiting for {what}: {e}"),
                    None => panic!("the event stream ended while waiting for {what}"),
                }
            }
        };
        tokio::time::timeout(LIMIT, wait)
            .await
            .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
    }

    /// Removes what the test made and checks that nothing of it is left on the server.
    pub async fn finish(self) {
        let Session { events, guard, .. } = self;
        events.close().await;
        guard.finish().await;
    }
}

/// Repeats `get` until it fails, within [`LIMIT`], and returns the error: for resources
/// Asterisk removes a moment after answering the request that removes them.
pub async fn until_gone<T, F, Fut>(mut get: F) -> ari_sdk::Error
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::IntoFuture<Output = ari_sdk::Result<T>>,
{
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match get().await {
            Err(error) => return error,
            Ok(still) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "still there after {LIMIT:?}: {still:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The id the originate of [`Session::originate`] gives the `;2` half of a Local channel.
pub fn other_half(id: &str) -> String {
    format!("{id}-2")
}

/// Hangs up, destroys and deletes what carries `prefix`; returns what it found.
pub async fn clean(client: &Client, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(channels) = client.channels().list().await {
        for channel in channels.iter().filter(|c| c.id.starts_with(prefix)) {
            found.push(format!("channel {}", channel.id));
            let _ = client.channel(&channel.id).hangup().await;
        }
    }
    if let Ok(bridges) = client.bridges().list().await {
        for bridge in bridges.iter().filter(|b| b.id.starts_with(prefix)) {
            found.push(format!("bridge {}", bridge.id));
            let _ = client.bridge(&bridge.id).destroy().await;
        }
    }
    if let Ok(recordings) = client.recordings().list_stored().await {
        for recording in recordings.iter().filter(|r| r.name.starts_with(prefix)) {
            found.push(format!("stored recording {}", recording.name));
            let _ = client
                .stored_recording(&recording.name)
                .delete_stored()
                .await;
        }
    }
    found
}

/// Removes every channel, bridge and stored recording whose id starts with a prefix:
/// at [`finish`](Self::finish), which also checks that nothing is left, or, for a test
/// that never got there (a failed assertion unwinds through here), when dropped: on a
/// thread of its own, with a client of its own, since the test's runtime may be the one
/// unwinding.
pub struct Cleanup {
    asterisk: Asterisk,
    prefix: String,
    armed: bool,
}

impl Cleanup {
    pub fn new(asterisk: &Asterisk, prefix: &str) -> Cleanup {
        Cleanup {
            asterisk: asterisk.clone(),
            prefix: prefix.to_owned(),
            armed: true,
        }
    }

    /// Removes what carries the prefix and checks, for up to [`LIMIT`], that it is gone.
    pub async fn finish(mut self) {
        let http = self.asterisk.client(Transport::Http);
        let deadline = tokio::time::Instant::now() + LIMIT;
        loop {
            let left = clean(&http, &self.prefix).await;
            if left.is_empty() {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still on the server after clean-up: {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.armed = false;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let asterisk = self.asterisk.clone();
        let prefix = self.prefix.clone();
        let cleaning = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the clean-up");
            runtime.block_on(async {
                let client = asterisk.client(Transport::Http);
                let found = clean(&client, &prefix).await;
                if !found.is_empty() {
                    eprintln!("cleaned up after a failed test: {found:?}");
                }
            });
        });
        let _ = cleaning.join();
    }
}

/// Runs each named scenario (`async fn name(transport: Transport)`) once per transport,
/// as tests `http::name` and `websocket::name`.
#[macro_export]
macro_rules! on_both_transports {
    ($($name:ident),* $(,)?) => {
        mod http {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(ari_sdk::Transport::Http).await
                }
            )*
        }
        mod websocket {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(ari_sdk::Transport::WebSocket).await
                }
            )*
        }
    };
}
