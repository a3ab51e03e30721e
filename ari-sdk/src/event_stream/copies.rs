//! Recognising copies of one event.
//!
//! Asterisk sends an event once per application that sees it: a client with two
//! connections (an application and an observer with `subscribeAll`), or one connection for
//! several applications, receives the same event several times, possibly far apart. The
//! copies are equal but for `application`; two different events are never equal (their
//! timestamps differ, or what they say does). So each stream counts, per content, how
//! many copies every source (connection + application) delivered: a source's n-th event
//! with that content is new exactly when no other source has delivered n of them yet. This
//! keeps real repeats from one source (the same digit pressed twice in one millisecond
//! would be two events) and drops every copy, in any order and at any distance.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use crate::runtime::LineEvent;

/// How long a stream remembers an event's content for copies still to come. Copies of
/// one event leave Asterisk together and are decoded as they arrive, whatever the
/// application is doing, so they are milliseconds apart; a minute leaves room for a
/// stalled connection without keeping a long call's whole history.
pub(crate) const COPY_HORIZON: Duration = Duration::from_secs(60);

/// Where a copy came from: a connection and the application it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Source {
    connection: u64,
    application: u64,
}

impl Source {
    pub(crate) fn new(connection: u64, application: &str) -> Source {
        let mut hasher = DefaultHasher::new();
        application.hash(&mut hasher);
        Source {
            connection,
            application: hasher.finish(),
        }
    }
}

/// What an event says, without the application it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(u64);

impl Fingerprint {
    pub(crate) fn of<E: LineEvent>(event: &E) -> Fingerprint {
        let mut hasher = DefaultHasher::new();
        let json = serde_json::to_vec(event).unwrap_or_default();
        // Copies differ only in the top-level `application` member: hash around it.
        let member = format!(
            "\"application\":{}",
            serde_json::to_string(event.application()).unwrap_or_default()
        );
        match find(&json, member.as_bytes()) {
            Some(at) => {
                json[..at].hash(&mut hasher);
                json[at + member.len()..].hash(&mut hasher);
            }
            None => json.hash(&mut hasher),
        }
        Fingerprint(hasher.finish())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The copies one stream has seen, per content, within [`COPY_HORIZON`].
#[derive(Default)]
pub(crate) struct Copies {
    seen: HashMap<Fingerprint, Vec<(Source, u32)>>,
    /// When each content was first seen, oldest first, for forgetting.
    order: VecDeque<(Instant, Fingerprint)>,
}

impl Copies {
    /// Records a copy from `source`; true when it is new to the stream (deliver it).
    pub(crate) fn first_copy(&mut self, print: Fingerprint, source: Source, now: Instant) -> bool {
        while let Some((at, old)) = self.order.front() {
            if now.duration_since(*at) < COPY_HORIZON {
                break;
            }
            self.seen.remove(old);
            self.order.pop_front();
        }
        let counts = self.seen.entry(print).or_insert_with(|| {
            self.order.push_back((now, print));
            Vec::new()
        });
        let others = counts
            .iter()
            .filter(|(s, _)| *s != source)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        let mine = match counts.iter_mut().find(|(s, _)| *s == source) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                counts.push((source, 1));
                1
            }
        };
        mine > others
    }

    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_content_counts_per_source() {
        let mut copies = Copies::default();
        let now = Instant::now();
        let a = Source::new(1, "hello");
        let b = Source::new(2, "observer");
        let c = Source::new(1, "world");
        let x = Fingerprint(1);
        assert!(copies.first_copy(x, a, now));
        assert!(!copies.first_copy(x, b, now), "b's copy of a's event");
        assert!(
            copies.first_copy(x, b, now),
            "b's second event of that content is new"
        );
        assert!(!copies.first_copy(x, a, now), "a's copy of b's second");
        assert!(!copies.first_copy(x, c, now));
        assert!(!copies.first_copy(x, c, now));
        assert!(
            copies.first_copy(x, c, now),
            "a third repeat, first seen from c"
        );
    }

    #[test]
    fn old_contents_are_forgotten() {
        let mut copies = Copies::default();
        let start = Instant::now();
        let a = Source::new(1, "hello");
        for i in 0..10 {
            assert!(copies.first_copy(Fingerprint(i), a, start));
        }
        assert_eq!(copies.remembered(), 10);
        assert!(copies.first_copy(Fingerprint(99), a, start + COPY_HORIZON));
        assert_eq!(copies.remembered(), 1);
    }

    #[test]
    fn the_application_does_not_change_the_fingerprint_and_the_content_does() {
        let event = |app: &str, digit: &str| {
            crate::decode_event(&format!(
                r#"{{"type":"ChannelDtmfReceived","digit":"{digit}","duration_ms":90,"timestamp":"2026-11-27T10:36:24.327+0000","channel":{{"id":"c1","name":"Local/7000@default-1;2","state":"Up","caller":{{"name":"","number":""}},"connected":{{"name":"","number":""}},"dialplan":{{"context":"default","exten":"7000","priority":1}}}},"application":"{app}"}}"#
            ))
            .expect("an event")
        };
        assert_eq!(
            Fingerprint::of(&event("hello", "1")),
            Fingerprint::of(&event("observer", "1"))
        );
        assert_ne!(
            Fingerprint::of(&event("hello", "1")),
            Fingerprint::of(&event("hello", "2"))
        );
    }
}
