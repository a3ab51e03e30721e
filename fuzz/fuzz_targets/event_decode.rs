//! Any bytes as an event WebSocket frame. What decodes must serialize to a frame that
//! decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let frame = String::from_utf8_lossy(data);
    if let Ok(event) = ari_sdk::decode_event(&frame) {
        let text = serde_json::to_string(&event).expect("a decoded event serializes");
        let again = ari_sdk::decode_event(&text)
            .unwrap_or_else(|e| panic!("{event:?} serialized as `{text}`: {e}"));
        assert_eq!(again, event, "{text}");
    }
});
