//! Staying known as alive, and taking over the calls of instances that are not.
//!
//! Each instance refreshes its key in the instances bucket (which forgets keys after the
//! cluster's `instance_ttl`). An instance whose owned-event consumer exists but whose key is
//! gone is dead: the first survivor to record itself in the adoptions bucket
//! (compare-and-set) replays the dead instance's calls to its own application as new
//! `StasisStart`s and then reads the dead one's consumer, so events the dead instance never
//! acknowledged, and every later one, reach the survivor in order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::StreamExt;

use super::hub::{self, Hub};
use crate::protocol::{self, Adoption, InstanceRecord, OwnerRecord, key, kind, unescape};

/// Refreshes this instance's key and adopts dead instances, every third of the TTL.
pub(crate) async fn run(hub: Arc<Hub>, apps: Vec<String>, ttl: std::time::Duration) {
    let record = serde_json::to_vec(&InstanceRecord { apps }).unwrap_or_default();
    // Adopted instance -> the task reading its consumer.
    let mut adopted: HashMap<String, tokio::task::AbortHandle> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(ttl / 3);
    for round in 0u64.. {
        tick.tick().await;
        if round % 8 == 7 && !adopted.is_empty() {
            retire_finished(&hub, &mut adopted).await;
        }
        if let Err(error) = hub
            .store
            .instances
            .put(key::single(&hub.instance), record.clone().into())
            .await
        {
            tracing::warn!(%error, "refreshing this instance's liveness failed");
            continue;
        }
        if fenced(&hub).await {
            tracing::error!(instance = %hub.instance, "another instance took this one over; stopping its event feeds");
            hub.fenced.send_replace(true);
            hub.lose_feeds("this instance was taken over by another (it missed its heartbeats)");
            tasks.shutdown().await;
            return;
        }
        match dead_instances(&hub).await {
            Ok(dead) => {
                for instance in dead {
                    if adopted.contains_key(&instance) || !adopt(&hub, &instance).await {
                        continue;
                    }
                    tracing::info!(dead = %instance, by = %hub.instance, "took over a dead instance's calls");
                    let replay = calls_of(&hub, &instance).await;
                    let task =
                        tasks.spawn(hub::consume_owned(hub.clone(), instance.clone(), replay));
                    adopted.insert(instance, task);
                }
            }
            Err(error) => tracing::warn!(%error, "looking for dead instances failed"),
        }
    }
}

/// Forgets adopted instances that own nothing any more and whose consumer holds nothing:
/// their consumer and adoption record are deleted, so restarts do not pile them up.
async fn retire_finished(hub: &Hub, adopted: &mut HashMap<String, tokio::task::AbortHandle>) {
    let Some(records) = owner_records(hub).await else {
        return;
    };
    let owning: HashSet<String> = records
        .into_iter()
        .map(|(.., record)| record.instance)
        .collect();
    let Ok(stream) = hub.events_stream().await else {
        return;
    };
    let finished: Vec<String> = adopted
        .keys()
        .filter(|instance| !owning.contains(*instance))
        .cloned()
        .collect();
    for instance in finished {
        let name = protocol::instance_consumer(&instance);
        let idle = match stream.consumer_info(&name).await {
            Ok(info) => info.num_pending == 0 && info.num_ack_pending == 0,
            Err(_) => true,
        };
        if !idle {
            continue;
        }
        if let Some(task) = adopted.remove(&instance) {
            task.abort();
        }
        let _ = stream.delete_consumer(&name).await;
        let _ = hub.store.adoptions.delete(key::single(&instance)).await;
        tracing::info!(instance = %instance, "an adopted instance's calls are all over; its consumer is gone");
    }
}

