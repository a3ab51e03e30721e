//! Many Asterisk servers and many application instances, over NATS JetStream.
//!
//! - [`proxy`]: the `ari-proxy` that runs beside each Asterisk and bridges its ARI to NATS.
//! - [`Cluster`]: what an application instance builds instead of connecting to one Asterisk:
//!   an [`ari_sdk::Client`] whose requests and events travel through the cluster.
//! - [`protocol`]: the subjects, streams, buckets and messages both sides share.
//!
//! ARCHITECTURE.md in this crate describes the design, the guarantees and the failure cases.

mod client;
pub mod jetstream;
pub mod nats_server;
pub mod protocol;
pub mod proxy;

mod error;

pub use client::{Cluster, ClusterBuilder};
pub use error::{ClusterError, Result};
pub use jetstream::Timing;
