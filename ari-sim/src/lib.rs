//! # ari-sim: a simulated Asterisk that speaks ARI
//!
//! A server on loopback that answers the REST API and the event WebSocket of Asterisk 22
//! closely enough that an ARI application runs against it unchanged: routing, parameter
//! checks and error bodies come from the same api-docs the SDK is generated from, and
//! channels, Local channel pairs, a dialplan, bridges, playbacks and recordings behave and
//! send their events in the order the recordings of a real Asterisk show.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = ari_sim::Simulator::start().await?;
//! let client = sim.client(); // an ari_sdk::Client for user hey/peekaboo
//! let mut events = client.events(["hello"]).connect().await.expect("connect");
//! sim.control().call("7000").expect("extension 7000 exists"); // a phone dials 7000
//! # Ok(())
//! # }
//! ```
//!
//! ## Playbacks and Local channels, as Asterisk 22 has them
//!
//! - A channel (or bridge) plays one playback at a time; the others wait in order.
//!   `play` answers `queued` (Asterisk answers before the channel's thread starts it).
//! - A sound the simulator does not know (it knows the ids of a stock Asterisk's `en`
//!   sounds) fails: `PlaybackFinished` with state `failed`, or `PlaybackContinuing` to
//!   the next item. Media Asterisk cannot play (no or an unknown scheme such as
//!   `hello-world` or `http:`, a stored recording that does not exist, a `number:` that
//!   is none) gets `PlaybackStarted` and then nothing: the playback is gone at once and
//!   never reports `PlaybackFinished`. `tone:` plays until stopped; spoken media
//!   (`digits:`, `characters:`, `number:`) cannot be stopped or paused (500).
//! - When a channel hangs up, its playing item ends `failed` and each queued playback
//!   starts and fails at once (one stopped while queued finishes `done`). A channel
//!   that `continue`s or `move`s leaves its application only after its media has played
//!   (`done`), media queued meanwhile included.
//! - A Local originate with `channelId` X names its halves X (`;1`) and `X;2`, or
//!   `otherChannelId` when given (which counts only along with a `channelId`).
//!
//! ## Dialplan, hang-ups, subscriptions and checks, as Asterisk 22 has them
//!
//! - `Answer()` on a ringing channel waits up to 500 ms for media before the next step
//!   ([`Timing::answer_wait`]); a key pressed meanwhile ends the wait.
//! - A channel whose dialplan ends (`Hangup()`, no step left, or a hang-up noticed in
//!   `Wait` or back from Stasis) reports a soft `ChannelHangupRequest` with cause 16, the
//!   PBX's `AST_SOFTHANGUP_APPUNLOAD` flag, whatever the hang-up's cause.
//! - `POST /channels/{id}/dtmf` sends as `dtmf_stream` does: `before`, 100 ms of quiet,
//!   each key held for `duration` (100 ms at least) and received as it is released, then
//!   `between` (0 means 100).
//! - Subscriptions to a channel are counted (an originate, entering Stasis, each
//!   `applications.subscribe`); each unsubscribe takes one back, and events stop when
//!   none is left.
//! - No parameter is checked against the spec's types, lists or ranges: as Asterisk's
//!   generated glue, numbers read as `atoi` reads them and flags as `ast_true`; each
//!   operation checks what its Asterisk handler checks, in its order and its words
//!   (`Invalid direction specified` after the channel is found, `Missing operation`,
//!   `Failed to queue media for playback` with 500, ...).
//!
//! ## REST over the WebSocket
//!
//! A `RESTRequest` text frame on `/ari/events` (or on an outbound socket) runs exactly as
//! the same HTTP request would, with the rights of the connection's user, and is answered
//! on that socket with a `RESTResponse` (`transaction_id`, `request_id`, `status_code`,
//! `reason_phrase`, `uri`, `content_type` and `message_body` when there is a body,
//! `application`, `timestamp`, `asterisk_id`, in that order). Requests on one socket are
//! answered one at a time, in order; the events a request causes follow its response.
//! Asterisk 22's answers to odd frames are kept: a `uri` with a leading slash gets
//! `405 Invalid method`, a query in the `uri` counts, a form body becomes parameters, a
//! trailing slash gets `404 "ARI URLs do not end with a slash..."` (over HTTP too), a
//! frame that is not JSON gets a bare `400 Failed to parse request message JSON`.
//!
//! ## Outbound WebSockets
//!
//! [`Simulator::connect_outbound`] (or `POST /sim/outbound`, or `ari-sim --outbound URL`)
//! makes the simulator connect out to an application's WebSocket server, as Asterisk 22
//! does for an `outbound_websocket`: persistent (one socket, events queued while it is
//! down) or per call (a socket per channel entering `Stasis(app)`, application
//! `app:<channel name>`). See [`outbound`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use std::time::Duration;
//! use ari_sim::{OutboundConfig, Simulator};
//! let sim = Simulator::builder().asterisk_id("02:fc:00:00:00:0a").start().await
//!     .map_err(|e| e.to_string())?;
//! let handle = sim.connect_outbound(
//!     OutboundConfig::new("ws://127.0.0.1:9099/", ["outapp"])
//!         .credentials("asterisk", "secret")
//!         .reconnect_interval(Duration::from_millis(200)),
//! )?;
//! // ... the server gets ApplicationRegistered, then outapp's events ...
//! handle.stop();
//! # Ok(())
//! # }
//! ```
//!
//! ## External media
//!
//! `POST /channels/externalMedia` starts a simulated far end for the transport asked for,
//! which sends a test signal ([`SimulatorBuilder::media_signal`], by default 440 Hz)
//! every 20 ms and measures what the application sends back ([`Control::media`]):
//!
//! - RTP: a UDP socket on loopback, reported in `UNICASTRTP_LOCAL_PORT`/`_ADDRESS`;
//!   ulaw (payload type 0), alaw (8), slin (10, big-endian), slin16 (118).
//! - AudioSocket: connects to `external_host`, sends the `data` UUID (which must be one:
//!   a bare 500 otherwise, as from Asterisk), then audio frames (ulaw and alaw labelled
//!   0x10, as Asterisk labels them); DTMF goes as 0x03 frames. A hang-up closes the
//!   socket without a hang-up frame; a frame Asterisk cannot read hangs the channel up.
//! - WebSocket: `connection_type=server` is served at `/media/{connection_id}` on the
//!   same port (subprotocol `media`; 404 for an unknown id, 409 for a second socket);
//!   `client` connects to a [`SimulatorBuilder::websocket_client`] URL. `MEDIA_START`,
//!   binary audio, and the control commands as `chan_websocket` answers them (plain, or
//!   JSON with `transport_data` `f(json)`), over a model of its play-out queue: 20 ms a
//!   frame, `MEDIA_XOFF` at 900, `MEDIA_XON` below 800, audio dropped at 1000. A
//!   hang-up closes with status 1000; the application closing hangs the channel up.
//!
//! [`Control::press`] on a media channel, or a channel bridged with one, also sends the
//! digits to the application where the transport can (AudioSocket, WebSocket `DTMF_END`).
//!
//! ## Measured against Asterisk, and deliberate differences
//!
//! The workspace's differential test (`tests/tests/differential.rs`) runs scenario
//! programs on a simulator and on a real Asterisk 22 and scores REST statuses, body
//! shapes and typed event sequences with [`score`]; the simulator scores about what
//! Asterisk scores against itself. What remains differs on purpose:
//!
//! - No audio in calls: media "plays" for a fixed, configurable time whatever the sound,
//!   and recordings are silent (only `externalMedia` channels carry audio, see below), so events driven by time (a playback's end, `Answer()`'s
//!   wait) can fall elsewhere among an application's requests than on Asterisk.
//! - One order where Asterisk's varies: Asterisk's threads send the events of two
//!   channels (the halves of a Local pair being destroyed, the channels leaving a
//!   destroyed bridge) in either order from run to run; the simulator sends one of them.
//! - Done when it answers: an operation's effects and events are complete by its
//!   answer, where Asterisk answers some first (`DELETE /bridges/{id}` before the
//!   channels have left).
//! - Phones are simulated (any `PJSIP/<name>` endpoint answers after a short ring); the
//!   dialplan runs `Answer`, `Stasis`, `Hangup` and `Goto`, holds a channel in `Wait`,
//!   `Playback`, `Echo`, `MusicOnHold`, `Dial` and `Background`, and passes over other
//!   applications.
//! - A recording's `terminateOn` ends it when its channel receives the digit; a bridge's
//!   recording ignores digits (whether Asterisk's recorder channel hears the parties'
//!   DTMF is not checked against a real server).
//! - Operations without simulated behaviour answer with a well-formed value or their
//!   documented "not found" error (see [`ops::BEHAVIOURS`]).
//! - Outbound connections: `wss://` goes through tungstenite's client, which (unlike
//!   Asterisk) refuses a server that selects no subprotocol; the connection timeout is a
//!   fixed 5 s;
//!   per-call timings default to the recorded ones (500 ms to `StasisStart`, 3.5 s from
//!   `StasisEnd` to the close) and are configurable; a per-call socket that cannot be
//!   (re)opened after `reconnect_attempts` sends its channel back to the dialplan (one
//!   that runs none is hung up); a REST request over a socket that answers a file gets
//!   `406 Not Acceptable.  Use HTTP GET`, as Asterisk's code does.

