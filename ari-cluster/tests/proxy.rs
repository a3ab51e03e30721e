//! The proxy against a real nats-server and the Asterisk simulator.

use std::time::Duration;

use ari_cluster::Timing;
use ari_cluster::nats_server::NatsServer;
use ari_cluster::protocol::{
    self, Claim, ClaimReply, Envelope, NEW_CALLS_STREAM, NewCall, OWNERS_BUCKET, headers, key,
    kind, subject,
};
use ari_cluster::proxy::{AsteriskTarget, Proxy, ProxyConfig, ProxyHandle, UnclaimedAction};
use ari_sim::{Dialplan, Simulator};
use async_nats::{HeaderMap, Message, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;

/// An application name with a dot: it must be escaped in every subject.
const APP: &str = "my.app";
const NODE: &str = "node.1";
const WAIT: Duration = Duration::from_secs(10);

const DIALPLAN: &str = "\
[default]
exten => 7000,1,NoOp()
 same => n,Stasis(my.app)
 same => n,Hangup()
";

fn timing() -> Timing {
    Timing {
        lease_ttl: Duration::from_millis(1500),
        instance_ttl: Duration::from_millis(1500),
        event_retention: Duration::from_secs(60),
        duplicate_window: Duration::from_secs(10),
    }
}

struct Setup {
    nats_server: NatsServer,
    sim: Simulator,
    nats: async_nats::Client,
}

impl Setup {
    /// `None` (the test is skipped) when nats-server is not installed.
    async fn new() -> Option<Setup> {
        if std::env::var_os("ARI_PROXY_TRACE").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_test_writer()
                .with_max_level(tracing::Level::DEBUG)
                .try_init();
        }
        if !NatsServer::is_installed() {
            eprintln!("nats-server not installed: skipped");
            return None;
        }
        let nats_server = NatsServer::start().await.expect("nats-server starts");
        let sim = Simulator::builder()
            .asterisk_id(NODE)
            .dialplan(Dialplan::parse(DIALPLAN).unwrap())
            .start()
            .await
            .unwrap();
        let nats = async_nats::connect(nats_server.url()).await.unwrap();
        Some(Setup {
            nats_server,
            sim,
            nats,
        })
    }

    fn config(&self) -> ProxyConfig {
        let (user, password) = self.sim.credentials();
        ProxyConfig::new(
            self.nats_server.url(),
            NODE,
            AsteriskTarget::new(self.sim.base_url(), user, password),
            [APP],
        )
        .timing(timing())
        .announce_interval(Duration::from_millis(200))
    }

    async fn proxy(&self, config: ProxyConfig) -> ProxyHandle {
        let proxy = Proxy::start(config).await.unwrap();
        wait_until("the proxy is active with its WebSocket up", || {
            proxy.is_active() && proxy.is_websocket_up()
        })
        .await;
        self.wait_registered().await;
        proxy
    }

    /// Until the simulator has registered the application of the proxy's WebSocket (it
    /// does so just after the handshake: a call placed before would find no application).
    async fn wait_registered(&self) {
        wait_until("the simulator registered the WebSocket", || {
            self.sim.control().websocket_count() == 1
        })
        .await;
    }

    async fn command(
        &self,
        to: String,
        method: &str,
        path: &str,
        query: Option<&str>,
        instance: &str,
    ) -> Message {
        let mut h = HeaderMap::new();
        h.insert(headers::METHOD, method);
        h.insert(headers::PATH, path);
        if let Some(query) = query {
            h.insert(headers::QUERY, query);
        }
        h.insert(headers::INSTANCE, instance);
        tokio::time::timeout(WAIT, self.nats.request_with_headers(to, h, Bytes::new()))
            .await
            .expect("command answered in time")
            .expect("command answered")
    }

    async fn claim(&self, channel: &str, instance: &str, start: serde_json::Value) -> ClaimReply {
        let claim = Claim {
            channel: channel.to_owned(),
            instance: instance.to_owned(),
            app: APP.to_owned(),
            start,
        };
        let reply = self
            .nats
            .request(
                subject::claim(NODE),
                serde_json::to_vec(&claim).unwrap().into(),
            )
            .await
            .unwrap();
        serde_json::from_slice(&reply.payload).unwrap()
    }
}

