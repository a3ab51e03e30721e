//! The WebSocket transport against fake Asterisks: both connection types.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::EndReason;
use crate::link::{Inbound, Link, Outbound};
use crate::wire::ws_control::{ControlEvent, ControlFormat, MediaStart};

use super::listener::*;
use super::*;
use crate::wire::ws_control::{Command, DriverStatus};
use bytes::Bytes;

const WAIT: Duration = Duration::from_secs(5);

async fn next(link: &mut Link) -> Inbound {
    tokio::time::timeout(WAIT, link.inbound.recv())
        .await
        .expect("link item in time")
        .expect("link still open")
}

async fn next_message<S>(ws: &mut WebSocketStream<S>) -> Message
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("message in time")
            .expect("stream open")
            .expect("read ok");
        if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
            return message;
        }
    }
}

fn start_text(channel_id: &str, json: bool) -> String {
    let start = MediaStart {
        connection_id: "conn-1".into(),
        channel: "WebSocket/conn-1/0x1234".into(),
        channel_id: channel_id.into(),
        format: "slin16".into(),
        optimal_frame_size: 640,
        ptime: 20,
        ..Default::default()
    };
    let format = if json {
        ControlFormat::Json
    } else {
        ControlFormat::Plain
    };
    ControlEvent::MediaStart(start).to_text(format, channel_id)
}

