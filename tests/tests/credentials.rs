//! Credentials stay secret (Debug, Display, errors, logs), and TLS certificates are
//! checked unless the loudly named option turns that off, for REST and WebSocket alike.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ari_sdk::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "s3cr3t-peekaboo";

/// Everything tracing writes, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The process-wide subscriber of this test binary: tracing caches per call site whether
/// anyone listens, so a thread-scoped subscriber could miss events when tests run in parallel.
fn capture_logs() -> Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("one subscriber per test binary");
            captured
        })
        .clone()
}

/// Requests, failures and an event connection with api_key credentials log nothing secret.
#[tokio::test]
async fn logs_never_carry_credentials() {
    let logs = capture_logs();
    let sim = ari_sim::Simulator::builder()
        .user("hey", SECRET)
        .start()
        .await
        .unwrap();
    for client in [
        Client::builder(sim.base_url())
            .api_key("hey", SECRET)
            .build()
            .unwrap(),
        Client::builder(sim.base_url())
            .basic_auth("hey", SECRET)
            .build()
            .unwrap(),
    ] {
        client.channels().list().await.unwrap();
        let _ = client.channel("nope").get().await.unwrap_err();
        let mut events = client.events(["hello"]).connect().await.unwrap();
        events.next().await.unwrap().unwrap();
        events.close().await;
    }
    let refused = Client::builder("http://127.0.0.1:9/ari")
        .api_key("hey", SECRET)
        .build()
        .unwrap();
    let error = refused.channels().list().await.unwrap_err();
    let ws_error = refused.events(["hello"]).connect().await.unwrap_err();
    let wrong = Client::builder(sim.base_url())
        .api_key("hey", "wrong-secret")
        .build()
        .unwrap();
    let auth_error = wrong.events(["hello"]).connect().await.unwrap_err();
    for text in [
        format!("{error} {error:?}"),
        format!("{ws_error} {ws_error:?}"),
        format!("{auth_error} {auth_error:?}"),
    ] {
        assert!(
            !text.contains(SECRET) && !text.contains("wrong-secret"),
            "{text}"
        );
    }
    let logged = logs.text();
    assert!(
        logged.contains("ari.request") && logged.contains("channels.list"),
        "requests were logged: {logged}"
    );
    assert!(
        !logged.contains(SECRET),
        "a log line carries the password:\n{logged}"
    );
}

/// A TLS server with a self-signed certificate for `localhost`, answering every request
/// with `[]` (enough to tell a completed TLS handshake from a refused one).
async fn self_signed_server() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]";
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn tls_client(port: u16, accept_invalid: bool) -> Client {
    Client::builder(format!("https://localhost:{port}/ari"))
        .basic_auth("hey", SECRET)
        .timeout(Duration::from_secs(5))
        .danger_accept_invalid_certificates(accept_invalid)
        .build()
        .unwrap()
}

#[tokio::test]
async fn rest_checks_certificates_by_default() {
    let port = self_signed_server().await;
    let error = tls_client(port, false).channels().list().await.unwrap_err();
    assert!(
        matches!(error, ari_sdk::Error::Transport { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    // Only the explicit option lets a self-signed certificate through.
    assert!(
        tls_client(port, true)
            .channels()
            .list()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn websocket_checks_certificates_by_default() {
    let port = self_signed_server().await;
    let error = tls_client(port, false)
        .events(["hello"])
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ari_sdk::Error::Transport { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    // With the option, TLS completes and the (fake) server's non-upgrade answer is what fails.
    let error = tls_client(port, true)
        .events(["hello"])
        .connect()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(200), "{error:?}");
}

#[test]
fn debug_output_hides_credentials() {
    let builder = Client::builder("http://127.0.0.1:8088/ari").api_key("hey", SECRET);
    let client = builder.clone().build().unwrap();
    for text in [format!("{builder:?}"), format!("{client:?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
    let error = Client::builder(format!("http://hey:{SECRET}@127.0.0.1:8088/ari"))
        .build()
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains(SECRET), "{error:?}");
}