// Every public item documented: the simulator's API is what a user's tests are written in.
#![deny(missing_docs)]

pub mod control;
pub mod dialplan;
mod http;
mod hub;
mod media;
pub mod ops;
pub mod outbound;
mod params;
mod reply;
pub mod score;
mod sessions;
pub mod spec;
mod world;
mod wsrest;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use control::Control;
pub use dialplan::Dialplan;
pub use http::User;
pub use media::{MediaProbe, MediaSignal, ProbeTransport};
pub use outbound::{ConnectionType, OutboundConfig, OutboundHandle};
pub use sessions::SessionLimits;
pub use world::Timing;

/// A running simulator; stops when dropped.
pub struct Simulator {
    addr: SocketAddr,
    user: User,
    control: Control,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Simulator`].
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    listen: SocketAddr,
    users: Vec<User>,
    dialplan: Dialplan,
    timing: Timing,
    asterisk_id: String,
    system_name: Option<String>,
    sessions: SessionLimits,
    media: media::MediaConfig,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: Vec::new(),
            dialplan: Dialplan::default_plan(),
            timing: Timing::default(),
            asterisk_id: "02:fc:00:00:00:01".to_owned(),
            system_name: None,
            sessions: SessionLimits::default(),
            media: media::MediaConfig::default(),
        }
    }
}

impl SimulatorBuilder {
    /// Where to listen (default `127.0.0.1:0`, an ephemeral port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Adds an `ari.conf` user. Without any, the recordings' users exist: `hey`/`peekaboo`
    /// and read-only `ro`/`ro`.
    pub fn user(mut self, name: &str, password: &str) -> Self {
        self.users.push(User {
            name: name.to_owned(),
            password: password.to_owned(),
            read_only: false,
        });
        self
    }
    /// Adds a user who may only read (`GET`); writes get 403 `Write access denied`.
    pub fn read_only_user(mut self, name: &str, password: &str) -> Self {
        self.users.push(User {
            name: name.to_owned(),
            password: password.to_owned(),
            read_only: true,
        });
        self
    }
    /// Replaces the default dialplan (see [`Dialplan::default_plan`]).
    pub fn dialplan(mut self, dialplan: Dialplan) -> Self {
        self.dialplan = dialplan;
        self
    }
    /// Loads a dialplan in `extensions.conf` syntax.
    pub fn dialplan_file(self, path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let plan = Dialplan::parse(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(self.dialplan(plan))
    }
    /// How long each sound "plays" (default 300 ms).
    pub fn media_duration(mut self, duration: Duration) -> Self {
        self.timing.media = duration;
        self
    }
    /// The `asterisk_id` (entity id) on every event (default `02:fc:00:00:00:01`, the
    /// recordings'): give each of several simulators its own.
    pub fn asterisk_id(mut self, id: &str) -> Self {
        self.asterisk_id = id.to_owned();
        self
    }
    /// `asterisk.conf`'s `systemname`: channel ids start with it (`pbx1-1796214063.0`), as
    /// Asterisk's do, so the ids of several servers never collide (default: none).
    pub fn system_name(mut self, name: &str) -> Self {
        self.system_name = Some(name.to_owned());
        self
    }
    /// How long a simulated phone rings before answering (default 50 ms).
    pub fn answer_delay(mut self, delay: Duration) -> Self {
        self.timing.answer_delay = delay;
        self
    }

    /// Limits HTTP sessions as Asterisk's http.conf does (default: Asterisk's defaults,
    /// 100 sessions, 15 s keep-alive, 30 s before a first request).
    pub fn session_limits(mut self, limits: SessionLimits) -> Self {
        self.sessions = limits;
        self
    }

    /// What `externalMedia` channels send to the application (default: a 440 Hz tone at
    /// peak 8000, about -15 dBFS RMS, in the channel's format).
    pub fn media_signal(mut self, signal: MediaSignal) -> Self {
        self.media.signal = signal;
        self
    }

    /// A `websocket_client.conf` connection: `externalMedia` with `transport=websocket`,
    /// `connection_type=client` and `external_host=id` connects to `url`
    /// (`ws://host:port/path`).
    pub fn websocket_client(mut self, id: &str, url: &str) -> Self {
        self.media
            .websocket_clients
            .insert(id.to_owned(), url.to_owned());
        self
    }

