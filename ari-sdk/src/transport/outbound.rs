//! The client of a connection Asterisk opened to an [`OutboundServer`]: every request,
//! files included, travels back over that connection ([`super::websocket`]). It has no
//! HTTP side and so no base URL, credentials or connection pool: Asterisk runs its
//! requests with the rights of the `local_ari_user` its `ari.conf` names.
//!
//! [`OutboundServer`]: crate::server::OutboundServer

use std::net::SocketAddr;
use std::time::Duration;

use super::Carrier;
use crate::Client;
use crate::client::Settings;

/// What an outbound connection's carrier knows of it.
pub(crate) struct Outbound {
    /// Where the connection came from.
    pub(crate) peer: SocketAddr,
}

/// A client whose requests travel over the connection Asterisk opened from `peer`, each
/// allowed `timeout`.
pub(crate) fn client(peer: SocketAddr, timeout: Duration) -> Client {
    let settings = Settings {
        auth: None,
        timeout,
        // Never connects: the connection is already open.
        connect_timeout: timeout,
        refuse_unsupported: false,
        accept_invalid_certificates: false,
        resource_buffer: crate::DEFAULT_RESOURCE_BUFFER,
    };
    Client::new(Carrier::Outbound(Outbound { peer }), settings)
}
