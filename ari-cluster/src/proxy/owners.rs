//! The owners bucket, as this node's active proxy reads and writes it. The local map is
//! updated together with the bucket, under the routing lock.

use async_nats::jetstream::kv;
use bytes::Bytes;
use futures_util::StreamExt;

use super::Shared;
use super::routing::{Owned, Resource, Routing, parse_owner_key};
use crate::protocol::{OwnerRecord, key};

/// What recording an owner found.
pub(crate) enum Recorded {
    /// The record is new: `record`'s instance owns it.
    Created,
    /// Someone owned it already (possibly the same instance).
    Existing(OwnerRecord),
}

/// This node's owner records, as the bucket has them now.
pub(crate) async fn load(shared: &Shared) -> crate::Result<Routing> {
    let what = |e: &dyn std::fmt::Display| crate::ClusterError::jetstream("owners bucket", e);
    let mut routing = Routing::default();
    let mut keys = shared.store.owners.keys().await.map_err(|e| what(&e))?;
    let mut mine = Vec::new();
    while let Some(k) = keys.next().await {
        let k = k.map_err(|e| what(&e))?;
        if let Some(resource) = parse_owner_key(&shared.node, &k) {
            mine.push((k, resource));
        }
    }
    for (k, resource) in mine {
        let Some(entry) = shared
            .store
            .owners
            .entry(k.clone())
            .await
            .map_err(|e| what(&e))?
        else {
            continue;
        };
        if entry.operation != kv::Operation::Put {
            continue;
        }
        match serde_json::from_slice::<OwnerRecord>(&entry.value) {
            Ok(record) => {
                routing.owners.insert(resource, Owned { record });
            }
            Err(e) => tracing::warn!(key = %k, error = %e, "unreadable owner record; ignored"),
        }
    }
    Ok(routing)
}

/// Records `record` as the owner of `resource` unless someone owns it already.
pub(crate) async fn record(
    shared: &Shared,
    routing: &mut Routing,
    resource: &Resource,
    record: OwnerRecord,
) -> Result<Recorded, String> {
    let k = key::owner(&shared.node, resource.0, &resource.1);
    let value = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
    match shared.store.owners.create(&k, Bytes::from(value)).await {
        Ok(_) => {
            routing.owners.insert(resource.clone(), Owned { record });
            Ok(Recorded::Created)
        }
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
            let entry = shared
                .store
                .owners
                .entry(k.clone())
                .await
                .map_err(|e| e.to_string())?
                .ok_or("owner record vanished")?;
            let existing: OwnerRecord =
                serde_json::from_slice(&entry.value).map_err(|e| e.to_string())?;
            routing.owners.insert(
                resource.clone(),
                Owned {
                    record: existing.clone(),
                },
            );
            Ok(Recorded::Existing(existing))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Overwrites the record of an owned resource (a new snapshot).
pub(crate) async fn update(
    shared: &Shared,
    routing: &mut Routing,
    resource: &Resource,
    record: OwnerRecord,
) {
    let k = key::owner(&shared.node, resource.0, &resource.1);
    match serde_json::to_vec(&record) {
        Ok(value) => {
            if let Err(e) = shared.store.owners.put(&k, Bytes::from(value)).await {
                tracing::warn!(key = %k, error = %e, "owner record not updated");
            }
        }
        Err(e) => tracing::warn!(error = %e, "owner record not encodable"),
    }
    routing.owners.insert(resource.clone(), Owned { record });
}

/// Forgets the owner of `resource`, in the map and the bucket.
pub(crate) async fn forget(shared: &Shared, routing: &mut Routing, resource: &Resource) {
    if routing.owners.remove(resource).is_none() {
        return;
    }
    let k = key::owner(&shared.node, resource.0, &resource.1);
    if let Err(e) = shared.store.owners.delete(&k).await {
        tracing::warn!(key = %k, error = %e, "owner record not deleted");
    }
}

/// Every `interval`, forgets the owners of resources Asterisk no longer has: their end
/// event was not heard (a channel that left Stasis and hung up in the dialplan, a
/// `ChannelDestroyed` that never came). Resources being created are left alone.
pub(crate) async fn sweep_gone(shared: std::sync::Arc<Shared>) {
    let interval = shared.config.owner_sweep_interval;
    loop {
        tokio::time::sleep(interval).await;
        let candidates = shared.routing.lock().await.settled_owned();
        for resource in candidates {
            match shared.asterisk.exists(resource.0, &resource.1).await {
                Ok(false) => {
                    let mut routing = shared.routing.lock().await;
                    if !routing.is_creating(&resource) {
                        tracing::debug!(node = %shared.node, kind = resource.0, id = %resource.1, "owned resource gone; owner forgotten");
                        forget(&shared, &mut routing, &resource).await;
                    }
                }
                Ok(true) => {}
                // Asterisk away: try again next round.
                Err(_) => break,
            }
        }
    }
}
