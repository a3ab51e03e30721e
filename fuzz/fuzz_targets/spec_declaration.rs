//! Any bytes as an api-declaration (`fuzz.json`), the only file its listing names.
#![no_main]

use ari_fuzz::check_spec;
use libfuzzer_sys::fuzz_target;

const LISTING: &str = r#"{"apis": [{"path": "/api-docs/fuzz.{format}"}]}"#;

fuzz_target!(|data: &[u8]| {
    let declaration = String::from_utf8_lossy(data);
    check_spec(LISTING, |name| {
        (name == "fuzz.json").then(|| declaration.to_string())
    });
});
