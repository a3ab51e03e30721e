//! What proxies and application instances say to each other over NATS: subjects, streams,
//! buckets, headers and message bodies. Both sides build every name from here, so the two
//! cannot drift; ARCHITECTURE.md describes the same names for people.
//!
//! Every token taken from data (node ids, instance ids, application names, resource ids) is
//! escaped with [`escape`]: ids hold dots, application names may hold commas, and neither
//! may change a subject's shape.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The JetStream stream of every event, routed: `ari.ev.own.<instance>.<app>` for events
/// of resources an instance owns, `ari.ev.node.<node>.<app>` for the rest.
pub const EVENTS_STREAM: &str = "ARI_EVENTS";
/// The work-queue stream of new calls: `ari.newcall.<app>`, one message per `StasisStart`
/// of a channel nobody owns, taken by exactly one instance.
pub const NEW_CALLS_STREAM: &str = "ARI_NEWCALLS";
/// Which instance owns which resource of which node: key `<node>.<kind>.<id>`, value
/// [`OwnerRecord`]. Written by the node's active proxy only (compare-and-set).
pub const OWNERS_BUCKET: &str = "ari_owners";
/// The lease of each node, held by its active proxy: key `<node>`, value [`Lease`], kept
/// alive by updates and gone after the bucket's age limit.
pub const LEASES_BUCKET: &str = "ari_leases";
/// Live application instances: key `<instance>`, value [`InstanceRecord`], gone after the
/// bucket's age limit once the instance stops refreshing it.
pub const INSTANCES_BUCKET: &str = "ari_instances";
/// Which instance took over a dead one: key `<dead instance>`, value [`Adoption`].
pub const ADOPTIONS_BUCKET: &str = "ari_adoptions";

/// The queue group of proxies that take creates and whole-system requests.
pub const CREATE_QUEUE_GROUP: &str = "ari-proxies";

/// Request headers.
pub mod headers {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    pub const METHOD: &str = "Ari-Method";
    /// Under the ARI root, leading slash, segments percent-encoded: `/channels/abc/answer`.
    pub const PATH: &str = "Ari-Path";
    /// The query string, percent-encoded, without `?` (absent when empty).
    pub const QUERY: &str = "Ari-Query";
    /// The instance that sent the request; it owns what the request creates.
    pub const INSTANCE: &str = "Ari-Instance";
    /// The answer is a file (a stored recording's): the proxy sends its bytes as they are.
    pub const BINARY: &str = "Ari-Binary";
    /// Reply: Asterisk's HTTP status.
    pub const STATUS: &str = "Ari-Status";
    /// Reply: Asterisk's `Location` header, when it sent one.
    pub const LOCATION: &str = "Ari-Location";
    /// Reply: the node that ran the request.
    pub const NODE: &str = "Ari-Node";
    /// Reply: the request did not get an answer from Asterisk; the value says whether it
    /// may have run: `unsent` (it certainly did not) or `sent` (it may have).
    ///
    /// Also on claims and requests the proxy could not act on: `bad-request` (the message
    /// is not what the protocol says; it will never work) and, on claims, `unavailable`
    /// (the node cannot decide now: ask again).
    pub const FAILURE: &str = "Ari-Failure";
    /// Reply with [`FAILURE`]: what went wrong, in words.
    pub const REASON: &str = "Ari-Reason";
}

/// Escapes one subject token or key part: ASCII letters, digits, `_` and `-` stay, every
/// other byte becomes `=XX` (upper-case hex). Never empty: the empty string is `=`.
pub fn escape(token: &str) -> String {
    if token.is_empty() {
        return "=".to_owned();
    }
    let mut out = String::with_capacity(token.len());
    for byte in token.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            out.push(byte as char);
        } else {
            out.push('=');
            out.push(
                char::from_digit((byte >> 4) as u32, 16)
                    .unwrap()
                    .to_ascii_uppercase(),
            );
            out.push(
                char::from_digit((byte & 15) as u32, 16)
                    .unwrap()
                    .to_ascii_uppercase(),
            );
        }
    }
    out
}

