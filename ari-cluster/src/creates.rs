//! Which requests create a resource with an id the caller chose: the proxy records the
//! caller as its owner before running them, so the resource's first events already go to
//! the caller; the cluster client gives such a request an id when its caller did not, and
//! learns the node of what it made. This table is the one place that knows.

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::protocol::kind;

/// One path segment of a rule.
#[derive(Debug, Clone, Copy)]
enum Seg {
    /// This text exactly.
    Lit(&'static str),
    /// Any id (the resource the request acts on, not the one it creates).
    Any,
    /// The id of the created resource.
    Id,
}

/// `POST` to a path of this shape creates a resource of `kind` whose id is the [`Seg::Id`]
/// segment and/or the named query parameters.
#[derive(Debug)]
struct Rule {
    path: &'static [Seg],
    kind: &'static str,
    query_ids: &'static [&'static str],
}

use Seg::{Any, Id, Lit};

/// Literal shapes come before `{id}` shapes: the first rule that matches wins.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { path: &[Lit("channels")], kind: kind::CHANNEL, query_ids: &["channelId", "otherChannelId"] },
    Rule { path: &[Lit("channels"), Lit("create")], kind: kind::CHANNEL, query_ids: &["channelId", "otherChannelId"] },
    Rule { path: &[Lit("channels"), Lit("externalMedia")], kind: kind::CHANNEL, query_ids: &["channelId"] },
    Rule { path: &[Lit("channels"), Id], kind: kind::CHANNEL, query_ids: &["otherChannelId"] },
    Rule { path: &[Lit("channels"), Any, Lit("snoop")], kind: kind::CHANNEL, query_ids: &["snoopId"] },
    Rule { path: &[Lit("channels"), Any, Lit("snoop"), Id], kind: kind::CHANNEL, query_ids: &[] },
    Rule { path: &[Lit("bridges")], kind: kind::BRIDGE, query_ids: &["bridgeId"] },
    Rule { path: &[Lit("bridges"), Id], kind: kind::BRIDGE, query_ids: &[] },
    Rule { path: &[Lit("channels"), Any, Lit("play")], kind: kind::PLAYBACK, query_ids: &["playbackId"] },
    Rule { path: &[Lit("channels"), Any, Lit("play"), Id], kind: kind::PLAYBACK, query_ids: &[] },
    Rule { path: &[Lit("bridges"), Any, Lit("play")], kind: kind::PLAYBACK, query_ids: &["playbackId"] },
    Rule { path: &[Lit("bridges"), Any, Lit("play"), Id], kind: kind::PLAYBACK, query_ids: &[] },
    Rule { path: &[Lit("channels"), Any, Lit("record")], kind: kind::RECORDING, query_ids: &["name"] },
    Rule { path: &[Lit("bridges"), Any, Lit("record")], kind: kind::RECORDING, query_ids: &["name"] },
];

/// The resources (kind, id) a request creates with ids it names; empty for every other
/// request. `path` and `query` are as the request headers carry them (percent-encoded).
pub(crate) fn created_by(
    method: &str,
    path: &str,
    query: Option<&str>,
) -> Vec<(&'static str, String)> {
    if !method.eq_ignore_ascii_case("POST") {
        return Vec::new();
    }
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let Some(rule) = RULES.iter().find(|rule| matches(rule.path, &segments)) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = Vec::new();
    if let Some(index) = rule.path.iter().position(|s| matches!(s, Id)) {
        ids.push(segments[index].clone());
    }
    for (name, value) in query_pairs(query.unwrap_or("")) {
        if rule.query_ids.contains(&name.as_str()) && !value.is_empty() {
            ids.push(value);
        }
    }
    ids.dedup();
    ids.into_iter().map(|id| (rule.kind, id)).collect()
}

/// The query parameter in which a client chooses the id of what `method path` creates,
/// when the request has none yet (`names`: the query parameters it has). Only ids that
/// are the caller's to invent: not a recording's `name` (a required, meaningful
/// argument) nor a Local channel's second half.
pub(crate) fn id_to_choose<'a>(
    method: &str,
    path: &str,
    mut names: impl Iterator<Item = &'a str>,
) -> Option<&'static str> {
    if !method.eq_ignore_ascii_case("POST") {
        return None;
    }
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let rule = RULES.iter().find(|rule| matches(rule.path, &segments))?;
    if rule.path.iter().any(|s| matches!(s, Id)) {
        return None;
    }
    let chosen = *rule
        .query_ids
        .iter()
        .find(|name| !matches!(**name, "name" | "otherChannelId"))?;
    (!names.any(|name| name == chosen)).then_some(chosen)
}

/// For a create that lets Asterisk choose the id (no id in the path, none of the id
/// parameters given): the query with an id chosen here instead, so the owner can be
/// recorded before the resource's first event. `None` when nothing needs adding.
/// Recordings are left alone: their `name` is required, Asterisk refuses the request.
pub(crate) fn with_chosen_id(
    method: &str,
    path: &str,
    query: Option<&str>,
    new_id: impl FnOnce() -> String,
) -> Option<String> {
    let query = query.unwrap_or("");
    let pairs: Vec<(String, String)> = query_pairs(query)
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let parameter = id_to_choose(method, path, pairs.iter().map(|(name, _)| name.as_str()))?;
    let id = utf8_percent_encode(&new_id(), NON_ALPHANUMERIC).to_string();
    Some(if query.is_empty() {
        format!("{parameter}={id}")
    } else {
        format!("{query}&{parameter}={id}")
    })
}

