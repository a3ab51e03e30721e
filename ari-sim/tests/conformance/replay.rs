//! Replays a recording against a fresh simulator: the same REST requests in the same
//! order (recorded ids replaced by the simulator's), waiting where the recording shows
//! the client waited, while one event connection collects what the simulator sends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::watch;

use crate::ids::Ids;
use crate::trace::{Ev, Exchange, Trace};
use crate::waits::{self, Key, WAITED};

/// How long the replay waits for one awaited event before giving up on it.
const WAIT: Duration = Duration::from_millis(1500);

/// A scenario: its folder and the event connection its recording client had.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub apps: &'static [&'static str],
    pub subscribe_all: bool,
}

/// What the simulator did.
pub struct Outcome {
    pub statuses: Vec<u16>,
    /// Bodies in the recording's form: JSON, `""`, or `<N bytes TYPE>`.
    pub responses: Vec<Value>,
    pub events: Vec<Ev>,
    pub frames: Vec<String>,
    pub ids: Ids,
    /// Awaited events that never came, as `app type subject`.
    pub missed: Vec<String>,
}

#[derive(Default)]
struct Collected {
    events: Vec<Ev>,
    frames: Vec<String>,
}

struct Replay {
    sim: ari_sim::Simulator,
    http: reqwest::Client,
    collected: Arc<Mutex<Collected>>,
    arrivals: watch::Receiver<usize>,
    ids: Ids,
    /// Simulated events already fed to `ids`.
    ingested: usize,
    missed: Vec<String>,
}

pub async fn run(scenario: Scenario, trace: &Trace) -> Outcome {
    let sim = ari_sim::Simulator::builder()
        .media_duration(Duration::from_millis(150))
        .answer_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("simulator starts");
    let collected = Arc::new(Mutex::new(Collected::default()));
    let (tx, arrivals) = watch::channel(0);
    let socket = connect(&sim, scenario, collected.clone(), tx).await;
    let answers: Vec<&Value> = trace.rest.iter().map(|ex| &ex.response).collect();
    let mut replay = Replay {
        sim,
        http: reqwest::Client::new(),
        collected,
        arrivals,
        ids: Ids::from_recording(&trace.events, &answers),
        ingested: 0,
        missed: Vec::new(),
    };
    let bounds = waits::bounds(trace);
    let mut statuses = Vec::new();
    let mut responses = Vec::new();
    for (ex, bound) in trace.rest.iter().zip(bounds) {
        replay.wait_for(&trace.events[..bound]).await;
        let (status, body) = replay.send(ex).await;
        replay.ids.learn(&ex.response, &body);
        statuses.push(status);
        responses.push(body);
    }
    replay.wait_for(&trace.events).await;
    replay.settle().await;
    socket.abort();
    let Collected { events, frames } = std::mem::take(&mut *replay.collected.lock().unwrap());
    replay.sim.stop();
    Outcome {
        statuses,
        responses,
        events,
        frames,
        ids: replay.ids,
        missed: replay.missed,
    }
}

/// Opens the event connection (the applications exist once it is answered) and collects
/// every frame.
async fn connect(
    sim: &ari_sim::Simulator,
    scenario: Scenario,
    collected: Arc<Mutex<Collected>>,
    arrivals: watch::Sender<usize>,
) -> tokio::task::JoinHandle<()> {
    let (user, password) = sim.credentials();
    let url = format!(
        "ws://{}/ari/events?app={}&subscribeAll={}&api_key={user}:{password}",
        sim.addr(),
        scenario.apps.join(","),
        scenario.subscribe_all
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("event connection opens");
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Ok(text) = message.into_text() else {
                continue;
            };
            let value: Value = serde_json::from_str(&text).expect("frames are JSON");
            let mut c = collected.lock().unwrap();
            let index = c.events.len();
            c.events.push(Ev::new(index, value));
            c.frames.push(text.to_string());
            arrivals.send_replace(index + 1);
        }
    })
}

impl Replay {
    fn ingest(&mut self) {
        let c = self.collected.lock().unwrap();
        for ev in &c.events[self.ingested..] {
            self.ids.saw(ev);
        }
        self.ingested = c.events.len();
    }

