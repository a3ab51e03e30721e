//! The outbound WebSocket server (`ari_sdk::server`) against scripted "Asterisk" clients
//! that connect the way a real Asterisk 22 does (tests/fixtures/traces/outbound-ws):
//! Basic credentials and the `ari` subprotocol at the upgrade, `ApplicationRegistered`
//! first, RESTRequests answered over the same socket.

use std::time::Duration;

use ari_sdk::{AsteriskConnection, OutboundServer};
use ari_sdk::{Error, Event, Item};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const LIMIT: Duration = Duration::from_secs(2);
const USER: &str = "asterisk";
const PASSWORD: &str = "s3cret";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn server() -> OutboundServer {
    OutboundServer::builder()
        .basic_auth(USER, PASSWORD)
        .timeout(LIMIT)
        .bind("127.0.0.1:0")
        .await
        .expect("binds on loopback")
}

/// Connects as Asterisk's websocket_client would.
async fn dial(
    server: &OutboundServer,
    credentials: Option<(&str, &str)>,
    subprotocol: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("ws://{}/", server.local_addr())
        .into_client_request()
        .expect("request");
    if let Some((user, password)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
    }
    if let Some(protocol) = subprotocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocol).unwrap(),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, response)| {
            if subprotocol.is_some() {
                assert_eq!(
                    response
                        .headers()
                        .get("sec-websocket-protocol")
                        .map(|v| v.to_str().unwrap()),
                    Some("ari"),
                    "the server selects the ari subprotocol"
                );
            }
            socket
        })
}

fn event(event_type: &str, asterisk_id: &str, application: &str, fields: Value) -> Message {
    let mut frame = json!({
        "type": event_type,
        "timestamp": "2026-11-27T10:41:35.719+0000",
        "application": application,
        "asterisk_id": asterisk_id,
    });
    for (key, value) in fields.as_object().unwrap() {
        frame[key] = value.clone();
    }
    Message::Text(frame.to_string().into())
}

async fn asterisk(server: &OutboundServer, asterisk_id: &str) -> Socket {
    let mut socket = dial(server, Some((USER, PASSWORD)), Some("ari"))
        .await
        .expect("upgrade accepted");
    socket
        .send(event(
            "ApplicationRegistered",
            asterisk_id,
            "outapp",
            json!({}),
        ))
        .await
        .unwrap();
    socket
}

async fn accept(server: &mut OutboundServer) -> AsteriskConnection {
    tokio::time::timeout(LIMIT, server.accept())
        .await
        .expect("a connection within 2 s")
        .expect("server listening")
}

/// Answers the next RESTRequest on `socket` with `status` and `body`; returns the request.
async fn answer(socket: &mut Socket, asterisk_id: &str, status: u16, body: Option<Value>) -> Value {
    let request = loop {
        let frame = tokio::time::timeout(LIMIT, socket.next())
            .await
            .expect("a request within 2 s")
            .expect("socket open")
            .expect("readable");
        if let Message::Text(text) = frame {
            break serde_json::from_str::<Value>(text.as_str()).expect("JSON");
        }
    };
    assert_eq!(request["type"], "RESTRequest");
    let mut response = json!({
        "type": "RESTResponse",
        "transaction_id": request["transaction_id"],
        "request_id": request["request_id"],
        "status_code": status,
        "reason_phrase": "",
        "uri": request["uri"],
        "application": "outapp",
        "timestamp": "2026-11-27T10:41:36.000+0000",
        "asterisk_id": asterisk_id,
    });
    if let Some(body) = body {
        response["content_type"] = "application/json".into();
        response["message_body"] = body.to_string().into();
    }
    socket
        .send(Message::Text(response.to_string().into()))
        .await
        .unwrap();
    request
}

#[tokio::test]
async fn bad_credentials_and_missing_subprotocol_are_refused_at_the_upgrade() {
    let mut server = server().await;
    for (credentials, protocol, status) in [
        (None, Some("ari"), 401),
        (Some((USER, "wrong")), Some("ari"), 401),
        (Some(("someone", PASSWORD)), Some("ari"), 401),
        (Some((USER, PASSWORD)), None, 400),
        (Some((USER, PASSWORD)), Some("chat"), 400),
    ] {
        match dial(&server, credentials, protocol).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(
                    response.status().as_u16(),
                    status,
                    "{credentials:?} {protocol:?}"
                );
                if status == 401 {
                    assert!(response.headers().contains_key("www-authenticate"));
                }
            }
            Ok(_) => panic!("upgrade accepted for {credentials:?} {protocol:?}"),
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(server.rejected_connections(), 5);
    // Nothing was handed out.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), server.accept())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_server_needs_credentials_and_loopback_unless_told_otherwise() {
    let error = OutboundServer::builder()
        .bind("127.0.0.1:0")
        .await
        .expect_err("no credentials");
    assert!(error.to_string().contains("basic_auth"), "{error}");
    let error = OutboundServer::builder()
        .basic_auth(USER, PASSWORD)
        .bind("0.0.0.0:0")
        .await
        .expect_err("not loopback");
    assert!(error.to_string().contains("allow_non_loopback"), "{error}");
    assert!(!error.to_string().contains(PASSWORD));
    OutboundServer::builder()
        .danger_accept_any_credentials(true)
        .bind("127.0.0.1:0")
        .await
        .expect("explicitly open on loopback");
}

