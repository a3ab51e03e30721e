//! Request-level tests: what the SDK puts on the wire, and how it reads the answers.
//!
//! Every test talks to a wiremock server that records what arrives, so the assertions
//! are about real HTTP requests, not about the SDK's own idea of them.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use ari_sdk::models::{
    ChannelState, MuteDirection, PlaybackState, RecordIfExists, RecordTerminateOn,
};
use ari_sdk::operations::OPERATIONS;
use ari_sdk::{Client, Error, OperationInfo};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

mod common;
use common::{fixtures_dir, path_matches, percent_decode};

const USER: &str = "hey";
const PASSWORD: &str = "peekaboo";
/// `base64("hey:peekaboo")`.
const BASIC_HEADER: &str = "Basic aGV5OnBlZWthYm9v";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

async fn server_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(answer).mount(&server).await;
    server
}

fn base_url(server: &MockServer) -> String {
    format!("{}/ari", server.uri())
}

fn client_for(server: &MockServer) -> Client {
    Client::builder(base_url(server))
        .basic_auth(USER, PASSWORD)
        .build()
        .expect("client builds")
}

async fn received(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// Sends with a fresh client against a server that always gives `answer`; returns the
/// result and every request that arrived.
async fn exchange<T, F, Fut>(
    answer: ResponseTemplate,
    send: F,
) -> (ari_sdk::Result<T>, Vec<Request>)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ari_sdk::Result<T>>,
{
    let server = server_answering(answer).await;
    let result = send(client_for(&server)).await;
    (result, received(&server).await)
}

/// Like [`exchange`], for a call that must put exactly one request on the wire.
async fn sent<T, F, Fut>(answer: ResponseTemplate, send: F) -> (ari_sdk::Result<T>, Request)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ari_sdk::Result<T>>,
{
    let (result, mut requests) = exchange(answer, send).await;
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {requests:#?}"
    );
    (result, requests.remove(0))
}

fn no_content() -> ResponseTemplate {
    ResponseTemplate::new(204)
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(serde_json::to_vec(body).unwrap(), "application/json")
}

/// The request path below the ARI root, still percent-encoded as sent.
fn ari_path(request: &Request) -> &str {
    let path = request.url.path();
    path.strip_prefix("/ari")
        .unwrap_or_else(|| panic!("request outside /ari: {path}"))
}

/// The raw (still encoded) segments below the ARI root.
fn segments(request: &Request) -> Vec<&str> {
    ari_path(request)
        .trim_start_matches('/')
        .split('/')
        .collect()
}

fn raw_query(request: &Request) -> &str {
    request.url.query().unwrap_or("")
}

/// Decoded query pairs, in order (`application/x-www-form-urlencoded` rules, so a `+`
/// sent unencoded would come back as a space).
fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn query_value(request: &Request, name: &str) -> Option<String> {
    query_pairs(request)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

fn assert_request(request: &Request, method: &str, path: &str) {
    assert_eq!(request.method.as_str(), method, "method of {}", request.url);
    assert_eq!(ari_path(request), path, "path of {}", request.url);
}

fn assert_invalid_argument<T: std::fmt::Debug>(
    result: ari_sdk::Result<T>,
    expected_argument: &str,
) {
    match result {
        Err(Error::InvalidArgument { argument, .. }) => assert_eq!(argument, expected_argument),
        other => panic!("expected InvalidArgument for `{expected_argument}`, got {other:?}"),
    }
}

fn operation(name: &str) -> &'static OperationInfo {
    OPERATIONS
        .iter()
        .find(|op| op.name == name)
        .unwrap_or_else(|| panic!("no operation {name}"))
}

/// A recorded answer of the walkthrough scenario: (status, JSON body, Location).
fn walkthrough_answer(method: &str, path_suffix: &str) -> (u16, Value, Option<String>) {
    let file = fixtures_dir().join("traces/walkthrough/rest.jsonl");
    let text = std::fs::read_to_string(file).expect("walkthrough fixture");
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON line"))
        .find(|x| {
            x["method"] == method && x["path"].as_str().is_some_and(|p| p.ends_with(path_suffix))
        })
        .map(|x| {
            let status = x["status"].as_u64().unwrap() as u16;
            (
                status,
                x["response"].clone(),
                x["location"].as_str().map(str::to_owned),
            )
        })
        .unwrap_or_else(|| panic!("no {method} …{path_suffix} in the walkthrough"))
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().unwrap().port()
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} shows the password: {text}"
    );
    assert!(
        !text.contains("aGV5OnBlZWthYm9v"),
        "{what} shows the Basic credentials: {text}"
    );
}