fn matches(pattern: &[Seg], segments: &[String]) -> bool {
    pattern.len() == segments.len()
        && pattern.iter().zip(segments).all(|(seg, text)| match seg {
            Lit(lit) => text == lit,
            Any | Id => !text.is_empty(),
        })
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(name), decode(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(method: &str, path: &str, query: Option<&str>) -> Vec<(&'static str, String)> {
        created_by(method, path, query)
    }

    #[test]
    fn every_create_shape_names_its_ids() {
        let ch = |id: &str| (kind::CHANNEL, id.to_owned());
        assert_eq!(
            ids(
                "POST",
                "/channels",
                Some("endpoint=PJSIP%2F1&channelId=a.1&otherChannelId=b")
            ),
            vec![ch("a.1"), ch("b")]
        );
        assert_eq!(ids("POST", "/channels", Some("endpoint=x")), vec![]);
        assert_eq!(
            ids(
                "POST",
                "/channels/c%2E1",
                Some("endpoint=x&otherChannelId=o")
            ),
            vec![ch("c.1"), ch("o")]
        );
        assert_eq!(
            ids("POST", "/channels/create", Some("channelId=n")),
            vec![ch("n")]
        );
        assert_eq!(
            ids("POST", "/channels/externalMedia", Some("channelId=m&app=x")),
            vec![ch("m")]
        );
        assert_eq!(
            ids("POST", "/channels/c/snoop", Some("snoopId=s")),
            vec![ch("s")]
        );
        assert_eq!(ids("POST", "/channels/c/snoop/s2", None), vec![ch("s2")]);
        assert_eq!(
            ids("POST", "/bridges", Some("type=mixing&bridgeId=br")),
            vec![(kind::BRIDGE, "br".into())]
        );
        assert_eq!(
            ids("POST", "/bridges/br2", None),
            vec![(kind::BRIDGE, "br2".into())]
        );
        assert_eq!(
            ids(
                "POST",
                "/channels/c/play",
                Some("media=sound:x&playbackId=p")
            ),
            vec![(kind::PLAYBACK, "p".into())]
        );
        assert_eq!(
            ids("POST", "/bridges/b/play/p2", Some("media=x")),
            vec![(kind::PLAYBACK, "p2".into())]
        );
        assert_eq!(
            ids(
                "POST",
                "/channels/c/record",
                Some("name=rec%201&format=wav")
            ),
            vec![(kind::RECORDING, "rec 1".into())]
        );
        assert_eq!(
            ids("POST", "/bridges/b/record", Some("name=r")),
            vec![(kind::RECORDING, "r".into())]
        );
    }

    #[test]
    fn creates_get_an_id_unless_they_have_one() {
        let choose = |method: &str, path: &str, names: &[&str]| {
            id_to_choose(method, path, names.iter().copied())
        };
        assert_eq!(
            choose("POST", "/channels", &["endpoint"]),
            Some("channelId")
        );
        assert_eq!(choose("POST", "/channels/create", &[]), Some("channelId"));
        assert_eq!(choose("POST", "/channels/c1/snoop", &[]), Some("snoopId"));
        assert_eq!(choose("POST", "/bridges", &["type"]), Some("bridgeId"));
        assert_eq!(
            choose("POST", "/channels/c1/play", &["media"]),
            Some("playbackId")
        );
        assert_eq!(choose("POST", "/channels", &["channelId"]), None);
        // The id is in the path already, or is the caller's to name.
        assert_eq!(choose("POST", "/channels/c1", &[]), None);
        assert_eq!(choose("POST", "/channels/c1/record", &[]), None);
        assert_eq!(choose("POST", "/channels/c1/answer", &[]), None);
        assert_eq!(choose("GET", "/channels", &[]), None);
    }

    #[test]
    fn ids_left_to_asterisk_are_chosen_here() {
        let chosen = |m: &str, p: &str, q: Option<&str>| with_chosen_id(m, p, q, || "n.1".into());
        assert_eq!(
            chosen("POST", "/channels", Some("endpoint=x")).as_deref(),
            Some("endpoint=x&channelId=n%2E1")
        );
        assert_eq!(
            chosen("POST", "/channels", Some("endpoint=x&channelId=mine")),
            None
        );
        assert_eq!(
            chosen("POST", "/bridges", None).as_deref(),
            Some("bridgeId=n%2E1")
        );
        assert_eq!(
            chosen("POST", "/channels/c/play", Some("media=m")).as_deref(),
            Some("media=m&playbackId=n%2E1")
        );
        assert_eq!(chosen("POST", "/channels/c1", Some("endpoint=x")), None);
        assert_eq!(chosen("POST", "/channels/c/record", None), None);
        assert_eq!(chosen("POST", "/channels/c/answer", None), None);
        assert_eq!(chosen("GET", "/channels", None), None);
        let query = chosen("POST", "/channels", Some("endpoint=x")).unwrap();
        assert_eq!(
            created_by("POST", "/channels", Some(&query)),
            vec![(kind::CHANNEL, "n.1".to_owned())]
        );
    }

    #[test]
    fn other_requests_create_nothing() {
        assert!(ids("POST", "/channels/c/answer", None).is_empty());
        assert!(ids("DELETE", "/channels/c", None).is_empty());
        assert!(ids("GET", "/channels", Some("channelId=x")).is_empty());
        assert!(
            ids(
                "POST",
                "/channels/c/play/p/control",
                Some("operation=pause")
            )
            .is_empty()
        );
        assert!(ids("POST", "/bridges/b/addChannel", Some("channel=c")).is_empty());
        assert!(ids("POST", "", None).is_empty());
    }
}
