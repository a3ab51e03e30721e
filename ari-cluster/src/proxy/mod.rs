//! The `ari-proxy`: runs beside one Asterisk (a *node*) and bridges its ARI to NATS.
//!
//! Several proxies may serve one node; the one holding the node's lease (bucket
//! [`LEASES_BUCKET`](crate::protocol::LEASES_BUCKET)) is *active*, the others wait and
//! take over when the lease lapses. The active proxy:
//!
//! - reads Asterisk's event WebSocket and publishes every frame, unchanged inside an
//!   [`Envelope`](crate::protocol::Envelope): to the owners of the resources it concerns,
//!   to the new-call queue (a `StasisStart` nobody owns, held for a claim), or to the
//!   node's subject. After every (re)connect it tells the owners to resynchronise, ends
//!   the owned calls that vanished meanwhile, and gives calls left waiting in Stasis a
//!   claim deadline;
//! - answers claims of new calls on `ari.claim.<node>`; a call nobody claims in time is
//!   handed back ([`UnclaimedAction`]);
//! - runs requests on `ari.cmd.<node>`, and on `ari.create.<app>` while its WebSocket is
//!   up, recording the requesting instance as the owner of what a request creates before
//!   running it.
//!
//! Every proxy, active or not, publishes a heartbeat and answers pings.

mod announce;
mod asterisk;
mod claims;
mod commands;
mod config;
mod events;
mod lease;
mod owners;
mod publish;
mod routing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_nats::HeaderMap;
use bytes::Bytes;
use tokio::task::JoinHandle;

pub use config::{AsteriskTarget, ProxyConfig, UnclaimedAction};
pub(crate) use publish::asterisk_now;

use crate::jetstream::Store;
use crate::protocol::headers;
use asterisk::Asterisk;
use publish::Publisher;
use routing::Routing;

/// Starts proxies.
#[derive(Debug)]
pub struct Proxy;

impl Proxy {
    /// Connects to NATS, prepares the streams and buckets, and starts competing for the
    /// node's lease (the proxy is standby until it holds it).
    pub async fn start(config: ProxyConfig) -> crate::Result<ProxyHandle> {
        config.validate()?;
        let nats = async_nats::ConnectOptions::new()
            .name(format!("ari-proxy {}", config.node))
            .connect(config.nats_url.as_str())
            .await
            .map_err(|e| crate::ClusterError::nats("connect", e))?;
        let store = crate::jetstream::prepare(&nats, &config.timing).await?;
        let asterisk = Asterisk::new(&config.asterisk, config.request_timeout)?;
        // A proxy Asterisk refuses would hold the node's lease and serve nothing, keeping a
        // well-configured standby out: refuse to start instead.
        if let Some(status) = asterisk.refuses_credentials().await {
            return Err(crate::ClusterError::Config(format!(
                "Asterisk at {} refuses the ARI user `{}` ({status}): check the user and password",
                config.asterisk.base_url, config.asterisk.user
            )));
        }
        let (publisher, ack_checker) = Publisher::new(store.context.clone());
        let shared = Arc::new(Shared {
            node: config.node.clone(),
            boot: random_id(),
            proxy_id: config.proxy_id.clone().unwrap_or_else(random_id),
            config,
            nats,
            store,
            asterisk,
            publisher,
            routing: tokio::sync::Mutex::new(Routing::default()),
            seq: AtomicU64::new(0),
            synthetic: AtomicU64::new(0),
            active: AtomicBool::new(false),
            websocket_up: AtomicBool::new(false),
            version: std::sync::Mutex::new(None),
        });
        tracing::info!(node = %shared.node, proxy = %shared.proxy_id, boot = %shared.boot, "proxy started");
        let pings = shared
            .nats
            .subscribe(crate::protocol::subject::PING)
            .await
            .map_err(|e| crate::ClusterError::nats("subscribe to pings", e))?;
        confirm_subscriptions(&shared.nats).await;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let tasks = vec![
            ack_checker,
            tokio::spawn(announce::heartbeat(shared.clone())),
            tokio::spawn(announce::answer_pings(shared.clone(), pings)),
        ];
        let supervisor = tokio::spawn(lease::supervise(shared.clone(), stop_rx));
        Ok(ProxyHandle {
            shared,
            tasks,
            supervisor,
            stop: stop_tx,
        })
    }
}

/// A running proxy. Dropping the handle leaves it running (until the runtime ends): stop
/// it with [`ProxyHandle::shutdown`], or [`ProxyHandle::kill`] to simulate a crash.
pub struct ProxyHandle {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
    supervisor: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for ProxyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandle")
            .field("node", &self.shared.node)
            .field("proxy", &self.shared.proxy_id)
            .field("boot", &self.shared.boot)
            .field("active", &self.is_active())
            .finish()
    }
}