fn assert_error_has_no_secret(error: &Error) {
    assert_no_secret("error Display", &error.to_string());
    assert_no_secret("error Debug", &format!("{error:?}"));
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        assert_no_secret("error source", &s.to_string());
        source = s.source();
    }
}

// ---------------------------------------------------------------------------------------
// Method and path
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn originate_posts_to_channels_with_query_parameters() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channels()
            .originate("Local/7000@default")
            .app("hello")
            .await
    })
    .await;
    assert_request(&request, "POST", "/channels");
    assert_eq!(
        query_value(&request, "endpoint").as_deref(),
        Some("Local/7000@default")
    );
    assert_eq!(query_value(&request, "app").as_deref(), Some("hello"));
    assert_eq!(
        query_pairs(&request).len(),
        2,
        "only the parameters set: {}",
        raw_query(&request)
    );
}

#[tokio::test]
async fn answer_and_hangup_address_the_channel() {
    let (result, request) = sent(no_content(), |c| async move {
        c.channel("1795775777.1").answer().await
    })
    .await;
    result.expect("answer");
    assert_request(&request, "POST", "/channels/1795775777.1/answer");
    assert!(request.body.is_empty(), "answer has no body");

    let (result, request) = sent(no_content(), |c| async move {
        c.channel("1795775777.1").hangup().await
    })
    .await;
    result.expect("hangup");
    assert_request(&request, "DELETE", "/channels/1795775777.1");
    assert_eq!(raw_query(&request), "", "no parameters were set");
}

#[tokio::test]
async fn add_channel_sends_one_comma_joined_value() {
    let (result, request) = sent(no_content(), |c| async move {
        c.bridge("b1").add_channel(["a", "b"]).await
    })
    .await;
    result.expect("addChannel");
    assert_request(&request, "POST", "/bridges/b1/addChannel");
    assert_eq!(raw_query(&request), "channel=a,b");
}

#[tokio::test]
async fn play_sends_its_media_list() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1")
            .play(["sound:hello-world", "sound:demo-congrats"])
            .lang("en")
            .await
    })
    .await;
    assert_request(&request, "POST", "/channels/c1/play");
    assert_eq!(
        query_value(&request, "media").as_deref(),
        Some("sound:hello-world,sound:demo-congrats")
    );
    assert_eq!(query_value(&request, "lang").as_deref(), Some("en"));
    assert_eq!(query_pairs(&request).len(), 2);
}

#[tokio::test]
async fn stored_recording_file_is_a_get_of_its_file() {
    let (_, request) = sent(no_content(), |c| async move {
        c.recordings().get_stored_file("conf-rec").await
    })
    .await;
    assert_request(&request, "GET", "/recordings/stored/conf-rec/file");
}

// ---------------------------------------------------------------------------------------
// Ids stay inside their segment
// ---------------------------------------------------------------------------------------

const TRICKY_IDS: &[&str] = &[
    "a/b",
    "../x",
    "a?b=c",
    "a#frag",
    "100%",
    "50%2Fx",
    "%2e%2e",
    "a b",
    "x\r\nHost: evil",
    "tab\there",
    "çé☎🙂",
    "a..b",
    "...",
    "a;b,c+d&e=f",
    "Stasis:lamp",
    "1000@default",
];

