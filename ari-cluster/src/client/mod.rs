//! The application side of a cluster: an [`ari_sdk::Client`] whose requests and events
//! travel over NATS, through the `ari-proxy` of each Asterisk node.
//!
//! (The crate's front page shows it in use.)

mod hub;
mod liveness;
mod relay;
mod route;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use crate::jetstream::{self, Timing};
use crate::protocol::{self, Announce, key, subject};
use crate::{ClusterError, Result};
use hub::Hub;
use relay::{ClusterRelay, Scope};

/// Configures a [`Cluster`].
#[derive(Clone)]
pub struct ClusterBuilder {
    nats_url: String,
    apps: Vec<String>,
    instance: Option<String>,
    timing: Timing,
    request_timeout: Duration,
    resource_buffer: usize,
}

impl std::fmt::Debug for ClusterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterBuilder")
            .field("nats_url", &redact_url(&self.nats_url))
            .field("apps", &self.apps)
            .field("instance", &self.instance)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

impl ClusterBuilder {
    /// A name for this instance, for logs and [`Cluster::instance_id`] (default: none). Each
    /// start adds a fresh suffix (`app-1-3f9c2a1b`): a restarted instance is a new member,
    /// never its former self, whose calls a survivor adopts.
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }
    /// The cluster's time limits; the first process of a cluster sets them (see [`Timing`]).
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }
    /// How long a request waits for its answer (default 30 s). A request that times out
    /// may have run; one that finds no proxy to take it did not.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
    /// Capacity of each per-resource stream (default [`ari_sdk::DEFAULT_RESOURCE_BUFFER`]).
    pub fn resource_buffer(mut self, items: usize) -> Self {
        self.resource_buffer = items;
        self
    }

    /// Connects to NATS, makes the cluster's streams and buckets when missing, announces the
    /// instance and starts taking over the calls of dead ones.
    pub async fn connect(self) -> Result<Cluster> {
        if self.apps.is_empty() || self.apps.iter().any(String::is_empty) {
            return Err(ClusterError::Config(
                "a cluster instance needs at least one application name, none empty".to_owned(),
            ));
        }
        let server = redact_url(&self.nats_url);
        let nats = async_nats::connect(self.nats_url.as_str())
            .await
            .map_err(|e| ClusterError::nats(format!("connecting to {server}"), e))?;
        let store = jetstream::prepare(&nats, &self.timing).await?;
        let instance = match self.instance {
            Some(name) => format!("{name}-{:08x}", fastrand::u32(..)),
            None => route::new_id(),
        };
        let hub = Arc::new(Hub::new(
            nats,
            store,
            instance.clone(),
            self.timing.instance_ttl,
        ));
        // Alive before the consumer exists: a consumer without a live instance is adopted.
        hub.store
            .instances
            .put(
                key::single(&instance),
                serde_json::to_vec(&protocol::InstanceRecord {
                    apps: self.apps.clone(),
                })
                .unwrap_or_default()
                .into(),
            )
            .await
            .map_err(|e| ClusterError::jetstream(protocol::INSTANCES_BUCKET, e))?;
        hub::owned_consumer(&hub, &instance).await?;
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(hub::consume_owned(
            hub.clone(),
            instance.clone(),
            Vec::new(),
        ));
        for app in &self.apps {
            tasks.spawn(hub::claim_new_calls(hub.clone(), app.clone()));
        }
        tasks.spawn(liveness::run(
            hub.clone(),
            self.apps.clone(),
            self.timing.instance_ttl,
        ));
        let relay = ClusterRelay {
            hub: hub.clone(),
            apps: self.apps.clone(),
            scope: Scope::Cluster,
            server: server.clone(),
        };
        let client = ari_sdk::Client::over_relay(
            Arc::new(relay),
            self.request_timeout,
            self.resource_buffer,
        );
        Ok(Cluster {
            hub,
            client,
            apps: self.apps,
            server,
            tasks,
        })
    }
}

/// One application instance's membership of a cluster; see the [crate](crate). Keep it
/// alive as long as the instance works: dropping it stops taking calls and events.
pub struct Cluster {
    hub: Arc<Hub>,
    client: ari_sdk::Client,
    apps: Vec<String>,
    server: String,
    tasks: tokio::task::JoinSet<()>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &self.server)
            .field("instance", &self.hub.instance)
            .field("apps", &self.apps)
            .finish()
    }
}

