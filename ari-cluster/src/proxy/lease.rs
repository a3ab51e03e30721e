//! The node's lease: the standby proxies try to take it, the holder renews it and is the
//! active proxy while it does. A renewal that fails means someone else may hold it now:
//! the holder stops serving at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_nats::jetstream::kv;
use bytes::Bytes;
use tokio::sync::oneshot;

use super::{Shared, TaskSet, claims, commands, events, owners};
use crate::protocol::{Lease, key, subject};

/// Competes for the lease until `stop` fires (then releases it when held). A dropped
/// `stop` sender leaves the proxy running.
pub(crate) async fn supervise(shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    // The bucket's age limit is the lease's real lifetime (the first process to make the
    // bucket set it, maybe with other settings than ours).
    let ttl = match shared.store.leases.status().await {
        Ok(status) if !status.max_age().is_zero() => status.max_age(),
        _ => shared.config.timing.lease_ttl,
    };
    if ttl != shared.config.timing.lease_ttl {
        tracing::info!(node = %shared.node, ?ttl, "lease lifetime as the bucket sets it");
    }
    let period = ttl / 3;
    let lease_key = key::single(&shared.node);
    let ours = Lease {
        proxy: shared.proxy_id.clone(),
        boot: shared.boot.clone(),
    };
    let value = Bytes::from(serde_json::to_vec(&ours).unwrap_or_default());
    let mut held: Option<(u64, TaskSet)> = None;
    let mut stop_open = true;
    loop {
        held = match held.take() {
            None => match acquire(&shared, &lease_key, &ours, &value).await {
                Some(revision) => match become_active(&shared).await {
                    Some(tasks) => Some((revision, tasks)),
                    None => {
                        release(&shared, &lease_key, revision).await;
                        None
                    }
                },
                None => None,
            },
            Some((revision, tasks)) => {
                match shared
                    .store
                    .leases
                    .update(&lease_key, value.clone(), revision)
                    .await
                {
                    Ok(revision) => Some((revision, tasks)),
                    Err(e) => {
                        tracing::warn!(node = %shared.node, error = %e, "lease renewal failed; stepping down");
                        step_down(&shared, tasks);
                        None
                    }
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            signal = &mut stop, if stop_open => {
                if signal.is_ok() { break }
                stop_open = false;
            }
        }
    }
    if let Some((revision, tasks)) = held {
        step_down(&shared, tasks);
        release(&shared, &lease_key, revision).await;
    }
}

/// The lease's revision when this proxy holds it now.
async fn acquire(shared: &Shared, lease_key: &str, ours: &Lease, value: &Bytes) -> Option<u64> {
    match shared.store.leases.create(lease_key, value.clone()).await {
        Ok(revision) => Some(revision),
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
            // Still ours from before a renewal failed (NATS was away): take it back.
            let entry = shared.store.leases.entry(lease_key).await.ok().flatten()?;
            let holder: Lease = serde_json::from_slice(&entry.value).ok()?;
            if entry.operation != kv::Operation::Put || holder != *ours {
                return None;
            }
            shared
                .store
                .leases
                .update(lease_key, value.clone(), entry.revision)
                .await
                .ok()
        }
        Err(e) => {
            tracing::debug!(node = %shared.node, error = %e, "lease not taken");
            None
        }
    }
}

/// Loads the node's owners and starts serving; `None` when the owners cannot be read.
async fn become_active(shared: &Arc<Shared>) -> Option<TaskSet> {
    let routing = match owners::load(shared).await {
        Ok(routing) => routing,
        Err(e) => {
            tracing::warn!(node = %shared.node, error = %e, "owners not loaded; not taking the node");
            return None;
        }
    };
    // Subscribed, and the server told, before the proxy says it is active.
    let claims = shared.nats.subscribe(subject::claim(&shared.node)).await;
    let commands = shared.nats.subscribe(subject::command(&shared.node)).await;
    super::confirm_subscriptions(&shared.nats).await;
    let (claims, commands) = match (claims, commands) {
        (Ok(claims), Ok(commands)) => (claims, commands),
        _ => {
            tracing::warn!(node = %shared.node, "claims and commands not subscribed; not taking the node");
            return None;
        }
    };
    tracing::info!(node = %shared.node, proxy = %shared.proxy_id, owned = routing.owners.len(), "active");
    *shared.routing.lock().await = routing;
    let mut tasks = TaskSet::default();
    tasks.spawn(events::run(shared.clone()));
    tasks.spawn(claims::serve(shared.clone(), claims));
    tasks.spawn(claims::hand_back_unclaimed(shared.clone()));
    tasks.spawn(commands::serve_node(shared.clone(), commands));
    tasks.spawn(owners::sweep_gone(shared.clone()));
    shared.active.store(true, Ordering::SeqCst);
    Some(tasks)
}

fn step_down(shared: &Shared, tasks: TaskSet) {
    drop(tasks);
    shared.active.store(false, Ordering::SeqCst);
    shared.websocket_up.store(false, Ordering::SeqCst);
    tracing::info!(node = %shared.node, proxy = %shared.proxy_id, "standby");
}

/// Deletes the lease when it is still at our revision, so a standby takes it at once.
async fn release(shared: &Shared, lease_key: &str, revision: u64) {
    if let Err(e) = shared
        .store
        .leases
        .delete_expect_revision(lease_key, Some(revision))
        .await
    {
        tracing::debug!(node = %shared.node, error = %e, "lease not released");
    }
}