/// Reverses [`escape`]; `None` for text `escape` cannot have made.
pub fn unescape(token: &str) -> Option<String> {
    if token == "=" {
        return Some(String::new());
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = token.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Subjects, each token from data escaped.
pub mod subject {
    use super::escape;

    /// Events of resources `instance` owns, for application `app`.
    pub fn owned_events(instance: &str, app: &str) -> String {
        format!("ari.ev.own.{}.{}", escape(instance), escape(app))
    }
    /// Every owned event of `instance` (its consumer's filter).
    pub fn all_owned_events(instance: &str) -> String {
        format!("ari.ev.own.{}.>", escape(instance))
    }
    /// Events of `node` for `app` that no instance owns.
    pub fn node_events(node: &str, app: &str) -> String {
        format!("ari.ev.node.{}.{}", escape(node), escape(app))
    }
    /// The event stream's subjects.
    pub const EVENTS: &str = "ari.ev.>";
    /// New calls of `app`.
    pub fn new_calls(app: &str) -> String {
        format!("ari.newcall.{}", escape(app))
    }
    /// The new-call stream's subjects.
    pub const NEW_CALLS: &str = "ari.newcall.>";
    /// Requests for resources that live on `node`.
    pub fn command(node: &str) -> String {
        format!("ari.cmd.{}", escape(node))
    }
    /// Requests any node running `app` with its WebSocket up may take (creates, lists).
    pub fn create(app: &str) -> String {
        format!("ari.create.{}", escape(app))
    }
    /// Claims of new calls on `node`.
    pub fn claim(node: &str) -> String {
        format!("ari.claim.{}", escape(node))
    }
    /// Heartbeats of proxies ([`super::Announce`]).
    pub const ANNOUNCE: &str = "ari.announce";
    /// Discovery: every proxy answers with an [`super::Announce`].
    pub const PING: &str = "ari.ping";
}

/// Keys of the buckets, each part from data escaped.
pub mod key {
    use super::escape;

    /// The owner of resource `id` of `kind` (`channel`, `bridge`, `playback`, `recording`)
    /// on `node`.
    pub fn owner(node: &str, kind: &str, id: &str) -> String {
        format!("{}.{}.{}", escape(node), escape(kind), escape(id))
    }
    /// Every owner key of `node` (a watch or listing filter).
    pub fn owners_of_node(node: &str) -> String {
        format!("{}.>", escape(node))
    }
    /// A node's lease, an instance's liveness, an adoption.
    pub fn single(id: &str) -> String {
        escape(id)
    }
}

/// The durable consumer an instance reads its owned events with.
pub fn instance_consumer(instance: &str) -> String {
    format!("inst-{}", escape(instance))
}

/// The durable consumer instances share to take new calls of `app`.
pub fn new_call_consumer(app: &str) -> String {
    format!("newcall-{}", escape(app))
}

/// Kinds of owned resources, as owner keys name them.
pub mod kind {
    pub const CHANNEL: &str = "channel";
    pub const BRIDGE: &str = "bridge";
    pub const PLAYBACK: &str = "playback";
    pub const RECORDING: &str = "recording";
}

/// One event as published: where it came from and the event as Asterisk sent it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<'a> {
    pub node: String,
    /// New at every start of the node's proxy.
    pub boot: String,
    /// Position of the event among those the proxy read from Asterisk in this boot.
    pub seq: u64,
    pub app: String,
    /// Made by the proxy, not Asterisk (a resynchronisation, a call that ended while no
    /// WebSocket was connected).
    #[serde(default)]
    pub synthetic: bool,
    #[serde(borrow)]
    pub event: &'a RawValue,
}

/// The message id of an event for one destination: JetStream drops a second publish of
/// it within the stream's duplicate window.
pub fn event_message_id(node: &str, boot: &str, seq: u64, destination: &str) -> String {
    format!("{node}:{boot}:{seq}:{destination}")
}

/// A new call as queued on `ari.newcall.<app>`: an envelope whose event is the
/// `StasisStart`, plus the channel id.
#[derive(Debug, Serialize, Deserialize)]
pub struct NewCall<'a> {
    pub channel: String,
    #[serde(borrow)]
    pub envelope: Envelope<'a>,
}

