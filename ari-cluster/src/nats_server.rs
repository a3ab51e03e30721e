//! A throwaway `nats-server` with JetStream, for tests, benchmarks and examples: a free
//! loopback port, a fresh store directory (removed on drop), killed on drop.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary's name, looked up on `PATH` first.
const BINARY: &str = "nats-server";
/// Where distributions put it when `PATH` does not say.
const FALLBACK_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/usr/local/bin"];
/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `nats-server -js` on 127.0.0.1.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    /// Whether a `nats-server` binary can be found.
    pub fn is_installed() -> bool {
        find_binary().is_some()
    }

    /// Starts a server on a free port with a new store directory, and waits until
    /// JetStream answers.
    pub async fn start() -> std::io::Result<NatsServer> {
        let binary = find_binary().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("`{BINARY}` not found on PATH nor in {FALLBACK_DIRS:?}"),
            )
        })?;
        let port = free_port()?;
        let store = new_store_dir()?;
        let mut server = NatsServer {
            binary,
            port,
            store,
            child: None,
        };
        server.spawn().await?;
        Ok(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory.
    pub fn store_dir(&self) -> &Path {
        &self.store
    }

    /// Kills the server and starts it again on the same port and store: JetStream's
    /// streams and buckets survive.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop();
        self.spawn().await
    }

    /// Kills the server (the store stays until drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn spawn(&mut self) -> std::io::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.store.join("nats-server.log"))?;
        let child = Command::new(&self.binary)
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                std::io::Error::new(e.kind(), format!("starting {}: {e}", self.binary.display()))
            })?;
        self.child = Some(child);
        self.wait_ready().await
    }

    /// Until a client connects and JetStream reports the account.
    async fn wait_ready(&mut self) -> std::io::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(std::io::Error::other(format!(
                    "{} exited at start ({status}); see {}",
                    self.binary.display(),
                    self.store.join("nats-server.log").display()
                )));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
                && jetstream_answers(&self.url()).await
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("{} did not become ready within {START_TIMEOUT:?}", BINARY),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Whether JetStream answers its account-info request (asked by hand: async-nats's
/// `query_account` expects fields nats-server 2.9 does not send).
async fn jetstream_answers(url: &str) -> bool {
    let attempt = async {
        let client = async_nats::connect(url).await.ok()?;
        let reply = client
            .request("$JS.API.INFO", bytes::Bytes::new())
            .await
            .ok()?;
        let info: serde_json::Value = serde_json::from_slice(&reply.payload).ok()?;
        Some(info.get("error").is_none())
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(true))
    )
}

fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(FALLBACK_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(BINARY))
        .find(|candidate| candidate.is_file())
}

/// A port the OS just handed out; free again once the listener closes.
fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn new_store_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "ari-nats-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