    /// A recorded event's key in the simulator's terms, when its subject is known there.
    fn simulated_key(&self, ev: &Ev) -> Option<Key> {
        let (app, ty, subject) = waits::key(ev);
        let subject = if let Some(name) = ev.channel_name() {
            self.ids.name_to_sim(name)?
        } else if let Some((id, _)) = &ev.media {
            // Recording names are the client's own; playback ids the simulator's.
            self.ids.id_to_sim(id).unwrap_or_else(|| id.clone())
        } else if let Some(bridge) = &ev.bridge {
            self.ids.id_to_sim(bridge)?
        } else {
            subject
        };
        Some((app, ty, subject))
    }

    /// Waits until the simulator has sent the counterparts of the awaited events of a
    /// recorded prefix (as many of each as the recording has).
    async fn wait_for(&mut self, prefix: &[Ev]) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            self.ingest();
            let mut wanted: HashMap<Key, usize> = HashMap::new();
            for ev in prefix.iter().filter(|e| WAITED.contains(&e.ty.as_str())) {
                if let Some(key) = self.simulated_key(ev) {
                    *wanted.entry(key).or_default() += 1;
                }
            }
            let mut have: HashMap<Key, usize> = HashMap::new();
            for ev in &self.collected.lock().unwrap().events {
                *have.entry(waits::key(ev)).or_default() += 1;
            }
            let missing: Vec<&Key> = wanted
                .iter()
                .filter(|(k, n)| have.get(*k).copied().unwrap_or(0) < **n)
                .map(|(k, _)| k)
                .collect();
            if missing.is_empty() {
                return;
            }
            let changed = tokio::time::timeout_at(deadline, self.arrivals.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                let mut missing: Vec<String> = missing
                    .iter()
                    .map(|(a, t, s)| format!("{a} {t} {s}"))
                    .filter(|m| !self.missed.contains(m))
                    .collect();
                missing.sort();
                self.missed.extend(missing);
                return;
            }
        }
    }

    /// Lets trailing events arrive: returns after 250 ms without any (2 s at most).
    async fn settle(&mut self) {
        let end = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < end {
            let quiet = tokio::time::timeout(Duration::from_millis(250), self.arrivals.changed());
            if quiet.await.is_err() {
                return;
            }
        }
    }

    /// Waits (briefly) until every recorded id a request names has a simulated one.
    async fn ids_known(&mut self, ex: &Exchange) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            self.ingest();
            let texts = ex
                .segments()
                .into_iter()
                .map(str::to_owned)
                .chain(ex.query.iter().map(|(_, v)| v.clone()));
            let unknown = texts.into_iter().any(|t| !self.ids.unmapped(&t).is_empty());
            if !unknown {
                return;
            }
            let changed = tokio::time::timeout_at(deadline, self.arrivals.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return;
            }
        }
    }

    /// Sends a recorded request as the recording client did: no credentials for the
    /// request that got 401, the read-only user for the one that got 403.
    async fn send(&mut self, ex: &Exchange) -> (u16, Value) {
        self.ids_known(ex).await;
        let path: Vec<String> = ex.segments().iter().map(|s| self.ids.map_text(s)).collect();
        let url = format!("{}/{}", self.sim.base_url(), path.join("/"));
        let method = reqwest::Method::from_bytes(ex.method.as_bytes()).expect("HTTP method");
        let query: Vec<(String, String)> = ex
            .query
            .iter()
            .map(|(k, v)| (k.clone(), self.ids.map_text(v)))
            .collect();
        let mut request = self.http.request(method, url).query(&query);
        request = match ex.status {
            401 => request,
            403 => request.basic_auth("ro", Some("ro")),
            _ => {
                let (user, password) = self.sim.credentials();
                request.basic_auth(user, Some(password))
            }
        };
        if let Some(body) = &ex.body {
            request = request.json(&self.ids.map_json(body));
        }
        let response = request.send().await.expect("the simulator answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response.bytes().await.expect("a whole body");
        let body = if bytes.is_empty() {
            Value::String(String::new())
        } else if content_type.starts_with("application/json") {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        } else {
            Value::String(format!("<{} bytes {content_type}>", bytes.len()))
        };
        (status, body)
    }
}
