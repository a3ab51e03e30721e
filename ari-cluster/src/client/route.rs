//! Where a request goes: the node of the resource it addresses, or any node for creates
//! and questions about the whole system (what creates what: [`crate::creates`]).

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

/// The id a path segment encodes; `None` when it is not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|id| id.into_owned())
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
    fn new_ids_look_like_uuids_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, b);
    }
}
