//! A base URL without `/ari`: errors name the likely cause (REST and the event
//! connection alike), paths never get a doubled slash, and a trailing slash is fine.

use ari_sdk::{Client, Error};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// What Asterisk's HTTP server answers for a path outside ARI (as 22.10.1 sends it).
const ASTERISK_404_PAGE: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n\
<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n<h1>Not Found</h1>\r\n\
<p>The requested URL was not found on this server.</p>\r\n<hr />\r\n\
<address>Asterisk</address>\r\n</body></html>\r\n";

async fn server_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(answer).mount(&server).await;
    server
}

fn not_found_page() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw(ASTERISK_404_PAGE, "text/html")
}

fn client(base: &str) -> Client {
    Client::builder(base)
        .basic_auth("hey", "peekaboo")
        .build()
        .expect("client builds")
}

async fn paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .iter()
        .map(|r: &Request| r.url.path().to_owned())
        .collect()
}

/// The reason of a `base_url` error for `operation`.
fn base_url_error<T: std::fmt::Debug>(result: ari_sdk::Result<T>, operation: &str) -> String {
    match result {
        Err(Error::InvalidArgument {
            operation: op,
            argument,
            reason,
        }) => {
            assert_eq!(op, operation);
            assert_eq!(argument, "base_url");
            reason
        }
        other => panic!("expected an error naming the base URL, got {other:?}"),
    }
}

#[tokio::test]
async fn rest_without_ari_names_the_missing_path() {
    let server = server_answering(not_found_page()).await;
    let base = server.uri();
    let result = client(&base).channels().list().await;
    let reason = base_url_error(result, "channels.list");
    assert!(
        reason.contains(&format!("the base URL `{base}` has no `/ari` path")),
        "{reason}"
    );
    assert!(
        reason.contains("Asterisk serves ARI under /ari"),
        "{reason}"
    );
    assert!(reason.contains(&format!("`{base}/ari`")), "{reason}");
    assert!(reason.contains("404 Not Found"), "{reason}");
    // No doubled slash on the wire.
    assert_eq!(paths(&server).await, ["/channels"]);

    // The same through a handle, the escape hatch, and a root with a slash.
    let result = client(&format!("{base}/")).channel("c1").answer().await;
    assert!(base_url_error(result, "channels.answer").contains("has no `/ari` path"));
    let result = client(&base).raw().get("asterisk/info").await;
    assert!(base_url_error(result, "raw GET asterisk/info").contains("has no `/ari` path"));
    assert_eq!(
        paths(&server).await,
        ["/channels", "/channels/c1/answer", "/asterisk/info"]
    );
}

#[tokio::test]
async fn an_error_naming_the_base_url_is_not_a_not_found() {
    let server = server_answering(not_found_page()).await;
    let error = client(&server.uri())
        .channel("gone")
        .hangup()
        .await
        .unwrap_err();
    // Code that ignores "already gone" must not swallow a wrong URL.
    assert!(!error.is_not_found(), "{error}");
    assert!(!error.may_have_executed(), "{error}");
    let text = error.to_string();
    assert!(text.contains("channels.hangup"), "{text}");
    assert!(text.contains("has no `/ari` path"), "{text}");
}

#[tokio::test]
async fn a_page_that_is_not_aris_under_ari_says_ari_is_missing() {
    // Asterisk's own HTTP server answers so while it starts (before res_ari is loaded) and
    // when ARI is disabled: not the base URL's fault, nothing ran, a later try may work.
    let server = server_answering(not_found_page()).await;
    let base = format!("{}/ari", server.uri());
    let error = client(&base).channels().list().await.unwrap_err();
    let Error::Transport { message, sent, .. } = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert!(
        !sent && !error.may_have_executed() && !error.is_gone(),
        "{error}"
    );
    assert!(
        message.contains(&format!("nothing serves ARI at `{base}` (yet)")),
        "{message}"
    );
    assert!(
        message.contains("still be starting") && message.contains("ari.conf"),
        "{message}"
    );
}

#[tokio::test]
async fn aris_own_not_found_stays_a_status() {
    let answer = ResponseTemplate::new(404)
        .set_body_raw(r#"{"message":"Channel not found"}"#, "application/json");
    let server = server_answering(answer).await;
    // Even under a root that lacks `/ari` (a proxy may map one): ARI answered.
    for base in [format!("{}/ari", server.uri()), server.uri()] {
        let error = client(&base).channel("nope").get().await.unwrap_err();
        assert!(error.is_not_found(), "{error}");
        assert_eq!(error.asterisk_message(), Some("Channel not found"));
    }
}

#[tokio::test]
async fn other_statuses_are_left_alone() {
    let answer = ResponseTemplate::new(503).set_body_raw("<html>busy</html>", "text/html");
    let server = server_answering(answer).await;
    let error = client(&server.uri()).channels().list().await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
}

#[tokio::test]
async fn a_trailing_slash_is_accepted() {
    let server = server_answering(ResponseTemplate::new(204)).await;
    for base in [
        format!("{}/ari/", server.uri()),
        format!("{}/ari//", server.uri()),
    ] {
        let client = client(&base);
        assert_eq!(
            client.base_url(),
            Some(format!("{}/ari", server.uri()).as_str())
        );
        client.channel("c1").answer().await.unwrap();
    }
    assert_eq!(
        paths(&server).await,
        ["/ari/channels/c1/answer", "/ari/channels/c1/answer"]
    );
}

#[tokio::test]
async fn the_event_connection_without_ari_names_the_missing_path() {
    let server = server_answering(not_found_page()).await;
    let base = server.uri();
    let result = client(&base).events(["hello"]).connect().await;
    let reason = base_url_error(result.map(|_| ()), "events.eventWebsocket");
    assert!(
        reason.contains(&format!("the base URL `{base}` has no `/ari` path")),
        "{reason}"
    );
    assert_eq!(paths(&server).await, ["/events"]);
}

/// The path a refused event connection reports.
async fn refused_event_path(base: &str) -> String {
    let error = client(base)
        .events(["hello"])
        .connect()
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(!error.to_string().contains("//events"), "{error}");
    match error {
        Error::Status(status) => status.path,
        other => panic!("expected a status, got {other:?}"),
    }
}

#[tokio::test]
async fn the_event_connection_path_has_one_slash() {
    // A refusal that is not a 404 keeps its status; its path is shown as sent.
    let answer = ResponseTemplate::new(401).set_body_raw(
        r#"{"message":"Authentication required"}"#,
        "application/json",
    );
    let server = server_answering(answer).await;
    assert_eq!(refused_event_path(&server.uri()).await, "/events");
    let with_slash = format!("{}/ari/", server.uri());
    assert_eq!(refused_event_path(&with_slash).await, "/ari/events");
    assert_eq!(paths(&server).await, ["/events", "/ari/events"]);
}

#[tokio::test]
async fn the_simulator_without_ari_gives_the_same_errors() {
    let sim = ari_sim::Simulator::start().await.expect("simulator starts");
    let (user, password) = sim.credentials();
    let base = format!("http://{}", sim.addr());
    let client = Client::builder(&base)
        .basic_auth(user, password)
        .build()
        .unwrap();
    let reason = base_url_error(client.channels().list().await, "channels.list");
    assert!(reason.contains("has no `/ari` path"), "{reason}");
    let result = client.events(["hello"]).connect().await.map(|_| ());
    let reason = base_url_error(result, "events.eventWebsocket");
    assert!(reason.contains("has no `/ari` path"), "{reason}");
    // With `/ari` all is well.
    sim.client()
        .channels()
        .list()
        .await
        .expect("list under /ari");
}