#[tokio::test]
async fn a_connection_brings_its_events_and_a_client_that_answers_over_it() {
    let mut server = server().await;
    let mut socket = asterisk(&server, "02:fc:00:00:00:01").await;
    let mut connection = accept(&mut server).await;
    assert_eq!(connection.asterisk_id(), "02:fc:00:00:00:01");
    assert_eq!(connection.application(), "outapp");
    assert!(!format!("{:?}", connection.client()).contains(PASSWORD));
    // Asterisk is reached over this connection only, at no URL.
    assert_eq!(connection.client().base_url(), None);
    assert_eq!(
        connection.client().transport(),
        ari_sdk::Transport::WebSocket
    );

    let events = connection.events();
    assert_eq!(
        tokio::time::timeout(LIMIT, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Item::Connected
    );
    let registered = events.next_event().await.unwrap().unwrap();
    assert_eq!(registered.type_name(), "ApplicationRegistered");

    let client = connection.client().clone();
    let answer_call = tokio::spawn(async move { client.channel("1795776104.54").answer().await });
    let request = answer(&mut socket, "02:fc:00:00:00:01", 204, None).await;
    assert_eq!(request["method"], "POST");
    assert_eq!(request["uri"], "channels/1795776104.54/answer");
    answer_call
        .await
        .unwrap()
        .expect("answered over the socket");

    // The application's own events flow on after requests.
    socket
        .send(event(
            "ChannelVarset",
            "02:fc:00:00:00:01",
            "outapp",
            json!({"variable": "DONE", "value": "1"}),
        ))
        .await
        .unwrap();
    let next = tokio::time::timeout(LIMIT, connection.events().next_event())
        .await
        .unwrap()
        .unwrap();
    match next {
        Ok(Event::ChannelVarset(varset)) => assert_eq!(varset.variable, "DONE"),
        other => panic!("expected the ChannelVarset, got {other:?}"),
    }

    // Events-only connect() makes no sense for this client.
    let error = connection
        .client()
        .events(["other"])
        .connect()
        .await
        .expect_err("no HTTP side");
    assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
}

#[tokio::test]
async fn two_asterisk_servers_get_their_requests_over_their_own_connection() {
    let mut server = server().await;
    let mut east = asterisk(&server, "02:00:00:00:00:0e").await;
    let first = accept(&mut server).await;
    let mut west = asterisk(&server, "02:00:00:00:00:0f").await;
    let second = accept(&mut server).await;
    let mut ids = vec![
        first.asterisk_id().to_owned(),
        second.asterisk_id().to_owned(),
    ];
    ids.sort();
    assert_eq!(server.connected(), ids);

    let to_west = server
        .client_for("02:00:00:00:00:0f")
        .expect("west connected");
    let to_east = server
        .client_for("02:00:00:00:00:0e")
        .expect("east connected");
    assert!(server.client_for("02:00:00:00:00:99").is_none());
    let west_call = tokio::spawn(async move { to_west.channels().list().await });
    let east_call = tokio::spawn(async move { to_east.channel("e-1").hangup().await });
    let west_request = answer(&mut west, "02:00:00:00:00:0f", 200, Some(json!([]))).await;
    let east_request = answer(&mut east, "02:00:00:00:00:0e", 204, None).await;
    assert_eq!(west_request["uri"], "channels");
    assert_eq!(west_request["method"], "GET");
    assert_eq!(east_request["uri"], "channels/e-1");
    assert_eq!(east_request["method"], "DELETE");
    assert!(west_call.await.unwrap().expect("west answered").is_empty());
    east_call.await.unwrap().expect("east answered");

    // East goes away: its requests fail clearly, west's still work.
    drop(east);
    drop(first);
    tokio::time::timeout(LIMIT, async {
        while server.connected().len() != 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("east disappears from the connected list");
    assert!(server.client_for("02:00:00:00:00:0e").is_none());
    drop(second);
}

#[tokio::test]
async fn asterisk_closing_the_connection_ends_its_stream_and_fails_requests_in_flight() {
    let mut server = server().await;
    let mut socket = asterisk(&server, "02:fc:00:00:00:01").await;
    let connection = accept(&mut server).await;
    let (client, mut events) = connection.into_parts();
    let pending = tokio::spawn(async move { client.channel("x").get().await });
    // Read the request, then close without answering (as a per-call connection does).
    let frame = tokio::time::timeout(LIMIT, socket.next()).await.unwrap();
    assert!(matches!(frame, Some(Ok(Message::Text(_)))));
    socket.close(None).await.unwrap();
    let error = tokio::time::timeout(LIMIT, pending)
        .await
        .expect("fails at once")
        .unwrap()
        .expect_err("no answer");
    assert!(
        matches!(error, Error::ConnectionLost { sent: true, .. }),
        "{error:?}"
    );
    // The stream reports the loss and ends: Asterisk opens a new connection to reconnect.
    let mut saw_disconnect = false;
    while let Some(item) = tokio::time::timeout(LIMIT, events.next())
        .await
        .expect("ends")
    {
        saw_disconnect |= matches!(item, Ok(Item::Disconnected { .. }));
    }
    assert!(saw_disconnect);
}

#[tokio::test]
async fn a_connection_that_never_sends_an_event_is_not_handed_out() {
    let mut server = OutboundServer::builder()
        .basic_auth(USER, PASSWORD)
        .first_event_timeout(Duration::from_millis(100))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let _silent = dial(&server, Some((USER, PASSWORD)), Some("ari"))
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(400), server.accept())
            .await
            .is_err()
    );
    // A proper one after it still comes through.
    let _socket = asterisk(&server, "02:fc:00:00:00:01").await;
    assert_eq!(accept(&mut server).await.asterisk_id(), "02:fc:00:00:00:01");
}
