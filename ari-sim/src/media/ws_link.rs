//! One shape for both kinds of media WebSocket (the one the application opened on the
//! simulator's HTTP server, and the one the simulator opened to a `websocket_client`
//! URL), so the session logic is written once.

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

/// What arrived from the application.
#[derive(Debug)]
pub enum WsIn {
    Text(String),
    Binary(Vec<u8>),
    /// The application closed the socket, or it broke.
    Closed,
}

/// What to send to the application.
#[derive(Debug)]
pub enum WsOut {
    Text(String),
    Binary(Vec<u8>),
    /// A close frame with this status, then the socket is done.
    Close(u16),
}

#[derive(Debug)]
pub struct WsLink {
    pub incoming: mpsc::UnboundedReceiver<WsIn>,
    pub outgoing: mpsc::UnboundedSender<WsOut>,
}

/// Serves an accepted axum WebSocket through a [`WsLink`].
pub fn from_axum(socket: axum::extract::ws::WebSocket) -> WsLink {
    use axum::extract::ws::{CloseFrame, Message};
    pump(
        socket,
        |out| match out {
            WsOut::Text(text) => Message::Text(text.into()),
            WsOut::Binary(data) => Message::Binary(data.into()),
            WsOut::Close(code) => Message::Close(Some(CloseFrame {
                code,
                reason: "".into(),
            })),
        },
        |message| match message {
            Message::Text(text) => Some(WsIn::Text(text.as_str().to_owned())),
            Message::Binary(data) => Some(WsIn::Binary(data.to_vec())),
            Message::Close(_) => Some(WsIn::Closed),
            Message::Ping(_) | Message::Pong(_) => None,
        },
    )
}

/// Serves a tokio-tungstenite client connection through a [`WsLink`].
pub fn from_tungstenite<S>(socket: tokio_tungstenite::WebSocketStream<S>) -> WsLink
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    pump(
        socket,
        |out| match out {
            WsOut::Text(text) => Message::Text(text.into()),
            WsOut::Binary(data) => Message::Binary(data.into()),
            WsOut::Close(code) => Message::Close(Some(CloseFrame {
                code: code.into(),
                reason: "".into(),
            })),
        },
        |message| match message {
            Message::Text(text) => Some(WsIn::Text(text.as_str().to_owned())),
            Message::Binary(data) => Some(WsIn::Binary(data.to_vec())),
            Message::Close(_) => Some(WsIn::Closed),
            _ => None,
        },
    )
}

/// The task both kinds share: `encode` makes a library message of what to send,
/// `decode` says what a received one means (`None`: nothing, e.g. a ping).
fn pump<S, M, E>(socket: S, encode: fn(WsOut) -> M, decode: fn(M) -> Option<WsIn>) -> WsLink
where
    S: futures_util::Sink<M> + futures_util::Stream<Item = Result<M, E>> + Send + 'static,
    M: Send + 'static,
    E: Send + 'static,
    S::Error: Send,
{
    let (incoming_tx, incoming) = mpsc::unbounded_channel();
    let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                out = outgoing_rx.recv() => {
                    let Some(out) = out else { break };
                    let closing = matches!(out, WsOut::Close(_));
                    if sink.send(encode(out)).await.is_err() {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                    if closing {
                        let _ = sink.close().await;
                        break;
                    }
                }
                message = stream.next() => match message.map(|m| m.map(decode)) {
                    Some(Ok(Some(WsIn::Closed))) | Some(Err(_)) | None => {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                    Some(Ok(Some(item))) => { let _ = incoming_tx.send(item); }
                    Some(Ok(None)) => {}
                },
            }
        }
    });
    WsLink { incoming, outgoing }
}
