//! Many Asterisk servers and many application instances, over NATS JetStream.
//!
//! - [`proxy`]: the `ari-proxy` that runs beside each Asterisk and bridges its ARI to NATS.
//! - [`Cluster`]: what an application instance builds instead of connecting to one Asterisk:
//!   an [`ari_sdk::Client`] whose requests and events travel through the cluster.
//! - [`protocol`]: the subjects, streams, buckets and messages both sides share.
//!
//! ARCHITECTURE.md in this crate describes the design, the guarantees and the failure cases.
//!
//! An application instance: the call logic is what it would be with one Asterisk.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ari_cluster::Cluster;
//!
//! let cluster = Cluster::builder("nats://127.0.0.1:4222", ["hello"]).connect().await?;
//! // From here on, the same code as with one Asterisk.
//! let client = cluster.client();
//! let mut calls = client.calls(["hello"]).connect().await?;
//! while let Some(call) = calls.next().await {
//!     let mut call = call?;
//!     tokio::spawn(async move {
//!         let _ = call.channel().answer().await;
//!         let _ = call.play("sound:hello-world").await;
//!         let _ = call.channel().hangup().await;
//!     });
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod creates;
pub mod jetstream;
pub mod nats_server;
pub mod protocol;
pub mod proxy;

mod error;

pub use client::{Cluster, ClusterBuilder};
pub use error::{ClusterError, Result};
pub use jetstream::Timing;
