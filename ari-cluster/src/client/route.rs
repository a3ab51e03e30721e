//! Where a request goes: the node of the resource it addresses, or any node for creates
//! and questions about the whole system; and the ids a create must carry so its node can
//! record who owns what it makes before it exists.

use crate::protocol::kind;

/// The resource a path addresses: `/channels/abc/answer` -> (`channel`, `abc`).
/// `None` for collections, creates without an id, and whole-system paths.
pub(crate) fn addressed(path: &str) -> Option<(&'static str, String)> {
    let mut segments = path.trim_start_matches('/').split('/');
    let collection = segments.next()?;
    let (owned_kind, id) = match collection {
        "channels" => (kind::CHANNEL, segments.next()?),
        "bridges" => (kind::BRIDGE, segments.next()?),
        "playbacks" => (kind::PLAYBACK, segments.next()?),
        "recordings" if segments.next()? == "live" => (kind::RECORDING, segments.next()?),
        _ => return None,
    };
    // Creates under a collection's own name, not an id.
    if owned_kind == kind::CHANNEL && matches!(id, "create" | "externalMedia") {
        return None;
    }
    let id = percent_decode(id)?;
    (!id.is_empty()).then_some((owned_kind, id))
}

/// Whether a request for an id no node is known for makes it: `POST /channels/{id}`
/// (originate with an id) and `POST /bridges/{id}` (create with an id).
pub(crate) fn creates_addressed(method: &str, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    method == "POST" && segments.len() == 2 && matches!(segments[0], "channels" | "bridges")
}

/// Creates whose id the client chooses when the caller did not: `(method, path pattern,
/// query parameter)`; `*` matches one segment. With the id known before the request runs,
/// the node records the owner first, so no event of the new resource can go astray.
const CHOSEN_IDS: &[(&str, &str, &str)] = &[
    ("POST", "/channels", "channelId"),
    ("POST", "/channels/create", "channelId"),
    ("POST", "/channels/externalMedia", "channelId"),
    ("POST", "/channels/*/snoop", "snoopId"),
    ("POST", "/bridges", "bridgeId"),
    ("POST", "/channels/*/play", "playbackId"),
    ("POST", "/bridges/*/play", "playbackId"),
];

/// The query parameter a create's id goes in, when the caller left it out.
pub(crate) fn id_to_choose(
    method: &str,
    path: &str,
    query: &[(String, String)],
) -> Option<&'static str> {
    let (_, _, parameter) = CHOSEN_IDS
        .iter()
        .find(|(m, pattern, _)| *m == method && matches_pattern(pattern, path))?;
    (!query.iter().any(|(name, _)| name == parameter)).then_some(*parameter)
}

fn matches_pattern(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// A new id: 128 random bits, as lowercase hex in UUID form.
pub(crate) fn new_id() -> String {
    let bits = fastrand::u128(..);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_resource_they_address() {
        assert_eq!(
            addressed("/channels/1733.42/answer"),
            Some((kind::CHANNEL, "1733.42".to_owned()))
        );
        assert_eq!(
            addressed("/bridges/b%2F1"),
            Some((kind::BRIDGE, "b/1".to_owned()))
        );
        assert_eq!(
            addressed("/playbacks/p1/control"),
            Some((kind::PLAYBACK, "p1".to_owned()))
        );
        assert_eq!(
            addressed("/recordings/live/r1/stop"),
            Some((kind::RECORDING, "r1".to_owned()))
        );
        for whole_system in [
            "/channels",
            "/channels/create",
            "/channels/externalMedia",
            "/recordings/stored/r1",
            "/asterisk/info",
            "/endpoints/PJSIP/100",
        ] {
            assert_eq!(addressed(whole_system), None, "{whole_system}");
        }
    }

    #[test]
    fn creates_with_an_id_are_told_apart() {
        assert!(creates_addressed("POST", "/channels/abc"));
        assert!(creates_addressed("POST", "/bridges/abc"));
        assert!(!creates_addressed("POST", "/channels/abc/answer"));
        assert!(!creates_addressed("DELETE", "/channels/abc"));
    }

    #[test]
    fn creates_get_an_id_unless_they_have_one() {
        let none: Vec<(String, String)> = Vec::new();
        assert_eq!(id_to_choose("POST", "/channels", &none), Some("channelId"));
        assert_eq!(
            id_to_choose("POST", "/channels/c1/play", &none),
            Some("playbackId")
        );
        assert_eq!(id_to_choose("POST", "/channels/c1/answer", &none), None);
        assert_eq!(id_to_choose("GET", "/channels", &none), None);
        let given = vec![("channelId".to_owned(), "mine".to_owned())];
        assert_eq!(id_to_choose("POST", "/channels", &given), None);
    }

    #[test]
    fn new_ids_look_like_uuids_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, b);
    }
}