#[tokio::test]
async fn tricky_ids_stay_in_one_segment() {
    let server = server_answering(no_content()).await;
    let client = client_for(&server);
    for id in TRICKY_IDS {
        client
            .channel(*id)
            .answer()
            .await
            .unwrap_or_else(|e| panic!("answer {id:?}: {e}"));
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), TRICKY_IDS.len());
    for (id, request) in TRICKY_IDS.iter().zip(&requests) {
        let parts = segments(request);
        assert_eq!(parts.len(), 3, "{id:?} changed the path: {}", request.url);
        assert_eq!(parts[0], "channels", "{id:?}: {}", request.url);
        assert_eq!(parts[2], "answer", "{id:?}: {}", request.url);
        assert_eq!(
            percent_decode(parts[1]),
            *id,
            "{id:?} arrived as {}",
            parts[1]
        );
        assert!(
            request.url.query().is_none(),
            "{id:?} leaked into the query: {}",
            request.url
        );
        assert!(
            request.url.fragment().is_none(),
            "{id:?} made a fragment: {}",
            request.url
        );
    }
}

#[tokio::test]
async fn tricky_ids_in_multi_id_paths() {
    let (_, request) = sent(no_content(), |c| async move {
        c.endpoint("PJSIP", "a/b?c").get().await
    })
    .await;
    let parts = segments(&request);
    assert_eq!(parts.len(), 3, "{}", request.url);
    assert_eq!(percent_decode(parts[2]), "a/b?c");

    let (_, request) = sent(no_content(), |c| async move {
        c.stored_recording("dir/name#1").get_stored_file().await
    })
    .await;
    let parts = segments(&request);
    assert_eq!(parts.len(), 4, "{}", request.url);
    assert_eq!(
        (parts[0], parts[1], parts[3]),
        ("recordings", "stored", "file")
    );
    assert_eq!(percent_decode(parts[2]), "dir/name#1");
}

#[tokio::test]
async fn dot_and_empty_ids_are_rejected_before_sending() {
    let server = server_answering(no_content()).await;
    let client = client_for(&server);
    for id in ["", ".", ".."] {
        assert_invalid_argument(client.channel(id).answer().await, "channelId");
        assert_invalid_argument(client.channels().hangup(id).await, "channelId");
        assert_invalid_argument(client.bridge(id).add_channel(["a"]).await, "bridgeId");
        assert_invalid_argument(client.endpoint("PJSIP", id).get().await, "resource");
    }
    assert_invalid_argument(client.raw().get("channels/../asterisk/info").await, "path");
    assert!(
        received(&server).await.is_empty(),
        "nothing may be sent for an invalid id"
    );
}

// ---------------------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn query_values_are_encoded() {
    let endpoint = "PJSIP/a+b&c=d #x%y";
    let caller = "\"Alice Smith\" <+100>";
    let (_, request) = sent(no_content(), move |c| async move {
        c.channels()
            .originate(endpoint)
            .app("hello")
            .caller_id(caller)
            .await
    })
    .await;
    let pairs = query_pairs(&request);
    assert_eq!(
        pairs.len(),
        3,
        "a value split the query: {}",
        raw_query(&request)
    );
    assert_eq!(query_value(&request, "endpoint").as_deref(), Some(endpoint));
    assert_eq!(query_value(&request, "callerId").as_deref(), Some(caller));
    let raw = raw_query(&request);
    assert!(!raw.contains('+'), "`+` must be sent as %2B: {raw}");
    assert!(!raw.contains(' '), "spaces must be encoded: {raw}");
    assert!(!raw.contains('"'), "quotes must be encoded: {raw}");
    assert!(
        raw.contains("%2B") && raw.contains("%26") && raw.contains("%3D") && raw.contains("%23"),
        "{raw}"
    );
}

#[tokio::test]
async fn dtmf_hash_and_star_survive_the_query() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1").send_dtmf("12#*").between(100).await
    })
    .await;
    assert_request(&request, "POST", "/channels/c1/dtmf");
    assert_eq!(query_value(&request, "dtmf").as_deref(), Some("12#*"));
    assert_eq!(query_value(&request, "between").as_deref(), Some("100"));
    assert!(request.url.fragment().is_none());
}

#[tokio::test]
async fn list_values_keep_their_commas() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1")
            .get_channel_vars(["CALLERID(num)", "A B"])
            .await
    })
    .await;
    assert_eq!(
        query_value(&request, "variables").as_deref(),
        Some("CALLERID(num),A B")
    );
    assert!(
        raw_query(&request).contains(','),
        "the list separator stays a comma: {}",
        raw_query(&request)
    );
    let (_, request) = sent(no_content(), |c| async move {
        c.bridges().remove_channel("b", ["x", "y", "z"]).await
    })
    .await;
    assert_eq!(raw_query(&request), "channel=x,y,z");
}

