//! HTTP connections to one server: a client never opens more than its
//! `max_connections` (Asterisk closes sessions beyond http.conf's `sessionlimit`,
//! unanswered), requests beyond them queue, a kept-alive connection the server closed
//! for idling does not fail the next request, and an error says whether the request may
//! have run. Against the simulator, which limits sessions as Asterisk does.

use std::time::Duration;

use ari_sdk::{Client, Error};
use ari_sim::{SessionLimits, Simulator};

async fn simulator(limits: SessionLimits) -> Simulator {
    Simulator::builder()
        .session_limits(limits)
        .start()
        .await
        .expect("simulator")
}

fn client(sim: &Simulator, max_connections: usize) -> Client {
    sim.client_builder()
        .max_connections(max_connections)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Sends `count` pings at once; the errors among the answers.
async fn pings(client: &Client, count: usize) -> Vec<Error> {
    let all = (0..count).map(|_| std::future::IntoFuture::into_future(client.asterisk().ping()));
    futures_util::future::join_all(all)
        .await
        .into_iter()
        .filter_map(Result::err)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_connection_bound_queue_instead_of_failing() {
    let sim = simulator(SessionLimits {
        limit: 6,
        ..SessionLimits::default()
    })
    .await;
    sim.control().delay_responses(Duration::from_millis(100));

    let bounded = client(&sim, 4);
    let errors = pings(&bounded, 60).await;
    assert!(errors.is_empty(), "{errors:?}");
    // At most 4 requests in flight, each on a connection; one being handed back to
    // hyper's pool as the next request starts may briefly add one (documented).
    let peak = sim.control().sessions_peak();
    assert!(peak <= 4 + 2, "peak {peak}");
    assert_eq!(sim.control().sessions_refused(), 0);

    // What the bound prevents: one connection per request in flight overruns the limit,
    // and the server's refusals fail requests.
    let unbounded = client(&sim, 1000);
    let errors = pings(&unbounded, 60).await;
    assert!(!errors.is_empty(), "the session limit was overrun");
    assert!(sim.control().sessions_refused() > 0);
    for error in &errors {
        assert!(matches!(error, Error::Transport { .. }), "{error}");
    }
}

#[test]
fn the_default_bound_is_below_asterisks_session_limit() {
    let asterisk = SessionLimits::default().limit;
    assert!(ari_sdk::DEFAULT_MAX_CONNECTIONS < asterisk);
    assert!(ari_sdk::DEFAULT_IDLE_TIMEOUT < SessionLimits::default().keep_alive);
}

#[tokio::test]
async fn a_connection_the_server_closed_for_idling_does_not_fail_the_next_request() {
    let sim = simulator(SessionLimits {
        keep_alive: Duration::from_millis(150),
        ..SessionLimits::default()
    })
    .await;
    // Keeps connections far longer than the server does: each request finds its pooled
    // connection closed by the server.
    let client = sim
        .client_builder()
        .idle_timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    for round in 0..8 {
        client
            .asterisk()
            .ping()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_refused_connection_was_never_sent() {
    let client = Client::builder("http://127.0.0.1:9/ari")
        .basic_auth("hey", "peekaboo")
        .build()
        .expect("client");
    let error = client.channels().list().await.expect_err("nothing listens");
    assert!(
        matches!(error, Error::Transport { sent: false, .. }),
        "{error:?}"
    );
    assert!(!error.may_have_executed(), "{error}");
}

#[tokio::test]
async fn waiting_too_long_for_a_connection_is_an_error_that_never_sent() {
    let sim = simulator(SessionLimits::default()).await;
    sim.control().delay_responses(Duration::from_millis(800));
    let client = client(&sim, 1);
    let slow = client
        .asterisk()
        .ping()
        .request_timeout(Duration::from_millis(600));
    let queued = client
        .asterisk()
        .ping()
        .request_timeout(Duration::from_millis(200));
    let (slow, queued) = tokio::join!(std::future::IntoFuture::into_future(slow), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        queued.await
    });
    let slow = slow.expect_err("times out");
    assert!(slow.is_timeout() && slow.may_have_executed(), "{slow}");
    let queued = queued.expect_err("no connection in time");
    assert!(
        matches!(&queued, Error::Transport { sent: false, message, .. } if message.contains("max_connections")),
        "{queued}"
    );
    assert!(!queued.may_have_executed());
}
