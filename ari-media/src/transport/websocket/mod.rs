//! WebSocket (Asterisk's chan_websocket): the application connects to Asterisk's
//! `/media/<connection id>`, or Asterisk connects to the application's [`MediaListener`].
//!
//! Audio travels in binary frames in the channel's native format (for `slin`/`slin16`
//! Asterisk writes its host byte order, little-endian on every platform it ships on);
//! control commands and events travel in text frames (see [`crate::wire::ws_control`]).

use std::time::Duration;

use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::link::Link;
use crate::wire::ws_control::ControlFormat;

mod link;
mod listener;
#[cfg(test)]
mod tests;

use link::spawn_link;
pub use listener::MediaListener;
pub(crate) use listener::PendingMedia;

const TRANSPORT: &str = "websocket";
/// The subprotocol Asterisk's `/media` endpoint registers (and its docs configure for
/// `websocket_client.conf`).
const SUBPROTOCOL: &str = "media";
/// Room for bursts between the link task and the session.
const INBOUND_CAPACITY: usize = 256;
const OUTBOUND_CAPACITY: usize = 64;
/// How long a closing handshake may take before the link gives up on the far end.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// How long Asterisk gets to upgrade and send `MEDIA_START` on a listener connection.
const FIRST_FRAME_WAIT: Duration = Duration::from_secs(10);
/// How long a listener connection nobody expects (yet) is kept: the session may register
/// its channel id just after Asterisk connects.
#[cfg(not(test))]
const UNCLAIMED_GRACE: Duration = Duration::from_secs(5);
#[cfg(test)]
const UNCLAIMED_GRACE: Duration = Duration::from_millis(300);

/// Connects to Asterisk's `ws(s)://host:port/media/<connection id>` (externalMedia with
/// `connection_type=server`). Returns once the upgrade is done; `MEDIA_START` arrives as
/// the first [`Inbound::Control`]. `control` is the format asked for in `transport_data`;
/// the link follows `MEDIA_START`'s shape if it differs.
pub(crate) async fn connect(
    url: &str,
    format: AudioFormat,
    control: ControlFormat,
    timeout: Duration,
) -> Result<Link, MediaError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| MediaError::Invalid(format!("media WebSocket URL {url:?}: {e}")))?;
    // Asterisk accepts no subprotocol too (it has only one), but asking for it is what
    // its docs describe and keeps working if another is ever registered.
    request.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let handshake = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (ws, _response) = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| MediaError::Timeout {
            transport: TRANSPORT,
            what: "the media WebSocket handshake",
            after: timeout,
        })?
        .map_err(|e| ws_error(format!("connecting to {url}"), e))?;
    Ok(spawn_link(ws, format, control, None))
}

/// The control format a message was written in.
fn shape_of(text: &str) -> ControlFormat {
    if text.trim_start().starts_with('{') {
        ControlFormat::Json
    } else {
        ControlFormat::Plain
    }
}

fn ws_error(context: String, error: WsError) -> MediaError {
    let source = match error {
        WsError::Io(source) => source,
        other => std::io::Error::other(other.to_string()),
    };
    MediaError::Io {
        transport: TRANSPORT,
        context,
        source,
    }
}