/// Every owner record: (node, kind, id, record); `None` when the bucket cannot be read.
async fn owner_records(hub: &Hub) -> Option<Vec<(String, String, String, OwnerRecord)>> {
    let mut keys = hub.store.owners.keys().await.ok()?;
    let mut all = Vec::new();
    while let Some(key) = keys.next().await {
        if let Ok(key) = key {
            all.push(key);
        }
    }
    let mut records = Vec::new();
    for key in all {
        let mut parts = key.split('.').map(unescape);
        let (Some(Some(node)), Some(Some(owned_kind)), Some(Some(id))) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(Some(value)) = hub.store.owners.get(key).await else {
            continue;
        };
        if let Ok(record) = serde_json::from_slice::<OwnerRecord>(&value) {
            records.push((node, owned_kind, id, record));
        }
    }
    Some(records)
}

/// Whether another instance adopted this one (it was thought dead).
async fn fenced(hub: &Hub) -> bool {
    match hub.store.adoptions.get(key::single(&hub.instance)).await {
        Ok(Some(value)) => serde_json::from_slice::<Adoption>(&value)
            .map(|adoption| adoption.by != hub.instance)
            .unwrap_or(false),
        _ => false,
    }
}

/// Instances with an owned-event consumer and no liveness key, this one apart, not adopted
/// by a live instance.
async fn dead_instances(hub: &Hub) -> crate::Result<Vec<String>> {
    let mut alive = HashSet::new();
    let mut keys = hub
        .store
        .instances
        .keys()
        .await
        .map_err(|e| crate::ClusterError::jetstream(protocol::INSTANCES_BUCKET, e))?;
    while let Some(key) = keys.next().await {
        if let Some(instance) = key.ok().as_deref().and_then(unescape) {
            alive.insert(instance);
        }
    }
    let stream = hub.events_stream().await?;
    let mut names = stream.consumer_names();
    let mut dead = Vec::new();
    while let Some(name) = names.next().await {
        let Some(instance) = name
            .ok()
            .as_deref()
            .and_then(|n| n.strip_prefix("inst-"))
            .and_then(unescape)
        else {
            continue;
        };
        if instance == hub.instance || alive.contains(&instance) {
            continue;
        }
        let adopter = match hub.store.adoptions.get(key::single(&instance)).await {
            Ok(Some(value)) => serde_json::from_slice::<Adoption>(&value)
                .ok()
                .map(|a| a.by),
            _ => None,
        };
        match adopter {
            Some(by) if by == hub.instance || alive.contains(&by) => {}
            _ => dead.push(instance),
        }
    }
    Ok(dead)
}

/// Records this instance as `dead`'s adopter; false when another got there first.
async fn adopt(hub: &Hub, dead: &str) -> bool {
    let adoptions = &hub.store.adoptions;
    let key = key::single(dead);
    let value = serde_json::to_vec(&Adoption {
        by: hub.instance.clone(),
    })
    .unwrap_or_default();
    match adoptions.entry(key.clone()).await {
        Ok(None) => adoptions.create(&key, value.into()).await.is_ok(),
        // Adopted before by an instance that died too, or deleted: take it over.
        Ok(Some(entry)) => adoptions
            .update(&key, value.into(), entry.revision)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

/// The `StasisStart`s that give a survivor's application the dead instance's calls: one per
/// channel it owned, made from the channel as its owner record last showed it.
async fn calls_of(hub: &Hub, dead: &str) -> Vec<(String, String)> {
    let mut replay = Vec::new();
    let channels = owner_records(hub).await.unwrap_or_default();
    for (node, owned_kind, id, record) in channels {
        if owned_kind != kind::CHANNEL {
            continue;
        }
        hub.learn_node(kind::CHANNEL, &id, &node);
        let (true, Some(snapshot)) = (record.instance == dead, record.snapshot) else {
            continue;
        };
        let start = serde_json::json!({
            "type": "StasisStart",
            "application": record.app,
            "timestamp": crate::proxy::asterisk_now(),
            "args": record.args,
            "channel": snapshot,
            "asterisk_id": node,
            "cluster_adopted_from": dead,
        });
        hub.adopted_calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), dead.to_owned());
        replay.push((record.app, start.to_string()));
    }
    replay
}
