//! A simulator with some state to list, shared by the REST benchmarks.

use std::time::Duration;

/// A running simulator and a client of it; `calls` Local pairs are up (2 channels each),
/// held by an open event connection for `hello` and `phone`.
pub struct Loaded {
    pub sim: ari_sim::Simulator,
    pub client: ari_sdk::Client,
    /// Keeps the applications registered (nobody reads it: it drops what overflows).
    pub events: ari_sdk::EventStream,
    /// `http://127.0.0.1:PORT/ari`.
    pub base: String,
    pub credentials: (String, String),
}

/// Starts the simulator in the current runtime and originates `calls` calls to 7000.
pub async fn loaded(calls: usize) -> Loaded {
    let sim = ari_sim::Simulator::builder()
        .media_duration(Duration::from_millis(10))
        .start()
        .await
        .expect("simulator");
    let client = sim.client();
    let events = client
        .events(["hello", "phone"])
        .buffer(64)
        .connect()
        .await
        .expect("event connection");
    for _ in 0..calls {
        client
            .channels()
            .originate("Local/7000@default")
            .app("phone")
            .send_full()
            .await
            .expect("originate");
    }
    // Both halves of every pair exist once the ;2 side has entered Stasis(hello).
    let wanted = calls * 2;
    for _ in 0..200 {
        if sim.control().channel_ids().len() >= wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (user, password) = sim.credentials();
    let credentials = (user.to_owned(), password.to_owned());
    Loaded {
        base: sim.base_url(),
        sim,
        client,
        events,
        credentials,
    }
}