/// An instance claims a new call from the call's node.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claim {
    pub channel: String,
    pub instance: String,
    pub app: String,
    /// The `StasisStart` as queued: what the node sends the claimer when it no longer
    /// holds the call's first events itself (a standby proxy that took the node over).
    #[serde(default)]
    pub start: serde_json::Value,
}

/// The node's answer to a [`Claim`].
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum ClaimReply {
    /// The call is the claimer's: its `StasisStart` and every later event go to the
    /// claimer's owned subject, in order.
    Claimed,
    /// Another instance owns it.
    Taken { owner: String },
    /// The call is no longer there (ended, or handed back after nobody claimed it in time).
    Gone,
}

/// Who owns a resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OwnerRecord {
    pub instance: String,
    pub app: String,
    /// The channel as the latest `StasisStart` showed it (channels only): what a
    /// resynchronisation reports when the call ended while no WebSocket was connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<serde_json::Value>,
    /// The `args` of that `StasisStart`: a survivor that adopts the call hands them on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
}

/// The holder of a node's lease.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Lease {
    pub proxy: String,
    pub boot: String,
}

/// A live instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstanceRecord {
    pub apps: Vec<String>,
}

/// A dead instance's calls, and its consumer, taken over by `by`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Adoption {
    pub by: String,
}

/// A proxy's heartbeat and its answer to a ping.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Announce {
    pub node: String,
    pub boot: String,
    /// This proxy's own id (several proxies may serve one node; one holds the lease).
    pub proxy: String,
    pub apps: Vec<String>,
    /// Whether this proxy holds the node's lease.
    pub active: bool,
    /// Whether its event WebSocket to Asterisk is up.
    pub websocket_up: bool,
    /// As `GET /asterisk/info` reported it, once known.
    pub asterisk_version: Option<String>,
}

/// The `type` of the synthetic event a proxy publishes after its WebSocket to Asterisk
/// came back (or a new proxy took the node over): events may have been missed.
pub const RESYNC_EVENT: &str = "ClusterResync";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_subject_shape_and_round_trips() {
        for token in [
            "plain",
            "1733140000.42",
            "app,with,commas",
            "a b*c>d",
            "",
            "=",
            "PJSIP/100-0000001",
            "é",
        ] {
            let escaped = escape(token);
            assert!(
                escaped
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'='),
                "{escaped}"
            );
            assert!(!escaped.is_empty());
            assert_eq!(unescape(&escaped).as_deref(), Some(token), "{token}");
        }
        assert_eq!(escape("1.2"), "1=2E2");
        assert_eq!(subject::command("node.a"), "ari.cmd.node=2Ea");
        assert_eq!(subject::create("a,b"), "ari.create.a=2Cb");
        assert_eq!(key::owner("n1", kind::CHANNEL, "17.3"), "n1.channel.17=2E3");
        assert_eq!(unescape("=4"), None);
        assert_eq!(unescape("=ZZ"), None);
    }

    #[test]
    fn escaped_tokens_never_collide() {
        // Distinct inputs, distinct outputs: "=" is itself escaped.
        assert_ne!(escape("a.b"), escape("a=2Eb"));
        assert_ne!(escape(""), escape("="));
    }

    #[test]
    fn envelopes_keep_the_event_as_sent() {
        let raw = r#"{"type":"StasisStart","application":"hello","x":[1,2]}"#;
        let event = RawValue::from_string(raw.to_owned()).unwrap();
        let envelope = Envelope {
            node: "n1".into(),
            boot: "b".into(),
            seq: 7,
            app: "hello".into(),
            synthetic: false,
            event: &event,
        };
        let text = serde_json::to_string(&envelope).unwrap();
        let back: Envelope<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.event.get(), raw);
        assert_eq!(back.seq, 7);
    }

    #[test]
    fn claim_replies_are_tagged() {
        let text = serde_json::to_string(&ClaimReply::Taken { owner: "i2".into() }).unwrap();
        assert_eq!(text, r#"{"result":"taken","owner":"i2"}"#);
        let back: ClaimReply = serde_json::from_str(r#"{"result":"gone"}"#).unwrap();
        assert_eq!(back, ClaimReply::Gone);
    }
}
