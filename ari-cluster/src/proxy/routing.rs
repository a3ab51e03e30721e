//! Who gets which event: the node's ownership map (mirrored in the owners bucket), new
//! calls waiting for a claim, and calls that are gone. Pure bookkeeping, no I/O.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use ari_sdk::{Event, ResourceKind};

use crate::protocol::{OwnerRecord, kind};

/// A resource as owner keys name it: (`channel`|`bridge`|`playback`|`recording`, id).
pub(crate) type Resource = (&'static str, String);

/// Frames a pending call keeps for its claimer. At the bound the call is plainly not being
/// claimed: it is handed back at once and further frames go to the node subject.
pub(crate) const MAX_BUFFERED: usize = 1000;
/// Gone calls remembered for late claims; the oldest are forgotten first.
const MAX_GONE: usize = 10_000;

/// The owner-key kind of an event's resource, for the kinds instances can own.
pub(crate) fn kind_name(resource: ResourceKind) -> Option<&'static str> {
    match resource {
        ResourceKind::Channel => Some(kind::CHANNEL),
        ResourceKind::Bridge => Some(kind::BRIDGE),
        ResourceKind::Playback => Some(kind::PLAYBACK),
        ResourceKind::LiveRecording => Some(kind::RECORDING),
        _ => None,
    }
}

/// Every ownable resource an event concerns (media targets included), without repeats.
pub(crate) fn resources_of(event: &Event) -> Vec<Resource> {
    let mut found: Vec<Resource> = Vec::new();
    event.for_each_resource(|resource, id| {
        if let Some(name) = kind_name(resource)
            && !found.iter().any(|(k, i)| *k == name && i == id)
        {
            found.push((name, id.to_owned()));
        }
    });
    found
}

/// The kind whose resources an event ends (their owner keys are deleted after it).
pub(crate) fn ends_kind(event: &Event) -> Option<&'static str> {
    match event {
        Event::ChannelDestroyed(_) => Some(kind::CHANNEL),
        Event::BridgeDestroyed(_) => Some(kind::BRIDGE),
        Event::PlaybackFinished(_) => Some(kind::PLAYBACK),
        Event::RecordingFinished(_) | Event::RecordingFailed(_) => Some(kind::RECORDING),
        _ => None,
    }
}

/// An owner record and the bucket revision it was read or written at.
#[derive(Debug, Clone)]
pub(crate) struct Owned {
    pub record: OwnerRecord,
}

/// A frame kept for the claimer of a pending call.
#[derive(Debug, Clone)]
pub(crate) struct Buffered {
    pub seq: u64,
    pub app: String,
    pub text: String,
}

/// A new call queued for the instances, waiting for a claim.
#[derive(Debug)]
pub(crate) struct PendingCall {
    pub app: String,
    /// The `StasisStart` frame and its seq.
    pub start: Buffered,
    pub deadline: Instant,
    pub buffer: Vec<Buffered>,
}

#[derive(Debug, Default)]
pub(crate) struct Routing {
    pub owners: HashMap<Resource, Owned>,
    pub pending: HashMap<String, PendingCall>,
    gone: HashSet<String>,
    gone_order: VecDeque<String>,
    /// Calls found in Stasis, unowned, when this proxy connected (a proxy before it queued
    /// them and may have died before they were claimed): handed back at their deadline
    /// unless claimed.
    pub orphans: HashMap<String, Instant>,
    /// Resources whose create request is running: Asterisk may not have them yet, so
    /// checks of whether they still exist must leave them alone.
    creating: HashMap<Resource, u32>,
}

impl Routing {
    pub fn owner_of(&self, resource: &Resource) -> Option<&Owned> {
        self.owners.get(resource)
    }

    pub fn channel_owner(&self, id: &str) -> Option<&Owned> {
        self.owners.get(&(kind::CHANNEL, id.to_owned()))
    }

    /// The distinct instances owning any of `resources`, in first-seen order.
    pub fn owners_of(&self, resources: &[Resource]) -> Vec<String> {
        let mut instances: Vec<String> = Vec::new();
        for resource in resources {
            if let Some(owned) = self.owners.get(resource)
                && !instances.contains(&owned.record.instance)
            {
                instances.push(owned.record.instance.clone());
            }
        }
        instances
    }

    /// The pending channels among `resources`.
    pub fn pending_among(&self, resources: &[Resource]) -> Vec<String> {
        resources
            .iter()
            .filter(|(k, id)| *k == kind::CHANNEL && self.pending.contains_key(id))
            .map(|(_, id)| id.clone())
            .collect()
    }

    pub fn begin_create(&mut self, resource: &Resource) {
        *self.creating.entry(resource.clone()).or_default() += 1;
    }

