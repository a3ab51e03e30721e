//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): Asterisk's error
//! answers become the right `Error` (404, 409, 400, 422, 401, 403 for the read-only user
//! `ro`), `server_version()` reads the server, and `refuse_unsupported_operations` lets
//! through what 22.10.1 has, and a request body laid out as Asterisk reads it (an event
//! filter, which a wrongly shaped body leaves unchanged behind a 200). Over both transports.

mod e2e;

use ari_sdk::{AsteriskVersion, Error, MuteDirection, Transport, operations::OPERATIONS};
use e2e::{LIMIT, other_half};

on_both_transports!(
    not_found_conflict_and_bad_request_are_typed,
    the_read_only_user_gets_403_and_a_wrong_password_401,
    server_version_and_refusing_unsupported_operations,
    an_event_filter_is_applied_by_asterisk,
);

/// The version of the test Asterisk (`../shared/asterisk/`).
const EXPECTED_VERSION: AsteriskVersion = AsteriskVersion::new(22, 10, 1);

async fn not_found_conflict_and_bad_request_are_typed(transport: Transport) {
    let Some(s) = e2e::session("typed errors", "errors", transport).await else {
        return;
    };
    // 404 for a channel that does not exist: gone, documented, Asterisk's message kept.
    let nope = s.id("nope");
    let missing = s
        .client
        .channel(&nope)
        .get()
        .await
        .expect_err("no such channel");
    assert!(missing.is_not_found() && missing.is_gone(), "{missing}");
    assert_eq!(missing.asterisk_message(), Some("Channel not found"));
    assert_eq!(missing.is_documented_status(), Some(true));
    match &missing {
        Error::Status(status) => {
            assert_eq!(status.operation, "channels.get");
            assert_eq!(status.path, format!("/channels/{nope}"));
        }
        other => panic!("not a status error: {other:?}"),
    }
    // 404 for a path that names no resource: not "gone".
    let nowhere = s
        .client
        .raw()
        .get("e2e-no-such-resource")
        .await
        .expect_err("no such path");
    assert!(nowhere.is_not_found() && !nowhere.is_gone(), "{nowhere}");

    // 409 for a channel that is not in a Stasis application (the `;2` half runs the
    // dialplan): the shape "gone" takes for a channel that left the application.
    let caller = s.enter("7002", "caller").await;
    let far = other_half(&caller.id);
    let outside = s
        .client
        .channel(&far)
        .answer()
        .await
        .expect_err("not in Stasis");
    assert!(outside.is_conflict() && outside.is_gone(), "{outside}");
    assert_eq!(
        outside.asterisk_message(),
        Some("Channel not in Stasis application")
    );
    assert_eq!(outside.is_documented_status(), Some(true));

    // 400: Asterisk insists on the parameters the generator's fixups make positional
    // (`ari_codegen::fixups::REQUIRED_BY_ASTERISK`), although the spec marks them optional:
    // sent without them (raw, as the typed API cannot), each is refused.
    let channel = s.client.channel(&caller.id);
    for entry in ari_codegen::fixups::REQUIRED_BY_ASTERISK {
        let path = match entry.nickname {
            "sendDTMF" => "dtmf",
            "mute" => "mute",
            "unmute" => "mute",
            other => panic!("no request known for {other}: add it here"),
        };
        let method = if entry.nickname == "unmute" {
            ari_sdk::Method::Delete
        } else {
            ari_sdk::Method::Post
        };
        let refused = s
            .client
            .raw()
            .request(method, &format!("channels/{}/{path}", caller.id))
            .send()
            .await
            .expect_err("refused without the parameter");
        assert!(refused.is_bad_request(), "{}: {refused}", entry.nickname);
        assert_eq!(
            refused.asterisk_message(),
            Some(entry.asterisk_says),
            "{}",
            entry.nickname
        );
    }
    channel
        .mute(MuteDirection::Out)
        .await
        .expect("with a direction it works");
    // 400 the spec lists: a snoop that neither spies nor whispers.
    let no_snoop = channel
        .snoop_channel(&s.app)
        .snoop_id(s.id("snoop"))
        .await
        .expect_err("neither spy nor whisper");
    assert!(no_snoop.is_bad_request(), "{no_snoop}");
    assert_eq!(no_snoop.is_documented_status(), Some(true));
    // 400: originate without an application or a dialplan location.
    let nowhere_to_go = s
        .client
        .channels()
        .originate("Local/7002@default")
        .channel_id(s.id("lost"))
        .await
        .expect_err("neither app nor extension");
    assert!(nowhere_to_go.is_bad_request(), "{nowhere_to_go}");

    // 422: a bridge operation on a channel of the application that is not in the bridge.
    let bridge_id = s.bridge("mixing").await;
    let not_in = s
        .client
        .bridge(&bridge_id)
        .remove_channel([caller.id.clone()])
        .await
        .expect_err("not in the bridge");
    assert_eq!(not_in.status(), Some(422), "{not_in}");
    assert!(!not_in.is_gone());
    s.client
        .bridge(&bridge_id)
        .destroy()
        .await
        .expect("destroy");

    channel.hangup().await.expect("hang up");
    s.finish().await;
}

