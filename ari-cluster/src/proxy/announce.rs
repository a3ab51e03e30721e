//! Heartbeats and discovery: every proxy, active or standby, says who it is.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_nats::HeaderMap;
use bytes::Bytes;
use futures_util::StreamExt;

use super::Shared;
use crate::protocol::{Announce, subject};

fn announce(shared: &Shared) -> Bytes {
    let announce = Announce {
        node: shared.node.clone(),
        boot: shared.boot.clone(),
        proxy: shared.proxy_id.clone(),
        apps: shared.config.apps.clone(),
        active: shared.active.load(Ordering::SeqCst),
        websocket_up: shared.websocket_up.load(Ordering::SeqCst),
        asterisk_version: shared.version.lock().ok().and_then(|v| v.clone()),
    };
    Bytes::from(serde_json::to_vec(&announce).unwrap_or_default())
}

/// Publishes the heartbeat every `announce_interval`.
pub(crate) async fn heartbeat(shared: Arc<Shared>) {
    let mut ticks = tokio::time::interval(shared.config.announce_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if shared.version.lock().map(|v| v.is_none()).unwrap_or(false)
            && let Some(version) = shared.asterisk.version().await
            && let Ok(mut known) = shared.version.lock()
        {
            *known = Some(version);
        }
        if let Err(e) = shared
            .nats
            .publish(subject::ANNOUNCE, announce(&shared))
            .await
        {
            tracing::debug!(error = %e, "heartbeat not sent");
        }
    }
}

/// Answers every ping with the heartbeat (subscribed before the proxy's start returns,
/// so a started proxy is always discoverable).
pub(crate) async fn answer_pings(shared: Arc<Shared>, mut pings: async_nats::Subscriber) {
    while let Some(ping) = pings.next().await {
        shared
            .reply(ping.reply.as_ref(), HeaderMap::new(), announce(&shared))
            .await;
    }
}
