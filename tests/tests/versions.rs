//! The `since` logic, checked on every operation of every line we ship: an operation is
//! in a line's spec exactly when `ari_sdk::supports` says that line's release has it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ari_sdk::AsteriskVersion;

/// Each folder of api-docs/ and the release it was imported from (api-docs/README.md says so).
const LINES: &[(&str, &str)] = &[
    ("18", "18.26.4"),
    ("20", "20.20.1"),
    ("21", "21.12.3"),
    ("22", "22.10.1"),
    ("23", "23.4.1"),
];

fn api_docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs")
}

#[test]
fn the_readme_lists_the_same_releases() {
    let readme = std::fs::read_to_string(api_docs().join("README.md")).unwrap();
    for (line, release) in LINES {
        assert!(
            readme.contains(&format!("| `{line}/`")) && readme.contains(release),
            "{line} {release} missing from api-docs/README.md"
        );
        assert!(api_docs().join(line).join("resources.json").is_file());
    }
    // And no folder is missing from this list.
    let mut folders: Vec<String> = std::fs::read_dir(api_docs())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    folders.sort();
    let listed: Vec<&str> = LINES.iter().map(|(line, _)| *line).collect();
    assert_eq!(folders, listed, "api-docs/ folders vs LINES");
}

#[test]
fn since_lists_agree_with_which_lines_have_each_operation() {
    // Every operation of every line, with the `since` list of the newest line that has it.
    let mut since: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut present: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (line, _) in LINES {
        let api = ari_codegen::load_api(&api_docs().join(line)).unwrap();
        for op in api.operations().filter(|o| !o.websocket) {
            since.insert(op.qualified_name(), op.since.clone());
            present.entry(line).or_default().push(op.qualified_name());
        }
    }
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (line, release) in LINES {
        let version: AsteriskVersion = release.parse().unwrap();
        for (op, list) in &since {
            let list: Vec<&str> = list.iter().map(String::as_str).collect();
            let expected = present[line].contains(op);
            checked += 1;
            if ari_sdk::supports(&list, version) != expected {
                mismatches.push(format!(
                    "{op} since {list:?} on {release}: spec has it = {expected}"
                ));
            }
        }
    }
    assert!(checked > 400, "checked {checked}");
    assert!(
        mismatches.is_empty(),
        "{} of {checked} disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

mod server_version {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn asterisk(version: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/ari/asterisk/info"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "system": {"version": version, "entity_id": "02:fc:00:00:00:01"}
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/ari/channels"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
            .mount(&server)
            .await;
        server
    }

    fn client(server: &MockServer, refuse: bool) -> ari_sdk::Client {
        ari_sdk::Client::builder(format!("{}/ari", server.uri()))
            .basic_auth("hey", "peekaboo")
            .refuse_unsupported_operations(refuse)
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn server_version_is_read_once() {
        let server = asterisk("21.12.3").await;
        let client = client(&server, false);
        assert_eq!(
            client.server_version().await.unwrap(),
            ari_sdk::AsteriskVersion::new(21, 12, 3)
        );
        assert_eq!(
            client.server_version().await.unwrap().to_string(),
            "21.12.3"
        );
        let info_requests = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/ari/asterisk/info")
            .count();
        assert_eq!(info_requests, 1);
    }

    #[tokio::test]
    async fn an_operation_the_server_predates_is_refused_before_sending() {
        let server = asterisk("21.12.3").await;
        let client = client(&server, true);
        // claimChannel came with 20.17.0, 22.7.0 and 23.1.0: line 21 never got it.
        let error = client
            .events_resource()
            .claim_channel("c1", "hello")
            .await
            .unwrap_err();
        match &error {
            ari_sdk::Error::Unsupported {
                operation,
                server_version,
                since,
            } => {
                assert_eq!(operation, "events.claimChannel");
                assert_eq!(server_version, "21.12.3");
                assert_eq!(since, &["20.17.0", "22.7.0", "23.1.0"]);
            }
            other => panic!("expected Unsupported, got {other:?}"),
        }
        assert!(
            error
                .to_string()
                .contains("not available on Asterisk 21.12.3"),
            "{error}"
        );
        let sent = server.received_requests().await.unwrap();
        assert!(
            sent.iter().all(|r| r.url.path() != "/ari/events/claim"),
            "the refused request was sent"
        );
        // An operation every line has goes through.
        client.channels().list().await.unwrap();
    }

    #[tokio::test]
    async fn newer_servers_and_the_default_setting_send_it() {
        let server = asterisk("22.10.1").await;
        client(&server, true)
            .events_resource()
            .claim_channel("c1", "hello")
            .await
            .unwrap();
        let old = asterisk("21.12.3").await;
        client(&old, false)
            .events_resource()
            .claim_channel("c1", "hello")
            .await
            .unwrap();
    }
}

#[test]
fn the_readme_carries_the_current_differences() {
    let readme = std::fs::read_to_string(api_docs().join("README.md")).unwrap();
    for (old, new) in [
        ("18", "20"),
        ("20", "21"),
        ("21", "22"),
        ("22", "23"),
        ("20", "22"),
    ] {
        let old_api = ari_codegen::load_api(&api_docs().join(old)).unwrap();
        let new_api = ari_codegen::load_api(&api_docs().join(new)).unwrap();
        let text = ari_codegen::diff::render_text(&ari_codegen::diff::diff(&old_api, &new_api));
        let section = format!("### {old} -> {new}\n\n```\n{text}```");
        assert!(
            readme.contains(&section),
            "api-docs/README.md lacks the current diff {old} -> {new}:\n{section}"
        );
    }
}