#[tokio::test]
async fn numbers_and_booleans_are_plain_text() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channels()
            .originate("Local/7000@default")
            .app("hello")
            .timeout(30)
            .priority(1)
            .await
    })
    .await;
    assert_eq!(query_value(&request, "timeout").as_deref(), Some("30"));
    assert_eq!(query_value(&request, "priority").as_deref(), Some("1"));

    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1")
            .set_channel_var("X")
            .value("1")
            .report_events(true)
            .await
    })
    .await;
    assert_eq!(
        query_value(&request, "report_events").as_deref(),
        Some("true")
    );
    assert_eq!(query_value(&request, "variable").as_deref(), Some("X"));
}

#[tokio::test]
async fn enum_parameters_send_their_wire_value() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1").mute(MuteDirection::In).await
    })
    .await;
    assert_request(&request, "POST", "/channels/c1/mute");
    assert_eq!(raw_query(&request), "direction=in");

    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1").unmute("out").await
    })
    .await;
    assert_request(&request, "DELETE", "/channels/c1/mute");
    assert_eq!(raw_query(&request), "direction=out");

    let (_, request) = sent(no_content(), |c| async move {
        c.channel("c1")
            .record("rec", "wav")
            .if_exists(RecordIfExists::Overwrite)
            .terminate_on(RecordTerminateOn::Hash)
            .beep(true)
            .max_silence_seconds(0)
            .await
    })
    .await;
    assert_eq!(
        query_value(&request, "ifExists").as_deref(),
        Some("overwrite")
    );
    assert_eq!(query_value(&request, "terminateOn").as_deref(), Some("#"));
    assert_eq!(query_value(&request, "beep").as_deref(), Some("true"));
    assert_eq!(
        query_value(&request, "maxSilenceSeconds").as_deref(),
        Some("0"),
        "the range's bound is allowed"
    );
}

#[tokio::test]
async fn out_of_range_values_are_rejected_before_sending() {
    let (result, requests) = exchange(no_content(), |c| async move {
        c.channel("c1")
            .record("rec", "wav")
            .max_duration_seconds(-1)
            .await
    })
    .await;
    assert_invalid_argument(result, "maxDurationSeconds");
    assert!(requests.is_empty(), "nothing may be sent: {requests:#?}");
}

// ---------------------------------------------------------------------------------------
// JSON body
// ---------------------------------------------------------------------------------------

fn assert_json_body(request: &Request, expected: &Value) {
    let content_type = header(request, "content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type:?}"
    );
    let body: Value = request.body_json().expect("JSON body");
    assert_eq!(&body, expected);
}

#[tokio::test]
async fn variables_travel_as_a_json_object() {
    let (_, request) = sent(no_content(), |c| async move {
        c.channels()
            .originate("Local/7000@default")
            .app("hello")
            .variables([("CALLERID(name)", "Alice")])
            .await
    })
    .await;
    assert_json_body(&request, &json!({"variables": {"CALLERID(name)": "Alice"}}));
    assert_eq!(
        query_value(&request, "endpoint").as_deref(),
        Some("Local/7000@default")
    );
    assert_eq!(
        query_value(&request, "variables"),
        None,
        "a body parameter is not also in the query"
    );

    let (result, request) = sent(no_content(), |c| async move {
        c.channel("c1")
            .set_channel_vars([("A", "1"), ("B C", "x&y")])
            .await
    })
    .await;
    result.expect("setChannelVars");
    assert_request(&request, "POST", "/channels/c1/variables");
    assert_json_body(&request, &json!({"variables": {"A": "1", "B C": "x&y"}}));
}

