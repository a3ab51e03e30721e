//! A client over a `Relay` (a carrier from outside the SDK, as ari-cluster's is) behaves like
//! any client: typed operations, calls, per-call streams, reconnects and errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ari_sdk::relay::{Feed, FeedItem, Relay, RelayAnswer, RelayFuture, RelayRequest};
use ari_sdk::{Client, Error, Event, Item, Transport};
use tokio::sync::mpsc;

const CHANNEL: &str = "1795775777.1";

fn stasis_start() -> String {
    format!(
        r#"{{"type":"StasisStart","timestamp":"2026-11-27T10:36:17.721+0000","args":[],"channel":{{"id":"{CHANNEL}","name":"PJSIP/100-00000001","state":"Ring","protocol_id":"","caller":{{"name":"","number":"100"}},"connected":{{"name":"","number":""}},"accountcode":"","dialplan":{{"context":"default","exten":"7000","priority":2,"app_name":"Stasis","app_data":"hello"}},"creationtime":"2026-11-27T10:36:17.719+0000","language":"en"}},"asterisk_id":"n1","application":"hello"}}"#
    )
}

fn dtmf(digit: &str) -> String {
    stasis_start()
        .replace(r#""type":"StasisStart""#, r#""type":"ChannelDtmfReceived""#)
        .replace(
            r#""args":[],"#,
            &format!(r#""digit":"{digit}","duration_ms":100,"#),
        )
}

/// Answers from a script, records what it was asked, hands out feeds the test fills.
#[derive(Default)]
struct ScriptedRelay {
    asked: Mutex<Vec<String>>,
    feeds: Mutex<Vec<mpsc::Sender<FeedItem>>>,
    opened: AtomicUsize,
}

impl Relay for ScriptedRelay {
    fn send<'a>(&'a self, request: RelayRequest<'a>) -> RelayFuture<'a, RelayAnswer> {
        Box::pin(async move {
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            self.asked.lock().unwrap().push(format!(
                "{} {}?{}",
                request.method,
                request.path,
                query.join("&")
            ));
            match request.path {
                "/asterisk/ping" => Ok(RelayAnswer {
                    status: 200,
                    location: None,
                    body: r#"{"asterisk_id":"n1","ping":"pong","timestamp":"2026-11-27T10:36:17.719+0000"}"#.into(),
                }),
                p if p.ends_with("/answer") => Ok(RelayAnswer {
                    status: 204,
                    location: None,
                    body: Default::default(),
                }),
                _ => Err(Error::Transport {
                    operation: request.operation.to_owned(),
                    message: "no proxy serves it (no responders)".to_owned(),
                    sent: false,
                    source: None,
                }),
            }
        })
    }

    fn events<'a>(&'a self, _apps: &'a [String], _all: bool) -> RelayFuture<'a, Feed> {
        Box::pin(async move {
            let (sender, feed) = Feed::channel(16);
            self.feeds.lock().unwrap().push(sender);
            self.opened.fetch_add(1, Ordering::SeqCst);
            Ok(feed)
        })
    }

    fn describe(&self) -> String {
        "scripted relay".to_owned()
    }
}

impl ScriptedRelay {
    fn newest_feed(&self) -> mpsc::Sender<FeedItem> {
        self.feeds.lock().unwrap().last().expect("a feed").clone()
    }
}

#[tokio::test]
async fn operations_travel_over_the_relay_and_errors_come_back_typed() {
    let relay = Arc::new(ScriptedRelay::default());
    let client = Client::over_relay(relay.clone(), Duration::from_secs(5), 64);
    assert_eq!(client.transport(), Transport::Relay);
    assert_eq!(client.base_url(), None);
    assert!(format!("{client:?}").contains("scripted relay"));

    let pong = client.asterisk().ping().await.expect("ping answered");
    assert_eq!(pong.asterisk_id, "n1");
    client.channel(CHANNEL).answer().await.expect("answered");
    let error = client
        .channels()
        .list()
        .await
        .expect_err("scripted failure");
    assert!(!error.may_have_executed(), "{error}");
    assert!(error.to_string().contains("no responders"), "{error}");
    let asked = relay.asked.lock().unwrap().clone();
    assert_eq!(asked[0], "GET /asterisk/ping?");
    assert_eq!(asked[1], format!("POST /channels/{CHANNEL}/answer?"));

    // A builder cannot make a relayed client: there is nothing to relay through.
    let built = Client::builder("http://127.0.0.1:8088/ari")
        .transport(Transport::Relay)
        .build();
    assert!(matches!(built, Err(Error::InvalidArgument { .. })));
}

#[tokio::test]
async fn calls_and_their_events_come_from_the_feed_in_order() {
    let relay = Arc::new(ScriptedRelay::default());
    let client = Client::over_relay(relay.clone(), Duration::from_secs(5), 64);
    let mut calls = client
        .calls(["hello"])
        .connect()
        .await
        .expect("feed opened");
    let feed = relay.newest_feed();
    feed.send(FeedItem::Frame(stasis_start())).await.unwrap();
    for digit in ["1", "2", "3"] {
        feed.send(FeedItem::Frame(dtmf(digit))).await.unwrap();
    }
    let mut call = tokio::time::timeout(Duration::from_secs(5), calls.next())
        .await
        .expect("a call in time")
        .expect("stream open")
        .expect("a call");
    assert_eq!(call.id(), CHANNEL);
    let mut digits = String::new();
    while digits.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), call.next_event()).await {
            Ok(Some(Ok(Event::ChannelDtmfReceived(e)))) => digits.push_str(&e.digit),
            Ok(Some(Ok(_))) => {}
            other => panic!("digits in time: {other:?}"),
        }
    }
    assert_eq!(digits, "123");
}

#[tokio::test]
async fn a_lost_feed_is_reported_and_opened_again() {
    let relay = Arc::new(ScriptedRelay::default());
    let client = Client::over_relay(relay.clone(), Duration::from_secs(5), 64);
    let mut events = client
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .connect()
        .await
        .expect("feed opened");
    assert!(matches!(events.next().await, Some(Ok(Item::Connected))));
    relay
        .newest_feed()
        .send(FeedItem::Lost("the bus went away".to_owned()))
        .await
        .unwrap();
    match events.next().await {
        Some(Ok(Item::Disconnected { reason })) => {
            assert!(reason.contains("the bus went away"), "{reason}")
        }
        other => panic!("Disconnected expected, got {other:?}"),
    }
    assert!(matches!(
        events.next().await,
        Some(Ok(Item::Reconnected { .. }))
    ));
    assert_eq!(relay.opened.load(Ordering::SeqCst), 2);
    // A frame that is not an event is an error item; the stream goes on.
    let feed = relay.newest_feed();
    feed.send(FeedItem::Frame("{not json".to_owned()))
        .await
        .unwrap();
    feed.send(FeedItem::Frame(stasis_start())).await.unwrap();
    assert!(matches!(events.next().await, Some(Err(Error::Event(_)))));
    assert!(matches!(
        events.next().await,
        Some(Ok(Item::Event(Event::StasisStart(_))))
    ));
}