/// Until the server has processed this client's subscriptions (a flush does not wait for
/// that): a request nobody answers is a round trip.
async fn sync(client: &async_nats::Client) {
    let _ = client.request(client.new_inbox(), Bytes::new()).await;
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn next(subscriber: &mut Subscriber) -> Message {
    tokio::time::timeout(WAIT, subscriber.next())
        .await
        .expect("a message in time")
        .expect("subscription open")
}

fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message.headers.as_ref()?.get(name).map(|v| v.as_str())
}

/// (seq, event type, event JSON) of an envelope, checking where it came from.
fn open(message: &Message, boot: &str) -> (u64, String, serde_json::Value) {
    let envelope: Envelope<'_> = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(envelope.node, NODE);
    assert_eq!(envelope.boot, boot);
    assert_eq!(envelope.app, APP);
    let event: serde_json::Value = serde_json::from_str(envelope.event.get()).unwrap();
    // The event is Asterisk's frame as sent: the SDK decodes it.
    if !envelope.synthetic {
        ari_sdk::decode_event(envelope.event.get()).unwrap();
    }
    let kind = event["type"].as_str().unwrap().to_owned();
    (envelope.seq, kind, event)
}

/// Reads owned/node envelopes until one of type `wanted`, returning the types seen.
async fn read_until(subscriber: &mut Subscriber, boot: &str, wanted: &str) -> Vec<(u64, String)> {
    let mut seen = Vec::new();
    loop {
        let (seq, kind, _) = open(&next(subscriber).await, boot);
        seen.push((seq, kind.clone()));
        if kind == wanted {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_call_is_queued_claimed_and_its_events_follow_in_order() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let proxy = setup.proxy(setup.config()).await;
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    assert_eq!(subject::new_calls(APP), "ari.newcall.my=2Eapp");
    let owned_subject = subject::owned_events("inst.1", APP);
    assert_eq!(owned_subject, "ari.ev.own.inst=2E1.my=2Eapp");
    let mut owned = setup.nats.subscribe(owned_subject).await.unwrap();
    sync(&setup.nats).await;

    let channel = setup.sim.control().call("7000").unwrap();
    assert!(channel.contains('.'), "{channel}");
    let queued = next(&mut new_calls).await;
    let new_call: NewCall<'_> = serde_json::from_slice(&queued.payload).unwrap();
    assert_eq!(
        queued
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str()),
        Some(
            protocol::event_message_id(NODE, proxy.boot(), new_call.envelope.seq, "newcall")
                .as_str()
        )
    );
    assert_eq!(new_call.channel, channel);
    assert_eq!(new_call.envelope.node, NODE);
    assert_eq!(new_call.envelope.boot, proxy.boot());
    let start: serde_json::Value = serde_json::from_str(new_call.envelope.event.get()).unwrap();
    assert_eq!(start["type"], "StasisStart");
    let js = async_nats::jetstream::new(setup.nats.clone());
    let mut stream = js.get_stream(NEW_CALLS_STREAM).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);

    assert_eq!(
        setup.claim(&channel, "inst.1", start.clone()).await,
        ClaimReply::Claimed
    );
    let (start_seq, kind, event) = open(&next(&mut owned).await, proxy.boot());
    assert_eq!(kind, "StasisStart");
    assert_eq!(event["channel"]["id"], channel.as_str());
    assert_eq!(start_seq, new_call.envelope.seq);

    setup.sim.control().press(&channel, "12").unwrap();
    let seen = read_until(&mut owned, proxy.boot(), "ChannelDtmfReceived").await;
    let (first_seq, _) = seen.last().unwrap().clone();
    let (second_seq, kind, event) = loop {
        let opened = open(&next(&mut owned).await, proxy.boot());
        if opened.1 == "ChannelDtmfReceived" {
            break opened;
        }
    };
    assert_eq!(kind, "ChannelDtmfReceived");
    assert_eq!(event["digit"], "2");
    assert!(start_seq < first_seq && first_seq < second_seq);

    // Claims are idempotent for the owner, refused to others.
    assert_eq!(
        setup.claim(&channel, "inst.2", start.clone()).await,
        ClaimReply::Taken {
            owner: "inst.1".into()
        }
    );
    assert_eq!(
        setup.claim(&channel, "inst.1", start).await,
        ClaimReply::Claimed
    );

    // Commands run on the node and answer with Asterisk's status.
    let path = format!("/channels/{channel}/answer");
    let answer = setup
        .command(subject::command(NODE), "POST", &path, None, "inst.1")
        .await;
    assert_eq!(header(&answer, headers::STATUS), Some("204"));
    assert_eq!(header(&answer, headers::NODE), Some(NODE));

    // Requests for one channel run in the order they were sent.
    let inbox = setup.nats.new_inbox();
    let mut replies = setup.nats.subscribe(format!("{inbox}.*")).await.unwrap();
    sync(&setup.nats).await;
    let variable_path = format!("/channels/{channel}/variable");
    for n in 0..20 {
        let mut h = HeaderMap::new();
        h.insert(headers::METHOD, "POST");
        h.insert(headers::PATH, variable_path.as_str());
        h.insert(headers::QUERY, format!("variable=ORDER&value={n}").as_str());
        setup
            .nats
            .publish_with_reply_and_headers(
                subject::command(NODE),
                format!("{inbox}.{n}"),
                h,
                Bytes::new(),
            )
            .await
            .unwrap();
    }
    for _ in 0..20 {
        assert_eq!(
            header(&next(&mut replies).await, headers::STATUS),
            Some("204")
        );
    }
    let value = setup
        .command(
            subject::command(NODE),
            "GET",
            &variable_path,
            Some("variable=ORDER"),
            "inst.1",
        )
        .await;
    assert_eq!(header(&value, headers::STATUS), Some("200"));
    let value: serde_json::Value = serde_json::from_slice(&value.payload).unwrap();
    assert_eq!(value["value"], "19");
    let hangup = setup
        .command(
            subject::command(NODE),
            "DELETE",
            &format!("/channels/{channel}"),
            None,
            "inst.1",
        )
        .await;
    assert_eq!(header(&hangup, headers::STATUS), Some("204"));
    read_until(&mut owned, proxy.boot(), "StasisEnd").await;

    // The ended channel's owner record goes (the simulator, like Asterisk at times, sends
    // no `ChannelDestroyed` after the `StasisEnd`: the proxy checks).
    let owners = js.get_key_value(OWNERS_BUCKET).await.unwrap();
    let owner_key = key::owner(NODE, kind::CHANNEL, &channel);
    let deadline = tokio::time::Instant::now() + WAIT;
    while owners.get(&owner_key).await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "owner record kept");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unclaimed_calls_are_handed_back_and_unowned_events_go_to_the_node() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let config = setup
        .config()
        .claim_timeout(Duration::from_millis(300))
        .unclaimed(UnclaimedAction::Continue);
    let proxy = setup.proxy(config).await;
    let node_subject = subject::node_events(NODE, APP);
    assert_eq!(node_subject, "ari.ev.node.node=2E1.my=2Eapp");
    let mut node_events = setup.nats.subscribe(node_subject).await.unwrap();
    sync(&setup.nats).await;

    let channel = setup.sim.control().call("7000").unwrap();
    // Back in the dialplan, the call reaches Hangup().
    let seen = read_until(&mut node_events, proxy.boot(), "StasisEnd").await;
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    wait_until("the channel is gone", || {
        !setup.sim.control().channel_ids().contains(&channel)
    })
    .await;
    assert_eq!(
        setup.claim(&channel, "late", serde_json::json!({})).await,
        ClaimReply::Gone
    );
    proxy.shutdown().await;

    // Hangup instead of continue.
    let config = setup
        .config()
        .claim_timeout(Duration::from_millis(300))
        .unclaimed(UnclaimedAction::Hangup);
    let proxy = setup.proxy(config).await;
    let channel = setup.sim.control().call("7000").unwrap();
    wait_until("the channel is hung up", || {
        !setup.sim.control().channel_ids().contains(&channel)
    })
    .await;
    assert_eq!(
        setup.claim(&channel, "late", serde_json::json!({})).await,
        ClaimReply::Gone
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_record_the_owner_and_need_a_proxy() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let query = "endpoint=PJSIP%2F200&app=my.app&channelId=orig.1";
    // No proxy: nobody answers, so the request certainly did not run.
    let mut h = HeaderMap::new();
    h.insert(headers::METHOD, "POST");
    h.insert(headers::PATH, "/channels");
    let error = setup
        .nats
        .request_with_headers(subject::create(APP), h, Bytes::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), async_nats::RequestErrorKind::NoResponders);

    let proxy = setup.proxy(setup.config()).await;
    let mut owned = setup
        .nats
        .subscribe(subject::owned_events("inst.9", APP))
        .await
        .unwrap();
    sync(&setup.nats).await;
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    let reply = setup
        .command(
            subject::create(APP),
            "POST",
            "/channels",
            Some(query),
            "inst.9",
        )
        .await;
    assert_eq!(header(&reply, headers::STATUS), Some("200"), "{reply:?}");
    let created: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(created["id"], "orig.1");
    let seen = read_until(&mut owned, proxy.boot(), "StasisStart").await;
    assert!(!seen.is_empty());
    // It went to its creator, not to the new calls.
    sync(&setup.nats).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(200), new_calls.next())
            .await
            .is_err()
    );
    let js = async_nats::jetstream::new(setup.nats.clone());
    let owners = js.get_key_value(OWNERS_BUCKET).await.unwrap();
    let record = owners
        .get(key::owner(NODE, kind::CHANNEL, "orig.1"))
        .await
        .unwrap()
        .expect("owner recorded");
    let record: protocol::OwnerRecord = serde_json::from_slice(&record).unwrap();
    assert_eq!(record.instance, "inst.9");
    assert_eq!(record.app, APP);

    // Without an id the proxy chooses one, so the owner is known all the same.
    let reply = setup
        .command(
            subject::create(APP),
            "POST",
            "/channels",
            Some("endpoint=PJSIP%2F201&app=my.app"),
            "inst.9",
        )
        .await;
    assert_eq!(header(&reply, headers::STATUS), Some("200"), "{reply:?}");
    let created: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    let (_, _, start) = find(&mut owned, proxy.boot(), "StasisStart").await;
    assert_eq!(start["channel"]["id"], created["id"]);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_proxy_per_node_is_active_and_a_standby_takes_over() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let first = setup.proxy(setup.config().proxy_id("p1")).await;
    let second = Proxy::start(setup.config().proxy_id("p2")).await.unwrap();
    // The standby announces itself too.
    let inbox = setup.nats.new_inbox();
    let mut replies = setup.nats.subscribe(inbox.clone()).await.unwrap();
    sync(&setup.nats).await;
    setup
        .nats
        .publish_with_reply(subject::PING, inbox, Bytes::new())
        .await
        .unwrap();
    let mut answers = Vec::new();
    while answers.len() < 2 {
        let announce: protocol::Announce =
            serde_json::from_slice(&next(&mut replies).await.payload).unwrap();
        assert_eq!(announce.node, NODE);
        answers.push((announce.proxy, announce.active));
    }
    answers.sort();
    assert_eq!(answers, vec![("p1".into(), true), ("p2".into(), false)]);
    assert!(!second.is_active());

    let started = tokio::time::Instant::now();
    first.kill();
    wait_until("the standby is active", || {
        second.is_active() && second.is_websocket_up()
    })
    .await;
    setup.wait_registered().await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let reply = setup
        .command(subject::command(NODE), "GET", "/asterisk/info", None, "i")
        .await;
    assert_eq!(header(&reply, headers::STATUS), Some("200"));

    // A clean shutdown hands over at once.
    let third = Proxy::start(setup.config().proxy_id("p3")).await.unwrap();
    second.shutdown().await;
    wait_until("the third is active", || third.is_active()).await;
    third.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_survive_a_nats_restart_and_bad_requests_get_errors() {
    let Some(mut setup) = Setup::new().await else {
        return;
    };
    let proxy = setup.proxy(setup.config()).await;

    // Malformed request and claim: an error reply, and the proxy goes on.
    let bad = setup
        .nats
        .request(subject::command(NODE), Bytes::from_static(b"{}"))
        .await
        .unwrap();
    assert_eq!(header(&bad, headers::FAILURE), Some("bad-request"));
    let bad = setup
        .nats
        .request(subject::claim(NODE), Bytes::from_static(b"nonsense"))
        .await
        .unwrap();
    assert_eq!(header(&bad, headers::FAILURE), Some("bad-request"));
    let mut h = HeaderMap::new();
    h.insert(headers::METHOD, "POST");
    h.insert(headers::PATH, "/channels/../x");
    let bad = setup
        .nats
        .request_with_headers(subject::command(NODE), h, Bytes::new())
        .await
        .unwrap();
    assert_eq!(header(&bad, headers::FAILURE), Some("bad-request"));

    let reply = setup
        .command(
            subject::command(NODE),
            "POST",
            "/bridges",
            Some("type=mixing&bridgeId=br.1"),
            "inst.3",
        )
        .await;
    assert_eq!(header(&reply, headers::STATUS), Some("200"), "{reply:?}");
    let bridge_key = key::owner(NODE, kind::BRIDGE, "br.1");

    setup.nats_server.restart().await.unwrap();
    let nats = async_nats::connect(setup.nats_server.url()).await.unwrap();
    let js = async_nats::jetstream::new(nats.clone());
    let owners = js.get_key_value(OWNERS_BUCKET).await.unwrap();
    let record = owners.get(&bridge_key).await.unwrap().expect("kept");
    let record: protocol::OwnerRecord = serde_json::from_slice(&record).unwrap();
    assert_eq!(record.instance, "inst.3");

    // The proxy reconnects by itself and serves again.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut h = HeaderMap::new();
        h.insert(headers::METHOD, "GET");
        h.insert(headers::PATH, "/asterisk/info");
        let asked = tokio::time::timeout(
            Duration::from_secs(1),
            nats.request_with_headers(subject::command(NODE), h, Bytes::new()),
        )
        .await;
        if let Ok(Ok(reply)) = asked
            && header(&reply, headers::STATUS) == Some("200")
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "proxy not back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.shutdown().await;
}

