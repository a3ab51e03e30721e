//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): outbound
//! WebSocket applications. The test Asterisk serves application `outapp` by connecting
//! to `ws://127.0.0.1:9099/` (user `asterisk`, password `outapp-password`,
//! `per_call_config`: one connection per channel entering `Stasis(outapp)`); the SDK's
//! `OutboundServer` listens there. Only one test may listen on 9099 at a time.

mod e2e;

use std::time::Duration;

use ari_sdk::OutboundServer;
use ari_sdk::{ChannelState, Event, Item, PlaybackState, Transport};
use e2e::{LIMIT, other_half};

/// Where the test Asterisk connects for `outapp`.
const ADDRESS: &str = "127.0.0.1:9099";
const USER: &str = "asterisk";
const PASSWORD: &str = "outapp-password";

/// One listener on 9099 at a time, in this process.
static PORT_9099: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Binds 9099 with `password`, waiting (within [`LIMIT`]) while another process holds it.
async fn listen(password: &str) -> OutboundServer {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match OutboundServer::builder()
            .basic_auth(USER, password)
            .first_event_timeout(LIMIT)
            .timeout(LIMIT)
            .bind(ADDRESS)
            .await
        {
            Ok(server) => return server,
            Err(e) if tokio::time::Instant::now() < deadline => {
                eprintln!("{ADDRESS} is busy ({e}); trying again");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("cannot listen on {ADDRESS}: {e}"),
        }
    }
}

/// Places a call into `outapp` over HTTP: the `;1` half, id `id`, enters it once the
/// `;2` half answers at 7002.
async fn call_outapp(http: &ari_sdk::Client, id: &str, args: &str) -> ari_sdk::Channel {
    http.channels()
        .originate("Local/7002@default")
        .app("outapp")
        .app_args(args)
        .channel_id(id)
        .other_channel_id(other_half(id))
        .send_full()
        .await
        .expect("originate into outapp")
        .value
}

/// A call placed over HTTP into `outapp`: Asterisk opens a connection for it, whose
/// first event is the call's `StasisStart`, in application `outapp:<channel name>`;
/// requests sent back over that connection act on the call; the connection ends a few
/// seconds after the call leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asterisk_connects_per_call_and_requests_go_back_over_the_connection() {
    let Some(asterisk) = e2e::asterisk("outbound WebSocket per call") else {
        return;
    };
    let _port = PORT_9099.lock().await;
    let mut server = listen(PASSWORD).await;
    let prefix = format!("e2e-{}-out", e2e::run_id());
    let cleanup = e2e::Cleanup::new(&asterisk, &prefix);
    let http = asterisk.client(Transport::Http);
    let id = format!("{prefix}-caller");
    let placed = call_outapp(&http, &id, "over,there").await;
    assert_eq!(placed.id, id);

    let mut connection = tokio::time::timeout(LIMIT, server.accept())
        .await
        .expect("Asterisk connects within the limit")
        .expect("a connection");
    let channel_name = placed.name.clone();
    assert_eq!(
        connection.application(),
        format!("outapp:{channel_name}"),
        "per_call_config names the application after the channel"
    );
    assert!(!connection.asterisk_id().is_empty());
    assert!(connection.peer_addr().ip().is_loopback());
    let start = loop {
        match tokio::time::timeout(LIMIT, connection.events().next())
            .await
            .expect("StasisStart within the limit")
            .expect("the connection is open")
            .expect("no error")
        {
            Item::Event(Event::StasisStart(start)) => break start,
            Item::Event(_) | Item::Connected => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(start.channel.id, id);
    assert_eq!(start.args, ["over", "there"]);
    assert_eq!(start.application, connection.application());
    assert!(
        server.client_for(connection.asterisk_id()).is_some(),
        "the server knows the connection by asterisk_id"
    );

    // Requests over the connection (no HTTP): typed answers, waits and errors as usual.
    let client = connection.client().clone();
    let channel = client.channel(&id);
    let got = channel.get().await.expect("get over the connection");
    assert_eq!(
        (got.id.as_str(), &got.state),
        (id.as_str(), &ChannelState::Up)
    );
    channel
        .set_channel_var("E2E_OUTBOUND")
        .value("yes")
        .await
        .expect("set a variable");
    assert_eq!(
        channel
            .get_channel_var("E2E_OUTBOUND")
            .await
            .expect("read it")
            .value,
        "yes"
    );
    let playback = channel
        .play(["sound:hello-world"])
        .await
        .expect("play over the connection");
    let done = playback
        .finished(LIMIT)
        .await
        .expect("PlaybackFinished on the connection's stream");
    assert_eq!(done.state, PlaybackState::Done);
    let missing = client
        .channel(format!("{prefix}-nope"))
        .get()
        .await
        .expect_err("no such channel");
    assert!(missing.is_not_found() && missing.is_gone(), "{missing}");

    channel.hangup().await.expect("hang up over the connection");
    // Asterisk closes the per-call connection a few seconds after the call left.
    let mut saw_end = false;
    let closed = tokio::time::timeout(LIMIT, async {
        while let Some(item) = connection.events().next().await {
            if let Ok(Item::Event(Event::StasisEnd(end))) = &item {
                saw_end |= end.channel.id == id;
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "Asterisk closes the connection after the call"
    );
    assert!(saw_end, "StasisEnd came over the connection first");
    // A request after that fails at once, saying it never left.
    let late = tokio::time::timeout(LIMIT, client.channel(&id).get())
        .await
        .expect("no hang")
        .expect_err("the connection is closed");
    assert!(!late.may_have_executed(), "{late}");
    drop(server);
    cleanup.finish().await;
}

/// A server that does not know Asterisk's password refuses its upgrade (401) rather
/// than accepting and closing: Asterisk retries a few times at its interval, gives up,
/// and the channel that wanted the application does not stay behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_other_credentials_refuses_asterisk_at_the_upgrade() {
    let Some(asterisk) = e2e::asterisk("outbound WebSocket with other credentials") else {
        return;
    };
    let _port = PORT_9099.lock().await;
    let mut server = listen("e2e-not-the-password").await;
    let prefix = format!("e2e-{}-outwrong", e2e::run_id());
    let cleanup = e2e::Cleanup::new(&asterisk, &prefix);
    let http = asterisk.client(Transport::Http);
    let id = format!("{prefix}-caller");
    call_outapp(&http, &id, "").await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while server.rejected_connections() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Asterisk tried to connect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accepted = tokio::time::timeout(Duration::from_millis(500), server.accept()).await;
    assert!(accepted.is_err(), "nothing is accepted: {accepted:?}");
    // The channel cannot enter the application and goes away.
    let gone = e2e::until_gone(|| http.channel(&id).get()).await;
    assert!(gone.is_not_found(), "{gone}");
    eprintln!(
        "Asterisk tried {} times before giving up",
        server.rejected_connections()
    );
    drop(server);
    cleanup.finish().await;
}
