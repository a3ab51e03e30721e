//! The two servers the per-call tests run on: the simulator, always, and the real
//! Asterisk of `ARI_E2E_URL` when there is one (see `support/servers.rs`), configured as
//! `../shared/asterisk/` sets it up (7000 runs `Stasis(hello,world)`).

#[path = "../support/servers.rs"]
mod support;

use std::time::Duration;

use ari_sdk::{Client, Transport};
use ari_sim::Simulator;
pub use support::hello_lock;
use support::{Asterisk, run_id};

/// Generous: on a loaded 2-core CI machine 1,000 debug-build calls take seconds.
pub const LIMIT: Duration = Duration::from_secs(60);

pub enum Server {
    Sim(Simulator),
    Real(Asterisk),
}

impl Server {
    pub async fn simulator() -> Server {
        Server::Sim(
            Simulator::builder()
                .media_duration(Duration::from_millis(50))
                .start()
                .await
                .expect("simulator starts"),
        )
    }

    /// The real Asterisk of `ARI_E2E_URL`, or `None` after saying the test is skipped.
    /// Hold [`hello_lock`] while using it.
    pub fn real(test: &str) -> Option<Server> {
        support::asterisk(&format!("{test} on a real Asterisk")).map(Server::Real)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Server::Sim(_) => "simulator",
            Server::Real(_) => "real Asterisk",
        }
    }

    pub fn client(&self) -> Client {
        let builder = match self {
            Server::Sim(sim) => sim.client_builder(),
            Server::Real(asterisk) => asterisk.client_builder(),
        };
        builder
            .transport(Transport::Http)
            .timeout(LIMIT)
            .build()
            .expect("client")
    }

    /// Places a call into application `hello` (extension 7000) and returns the id of
    /// the channel that enters it. On a real Asterisk, the far end is the `;1` half of
    /// a Local channel (id `<tag>-far`) in application `phone`, which a connection for
    /// `phone` must be open to receive; it comes up once `hello` answers.
    pub async fn place_call(&self, client: &Client, tag: &str) -> String {
        let tag = format!("{tag}-{}", run_id());
        match self {
            Server::Sim(sim) => sim.control().call("7000").expect("a call"),
            Server::Real(_) => {
                let near = format!("{tag}-near");
                client
                    .raw()
                    .post("channels")
                    .query("endpoint", "Local/7000@default")
                    .query("app", "phone")
                    .query("channelId", format!("{tag}-far"))
                    .query("otherChannelId", near.clone())
                    .send()
                    .await
                    .expect("originate");
                near
            }
        }
    }

    /// Makes the far end of a call able to press keys: on a real Asterisk, answers the
    /// near half through REST (not through the application), which brings the far half
    /// up in `phone`, and waits until it is there. Nothing to do on the simulator.
    pub async fn ready(&self, client: &Client, near: &str) {
        if let Server::Real(_) = self {
            let far = near.replace("-near", "-far");
            retry_while_setting_up(|| async {
                client
                    .raw()
                    .post(&format!("channels/{near}/answer"))
                    .send()
                    .await
            })
            .await;
            // Setting a variable needs the channel in its application: a harmless probe.
            retry_while_setting_up(|| async {
                client
                    .raw()
                    .post(&format!("channels/{far}/variable"))
                    .query("variable", "PER_CALL_TEST")
                    .query("value", "ready")
                    .send()
                    .await
            })
            .await;
        }
    }

    /// The far end of a call placed by [`place_call`](Self::place_call) presses
    /// `digits` (after [`ready`](Self::ready) on a real Asterisk).
    pub async fn press(&self, client: &Client, near: &str, digits: &str) {
        match self {
            Server::Sim(sim) => sim.control().press(near, digits).expect("press"),
            Server::Real(_) => {
                self.ready(client, near).await;
                let far = near.replace("-near", "-far");
                client
                    .raw()
                    .post(&format!("channels/{far}/dtmf"))
                    .query("dtmf", digits)
                    .query("between", "100")
                    .send()
                    .await
                    .expect("DTMF from the far end");
            }
        }
    }

    /// Hangs up whatever a test left behind on a real server (channels named by `tag`).
    pub async fn clean_up(&self, client: &Client, tag: &str) {
        if let Server::Real(_) = self {
            if let Ok(channels) = client.channels().list().await {
                for channel in channels.iter().filter(|c| c.id.contains(tag)) {
                    let _ = client.channel(&channel.id).hangup().await;
                }
            }
        }
    }
}

/// Repeats a request while the channel it addresses is not there yet or not yet in its
/// application (404/409), up to [`LIMIT`].
async fn retry_while_setting_up<F, Fut>(mut request: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ari_sdk::Result<serde_json::Value>>,
{
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match request().await {
            Ok(_) => return,
            Err(e) if e.is_gone() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
}
