//! The transports' wire formats, without sockets: RTP packets, AudioSocket frames and the
//! WebSocket media channel's control protocol. The simulator speaks them too.

pub mod audiosocket;
pub mod rtp;
pub mod ws_control;