#[tokio::test]
async fn an_event_filter_is_the_whole_body_and_config_fields_a_list_of_pairs() {
    // As Asterisk 22 reads them (ari_codegen::fixups::BODY_SHAPES): a filter wrapped in
    // `{"filter": ...}` or fields sent as a map are answered 200 and change nothing.
    let filter = json!({"allowed": [{"type": "StasisStart"}], "disallowed": []});
    let (result, request) = sent(json_answer(200, &json!({"name": "hello"})), |c| {
        let filter = filter.clone();
        async move { c.applications().filter("hello").filter(filter).await }
    })
    .await;
    result.expect("filter");
    assert_request(&request, "PUT", "/applications/hello/eventFilter");
    assert_json_body(&request, &filter);

    let (_, request) = sent(json_answer(200, &json!([])), |c| async move {
        c.asterisk()
            .update_object("res_pjsip", "endpoint", "alice")
            .fields([("max_contacts", "2"), ("context", "default")])
            .await
    })
    .await;
    assert_request(
        &request,
        "PUT",
        "/asterisk/config/dynamic/res_pjsip/endpoint/alice",
    );
    assert_json_body(
        &request,
        &json!({"fields": [
            {"attribute": "max_contacts", "value": "2"},
            {"attribute": "context", "value": "default"},
        ]}),
    );

    // POST /bridges reads its variables from the top level, createWithId from a member.
    let (_, request) = sent(json_answer(200, &json!({"id": "b1"})), |c| async move {
        c.bridges()
            .create()
            .bridge_id("b1")
            .variables([("FOO", "bar")])
            .await
    })
    .await;
    assert_request(&request, "POST", "/bridges");
    assert_json_body(&request, &json!({"FOO": "bar"}));
    let (_, request) = sent(json_answer(200, &json!({"id": "b2"})), |c| async move {
        c.bridges()
            .create_with_id("b2")
            .variables([("FOO", "bar")])
            .await
    })
    .await;
    assert_json_body(&request, &json!({"variables": {"FOO": "bar"}}));

    // A filter that is not an object cannot be a body: refused before anything is sent.
    let server = server_answering(json_answer(200, &json!({}))).await;
    let client = client_for(&server);
    let refused = client
        .applications()
        .filter("hello")
        .filter(json!(["StasisStart"]))
        .await;
    assert_invalid_argument(refused, "filter");
    assert!(received(&server).await.is_empty(), "nothing was sent");
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn basic_auth_sends_the_authorization_header() {
    let (_, request) = sent(
        no_content(),
        |c| async move { c.channel("c1").answer().await },
    )
    .await;
    assert_eq!(header(&request, "authorization"), Some(BASIC_HEADER));
    assert_eq!(query_value(&request, "api_key"), None);
}

#[tokio::test]
async fn api_key_goes_in_the_query_only() {
    let server = server_answering(no_content()).await;
    let client = Client::builder(base_url(&server))
        .api_key(USER, PASSWORD)
        .build()
        .unwrap();
    client
        .channel("c1")
        .mute(MuteDirection::Both)
        .await
        .expect("mute");
    client.raw().get("asterisk/info").await.expect("raw");
    for request in received(&server).await {
        assert_eq!(
            query_value(&request, "api_key").as_deref(),
            Some("hey:peekaboo"),
            "{}",
            request.url
        );
        assert_eq!(header(&request, "authorization"), None, "{}", request.url);
    }
    assert_eq!(received(&server).await.len(), 2);
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn created_answers_keep_their_location() {
    let (status, body, location) = walkthrough_answer("POST", "/play");
    let location = location.expect("play answers with a Location");
    let answer = json_answer(status, &body).insert_header("Location", location.as_str());
    let (result, _) = sent(answer, |c| async move {
        c.channel("1795775777.1")
            .play(["sound:hello-world"])
            .send_full()
            .await
    })
    .await;
    let response = result.expect("play");
    assert_eq!(response.status, 201);
    assert_eq!(response.location.as_deref(), Some(location.as_str()));
    assert_eq!(response.value.id, body["id"].as_str().unwrap());
    assert_eq!(response.value.media_uri, "sound:hello-world");
    assert_eq!(response.value.state, PlaybackState::Queued);
}

#[tokio::test]
async fn void_operations_report_204() {
    let (result, _) = sent(no_content(), |c| async move {
        c.channel("c1").answer().send_full().await
    })
    .await;
    let response = result.expect("answer");
    assert_eq!(response.status, 204);
    assert_eq!(response.location, None);
}

#[tokio::test]
async fn json_answers_decode_into_models() {
    let (status, body, _) = walkthrough_answer("POST", "/channels");
    let (result, _) = sent(json_answer(status, &body), |c| async move {
        c.channels()
            .originate("Local/7000@default")
            .app("phone")
            .send_full()
            .await
    })
    .await;
    let response = result.expect("originate");
    assert_eq!(response.status, 200);
    let channel = response.value;
    assert_eq!(channel.id, body["id"].as_str().unwrap());
    assert_eq!(channel.name, body["name"].as_str().unwrap());
    assert_eq!(channel.state, ChannelState::Down);
    assert_eq!(channel.dialplan.exten, "7000");
    assert_eq!(channel.dialplan.priority, 1);
    assert_eq!(
        channel.creationtime.expect("creationtime").to_string(),
        body["creationtime"].as_str().unwrap()
    );
    assert_eq!(channel.language, "en");
}

fn status_error(result: ari_sdk::Result<impl std::fmt::Debug>) -> Error {
    match result {
        Err(error @ Error::Status(_)) => error,
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn not_found_is_documented_with_asterisks_message() {
    let body = json!({"message": "Channel not found"});
    let (result, _) = sent(json_answer(404, &body), |c| async move {
        c.channel("nope").get().await
    })
    .await;
    let error = status_error(result);
    assert!(error.is_not_found());
    assert!(!error.is_conflict());
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.asterisk_message(), Some("Channel not found"));
    assert_eq!(error.is_documented_status(), Some(true));
    assert!(operation("channels.get").error_statuses.contains(&404));
    let Error::Status(details) = &error else {
        unreachable!()
    };
    assert_eq!(details.operation, "channels.get");
    assert_eq!(details.method, "GET");
    assert!(details.path.ends_with("/channels/nope"), "{}", details.path);
    assert!(error.to_string().contains("Channel not found"), "{error}");
}

#[tokio::test]
async fn a_status_the_spec_omits_is_undocumented() {
    let body = json!({"message": "I'm a teapot"});
    assert!(!operation("channels.answer").error_statuses.contains(&418));
    let (result, _) = sent(json_answer(418, &body), |c| async move {
        c.channel("c1").answer().await
    })
    .await;
    let error = status_error(result);
    assert_eq!(error.status(), Some(418));
    assert_eq!(error.is_documented_status(), Some(false));
    assert_eq!(error.asterisk_message(), Some("I'm a teapot"));
}

#[tokio::test]
async fn server_errors_may_use_the_error_member() {
    let body = json!({"error": "Allocation failed"});
    let (result, _) = sent(json_answer(500, &body), |c| async move {
        c.channels().originate("Bogus/thing").app("hello").await
    })
    .await;
    let error = status_error(result);
    assert!(error.is_server_error());
    assert_eq!(error.asterisk_message(), Some("Allocation failed"));
    assert!(error.to_string().contains("Allocation failed"), "{error}");
}

#[tokio::test]
async fn an_error_status_with_a_non_json_body_keeps_the_body() {
    let answer = ResponseTemplate::new(503).set_body_raw("<html>busy</html>", "text/html");
    let (result, _) = sent(answer, |c| async move { c.channel("c1").answer().await }).await;
    let error = status_error(result);
    assert_eq!(error.asterisk_message(), None);
    let Error::Status(details) = &error else {
        unreachable!()
    };
    assert_eq!(details.body, "<html>busy</html>");
}

#[tokio::test]
async fn a_mismatched_json_answer_names_the_path() {
    let (_, mut body, _) = walkthrough_answer("POST", "/channels");
    body["dialplan"]["priority"] = json!("one");
    let (result, _) = sent(json_answer(200, &body), |c| async move {
        c.channel("c1").get().await
    })
    .await;
    match result {
        Err(Error::Decode {
            operation,
            path,
            body,
            ..
        }) => {
            assert_eq!(operation, "channels.get");
            assert_eq!(path, "dialplan.priority");
            assert!(body.contains("\"one\""), "{body}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_json_answer_is_a_decode_error_quoting_the_body() {
    let answer = ResponseTemplate::new(200).set_body_raw("<html>It works!</html>", "text/html");
    let (result, _) = sent(answer, |c| async move { c.channel("c1").get().await }).await;
    match &result {
        Err(Error::Decode { body, .. }) => assert_eq!(body, "<html>It works!</html>"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    let text = result.unwrap_err().to_string();
    assert!(text.contains("<html>It works!</html>"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = server_answering(no_content().set_delay(Duration::from_secs(5))).await;
    let client = Client::builder(base_url(&server))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = client.channel("c1").answer().await;
    let elapsed = started.elapsed();
    match &result {
        Err(Error::Timeout { operation, timeout }) => {
            assert_eq!(operation, "channels.answer");
            assert_eq!(*timeout, Duration::from_millis(200));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(result.unwrap_err().is_timeout());
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let client = Client::builder(format!("http://127.0.0.1:{}/ari", closed_port()))
        .build()
        .unwrap();
    match client.channel("c1").answer().await {
        Err(Error::Transport { operation, .. }) => assert_eq!(operation, "channels.answer"),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Binary and raw
// ---------------------------------------------------------------------------------------

/// The first bytes of a WAV file, including bytes that are not UTF-8.
const WAV_HEADER: &[u8] = b"RIFF\x24\x5f\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x5f\x00\x00\xff\xfe\x80\x7f";

#[tokio::test]
async fn stored_files_download_byte_for_byte() {
    let answer = ResponseTemplate::new(200).set_body_raw(WAV_HEADER, "audio/wav");
    let (result, request) = sent(answer, |c| async move {
        c.stored_recording("conf-rec")
            .get_stored_file()
            .send_full()
            .await
    })
    .await;
    assert_request(&request, "GET", "/recordings/stored/conf-rec/file");
    let response = result.expect("download");
    assert_eq!(response.status, 200);
    assert_eq!(&response.value[..], WAV_HEADER);
}

#[tokio::test]
async fn raw_requests_carry_query_and_body() {
    let listing = json!([{"id": "1"}]);
    let (result, request) = sent(json_answer(200, &listing), |c| async move {
        c.raw().get("channels").query("k", "v w").await
    })
    .await;
    assert_eq!(result.expect("raw get"), listing);
    assert_request(&request, "GET", "/channels");
    assert_eq!(
        query_pairs(&request),
        vec![("k".to_owned(), "v w".to_owned())]
    );

    let (result, request) = sent(no_content(), |c| async move {
        c.raw()
            .post("channels/c1/variable")
            .query("variable", "X")
            .body_field("value", json!("1"))
            .await
    })
    .await;
    assert_eq!(
        result.expect("raw post"),
        Value::Null,
        "an empty 204 is null"
    );
    assert_request(&request, "POST", "/channels/c1/variable");
    assert_eq!(query_value(&request, "variable").as_deref(), Some("X"));
    assert_json_body(&request, &json!({"value": "1"}));
}

#[tokio::test]
async fn raw_errors_are_status_errors() {
    let body = json!({"message": "Resource not found"});
    let (result, request) = sent(json_answer(404, &body), |c| async move {
        c.raw().get("no/such/path").await
    })
    .await;
    assert_request(&request, "GET", "/no/such/path");
    let error = status_error(result);
    assert_eq!(error.asterisk_message(), Some("Resource not found"));
    assert_eq!(error.is_documented_status(), Some(false));
}

// ---------------------------------------------------------------------------------------
// Credentials never leak
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn debug_output_has_no_credentials() {
    for builder in [
        Client::builder("http://127.0.0.1:8088/ari").basic_auth(USER, PASSWORD),
        Client::builder("http://127.0.0.1:8088/ari").api_key(USER, PASSWORD),
    ] {
        assert_no_secret("builder Debug", &format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_no_secret("client Debug", &format!("{client:?}"));
        assert_no_secret("raw Debug", &format!("{:?}", client.raw().get("channels")));
        assert_no_secret(
            "request Debug",
            &format!("{:?}", client.channel("c1").answer()),
        );
    }
}

#[tokio::test]
async fn errors_have_no_credentials() {
    let refused = format!("http://127.0.0.1:{}/ari", closed_port());
    for client in [
        Client::builder(&refused)
            .api_key(USER, PASSWORD)
            .build()
            .unwrap(),
        Client::builder(&refused)
            .basic_auth(USER, PASSWORD)
            .build()
            .unwrap(),
    ] {
        let error = client.channel("c1").answer().await.unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_error_has_no_secret(&error);
        let error = client
            .raw()
            .get("channels")
            .query("x", "y")
            .await
            .unwrap_err();
        assert_error_has_no_secret(&error);
    }

    let server = server_answering(json_answer(
        401,
        &json!({"message": "Authentication required"}),
    ))
    .await;
    let client = Client::builder(base_url(&server))
        .api_key(USER, PASSWORD)
        .build()
        .unwrap();
    let error = client.channels().list().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert!(error.is_unauthorized());
    assert_error_has_no_secret(&error);
    let error = client.raw().get("channels").await.unwrap_err();
    assert_error_has_no_secret(&error);

    let slow = server_answering(no_content().set_delay(Duration::from_secs(5))).await;
    let client = Client::builder(base_url(&slow))
        .api_key(USER, PASSWORD)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let error = client.channel("c1").answer().await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_error_has_no_secret(&error);
}

#[test]
fn credentials_in_the_base_url_are_refused_without_echoing_them() {
    let error = Client::builder("http://hey:peekaboo@127.0.0.1:8088/ari")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }), "{error:?}");
    assert_error_has_no_secret(&error);
    let error = Client::builder("not a url peekaboo").build().unwrap_err();
    assert_error_has_no_secret(&error);
}

// ---------------------------------------------------------------------------------------
// Coverage: every operation of the spec goes on the wire as the spec says
// ---------------------------------------------------------------------------------------

fn spec_operation_names() -> BTreeSet<String> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../api-docs/22"));
    let api = ari_codegen::load_api(dir).expect("api-docs/22 loads");
    api.operations()
        .filter(|op| !op.websocket)
        .map(|op| op.qualified_name())
        .collect()
}

#[tokio::test]
async fn every_operation_is_sent_as_the_spec_says() {
    let server = server_answering(no_content()).await;
    let client = client_for(&server);
    let calls = ari_sdk::operations::every_operation(&client);
    let names: Vec<&str> = calls.iter().map(|(name, _)| *name).collect();
    for (name, call) in calls {
        match call.await {
            Ok(()) | Err(Error::Decode { .. }) => {}
            Err(other) => panic!("{name}: {other}"),
        }
    }

    let requests = received(&server).await;
    assert_eq!(requests.len(), names.len(), "one request per operation");
    for (name, request) in names.iter().zip(&requests) {
        let op = operation(name);
        assert!(!op.websocket, "{name} is the WebSocket");
        assert_eq!(
            request.method.as_str(),
            op.method.as_str(),
            "{name}: {}",
            request.url
        );
        assert!(
            path_matches(op.path, ari_path(request)),
            "{name}: {} does not match {}",
            request.url,
            op.path
        );
    }

    let listed: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(listed.len(), names.len(), "an operation is listed twice");
    let spec = spec_operation_names();
    assert!(!spec.is_empty());
    assert_eq!(
        listed, spec,
        "every_operation must cover the spec's REST operations"
    );
    let table: BTreeSet<String> = OPERATIONS
        .iter()
        .filter(|op| !op.websocket)
        .map(|op| op.name.to_owned())
        .collect();
    assert_eq!(
        table, spec,
        "OPERATIONS must hold the spec's REST operations"
    );
}

#[test]
fn path_templates_match_only_their_shape() {
    assert!(path_matches(
        "/channels/{channelId}/answer",
        "/channels/x/answer"
    ));
    assert!(!path_matches(
        "/channels/{channelId}/answer",
        "/channels//answer"
    ));
    assert!(!path_matches(
        "/channels/{channelId}/answer",
        "/channels/x/play"
    ));
    assert!(!path_matches("/channels/{channelId}", "/channels/x/answer"));
}
