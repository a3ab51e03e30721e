//! Helpers shared by the WebSocket tests.

use serde_json::Value;

/// A frame's keys, in the order they came.
pub fn keys(frame: &Value) -> Vec<&str> {
    frame
        .as_object()
        .expect("frames are objects")
        .keys()
        .map(String::as_str)
        .collect()
}

/// Sends an HTTP request and reads its JSON answer.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("a JSON answer")
}
