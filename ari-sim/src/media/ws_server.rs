//! `GET /media/{connection_id}`: the application's side of a WebSocket media channel
//! created with `connection_type=server`, on the same port as `/ari`, as Asterisk serves
//! it at its HTTP root.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::world::lock;

/// The only subprotocol Asterisk's media WebSocket server registers. Since it is the only
/// one, a client that names none is accepted; one that names others only is refused.
const SUBPROTOCOL: &str = "media";
const CONFLICT: &str = "Another websocket connection exists for this connection id";

pub(crate) async fn serve(
    State(state): State<AppState>,
    Path(connection_id): Path<String>,
    request: Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let offered: Option<Vec<String>> = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(|p| p.trim().to_owned()).collect());
    let known = lock(&state.world).media.accept_state(&connection_id);
    match known {
        None => return refuse(StatusCode::NOT_FOUND, "WebSocket instance not found"),
        Some(false) => return refuse(StatusCode::CONFLICT, CONFLICT),
        Some(true) => {}
    }
    if offered
        .as_ref()
        .is_some_and(|p| !p.iter().any(|p| p == SUBPROTOCOL))
    {
        return refuse(StatusCode::BAD_REQUEST, "Bad Request");
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(_) => return refuse(StatusCode::UPGRADE_REQUIRED, "Upgrade Required"),
    };
    // Taken only now, so a refused attempt leaves the connection for a good one.
    let taken = lock(&state.world).media.accept_socket(&connection_id);
    let deliver = match taken {
        Ok(deliver) => deliver,
        Err(404) => return refuse(StatusCode::NOT_FOUND, "WebSocket instance not found"),
        Err(_) => return refuse(StatusCode::CONFLICT, CONFLICT),
    };
    upgrade
        .protocols([SUBPROTOCOL])
        .on_upgrade(move |socket| async move {
            let _ = deliver.send(super::ws_link::from_axum(socket));
        })
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, message.to_owned()).into_response()
}
