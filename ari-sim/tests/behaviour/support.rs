//! A simulator, an SDK client and its event stream, with waits that do not lose events.

use std::collections::VecDeque;
use std::time::Duration;

use ari_sdk::{Client, Event, EventStream, Item};
use ari_sim::Simulator;

/// How long a test waits for any one event.
pub const EVENT_WAIT: Duration = Duration::from_secs(5);

pub struct Rig {
    pub sim: Simulator,
    pub client: Client,
    pub events: EventStream,
    /// Events read while looking for another one, in arrival order.
    backlog: VecDeque<Event>,
}

/// A call to 7000: the originated `;1` half (in `phone`) and the `;2` half that ran the
/// dialplan into `hello`, both answered.
pub struct Call {
    pub one: String,
    pub two: String,
}

impl Rig {
    /// Sounds play 100 ms; the event connection has `hello` and `phone`.
    pub async fn start() -> Rig {
        Rig::with(Simulator::builder().media_duration(Duration::from_millis(100))).await
    }

    pub async fn with(builder: ari_sim::SimulatorBuilder) -> Rig {
        let sim = builder
            .answer_delay(Duration::from_millis(10))
            .start()
            .await
            .expect("simulator starts");
        let client = sim.client();
        let events = client
            .events(["hello", "phone"])
            .connect()
            .await
            .expect("event connection");
        Rig {
            sim,
            client,
            events,
            backlog: VecDeque::new(),
        }
    }

    /// The first event (earlier ones kept for later) that `wanted` accepts.
    pub async fn expect(&mut self, what: &str, wanted: impl Fn(&Event) -> bool) -> Event {
        if let Some(at) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(at).expect("position is valid");
        }
        let read = tokio::time::timeout(EVENT_WAIT, async {
            loop {
                match self.events.next().await {
                    Some(Ok(Item::Event(e))) if wanted(&e) => return e,
                    Some(Ok(Item::Event(e))) => self.backlog.push_back(e),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => panic!("event stream error while waiting for {what}: {e}"),
                    None => panic!("event stream ended while waiting for {what}"),
                }
            }
        });
        read.await
            .unwrap_or_else(|_| panic!("no {what} within {EVENT_WAIT:?}"))
    }

    /// The next event of a type about a resource (`channel`, `bridge` or `playback` id,
    /// recording name), for an application.
    pub async fn expect_about(&mut self, app: &str, type_name: &str, id: &str) -> Event {
        let what = format!("{type_name} about {id} for {app}");
        self.expect(&what, |e| {
            e.type_name() == type_name && e.application() == app && mentions(e, id)
        })
        .await
    }

    /// Whether an event of this type about this resource arrives within `wait`.
    pub async fn arrives(&mut self, type_name: &str, id: &str, wait: Duration) -> bool {
        let found = tokio::time::timeout(
            wait,
            self.expect(type_name, |e| e.type_name() == type_name && mentions(e, id)),
        );
        found.await.is_ok()
    }

    /// Originates a call to 7000 the guide's way and answers it.
    pub async fn call(&mut self) -> Call {
        let one = self
            .client
            .channels()
            .originate("Local/7000@default")
            .app("phone")
            .await
            .expect("originate")
            .id
            .clone();
        let two = match self
            .expect("StasisStart in hello", |e| {
                matches!(e, Event::StasisStart(s) if s.application == "hello"
                    && s.channel.name.starts_with("Local/7000@default-")
                    && s.channel.id != one)
            })
            .await
        {
            Event::StasisStart(s) => s.channel.id.clone(),
            _ => unreachable!(),
        };
        self.client.channel(&two).answer().await.expect("answer");
        self.expect_about("phone", "StasisStart", &one).await;
        Call { one, two }
    }
}

/// Whether an event is about a resource: a channel, bridge, playback or recording.
pub fn mentions(e: &Event, id: &str) -> bool {
    let mut found = false;
    e.for_each_resource(|_, rid| found |= rid == id);
    found
        || media_of(e).is_some_and(|(media_id, target)| {
            media_id == id || target.split_once(':').map(|(_, t)| t) == Some(id)
        })
}

/// A playback's or recording's id and target, for media events.
pub fn media_of(e: &Event) -> Option<(String, String)> {
    match e {
        Event::PlaybackStarted(p) => Some((p.playback.id.clone(), p.playback.target_uri.clone())),
        Event::PlaybackContinuing(p) => {
            Some((p.playback.id.clone(), p.playback.target_uri.clone()))
        }
        Event::PlaybackFinished(p) => Some((p.playback.id.clone(), p.playback.target_uri.clone())),
        Event::RecordingStarted(r) => {
            Some((r.recording.name.clone(), r.recording.target_uri.clone()))
        }
        Event::RecordingFinished(r) => {
            Some((r.recording.name.clone(), r.recording.target_uri.clone()))
        }
        _ => None,
    }
}