async fn the_read_only_user_gets_403_and_a_wrong_password_401(transport: Transport) {
    let Some(asterisk) = e2e::asterisk(&format!("403 and 401 over {transport:?}")) else {
        return;
    };
    let prefix = format!(
        "e2e-{}-ro-{}",
        e2e::run_id(),
        e2e::transport_name(transport)
    );
    let cleanup = e2e::Cleanup::new(&asterisk, &prefix);
    let ro = asterisk.client_as("ro", "ro", transport);
    // The read-only user may open an event connection (a GET) ...
    let events = ro
        .events([format!("e2ero{}", e2e::transport_name(transport))])
        .connect()
        .await
        .expect("ro connects");
    // ... and read ...
    let channels = ro.channels().list().await.expect("ro lists channels");
    assert!(channels.iter().all(|c| !c.id.starts_with(&prefix)));
    // ... but not write: 403, and nothing happens.
    let forbidden = ro
        .channels()
        .originate("Local/7002@default")
        .app("e2ero")
        .channel_id(format!("{prefix}-caller"))
        .await
        .expect_err("ro may not originate");
    assert_eq!(forbidden.status(), Some(403), "{forbidden}");
    assert!(forbidden.is_unauthorized() && !forbidden.is_gone());
    assert_eq!(forbidden.is_documented_status(), Some(false));
    let forbidden = ro
        .bridges()
        .create_with_id(format!("{prefix}-bridge"))
        .await
        .expect_err("ro may not create a bridge");
    assert_eq!(forbidden.status(), Some(403), "{forbidden}");
    events.close().await;

    // A wrong password: 401 for REST, and for the event connection at once.
    let wrong = asterisk.client_as(&asterisk.user, "e2e-wrong-password", Transport::Http);
    let refused = wrong.channels().list().await.expect_err("wrong password");
    assert_eq!(refused.status(), Some(401), "{refused}");
    assert!(refused.is_unauthorized());
    assert!(!format!("{refused} {refused:?}").contains("e2e-wrong-password"));
    let wrong = asterisk.client_as(&asterisk.user, "e2e-wrong-password", transport);
    let refused = tokio::time::timeout(LIMIT, wrong.events(["e2ewrong"]).connect())
        .await
        .expect("connect answers at once")
        .expect_err("wrong password");
    assert_eq!(refused.status(), Some(401), "{refused}");
    cleanup.finish().await;
}