    /// Binds and starts serving; without users, `hey`/`peekaboo` and read-only `ro`/`ro`.
    pub async fn start(self) -> std::io::Result<Simulator> {
        let mut users = self.users;
        if users.is_empty() {
            users.push(User {
                name: "hey".into(),
                password: "peekaboo".into(),
                read_only: false,
            });
            users.push(User {
                name: "ro".into(),
                password: "ro".into(),
                read_only: true,
            });
        }
        let user = users
            .iter()
            .find(|u| !u.read_only)
            .cloned()
            .unwrap_or_else(|| users[0].clone());
        let hub = hub::Hub::new(&self.asterisk_id);
        let mut world =
            world::World::new(hub.clone(), self.asterisk_id, self.timing, self.dialplan);
        world.media.config = self.media;
        if let Some(name) = self.system_name {
            world.id_prefix = format!("{name}-");
        }
        let world = Arc::new(Mutex::new(world));
        let faults = Arc::new(Mutex::new(http::Faults::default()));
        let rest = wsrest::Rest {
            api: spec::api(),
            users: Arc::new(users),
            faults: faults.clone(),
        };
        let sessions_seen = Arc::new(sessions::SessionCounts::default());
        let control = Control {
            sessions: sessions_seen.clone(),
            world: world.clone(),
            hub: hub.clone(),
            faults: faults.clone(),
            rest: rest.clone(),
            default_user: user.clone(),
            outbound: Arc::default(),
        };
        let state = http::AppState {
            api: rest.api.clone(),
            world,
            hub: hub.clone(),
            users: rest.users.clone(),
            faults,
            control: control.clone(),
        };
        let listener = tokio::net::TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let listener = sessions::LimitedListener::new(listener, self.sessions, sessions_seen);
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = http::router(state);
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
                hub.drop_all();
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "simulator server failed");
            }
        });
        tracing::info!(%addr, "ari-sim listening");
        Ok(Simulator {
            addr,
            user,
            control,
            shutdown: Some(shutdown),
        })
    }
}

