//! Lexical reading of a JSON object's top-level members, without decoding anything:
//! how an event's `type` and a `RESTResponse`'s routing fields are found in a frame before
//! (or instead of) decoding it. Strings, nesting and literals are followed, nothing is
//! checked or built: the typed pass that follows checks everything.

/// The index just past the JSON whitespace at `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// For the string whose opening quote is at `i`: the index of its closing quote, and
/// whether it holds escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j += b.get(j..)?.iter().position(|&c| c == b'"' || c == b'\\')?;
        if b[j] == b'"' {
            return Some((j, escaped));
        }
        escaped = true;
        j += 2;
    }
}

/// The index just past the value starting at `i`, found lexically: strings and nesting are
/// followed, nothing is checked or built (the typed pass that follows checks everything).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i).map(|(end, _)| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => j = string_end(b, j)?.0,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The raw JSON text of the top-level member `key`'s value (`"Name"` with its quotes,
/// `404`, `{...}`), borrowed from the frame: the members before it are skipped over
/// without being decoded and those after it are not read, so finding it allocates nothing
/// whatever the key order. `None` when the text is not an object, the member is missing,
/// or a key before it holds escapes.
pub(crate) fn member_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    loop {
        i = skip_ws(b, i + 1);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (name_end, name_escaped) = string_end(b, i)?;
        let is_key = &b[i + 1..name_end] == key.as_bytes();
        if name_escaped {
            return None;
        }
        i = skip_ws(b, name_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let end = skip_value(b, i)?;
        if is_key {
            // Both ends are ASCII bytes, so the slice falls on character boundaries.
            return Some(&text[i..end]);
        }
        i = skip_ws(b, end);
        if b.get(i) != Some(&b',') {
            return None;
        }
    }
}

/// The text of the top-level string member `key` (`"type": "Name"` gives `Name`),
/// borrowed from the frame as [`member_value`] finds it. `None` also when the value is not
/// a string or holds escapes: the caller then takes a general path.
pub(crate) fn find_member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let value = member_value(text, key)?;
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::{find_member, member_value};

    #[test]
    fn find_member_reads_the_type_wherever_it_is() {
        assert_eq!(
            find_member(r#"{"type":"StasisStart","x":1}"#, "type"),
            Some("StasisStart")
        );
        assert_eq!(
            find_member(" {\n \"type\" : \"Dial\" }", "type"),
            Some("Dial")
        );
        assert_eq!(
            find_member(r#"{"x":1,"type":"Dial"}"#, "type"),
            Some("Dial")
        );
        // Members before it are skipped whole: nested objects and arrays, strings holding
        // quotes, brackets and the key itself, literals.
        let later = r#"{"channel":{"type":"no","x":[1,{"y":"}"}]},"v":"a\"type\":\"no\"]","n":-1.5e3,"t":true,"z":null,"type":"ChannelVarset"}"#;
        assert_eq!(find_member(later, "type"), Some("ChannelVarset"));
        assert_eq!(find_member(r#"{"types":"Dial"}"#, "type"), None);
        assert_eq!(find_member(r#"{"x":{"type":"Dial"}}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":"Di\u0061l"}"#, "type"), None);
        assert_eq!(find_member(r#"{"\u0074ype":"Dial"}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":3}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":"#, "type"), None);
        assert_eq!(find_member(r#"{"x":[1,2"#, "type"), None);
        assert_eq!(find_member(r#"["type","Dial"]"#, "type"), None);
        assert_eq!(find_member("", "type"), None);
    }

    #[test]
    fn member_value_gives_any_value_as_written() {
        let frame = r#"{"type":"RESTResponse","request_id":"7","status_code":404,"message_body":"{\"a\":[1]}","x":{"y":2}}"#;
        assert_eq!(member_value(frame, "status_code"), Some("404"));
        assert_eq!(member_value(frame, "request_id"), Some(r#""7""#));
        assert_eq!(
            member_value(frame, "message_body"),
            Some(r#""{\"a\":[1]}""#)
        );
        assert_eq!(member_value(frame, "x"), Some(r#"{"y":2}"#));
        assert_eq!(member_value(frame, "missing"), None);
        assert_eq!(find_member(frame, "message_body"), None, "escaped");
        assert_eq!(find_member(frame, "status_code"), None, "not a string");
        assert_eq!(member_value(r#"{"status_code":"#, "status_code"), None);
    }
}
