//! Arguments the compiler used to get wrong for users: parameters Asterisk requires although
//! the spec says optional (now positional), list parameters taking one value or several
//! (no `.chars()` detour), and media URIs checked for a scheme before anything is sent.
//!
//! Each test talks to a wiremock server recording what arrives.

use std::borrow::Cow;

use ari_sdk::models::MuteDirection;
use ari_sdk::{Client, Error, MEDIA_SCHEMES};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

fn client_for(server: &MockServer) -> Client {
    Client::builder(format!("{}/ari", server.uri()))
        .basic_auth("hey", "peekaboo")
        .build()
        .expect("client builds")
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

fn query_value(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `media` value of every request, in order.
async fn media_sent(server: &MockServer) -> Vec<String> {
    received(server)
        .await
        .iter()
        .map(|r| query_value(r, "media").expect("media sent"))
        .collect()
}

fn invalid_argument<T: std::fmt::Debug>(result: ari_sdk::Result<T>) -> (String, String, String) {
    match result {
        Err(Error::InvalidArgument {
            operation,
            argument,
            reason,
        }) => (operation, argument, reason),
        other => panic!("expected an invalid argument, got {other:?}"),
    }
}

#[tokio::test]
async fn dtmf_is_a_positional_argument() {
    let server = server().await;
    let client = client_for(&server);
    client.channel("c1").send_dtmf("1").await.unwrap();
    client
        .channels()
        .send_dtmf("c2", "12#")
        .between(50)
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].url.path(), "/ari/channels/c1/dtmf");
    assert_eq!(query_value(&requests[0], "dtmf").as_deref(), Some("1"));
    assert_eq!(query_value(&requests[1], "dtmf").as_deref(), Some("12#"));
    assert_eq!(query_value(&requests[1], "between").as_deref(), Some("50"));
}

#[tokio::test]
async fn mute_directions_are_positional_arguments() {
    let server = server().await;
    let client = client_for(&server);
    client
        .channel("c1")
        .mute(MuteDirection::Both)
        .await
        .unwrap();
    client.channel("c1").unmute("in").await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(
        query_value(&requests[0], "direction").as_deref(),
        Some("both")
    );
    assert_eq!(requests[1].method.as_str(), "DELETE");
    assert_eq!(
        query_value(&requests[1], "direction").as_deref(),
        Some("in")
    );
}

#[tokio::test]
async fn play_takes_one_media_uri_or_several() {
    let server = server().await;
    let client = client_for(&server);
    let channel = client.channel("c1");
    let owned = String::from("sound:beep");
    let several = vec![String::from("digits:12"), String::from("sound:beep")];
    // The answers are 204s, not playbacks: only what was sent matters here.
    let _ = channel.play("sound:hello-world").await;
    let _ = channel.play(owned.clone()).await;
    let _ = channel.play(&owned).await;
    let _ = channel.play(Cow::Borrowed("tone:ring")).await;
    let _ = channel.play(["sound:a", "sound:b"]).await;
    let _ = channel.play(&several).await;
    let _ = channel.play(&several[..1]).await;
    let _ = channel.play(several).await;
    let _ = channel.play(vec!["number:42"]).await;
    assert_eq!(
        media_sent(&server).await,
        [
            "sound:hello-world",
            "sound:beep",
            "sound:beep",
            "tone:ring",
            "sound:a,sound:b",
            "digits:12,sound:beep",
            "digits:12",
            "digits:12,sound:beep",
            "number:42",
        ]
    );
}

#[tokio::test]
async fn every_play_operation_takes_one_media_uri() {
    let server = server().await;
    let client = client_for(&server);
    let _ = client.channels().play("c1", "sound:a").await;
    let _ = client.channels().play_with_id("c1", "p1", "sound:b").await;
    let _ = client.bridge("b1").play("sound:c").await;
    let _ = client.bridges().play_with_id("b1", "p2", "sound:d").await;
    assert_eq!(
        media_sent(&server).await,
        ["sound:a", "sound:b", "sound:c", "sound:d"]
    );
    let paths: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/ari/channels/c1/play",
            "/ari/channels/c1/play/p1",
            "/ari/bridges/b1/play",
            "/ari/bridges/b1/play/p2",
        ]
    );
}

#[tokio::test]
async fn other_string_lists_take_one_value_too() {
    let server = server().await;
    let client = client_for(&server);
    client.bridge("b1").add_channel("c1").await.unwrap();
    client
        .bridge("b1")
        .remove_channel(["c1", "c2"])
        .await
        .unwrap();
    let _ = client.channel("c1").get_channel_vars("CALLERID(num)").await;
    let requests = received(&server).await;
    assert_eq!(query_value(&requests[0], "channel").as_deref(), Some("c1"));
    assert_eq!(
        query_value(&requests[1], "channel").as_deref(),
        Some("c1,c2")
    );
    assert_eq!(
        query_value(&requests[2], "variables").as_deref(),
        Some("CALLERID(num)")
    );
}

#[tokio::test]
async fn a_media_uri_without_a_known_scheme_is_refused_before_sending() {
    let server = server().await;
    let client = client_for(&server);
    let result = client.channel("c1").play(["sound:ok", "hello-world"]).await;
    let (operation, argument, reason) = invalid_argument(result);
    assert_eq!(operation, "channels.play");
    assert_eq!(argument, "media");
    assert!(reason.contains("`hello-world`"), "{reason}");
    for scheme in MEDIA_SCHEMES {
        assert!(reason.contains(scheme), "{reason} lacks {scheme}");
    }
    // The fix is spelled out.
    assert!(reason.contains("`sound:hello-world`"), "{reason}");

    let (operation, _, reason) =
        invalid_argument(client.bridge("b1").play("https://example.com/a.wav").await);
    assert_eq!(operation, "bridges.play");
    assert!(
        reason.contains("`sound:https://example.com/a.wav`"),
        "{reason}"
    );

    let (operation, _, reason) = invalid_argument(
        client
            .channels()
            .play_with_id("c1", "p1", "Sound:beep")
            .await,
    );
    assert_eq!(operation, "channels.playWithId");
    assert!(reason.contains("case-sensitive"), "{reason}");

    let (operation, _, reason) =
        invalid_argument(client.bridges().play_with_id("b1", "p1", "video:x").await);
    assert_eq!(operation, "bridges.playWithId");
    assert!(reason.contains("`video:x`"), "{reason}");

    let (_, _, reason) = invalid_argument(client.channel("c1").play(Vec::<String>::new()).await);
    assert!(reason.contains("at least one"), "{reason}");

    let error = client.channel("c1").play("beep").await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("channels.play") && text.contains("media") && text.contains("beep"),
        "{text}"
    );
    assert!(!error.may_have_executed());
    assert!(
        received(&server).await.is_empty(),
        "nothing may be sent for a refused media URI"
    );
}

#[tokio::test]
async fn every_known_scheme_is_sent_as_given() {
    let server = server().await;
    let client = client_for(&server);
    let all = [
        "sound:hello-world",
        "sound:https://example.com/a.wav",
        "recording:greeting",
        "number:42",
        "digits:1234",
        "characters:abc",
        "tone:ring",
    ];
    let _ = client.channel("c1").play(all).await;
    assert_eq!(media_sent(&server).await, [all.join(",")]);
}