impl Simulator {
    /// Starts with the defaults on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<Simulator> {
        SimulatorBuilder::default().start().await
    }

    /// Starts configuring a simulator (address, users, dialplan, timing, faults).
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The address the simulator listens on (its port is ephemeral unless set).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The ARI root, e.g. `http://127.0.0.1:41234/ari`.
    pub fn base_url(&self) -> String {
        format!("http://{}/ari", self.addr)
    }

    /// A read-write user: (name, password).
    pub fn credentials(&self) -> (&str, &str) {
        (&self.user.name, &self.user.password)
    }

    /// An SDK client for this simulator, authenticated as [`credentials`](Self::credentials).
    pub fn client(&self) -> ari_sdk::Client {
        self.client_builder()
            .build()
            .expect("the simulator's own URL is valid")
    }

    /// A client builder for this simulator, authenticated as
    /// [`credentials`](Self::credentials), for a client with settings of its own
    /// (timeouts, transport, connection bounds).
    pub fn client_builder(&self) -> ari_sdk::ClientBuilder {
        ari_sdk::Client::builder(self.base_url()).basic_auth(&self.user.name, &self.user.password)
    }

    /// The far end and fault injection.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Connects out to an application's WebSocket server, as Asterisk does for an
    /// `outbound_websocket` (see [`outbound`]). Must be called within a tokio runtime.
    pub fn connect_outbound(&self, config: OutboundConfig) -> Result<OutboundHandle, String> {
        self.control.connect_outbound(config)
    }

    /// Stops the server now (it also stops when dropped).
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            self.control.stop_outbound();
            self.control.stop_media();
            let _ = shutdown.send(());
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shut_down();
    }
}