    pub fn end_create(&mut self, resource: &Resource) {
        if let Some(count) = self.creating.get_mut(resource) {
            *count -= 1;
            if *count == 0 {
                self.creating.remove(resource);
            }
        }
    }

    pub fn is_creating(&self, resource: &Resource) -> bool {
        self.creating.contains_key(resource)
    }

    /// Owned resources whose existence may be checked now.
    pub fn settled_owned(&self) -> Vec<Resource> {
        self.owners
            .keys()
            .filter(|r| !self.is_creating(r))
            .cloned()
            .collect()
    }

    pub fn mark_gone(&mut self, channel: &str) {
        if self.gone.insert(channel.to_owned()) {
            self.gone_order.push_back(channel.to_owned());
            while self.gone_order.len() > MAX_GONE {
                if let Some(old) = self.gone_order.pop_front() {
                    self.gone.remove(&old);
                }
            }
        }
    }

    pub fn is_gone(&self, channel: &str) -> bool {
        self.gone.contains(channel)
    }

    /// Removes and returns the pending (and orphan) calls whose claim deadline has passed.
    pub fn take_expired(&mut self, now: Instant) -> Vec<String> {
        let expired: Vec<String> = self
            .pending
            .iter()
            .map(|(id, call)| (id, call.deadline))
            .chain(self.orphans.iter().map(|(id, deadline)| (id, *deadline)))
            .filter(|(_, deadline)| *deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.pending.remove(id);
            self.orphans.remove(id);
            self.mark_gone(id);
        }
        expired
    }

    /// Whether a channel is known here in any way (owned, pending, orphan or gone).
    pub fn knows_channel(&self, id: &str) -> bool {
        self.channel_owner(id).is_some()
            || self.pending.contains_key(id)
            || self.orphans.contains_key(id)
            || self.is_gone(id)
    }

    /// The distinct (instance, app) pairs of the map: who gets a resynchronisation.
    pub fn owner_apps(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .owners
            .values()
            .map(|o| (o.record.instance.clone(), o.record.app.clone()))
            .collect();
        pairs.sort();
        pairs.dedup();
        pairs
    }
}

/// Parses an owner key of `node` back into its resource; `None` for other nodes' keys.
pub(crate) fn parse_owner_key(node: &str, key: &str) -> Option<Resource> {
    let rest = key.strip_prefix(&format!("{}.", crate::protocol::escape(node)))?;
    let (kind_part, id_part) = rest.split_once('.')?;
    let kind_name = match crate::protocol::unescape(kind_part)?.as_str() {
        kind::CHANNEL => kind::CHANNEL,
        kind::BRIDGE => kind::BRIDGE,
        kind::PLAYBACK => kind::PLAYBACK,
        kind::RECORDING => kind::RECORDING,
        _ => return None,
    };
    Some((kind_name, crate::protocol::unescape(id_part)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::key;

    #[test]
    fn owner_keys_parse_back() {
        let k = key::owner("n.1", kind::CHANNEL, "17.3");
        assert_eq!(
            parse_owner_key("n.1", &k),
            Some((kind::CHANNEL, "17.3".to_owned()))
        );
        assert_eq!(parse_owner_key("n2", &k), None);
        assert_eq!(parse_owner_key("n.1", "n=2E1.thing.x"), None);
    }

    #[test]
    fn owners_are_distinct_and_expiry_marks_gone() {
        let mut routing = Routing::default();
        let record = |i: &str| Owned {
            record: OwnerRecord {
                instance: i.into(),
                app: "a".into(),
                snapshot: None,
                args: Vec::new(),
            },
        };
        routing
            .owners
            .insert((kind::CHANNEL, "c1".into()), record("i1"));
        routing
            .owners
            .insert((kind::BRIDGE, "b1".into()), record("i1"));
        routing
            .owners
            .insert((kind::CHANNEL, "c2".into()), record("i2"));
        let resources = vec![
            (kind::CHANNEL, "c1".to_owned()),
            (kind::BRIDGE, "b1".to_owned()),
            (kind::CHANNEL, "c2".to_owned()),
        ];
        assert_eq!(routing.owners_of(&resources), vec!["i1", "i2"]);
        assert_eq!(routing.owner_apps().len(), 2);

        let now = Instant::now();
        let frame = Buffered {
            seq: 1,
            app: "a".into(),
            text: "{}".into(),
        };
        routing.pending.insert(
            "c9".into(),
            PendingCall {
                app: "a".into(),
                start: frame,
                deadline: now,
                buffer: Vec::new(),
            },
        );
        assert_eq!(routing.take_expired(now), vec!["c9".to_owned()]);
        assert!(routing.is_gone("c9"));
        assert!(routing.pending.is_empty());
    }
}