/// Asterisk's side of `/media/<id>`: checks the path and subprotocol, then plays a
/// script and returns what the application sent.
#[tokio::test]
async fn connecting_to_asterisk_carries_audio_control_and_close() {
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let asterisk = tokio::spawn(async move {
        let (stream, _) = server.accept().await.unwrap();
        // tungstenite's callback signature.
        #[allow(clippy::result_large_err)]
        let check = |request: &Request, mut response: Response| {
            assert_eq!(request.uri().path(), "/media/conn-1");
            let protocol = request.headers().get(SEC_WEBSOCKET_PROTOCOL).cloned();
            assert_eq!(
                protocol.as_ref().and_then(|p| p.to_str().ok()),
                Some("media")
            );
            response
                .headers_mut()
                .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("media"));
            Ok(response)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, check)
            .await
            .unwrap();
        ws.send(Message::text(start_text("chan-1", false)))
            .await
            .unwrap();
        ws.send(Message::Binary(Bytes::from(vec![7u8; 640])))
            .await
            .unwrap();
        ws.send(Message::text("DTMF_END digit:5 channel_id:chan-1"))
            .await
            .unwrap();
        ws.send(Message::text("MEDIA_XOFF")).await.unwrap();
        // The application answers XOFF's check with audio and a command.
        let audio = next_message(&mut ws).await;
        let command = next_message(&mut ws).await;
        ws.send(Message::text("MEDIA_XON")).await.unwrap();
        ws.send(Message::text("this is not control")).await.unwrap();
        ws.send(Message::Ping(Bytes::from_static(b"hi")))
            .await
            .unwrap();
        ws.send(Message::Binary(Bytes::from(vec![8u8; 640])))
            .await
            .unwrap();
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        ws.close(Some(frame)).await.unwrap();
        // Read until the socket ends so the close handshake completes.
        let mut pong = false;
        while let Some(Ok(message)) = ws.next().await {
            pong |= matches!(message, Message::Pong(_));
        }
        (audio, command, pong)
    });

    let url = format!("ws://{addr}/media/conn-1");
    let mut link = connect(&url, AudioFormat::Slin16, ControlFormat::Plain, WAIT)
        .await
        .unwrap();
    let Inbound::Control(ControlEvent::MediaStart(start)) = next(&mut link).await else {
        panic!("MEDIA_START first");
    };
    assert_eq!(start.channel_id, "chan-1");
    let Inbound::Audio(frame) = next(&mut link).await else {
        panic!("audio");
    };
    assert_eq!(
        (frame.format, frame.payload.len()),
        (AudioFormat::Slin16, 640)
    );
    assert_eq!((frame.sequence, frame.timestamp), (None, None));
    assert!(matches!(next(&mut link).await, Inbound::Dtmf('5')));
    assert!(matches!(
        next(&mut link).await,
        Inbound::Control(ControlEvent::MediaXoff)
    ));
    assert!(!*link.may_send.borrow());

    link.outbound
        .send(Outbound::Audio(Bytes::from(vec![1u8; 640])))
        .await
        .unwrap();
    let mark = Command::MarkMedia { id: "m1".into() };
    link.outbound.send(Outbound::Command(mark)).await.unwrap();

    assert!(matches!(
        next(&mut link).await,
        Inbound::Control(ControlEvent::MediaXon)
    ));
    assert!(*link.may_send.borrow());
    let Inbound::Problem(MediaError::Malformed {
        transport, detail, ..
    }) = next(&mut link).await
    else {
        panic!("a problem for the garbage text");
    };
    assert_eq!(transport, "websocket");
    assert!(detail.contains("this is not control"), "{detail}");
    assert!(matches!(next(&mut link).await, Inbound::Audio(_)));
    let Inbound::Ended(EndReason::TransportClosed(reason)) = next(&mut link).await else {
        panic!("ended");
    };
    assert!(reason.contains("bye"), "{reason}");
    assert!(
        link.inbound.recv().await.is_none(),
        "Ended is the last item"
    );

    let (audio, command, pong) = asterisk.await.unwrap();
    assert_eq!(audio, Message::Binary(Bytes::from(vec![1u8; 640])));
    assert_eq!(command, Message::text("MARK_MEDIA m1"));
    assert!(pong, "ping answered");
    let stats = &link.stats;
    assert_eq!(stats.frames_in.load(Ordering::Relaxed), 2);
    assert_eq!(stats.bytes_in.load(Ordering::Relaxed), 1280);
    assert_eq!(stats.frames_out.load(Ordering::Relaxed), 1);
    assert_eq!(stats.malformed.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn connect_reports_refusals_and_timeouts() {
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    // Accepts TCP but never answers the upgrade.
    let _hold = tokio::spawn(async move {
        let (_stream, _) = server.accept().await.unwrap();
        tokio::time::sleep(WAIT).await;
    });
    let url = format!("ws://{addr}/media/x");
    let error = connect(
        &url,
        AudioFormat::Ulaw,
        ControlFormat::Plain,
        Duration::from_millis(200),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(error, MediaError::Timeout { .. }), "{error}");
    let error = connect("not a url", AudioFormat::Ulaw, ControlFormat::Plain, WAIT)
        .await
        .err()
        .unwrap();
    assert!(matches!(error, MediaError::Invalid(_)), "{error}");
}

/// Asterisk's side of `connection_type=client`: connects, offers `media`, sends
/// `MEDIA_START` and one audio frame.
async fn fake_asterisk_client(
    url: String,
    channel_id: &str,
    json: bool,
    fill: u8,
) -> WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>> {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("media"));
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response
            .headers()
            .get(SEC_WEBSOCKET_PROTOCOL)
            .and_then(|p| p.to_str().ok()),
        Some("media")
    );
    ws.send(Message::text(start_text(channel_id, json)))
        .await
        .unwrap();
    ws.send(Message::Binary(Bytes::from(vec![fill; 640])))
        .await
        .unwrap();
    ws
}

