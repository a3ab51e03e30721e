//! The real Asterisk the end-to-end and per-call tests may run on, in one place: the one
//! `ARI_E2E_URL` names (`ARI_E2E_USER` / `ARI_E2E_PASSWORD`, default hey/peekaboo),
//! configured as `../shared/asterisk/` sets it up. Without `ARI_E2E_URL` a test that
//! needs it prints `SKIPPED <what>: ARI_E2E_URL is not set` and passes.
//!
//! Also what tests sharing that server need: ids that tell this run's resources apart,
//! and taking the `hello` application one test at a time. (A client of a simulator comes
//! from `Simulator::client_builder`.)
#![allow(dead_code)]

use ari_sdk::{Client, ClientBuilder};

/// Where an Asterisk is and who the tests are there.
#[derive(Debug, Clone)]
pub struct Asterisk {
    pub url: String,
    pub user: String,
    pub password: String,
}

/// The Asterisk of `ARI_E2E_URL`, or `None` after saying `what` is skipped.
pub fn asterisk(what: &str) -> Option<Asterisk> {
    match std::env::var("ARI_E2E_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let var = |name: &str, default: &str| {
                std::env::var(name).unwrap_or_else(|_| default.to_owned())
            };
            Some(Asterisk {
                url: url.trim().to_owned(),
                user: var("ARI_E2E_USER", "hey"),
                password: var("ARI_E2E_PASSWORD", "peekaboo"),
            })
        }
        _ => {
            eprintln!("SKIPPED {what}: ARI_E2E_URL is not set");
            None
        }
    }
}

impl Asterisk {
    /// A client builder logged in as the tests' user.
    pub fn client_builder(&self) -> ClientBuilder {
        self.client_builder_as(&self.user, &self.password)
    }

    /// A client builder logged in as another `ari.conf` user (`ro`/`ro` is read-only).
    pub fn client_builder_as(&self, user: &str, password: &str) -> ClientBuilder {
        Client::builder(&self.url).basic_auth(user, password)
    }
}

/// Tells this run's resources from those of an earlier or concurrent run.
pub fn run_id() -> &'static str {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!(
            "{:x}",
            (u64::from(std::process::id()) << 20) ^ u64::from(nanos)
        )
    })
}

/// One test at a time on the real server's `hello` application (within one test binary):
/// Asterisk serves an application on one connection only, and a second connection for
/// `hello` would take it over.
pub async fn hello_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static HELLO: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HELLO.lock().await
}
