//! What a proxy is told at start.

use std::time::Duration;

use crate::Timing;

/// The Asterisk a proxy serves: its ARI root and an ARI user.
#[derive(Clone)]
pub struct AsteriskTarget {
    /// `http://host:8088/ari` (no trailing slash needed).
    pub base_url: String,
    pub user: String,
    pub password: String,
}

impl AsteriskTarget {
    pub fn new(
        base_url: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        AsteriskTarget {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            user: user.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for AsteriskTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsteriskTarget")
            .field("base_url", &self.base_url)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What becomes of a new call no instance claimed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnclaimedAction {
    /// `POST /channels/{id}/continue`: back to the dialplan.
    #[default]
    Continue,
    /// `DELETE /channels/{id}`: hang it up.
    Hangup,
}

/// A proxy's settings: [`ProxyConfig::new`] with the required ones, setters for the rest.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub(crate) nats_url: String,
    pub(crate) node: String,
    pub(crate) asterisk: AsteriskTarget,
    pub(crate) apps: Vec<String>,
    pub(crate) proxy_id: Option<String>,
    pub(crate) timing: Timing,
    pub(crate) claim_timeout: Duration,
    pub(crate) unclaimed: UnclaimedAction,
    pub(crate) announce_interval: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) owner_sweep_interval: Duration,
}

impl ProxyConfig {
    pub fn new(
        nats_url: impl Into<String>,
        node: impl Into<String>,
        asterisk: AsteriskTarget,
        apps: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        ProxyConfig {
            nats_url: nats_url.into(),
            node: node.into(),
            asterisk,
            apps: apps.into_iter().map(Into::into).collect(),
            proxy_id: None,
            timing: Timing::default(),
            claim_timeout: Duration::from_secs(10),
            unclaimed: UnclaimedAction::Continue,
            announce_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
            owner_sweep_interval: Duration::from_secs(60),
        }
    }

    /// This proxy's id (random when not set).
    pub fn proxy_id(mut self, id: impl Into<String>) -> Self {
        self.proxy_id = Some(id.into());
        self
    }

    /// The cluster's time limits (used when this proxy makes the streams and buckets, and
    /// for the lease's renewal period).
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// How long a new call waits for a claim before it is handed back.
    pub fn claim_timeout(mut self, timeout: Duration) -> Self {
        self.claim_timeout = timeout;
        self
    }

    /// What becomes of a call nobody claimed.
    pub fn unclaimed(mut self, action: UnclaimedAction) -> Self {
        self.unclaimed = action;
        self
    }

    /// How often the proxy publishes its heartbeat.
    pub fn announce_interval(mut self, interval: Duration) -> Self {
        self.announce_interval = interval;
        self
    }

    /// How long one request to Asterisk may take.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How often the owners of resources Asterisk no longer has are forgotten.
    pub fn owner_sweep_interval(mut self, interval: Duration) -> Self {
        self.owner_sweep_interval = interval;
        self
    }

    pub(crate) fn validate(&self) -> crate::Result<()> {
        let problem = if self.node.is_empty() {
            Some("the node id is empty")
        } else if self.apps.is_empty() {
            Some("no application names")
        } else if self.apps.iter().any(|a| a.is_empty()) {
            Some("an empty application name")
        } else if self.owner_sweep_interval < Duration::from_millis(10)
            || self.announce_interval < Duration::from_millis(10)
        {
            Some("sweep or announce interval below 10 ms")
        } else if self.timing.lease_ttl < Duration::from_millis(300) {
            Some("lease_ttl below 300 ms")
        } else if !(self.asterisk.base_url.starts_with("http://")
            || self.asterisk.base_url.starts_with("https://"))
        {
            Some("the ARI URL must start with http:// or https://")
        } else {
            None
        };
        match problem {
            Some(p) => Err(crate::ClusterError::Config(p.to_owned())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let config = ProxyConfig::new(
            "nats://x",
            "n1",
            AsteriskTarget::new("http://a/ari/", "u", "s3cret-pw"),
            ["app"],
        );
        let text = format!("{config:?}");
        assert!(!text.contains("s3cret-pw"), "{text}");
        assert!(text.contains("<redacted>"));
        assert_eq!(config.asterisk.base_url, "http://a/ari");
        assert!(config.validate().is_ok());
        let no_apps = ProxyConfig::new(
            "nats://x",
            "n1",
            AsteriskTarget::new("http://a/ari", "u", "p"),
            Vec::<String>::new(),
        );
        assert!(no_apps.validate().is_err());
    }
}