impl ProxyHandle {
    /// The node (Asterisk) it serves.
    pub fn node(&self) -> &str {
        &self.shared.node
    }
    /// New at every start.
    pub fn boot(&self) -> &str {
        &self.shared.boot
    }
    pub fn proxy_id(&self) -> &str {
        &self.shared.proxy_id
    }
    /// Whether it holds the node's lease.
    pub fn is_active(&self) -> bool {
        self.shared.active.load(Ordering::SeqCst)
    }
    /// Waits until this proxy serves its node: it holds the lease and its event WebSocket is
    /// up (a standby never is, until it takes over). False after `timeout`.
    pub async fn ready(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !(self.is_active() && self.is_websocket_up()) {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// Whether its event WebSocket to Asterisk is up.
    pub fn is_websocket_up(&self) -> bool {
        self.shared.websocket_up.load(Ordering::SeqCst)
    }

    /// Stops, releasing the lease (when still held) so a standby takes over at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.supervisor.await;
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.shared.nats.flush().await;
        tracing::info!(node = %self.shared.node, proxy = %self.shared.proxy_id, "proxy stopped");
    }

    /// Stops every task at once without releasing anything, like a crash: a standby takes
    /// over only when the lease lapses.
    pub fn kill(self) {
        self.supervisor.abort();
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What every task of one proxy shares.
pub(crate) struct Shared {
    pub config: ProxyConfig,
    pub node: String,
    pub boot: String,
    pub proxy_id: String,
    pub nats: async_nats::Client,
    pub store: Store,
    pub asterisk: Asterisk,
    pub publisher: Publisher,
    /// Held across a frame's whole routing (publishes included), by claims and by the
    /// recording of new owners: events of one resource go out in frame order.
    pub routing: tokio::sync::Mutex<Routing>,
    /// Frames read from Asterisk in this boot.
    pub seq: AtomicU64,
    /// Synthetic messages made in this boot (their message ids).
    pub synthetic: AtomicU64,
    pub active: AtomicBool,
    pub websocket_up: AtomicBool,
    pub version: std::sync::Mutex<Option<String>>,
}

impl Shared {
    /// Publishes a synthetic event (made by the proxy) to `subject`.
    pub async fn publish_synthetic(&self, subject: String, app: &str, event: &serde_json::Value) {
        let seq = self.seq.load(Ordering::SeqCst);
        let n = self.synthetic.fetch_add(1, Ordering::SeqCst);
        let text = event.to_string();
        let Some(payload) = publish::envelope(&self.node, &self.boot, seq, app, true, &text) else {
            return;
        };
        let msg_id = crate::protocol::event_message_id(
            &self.node,
            &self.boot,
            seq,
            &format!("{subject}:synthetic:{n}"),
        );
        self.publisher.publish(subject, msg_id, payload).await;
    }

    /// Replies to a request (nothing when it asked for no reply).
    pub async fn reply(
        &self,
        reply: Option<&async_nats::Subject>,
        headers: HeaderMap,
        body: Bytes,
    ) {
        let Some(reply) = reply else { return };
        if let Err(e) = self
            .nats
            .publish_with_headers(reply.clone(), headers, body)
            .await
        {
            tracing::warn!(error = %e, "reply not sent");
        }
    }

    /// Replies that the request could not be read.
    pub async fn reply_bad_request(&self, reply: Option<&async_nats::Subject>, reason: &str) {
        let mut h = HeaderMap::new();
        h.insert(headers::FAILURE, "bad-request");
        h.insert(headers::REASON, reason);
        h.insert(headers::NODE, self.node.as_str());
        self.reply(reply, h, Bytes::new()).await;
    }
}

/// Returns once the server has processed every subscription this client sent before
/// (a flush only empties the client's buffer): a request nobody answers is a round trip
/// the server handles after them.
pub(crate) async fn confirm_subscriptions(client: &async_nats::Client) {
    let round_trip = client.request(client.new_inbox(), Bytes::new());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), round_trip).await;
}

/// 16 random hex digits.
fn random_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// Aborts its tasks when dropped: the tasks of one active period.
#[derive(Default)]
pub(crate) struct TaskSet(Vec<JoinHandle<()>>);

impl TaskSet {
    pub fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.0.retain(|t| !t.is_finished());
        self.0.push(tokio::spawn(task));
    }

    pub fn is_finished(&self) -> bool {
        self.0.iter().all(|t| t.is_finished())
    }
}

impl Drop for TaskSet {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
