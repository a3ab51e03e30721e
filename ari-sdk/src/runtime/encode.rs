//! Turning arguments into URL text that can never change the request's shape.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Timestamp;

/// Path segments: everything but RFC 3986 unreserved characters is encoded, so `/`, `?`,
/// `#` and `%` in an id stay inside its segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query values: as for segments, but `,` (ARI's list separator), `:`, `/` and `@` stay
/// readable (`media=sound:hello-world`); `+`, `&`, `=`, `#`, `%` and spaces are encoded.
const QUERY: &AsciiSet = &SEGMENT.remove(b',').remove(b':').remove(b'/').remove(b'@');

/// A piece of a request path.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    /// A fixed segment from the spec.
    Lit(&'static str),
    /// A path parameter: (name, value).
    Id(&'static str, &'a str),
}

/// Encodes one id as a path segment; `Err` names the problem.
pub(crate) fn encode_segment(value: &str) -> Result<String, &'static str> {
    match value {
        "" => Err("must not be empty"),
        // `%2E%2E` is still a dot segment to URL parsers and servers alike.
        "." | ".." => Err("`.` and `..` cannot be sent as a path segment"),
        _ => Ok(utf8_percent_encode(value, SEGMENT).to_string()),
    }
}

pub(crate) fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// A value that can be a query parameter.
pub trait QueryValue {
    fn to_query(&self) -> String;
}

impl QueryValue for String {
    fn to_query(&self) -> String {
        self.clone()
    }
}
impl QueryValue for &str {
    fn to_query(&self) -> String {
        (*self).to_owned()
    }
}
impl QueryValue for i64 {
    fn to_query(&self) -> String {
        self.to_string()
    }
}
impl QueryValue for i32 {
    fn to_query(&self) -> String {
        self.to_string()
    }
}
impl QueryValue for f64 {
    fn to_query(&self) -> String {
        self.to_string()
    }
}
impl QueryValue for bool {
    fn to_query(&self) -> String {
        if *self { "true" } else { "false" }.to_owned()
    }
}
impl QueryValue for Timestamp {
    fn to_query(&self) -> String {
        self.to_string()
    }
}

/// A URL with any userinfo and `api_key` value masked, for messages.
pub fn redact_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        // Not a URL: say nothing of its content beyond a hint.
        return format!("<unparsable URL of {} bytes>", text.len());
    };
    if !url.username().is_empty() {
        let _ = url.set_username("redacted");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("redacted"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("api_key") {
                    "redacted".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_their_segment() {
        assert_eq!(encode_segment("a/b?c#d%e").unwrap(), "a%2Fb%3Fc%23d%25e");
        assert_eq!(encode_segment("1795775777.1").unwrap(), "1795775777.1");
        assert_eq!(encode_segment("a..b").unwrap(), "a..b");
        assert!(encode_segment("..").is_err());
        assert!(encode_segment("").is_err());
        assert_eq!(
            encode_segment("x\r\nHost: evil").unwrap(),
            "x%0D%0AHost%3A%20evil"
        );
    }

    #[test]
    fn query_values_keep_list_commas() {
        assert_eq!(
            encode_query("sound:hello-world,sound:demo"),
            "sound:hello-world,sound:demo"
        );
        assert_eq!(encode_query("a+b&c=d #%"), "a%2Bb%26c%3Dd%20%23%25");
    }

    #[test]
    fn urls_lose_their_secrets() {
        let shown = redact_url("http://hey:peekaboo@host/ari/events?app=x&api_key=hey:peekaboo");
        assert!(!shown.contains("peekaboo"), "{shown}");
        assert!(shown.contains("app=x"));
    }
}
