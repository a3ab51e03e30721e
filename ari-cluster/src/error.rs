//! What can go wrong in the cluster's own machinery (Asterisk's answers stay
//! [`ari_sdk::Error`]s).

/// Results of the cluster's own operations.
pub type Result<T, E = ClusterError> = std::result::Result<T, E>;

/// An error of the cluster machinery, naming what failed. Never carries credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// Connecting to NATS, or a NATS request, failed.
    #[error("NATS {what}: {message}")]
    Nats { what: String, message: String },
    /// A JetStream stream, consumer or bucket could not be made or used.
    #[error("JetStream {what}: {message}")]
    JetStream { what: String, message: String },
    /// A message on a cluster subject is not what the protocol says.
    #[error("bad message on {subject}: {reason}")]
    BadMessage { subject: String, reason: String },
    /// A setting that cannot work.
    #[error("configuration: {0}")]
    Config(String),
    /// Asterisk's side.
    #[error(transparent)]
    Ari(#[from] ari_sdk::Error),
}

impl ClusterError {
    pub(crate) fn nats(what: impl Into<String>, error: impl std::fmt::Display) -> Self {
        ClusterError::Nats {
            what: what.into(),
            message: error.to_string(),
        }
    }

    pub(crate) fn jetstream(what: impl Into<String>, error: impl std::fmt::Display) -> Self {
        ClusterError::JetStream {
            what: what.into(),
            message: error.to_string(),
        }
    }

    pub(crate) fn bad_message(subject: impl Into<String>, reason: impl Into<String>) -> Self {
        ClusterError::BadMessage {
            subject: subject.into(),
            reason: reason.into(),
        }
    }
}
