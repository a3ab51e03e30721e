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
    let (incoming_tx, incoming) = mpsc::unbounded_channel();
    let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                out = outgoing_rx.recv() => {
                    let message = match out {
                        Some(WsOut::Text(text)) => Message::Text(text.into()),
                        Some(WsOut::Binary(data)) => Message::Binary(data.into()),
                        Some(WsOut::Close(code)) => {
                            let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: "".into() }))).await;
                            let _ = sink.close().await;
                            break;
                        }
                        None => break,
                    };
                    if sink.send(message).await.is_err() {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                }
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) => { let _ = incoming_tx.send(WsIn::Text(text.as_str().to_owned())); }
                    Some(Ok(Message::Binary(data))) => { let _ = incoming_tx.send(WsIn::Binary(data.to_vec())); }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                },
            }
        }
    });
    WsLink { incoming, outgoing }
}

/// Serves a tokio-tungstenite client connection through a [`WsLink`].
pub fn from_tungstenite<S>(socket: tokio_tungstenite::WebSocketStream<S>) -> WsLink
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let (incoming_tx, incoming) = mpsc::unbounded_channel();
    let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sink, mut stream) = socket.split();
        loop {
            tokio::select! {
                out = outgoing_rx.recv() => {
                    let message = match out {
                        Some(WsOut::Text(text)) => Message::Text(text.into()),
                        Some(WsOut::Binary(data)) => Message::Binary(data.into()),
                        Some(WsOut::Close(code)) => {
                            let frame = CloseFrame { code: code.into(), reason: "".into() };
                            let _ = sink.send(Message::Close(Some(frame))).await;
                            let _ = sink.close().await;
                            break;
                        }
                        None => break,
                    };
                    if sink.send(message).await.is_err() {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                }
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) => { let _ = incoming_tx.send(WsIn::Text(text.as_str().to_owned())); }
                    Some(Ok(Message::Binary(data))) => { let _ = incoming_tx.send(WsIn::Binary(data.to_vec())); }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        let _ = incoming_tx.send(WsIn::Closed);
                        break;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
    });
    WsLink { incoming, outgoing }
}