/// Skips envelopes until one of type `wanted`; returns it whole.
async fn find(
    subscriber: &mut Subscriber,
    boot: &str,
    wanted: &str,
) -> (u64, bool, serde_json::Value) {
    loop {
        let message = next(subscriber).await;
        let envelope: Envelope<'_> = serde_json::from_slice(&message.payload).unwrap();
        let synthetic = envelope.synthetic;
        let (seq, kind, event) = open(&message, boot);
        if kind == wanted {
            return (seq, synthetic, event);
        }
    }
}

/// Places a call and claims it for `instance`; returns the channel id.
async fn claimed_call(setup: &Setup, instance: &str) -> String {
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    let channel = setup.sim.control().call("7000").unwrap();
    let queued = next(&mut new_calls).await;
    let new_call: NewCall<'_> = serde_json::from_slice(&queued.payload).unwrap();
    let start: serde_json::Value = serde_json::from_str(new_call.envelope.event.get()).unwrap();
    assert_eq!(
        setup.claim(&channel, instance, start).await,
        ClaimReply::Claimed
    );
    channel
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_lost_websocket_owners_are_resynchronised_and_missed_ends_reported() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let proxy = setup.proxy(setup.config()).await;
    let mut owned = setup
        .nats
        .subscribe(subject::owned_events("inst.1", APP))
        .await
        .unwrap();
    sync(&setup.nats).await;
    let channel = claimed_call(&setup, "inst.1").await;
    find(&mut owned, proxy.boot(), "StasisStart").await;

    // Like an Asterisk restart: the call vanishes without a single event.
    setup.sim.control().restart();
    let (_, synthetic, resync) = find(&mut owned, proxy.boot(), protocol::RESYNC_EVENT).await;
    assert!(synthetic);
    assert_eq!(resync["node"], NODE);
    assert_eq!(resync["application"], APP);
    let (_, synthetic, end) = find(&mut owned, proxy.boot(), "StasisEnd").await;
    assert!(synthetic);
    assert_eq!(end["channel"]["id"], channel.as_str());
    // The snapshot is a full channel, as the StasisStart showed it.
    assert_eq!(end["channel"]["dialplan"]["exten"], "7000");
    ari_sdk::decode_event(&end.to_string()).unwrap();
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_queued_by_a_crashed_proxy_is_claimed_from_its_successor() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let first = setup.proxy(setup.config().proxy_id("p1")).await;
    let second = Proxy::start(setup.config().proxy_id("p2")).await.unwrap();
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    let channel = setup.sim.control().call("7000").unwrap();
    let queued = next(&mut new_calls).await;
    let new_call: NewCall<'_> = serde_json::from_slice(&queued.payload).unwrap();
    let start: serde_json::Value = serde_json::from_str(new_call.envelope.event.get()).unwrap();

    first.kill();
    wait_until("the standby is active", || {
        second.is_active() && second.is_websocket_up()
    })
    .await;
    setup.wait_registered().await;
    let mut owned = setup
        .nats
        .subscribe(subject::owned_events("inst.7", APP))
        .await
        .unwrap();
    sync(&setup.nats).await;
    assert_eq!(
        setup.claim(&channel, "inst.7", start).await,
        ClaimReply::Claimed
    );
    let (_, synthetic, event) = find(&mut owned, second.boot(), "StasisStart").await;
    assert!(synthetic);
    assert_eq!(event["channel"]["id"], channel.as_str());
    setup.sim.control().press(&channel, "5").unwrap();
    let (_, synthetic, dtmf) = find(&mut owned, second.boot(), "ChannelDtmfReceived").await;
    assert!(!synthetic);
    assert_eq!(dtmf["digit"], "5");
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_asterisk_a_proxy_takes_no_creates_and_fails_commands_unsent() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = ProxyConfig::new(
        setup.nats_server.url(),
        NODE,
        AsteriskTarget::new(format!("http://127.0.0.1:{port}/ari"), "u", "p"),
        [APP],
    )
    .timing(timing());
    let proxy = Proxy::start(config).await.unwrap();
    wait_until("the proxy is active", || proxy.is_active()).await;
    let reply = setup
        .command(subject::command(NODE), "GET", "/asterisk/info", None, "i")
        .await;
    assert_eq!(
        header(&reply, headers::FAILURE),
        Some("unsent"),
        "{reply:?}"
    );
    assert!(header(&reply, headers::REASON).is_some());
    assert!(header(&reply, headers::STATUS).is_none());
    let mut h = HeaderMap::new();
    h.insert(headers::METHOD, "POST");
    h.insert(headers::PATH, "/channels");
    let error = setup
        .nats
        .request_with_headers(subject::create(APP), h, Bytes::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), async_nats::RequestErrorKind::NoResponders);
    // A claim it cannot check: not decided (the claimer asks again), not refused.
    let claim = Claim {
        channel: "x.1".into(),
        instance: "i".into(),
        app: APP.into(),
        start: serde_json::Value::Null,
    };
    let reply = setup
        .nats
        .request(
            subject::claim(NODE),
            serde_json::to_vec(&claim).unwrap().into(),
        )
        .await
        .unwrap();
    assert_eq!(header(&reply, headers::FAILURE), Some("unavailable"));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_before_the_claim_wait_for_the_claimer_and_heartbeats_flow() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let mut heartbeats = setup.nats.subscribe(subject::ANNOUNCE).await.unwrap();
    sync(&setup.nats).await;
    let proxy = setup.proxy(setup.config()).await;
    let mut node_events = setup
        .nats
        .subscribe(subject::node_events(NODE, APP))
        .await
        .unwrap();
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    let channel = setup.sim.control().call("7000").unwrap();
    let queued = next(&mut new_calls).await;
    let new_call: NewCall<'_> = serde_json::from_slice(&queued.payload).unwrap();
    let start: serde_json::Value = serde_json::from_str(new_call.envelope.event.get()).unwrap();

    setup.sim.control().press(&channel, "9").unwrap();
    // The digit's event has no observable effect until the claim (it is held for the
    // claimer, not published): give the simulator a moment to send it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut owned = setup
        .nats
        .subscribe(subject::owned_events("inst.4", APP))
        .await
        .unwrap();
    sync(&setup.nats).await;
    assert_eq!(
        setup.claim(&channel, "inst.4", start).await,
        ClaimReply::Claimed
    );
    let (start_seq, kind, _) = open(&next(&mut owned).await, proxy.boot());
    assert_eq!(kind, "StasisStart");
    let (dtmf_seq, _, dtmf) = find(&mut owned, proxy.boot(), "ChannelDtmfReceived").await;
    assert_eq!(dtmf["digit"], "9");
    assert!(start_seq < dtmf_seq);
    // Held, not published to the node's subject.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), node_events.next())
            .await
            .is_err()
    );

    // Heartbeats say who serves the node, and which Asterisk.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let announce: protocol::Announce =
            serde_json::from_slice(&next(&mut heartbeats).await.payload).unwrap();
        assert_eq!(announce.node, NODE);
        assert_eq!(announce.proxy, proxy.proxy_id());
        assert_eq!(announce.apps, [APP]);
        if announce.active && announce.websocket_up && announce.asterisk_version.is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{announce:?}");
    }
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_proxy_ends_owned_calls_that_vanished_and_forgets_gone_resources() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    // Records left by an earlier proxy of the node, for things Asterisk no longer has.
    let store = ari_cluster::jetstream::prepare(&setup.nats, &timing())
        .await
        .unwrap();
    let record = |snapshot| {
        let record = protocol::OwnerRecord {
            instance: "inst.5".into(),
            app: APP.into(),
            snapshot,
            args: Vec::new(),
        };
        Bytes::from(serde_json::to_vec(&record).unwrap())
    };
    let ghost_channel = key::owner(NODE, kind::CHANNEL, "ghost.1");
    let ghost_bridge = key::owner(NODE, kind::BRIDGE, "ghost.b");
    store
        .owners
        .put(&ghost_channel, record(None))
        .await
        .unwrap();
    store.owners.put(&ghost_bridge, record(None)).await.unwrap();
    let mut owned = setup
        .nats
        .subscribe(subject::owned_events("inst.5", APP))
        .await
        .unwrap();
    sync(&setup.nats).await;

    let config = setup
        .config()
        .owner_sweep_interval(Duration::from_millis(100));
    let proxy = setup.proxy(config).await;
    let (_, synthetic, _) = find(&mut owned, proxy.boot(), protocol::RESYNC_EVENT).await;
    assert!(synthetic);
    let (_, synthetic, end) = find(&mut owned, proxy.boot(), "StasisEnd").await;
    assert!(synthetic);
    assert_eq!(end["channel"]["id"], "ghost.1");
    // Without a snapshot the channel is a minimal one, still a valid event.
    ari_sdk::decode_event(&end.to_string()).unwrap();

    let deadline = tokio::time::Instant::now() + WAIT;
    for gone in [&ghost_channel, &ghost_bridge] {
        while store.owners.get(gone).await.unwrap().is_some() {
            assert!(tokio::time::Instant::now() < deadline, "{gone} kept");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_claims_is_handed_back_even_when_its_proxy_crashed() {
    let Some(setup) = Setup::new().await else {
        return;
    };
    let first = setup.proxy(setup.config().proxy_id("p1")).await;
    let second = Proxy::start(
        setup
            .config()
            .proxy_id("p2")
            .claim_timeout(Duration::from_millis(300))
            .unclaimed(UnclaimedAction::Hangup),
    )
    .await
    .unwrap();
    let mut new_calls = setup.nats.subscribe(subject::new_calls(APP)).await.unwrap();
    sync(&setup.nats).await;
    let channel = setup.sim.control().call("7000").unwrap();
    let queued = next(&mut new_calls).await;
    let new_call: NewCall<'_> = serde_json::from_slice(&queued.payload).unwrap();
    let start: serde_json::Value = serde_json::from_str(new_call.envelope.event.get()).unwrap();

    // Its deadline dies with the first proxy; the successor finds the call waiting.
    first.kill();
    wait_until("the call is handed back by the successor", || {
        second.is_active() && !setup.sim.control().channel_ids().contains(&channel)
    })
    .await;
    assert_eq!(setup.claim(&channel, "late", start).await, ClaimReply::Gone);
    second.shutdown().await;
}