async fn server_version_and_refusing_unsupported_operations(transport: Transport) {
    let Some(s) = e2e::session("server version", "version", transport).await else {
        return;
    };
    let version = s.client.server_version().await.expect("server_version");
    assert_eq!(version, EXPECTED_VERSION);
    assert_eq!(version.to_string(), "22.10.1");

    // Nothing of the line-22 spec is newer than 22.10.1: nothing would be refused.
    let refused: Vec<_> = OPERATIONS
        .iter()
        .filter(|op| !ari_sdk::supports(op.since, version))
        .map(|op| op.name)
        .collect();
    assert!(refused.is_empty(), "refused on 22.10.1: {refused:?}");

    // With refusal on, the newest operations (22.10.0: channel and bridge variables in
    // bulk; 22.7.0: claimChannel) go through to the server, which answers them.
    let refusing = ari_sdk::Client::builder(&s.asterisk.url)
        .basic_auth(&s.asterisk.user, &s.asterisk.password)
        .transport(transport)
        .refuse_unsupported_operations(true)
        .timeout(LIMIT)
        .build()
        .expect("a refusing client");
    let refusing_events = refusing
        .events([format!("{}r", s.app)])
        .connect()
        .await
        .expect("its own event connection (REST over WebSocket needs one)");
    assert_eq!(
        refusing.server_version().await.expect("version"),
        EXPECTED_VERSION
    );
    let caller = s.enter("7002", "caller").await;
    refusing
        .channel(&caller.id)
        .set_channel_vars([("E2E_REFUSING", "no")])
        .await
        .expect("setChannelVars (since 22.10.0) is sent");
    let vars = refusing
        .channel(&caller.id)
        .get_channel_vars(["E2E_REFUSING"])
        .await
        .expect("getChannelVars (since 22.10.0) is sent");
    assert_eq!(vars.variables["E2E_REFUSING"], "no");
    let bridge_id = s.id("bridge");
    refusing
        .bridges()
        .create_with_id(&bridge_id)
        .await
        .expect("a bridge");
    refusing
        .bridge(&bridge_id)
        .set_bridge_var("E2E_BRIDGE_VAR")
        .value("yes")
        .await
        .expect("setBridgeVar (since 22.10.0) is sent");
    let var = refusing
        .bridge(&bridge_id)
        .get_bridge_var("E2E_BRIDGE_VAR")
        .await
        .expect("getBridgeVar (since 22.10.0) is sent");
    assert_eq!(var.value, "yes");
    let claim = refusing
        .events_resource()
        .claim_channel(s.id("unclaimed"), &s.app)
        .await;
    assert!(
        !matches!(claim, Err(Error::Unsupported { .. })),
        "claimChannel (since 22.7.0) is not refused: {claim:?}"
    );
    refusing
        .bridge(&bridge_id)
        .destroy()
        .await
        .expect("destroy");
    refusing
        .channel(&caller.id)
        .hangup()
        .await
        .expect("hang up");
    refusing_events.close().await;
    s.finish().await;
}

/// `applications.filter`: Asterisk takes the filter as the whole body and answers the
/// application with it; a body shaped otherwise is answered 200 with nothing changed, so
/// only the lists in the answer tell that the filter arrived.
async fn an_event_filter_is_applied_by_asterisk(transport: Transport) {
    let Some(s) = e2e::session("event filter", "filter", transport).await else {
        return;
    };
    let filter = serde_json::json!({
        "allowed": [{"type": "StasisStart"}, {"type": "StasisEnd"}],
        "disallowed": [{"type": "ChannelVarset"}],
    });
    let app = s
        .client
        .applications()
        .filter(&s.app)
        .filter(filter.clone())
        .await
        .expect("eventFilter");
    // Over the WebSocket transport the SDK adds `RESTResponse` to an allow list: Asterisk
    // sends its answers through the filter, and without it this very request would time out.
    let mut expected_allowed = filter["allowed"].as_array().unwrap().clone();
    if transport == Transport::WebSocket {
        expected_allowed.push(serde_json::json!({"type": "RESTResponse"}));
    }
    assert_eq!(app.events_allowed, expected_allowed);
    // Later requests on the same connection are still answered.
    s.client
        .asterisk()
        .ping()
        .await
        .expect("a request after the filter");
    assert_eq!(
        serde_json::Value::Array(app.events_disallowed.clone()),
        filter["disallowed"]
    );
    // An empty object clears both lists.
    let cleared = s
        .client
        .applications()
        .filter(&s.app)
        .filter(serde_json::json!({}))
        .await
        .expect("eventFilter");
    assert!(cleared.events_allowed.is_empty() && cleared.events_disallowed.is_empty());

    // No filter at all clears them too, on both transports (over the WebSocket Asterisk
    // reads a missing body as `null` and refuses it; the SDK sends the empty object).
    s.client
        .applications()
        .filter(&s.app)
        .filter(filter.clone())
        .await
        .expect("eventFilter");
    let cleared = s
        .client
        .applications()
        .filter(&s.app)
        .await
        .expect("eventFilter without a filter");
    assert!(cleared.events_allowed.is_empty() && cleared.events_disallowed.is_empty());
    s.finish().await;
}
