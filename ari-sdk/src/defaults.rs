//! Every default the SDK applies, and the fixed limits its docs state, in one place: the builders start from these, their docs
//! link here, and `tests/tests/doc_figures.rs` checks that the figures the README, RELIABILITY.md
//! and the guide state are these values.

use std::time::Duration;

/// How long a request may take, from sending to the end of its answer
/// ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long opening a TCP (and TLS) connection may take
/// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP connections a client uses at most by default: well below Asterisk's default
/// `sessionlimit` of 100 (http.conf), which event WebSockets and other clients share.
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;

/// How long an unused HTTP connection is kept by default: under Asterisk's default
/// `session_keep_alive` of 15 s, so the client gives up an idle connection before the
/// server closes it under a new request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Events each per-resource stream (a call's, a watched playback's) holds by default for
/// a consumer that falls behind.
pub const DEFAULT_RESOURCE_BUFFER: usize = 256;

/// Items an event connection's stream (and a call stream, and each connection of an
/// outbound server) holds by default for a consumer that falls behind.
pub const DEFAULT_EVENT_BUFFER: usize = 4096;

/// How often a quiet event connection pings the server.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How long a ping may go unanswered before the event connection counts as dead.
pub const DEFAULT_PONG_TIMEOUT: Duration = Duration::from_secs(10);

/// The first delay before an event connection reconnects (it doubles on each failure,
/// up to [`DEFAULT_RECONNECT_BACKOFF_MAX`], and is jittered).
pub const DEFAULT_RECONNECT_BACKOFF_INITIAL: Duration = Duration::from_millis(250);

/// The longest delay between two reconnect attempts of an event connection.
pub const DEFAULT_RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How long an outbound WebSocket connection may stay silent before its first event.
pub const DEFAULT_FIRST_EVENT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long Asterisk's WebSocket upgrade to an outbound server may take.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long digit collection and menus wait for the first digit.
pub const DEFAULT_FIRST_DIGIT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long digit collection and menus wait for each further digit.
pub const DEFAULT_BETWEEN_DIGITS_TIMEOUT: Duration = Duration::from_secs(3);

/// The most digits a collection takes by default.
pub const DEFAULT_MAX_DIGITS: usize = 16;

/// The digits that end a collection by default.
pub const DEFAULT_TERMINATORS: &str = "#";

/// How many times a menu plays its prompt and waits before it gives up.
pub const DEFAULT_MENU_ATTEMPTS: u32 = 3;

/// The longest recording [`Call::record`](crate::Call::record) makes by default.
pub const DEFAULT_RECORD_MAX_DURATION: Duration = Duration::from_secs(60);

/// The silence after which a recording ends by default.
pub const DEFAULT_RECORD_MAX_SILENCE: Duration = Duration::from_secs(5);

/// The most bytes of a body or frame an error quotes ([`StatusError::body`](crate::StatusError::body),
/// [`Error::Decode`](crate::Error::Decode)'s body, [`EventDecodeError::frame`](crate::EventDecodeError::frame)).
pub const ERROR_QUOTE_LIMIT: usize = 1024;

/// How many times the SDK sends again, by itself, an HTTP request that provably never
/// left (its kept-alive connection was closed before a byte was written).
pub const UNSENT_REQUEST_RETRIES: u32 = 2;
