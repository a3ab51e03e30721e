//! Any bytes as `resources.json`, with the real Asterisk 22 declarations behind it.
#![no_main]

use ari_fuzz::{api_docs, check_spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let listing = String::from_utf8_lossy(data);
    check_spec(&listing, |name| api_docs().get(name).cloned());
});
