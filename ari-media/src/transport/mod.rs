//! The transports: each binds or connects its socket and hands the session a
//! [`Link`](crate::link::Link).

pub(crate) mod audiosocket;
pub(crate) mod jitter;
pub(crate) mod rtp;
pub mod websocket;
