//! Helpers shared by the integration tests (each test file uses a part of them).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `tests/fixtures` of this repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// RFC 3986 percent-decoding of one path segment.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(
                u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad escape in {text}")),
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 segment")
}

/// The segments of a path (`/a/b` -> `["a", "b"]`).
pub fn split_path(path: &str) -> Vec<&str> {
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// Whether a template segment is a `{param}`.
pub fn is_param(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// Whether a request path matches a template: `{param}` matches any non-empty segment.
pub fn path_matches(template: &str, path: &str) -> bool {
    let template = split_path(template);
    let path = split_path(path);
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| if is_param(t) { !p.is_empty() } else { t == p })
}
