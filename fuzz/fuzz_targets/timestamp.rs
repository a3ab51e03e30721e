//! Any bytes as a timestamp. What parses must print as text that parses to the same
//! timestamp and prints the same again.
#![no_main]

use ari_sdk::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = Timestamp::parse(&text) {
        let shown = t.to_string();
        let again =
            Timestamp::parse(&shown).unwrap_or_else(|e| panic!("`{text}` -> `{shown}`: {e}"));
        assert_eq!(again, t, "`{text}` -> `{shown}`");
        assert_eq!(again.to_string(), shown);
    }
});