#[tokio::test]
async fn listener_routes_connections_by_channel_id() {
    let listener = MediaListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(listener.url(), format!("ws://{}/", listener.local_addr()));
    let pending_a = listener.expect("chan-a", AudioFormat::Slin16);
    let pending_b = listener.expect("chan-b", AudioFormat::Slin16);

    let (mut asterisk_b, mut asterisk_a, mut stranger) = tokio::join!(
        fake_asterisk_client(listener.url(), "chan-b", true, 2),
        fake_asterisk_client(listener.url(), "chan-a", false, 1),
        fake_asterisk_client(listener.url(), "nobody", false, 3),
    );
    let (link_a, link_b) = tokio::join!(pending_a.established(WAIT), pending_b.established(WAIT));
    let (mut link_a, mut link_b) = (link_a.unwrap(), link_b.unwrap());

    for (link, channel_id, fill) in [(&mut link_a, "chan-a", 1u8), (&mut link_b, "chan-b", 2u8)] {
        let Inbound::Control(ControlEvent::MediaStart(start)) = next(link).await else {
            panic!("MEDIA_START first");
        };
        assert_eq!(start.channel_id, channel_id);
        let Inbound::Audio(frame) = next(link).await else {
            panic!("audio");
        };
        assert_eq!(frame.payload, Bytes::from(vec![fill; 640]));
        link.outbound
            .send(Outbound::Command(Command::GetStatus))
            .await
            .unwrap();
    }
    // Each connection gets commands in the format its MEDIA_START was written in.
    assert_eq!(
        next_message(&mut asterisk_a).await,
        Message::text("GET_STATUS")
    );
    assert_eq!(
        next_message(&mut asterisk_b).await,
        Message::text(r#"{"command":"GET_STATUS"}"#)
    );

    let status = ControlEvent::Status(DriverStatus::default());
    let text = status.to_text(ControlFormat::Json, "chan-b");
    asterisk_b.send(Message::text(text)).await.unwrap();
    assert!(matches!(
        next(&mut link_b).await,
        Inbound::Control(ControlEvent::Status(_))
    ));

    // The application says goodbye: Asterisk sees a close frame; the link ends.
    link_a.outbound.send(Outbound::Close).await.unwrap();
    let Message::Close(Some(frame)) = next_message(&mut asterisk_a).await else {
        panic!("close frame");
    };
    assert_eq!(frame.code, CloseCode::Normal);
    while let Some(Ok(_)) = asterisk_a.next().await {}
    assert!(matches!(next(&mut link_a).await, Inbound::Ended(_)));

    // Nobody expects "nobody": closed after the grace period.
    let Message::Close(Some(frame)) = next_message(&mut stranger).await else {
        panic!("stranger closed");
    };
    assert_eq!(frame.code, CloseCode::Policy);
}

#[tokio::test]
async fn listener_hands_over_a_connection_that_came_before_its_session() {
    let listener = MediaListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let _asterisk = fake_asterisk_client(listener.url(), "chan-late", false, 4).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut link = listener
        .expect("chan-late", AudioFormat::Slin16)
        .established(WAIT)
        .await
        .unwrap();
    assert!(matches!(
        next(&mut link).await,
        Inbound::Control(ControlEvent::MediaStart(_))
    ));
    assert!(matches!(next(&mut link).await, Inbound::Audio(_)));

    let error = listener
        .expect("never", AudioFormat::Slin16)
        .established(Duration::from_millis(50))
        .await
        .err()
        .unwrap();
    assert!(matches!(error, MediaError::Timeout { .. }), "{error}");
    assert!(
        lock(&listener.inner.routes).expected.is_empty(),
        "a dropped claim is removed"
    );
}

#[tokio::test]
async fn a_listener_with_credentials_refuses_connections_without_them() {
    let listener =
        MediaListener::bind_with_basic_auth("127.0.0.1:0".parse().unwrap(), "asterisk", "s3cret")
            .await
            .unwrap();
    let debug = format!("{listener:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    let attempt = |authorization: Option<&'static str>| {
        let url = listener.url();
        async move {
            let mut request = url.into_client_request().unwrap();
            if let Some(value) = authorization {
                request
                    .headers_mut()
                    .insert("authorization", HeaderValue::from_static(value));
            }
            tokio_tungstenite::connect_async(request).await
        }
    };
    for refused in [None, Some("Basic YXN0ZXJpc2s6d3Jvbmc=")] {
        match attempt(refused).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
            other => panic!("{refused:?} was not refused: {other:?}"),
        }
    }
    // base64("asterisk:s3cret")
    let pending = listener.expect("chan-auth", AudioFormat::Slin);
    let (mut ws, _) = attempt(Some("Basic YXN0ZXJpc2s6czNjcmV0")).await.unwrap();
    ws.send(Message::text(start_text("chan-auth", false)))
        .await
        .unwrap();
    let mut link = pending.established(WAIT).await.unwrap();
    assert!(matches!(
        next(&mut link).await,
        Inbound::Control(ControlEvent::MediaStart(_))
    ));
}