impl Cluster {
    /// Starts configuring an instance of the applications `apps` on the cluster whose NATS
    /// server is at `nats_url` (`nats://user:password@host:4222` when it asks for them).
    pub fn builder<I, S>(nats_url: impl Into<String>, apps: I) -> ClusterBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClusterBuilder {
            nats_url: nats_url.into(),
            apps: apps.into_iter().map(Into::into).collect(),
            instance: None,
            timing: Timing::default(),
            request_timeout: Duration::from_secs(30),
            resource_buffer: ari_sdk::DEFAULT_RESOURCE_BUFFER,
        }
    }

    /// The client: every operation, handle, wait helper, `events(..)` and `calls(..)`, as
    /// with one Asterisk. `calls(..)` yields the calls this instance claimed (each new call
    /// goes to exactly one instance) and those it originated; requests go to the node that
    /// has the resource, creates and whole-system questions to any node running the
    /// application.
    pub fn client(&self) -> &ari_sdk::Client {
        &self.client
    }

    /// A client whose every request goes to one node: lists and `asterisk.getInfo` of that
    /// node, or a second call placed on the node of the first, to bridge them. Its waits and
    /// per-resource streams are [`client`](Self::client)'s (`into_call`, `finished`, ...
    /// work on what it creates); open event connections on `client()`, not on it.
    pub fn node_client(&self, node: &str) -> ari_sdk::Client {
        let relay = ClusterRelay {
            hub: self.hub.clone(),
            apps: self.apps.clone(),
            scope: Scope::Node(node.to_owned()),
            server: self.server.clone(),
        };
        self.client.with_relay(Arc::new(relay))
    }

    /// The node a channel lives on, as far as this instance has seen it: `Some` for its
    /// calls and the channels it created.
    pub fn node_of(&self, channel_id: &str) -> Option<String> {
        self.hub.node_of(crate::protocol::kind::CHANNEL, channel_id)
    }

    /// For a call this instance took over from a dead one (it came as a new call, its
    /// `StasisStart` rebuilt from the owner record, the channel as it was when first
    /// claimed): the dead instance's id. The application may then pick the call up where it
    /// stands (`GET` the channel) instead of starting over.
    pub fn adopted_from(&self, channel_id: &str) -> Option<String> {
        let adopted = self
            .hub
            .adopted_calls
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        adopted.get(channel_id).cloned()
    }

    /// This instance's id: its name and a suffix new at every start, or a random id.
    pub fn instance_id(&self) -> &str {
        &self.hub.instance
    }

    /// The proxies that answer within `wait`, sorted by node and proxy.
    pub async fn nodes(&self, wait: Duration) -> Result<Vec<Announce>> {
        let inbox = self.hub.nats.new_inbox();
        let mut replies = self
            .hub
            .nats
            .subscribe(inbox.clone())
            .await
            .map_err(|e| ClusterError::nats("subscribing for ping replies", e))?;
        self.hub
            .nats
            .publish_with_reply(subject::PING, inbox, bytes::Bytes::new())
            .await
            .map_err(|e| ClusterError::nats(subject::PING, e))?;
        let mut found = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(reply)) = tokio::time::timeout_at(deadline, replies.next()).await {
            match serde_json::from_slice::<Announce>(&reply.payload) {
                Ok(announce) => found.push(announce),
                Err(error) => tracing::warn!(%error, "a ping reply that is not an announce"),
            }
        }
        found.sort_by(|a, b| (&a.node, &a.proxy).cmp(&(&b.node, &b.proxy)));
        Ok(found)
    }

    /// Leaves the cluster cleanly: stops taking calls and events and drops the liveness
    /// key, so a survivor takes over the calls still running at once instead of after the
    /// TTL.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        self.hub.lose_feeds("the cluster instance shut down");
        let _ = self
            .hub
            .store
            .instances
            .delete(key::single(&self.hub.instance))
            .await;
        let _ = self.hub.nats.flush().await;
    }

    /// Stops every task at once without telling anyone, as a crash would (for failover
    /// tests): the instance's calls move to a survivor after the cluster's `instance_ttl`.
    pub fn kill(mut self) {
        self.tasks.abort_all();
        self.hub.lose_feeds("the cluster instance was killed");
    }
}

/// The URL with any user and password masked.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}<redacted>{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_nats_url_are_masked() {
        assert_eq!(
            redact_url("nats://me:secret@10.0.0.1:4222"),
            "nats://<redacted>@10.0.0.1:4222"
        );
        assert_eq!(redact_url("nats://10.0.0.1:4222"), "nats://10.0.0.1:4222");
        let builder = Cluster::builder("nats://me:secret@h:4222", ["a"]);
        assert!(!format!("{builder:?}").contains("secret"));
    }
}
