//! The JetStream streams and buckets of a cluster, made when missing. Proxies and instances
//! both call [`prepare`]: whoever comes first makes them, with the cluster's [`Timing`].

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};

use crate::protocol::{
    ADOPTIONS_BUCKET, EVENTS_STREAM, INSTANCES_BUCKET, LEASES_BUCKET, NEW_CALLS_STREAM,
    OWNERS_BUCKET, subject,
};
use crate::{ClusterError, Result};

/// The time limits of a cluster. They are the buckets' and streams' settings, so the first
/// proxy or instance to start sets them for every other.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A node's lease lapses this long after its active proxy last renewed it; a standby
    /// then takes the node over. Renewed every third of it.
    pub lease_ttl: Duration,
    /// An instance counts as dead this long after it last said it is alive; a survivor
    /// then takes its calls over. Refreshed every third of it.
    pub instance_ttl: Duration,
    /// How long events stay in the event stream (for instances that are behind, and for
    /// the survivor of a dead instance).
    pub event_retention: Duration,
    /// JetStream drops a second publish of one event (same message id) within this window.
    pub duplicate_window: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease_ttl: Duration::from_secs(6),
            instance_ttl: Duration::from_secs(6),
            event_retention: Duration::from_secs(3600),
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// Handles on what a cluster keeps in JetStream.
#[derive(Clone)]
pub struct Store {
    pub context: jetstream::Context,
    pub owners: kv::Store,
    pub leases: kv::Store,
    pub instances: kv::Store,
    pub adoptions: kv::Store,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// Makes the streams and buckets that are missing and opens them all.
pub async fn prepare(client: &async_nats::Client, timing: &Timing) -> Result<Store> {
    let context = jetstream::new(client.clone());
    let window = timing.duplicate_window.min(timing.event_retention);
    context
        .get_or_create_stream(stream::Config {
            name: EVENTS_STREAM.to_owned(),
            subjects: vec![subject::EVENTS.to_owned()],
            max_age: timing.event_retention,
            duplicate_window: window,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::jetstream(EVENTS_STREAM, e))?;
    context
        .get_or_create_stream(stream::Config {
            name: NEW_CALLS_STREAM.to_owned(),
            subjects: vec![subject::NEW_CALLS.to_owned()],
            retention: stream::RetentionPolicy::WorkQueue,
            max_age: timing.event_retention,
            duplicate_window: window,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::jetstream(NEW_CALLS_STREAM, e))?;
    Ok(Store {
        owners: bucket(&context, OWNERS_BUCKET, Duration::ZERO).await?,
        leases: bucket(&context, LEASES_BUCKET, timing.lease_ttl).await?,
        instances: bucket(&context, INSTANCES_BUCKET, timing.instance_ttl).await?,
        adoptions: bucket(&context, ADOPTIONS_BUCKET, Duration::ZERO).await?,
        context,
    })
}

/// Opens a bucket, making it when missing; `max_age` zero keeps keys until deleted.
///
/// The bucket's stream is made here, with the settings a key-value bucket has, because
/// async-nats's own `create_key_value` first asks for account details in a shape
/// nats-server 2.9 does not send.
async fn bucket(context: &jetstream::Context, name: &str, max_age: Duration) -> Result<kv::Store> {
    if let Ok(store) = context.get_key_value(name).await {
        return Ok(store);
    }
    let made = context
        .get_or_create_stream(stream::Config {
            name: format!("KV_{name}"),
            subjects: vec![format!("$KV.{name}.>")],
            max_messages_per_subject: 1,
            max_age,
            storage: stream::StorageType::File,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            duplicate_window: if max_age.is_zero() {
                Duration::from_secs(120)
            } else {
                max_age.min(Duration::from_secs(120))
            },
            ..Default::default()
        })
        .await;
    if let Err(error) = made {
        return Err(ClusterError::jetstream(name, error));
    }
    context
        .get_key_value(name)
        .await
        .map_err(|e| ClusterError::jetstream(name, e))
}
