//! One run of a scenario on one server: the program's REST requests, recorded with
//! their statuses and bodies, and the typed events of its applications, collected by one
//! event connection. Everything the run creates carries its tag (`diff-<run>-`), so
//! other users of a shared Asterisk neither disturb it nor are left with its channels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ari_sdk::{Client, Event, Item, Method};
use serde_json::Value;
use tokio::sync::watch;

use crate::ids::Ids;
use crate::seen::Seen;

/// How long the program waits for one event before noting it as missed.
const WAIT: Duration = Duration::from_secs(4);

/// Where a run goes: an ARI root and a read-write user (the read-only user is `ro`/`ro`
/// on the simulator and on `../shared/asterisk`).
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub user: String,
    pub password: String,
}

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User,
    ReadOnly,
    Anonymous,
}

/// One REST exchange as recorded: `POST channels/far/answer` (ids as tokens).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub status: u16,
    /// JSON, `""` for no body, `<binary>` for a file.
    pub body: Value,
}

/// One event as compared: application role, type, resource token, what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ev {
    pub app: String,
    pub ty: String,
    pub subject: String,
    pub detail: String,
}

/// What a run did, ids normalized.
#[derive(Debug, Default)]
pub struct Transcript {
    pub rest: Vec<Exchange>,
    pub events: Vec<Ev>,
    /// Awaited events that never came, as `app type id`.
    pub missed: Vec<String>,
    /// Frames the SDK could not decode, connection trouble, another connection taking
    /// over an application: a run with any is not comparable.
    pub problems: Vec<String>,
}

#[derive(Default)]
struct Log {
    events: Vec<Seen>,
    problems: Vec<String>,
}

pub struct Run {
    client: Client,
    read_only: Client,
    anonymous: Client,
    tag: String,
    /// (role, application name).
    apps: Vec<(String, String)>,
    log: Arc<Mutex<Log>>,
    arrivals: watch::Receiver<usize>,
    collector: tokio::task::JoinHandle<()>,
    /// Events already waited for, per (role, type, id).
    consumed: HashMap<(String, String, String), usize>,
    ids: Ids,
    rest: Vec<(String, u16, Value)>,
    missed: Vec<String>,
}

fn new_client(url: &str, credentials: Option<(&str, &str)>) -> Client {
    let builder = Client::builder(url).timeout(Duration::from_secs(10));
    let builder = match credentials {
        Some((user, password)) => builder.basic_auth(user, password),
        None => builder,
    };
    builder.build().expect("a client")
}

/// A tag no other run (here or in another process) has.
pub fn new_tag() -> String {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("diff-{:x}{:x}{n}-", std::process::id(), nanos % 0x10000)
}

impl Run {
    /// Opens the event connection for the scenario's applications: each role is
    /// `<tag><role>`, except those in `fixed` (a dialplan's `Stasis(hello)` names its
    /// application), and waits until the server has registered them.
    pub async fn start(target: &Target, roles: &[&str], fixed: &[&str]) -> Run {
        let tag = new_tag();
        let client = new_client(&target.url, Some((&target.user, &target.password)));
        let mut ids = Ids::default();
        let apps: Vec<(String, String)> = roles
            .iter()
            .map(|role| {
                let name = if fixed.contains(role) {
                    (*role).to_owned()
                } else {
                    format!("{tag}{role}")
                };
                ids.label(&name, role);
                ((*role).to_owned(), name)
            })
            .collect();
        let log = Arc::new(Mutex::new(Log::default()));
        let (tx, arrivals) = watch::channel(0);
        let collector = if apps.is_empty() {
            tokio::spawn(async {})
        } else {
            let names: Vec<String> = apps.iter().map(|(_, name)| name.clone()).collect();
            let stream = client
                .events(names.clone())
                .max_reconnect_attempts(Some(0))
                .connect()
                .await
                .expect("the event connection opens");
            for name in &names {
                registered(&client, name).await;
            }
            tokio::spawn(collect(stream, tag.clone(), log.clone(), tx))
        };
        Run {
            read_only: new_client(&target.url, Some(("ro", "ro"))),
            anonymous: new_client(&target.url, None),
            client,
            tag,
            apps,
            log,
            arrivals,
            collector,
            consumed: HashMap::new(),
            ids,
            rest: Vec::new(),
            missed: Vec::new(),
        }
    }

    /// The application name of a role.
    pub fn app(&self, role: &str) -> String {
        self.apps
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| panic!("no application role {role}"))
    }

    /// An id for something the program creates, unique to this run: `<tag><label>`.
    pub fn id(&mut self, label: &str) -> String {
        let id = format!("{}{label}", self.tag);
        self.ids.label(&id, label);
        id
    }

    pub async fn get(&mut self, path: &str, query: &[(&str, &str)]) -> Value {
        self.request(Who::User, Method::Get, path, query).await
    }

    pub async fn post(&mut self, path: &str, query: &[(&str, &str)]) -> Value {
        self.request(Who::User, Method::Post, path, query).await
    }

    pub async fn delete(&mut self, path: &str, query: &[(&str, &str)]) -> Value {
        self.request(Who::User, Method::Delete, path, query).await
    }

    /// Sends a request and records its status and body; returns the body (`Null` when
    /// there is none or the request failed).
    pub async fn request(
        &mut self,
        who: Who,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Value {
        let client = match who {
            Who::User => &self.client,
            Who::ReadOnly => &self.read_only,
            Who::Anonymous => &self.anonymous,
        };
        let mut request = client.raw().request(method, path);
        for (name, value) in query {
            request = request.query(name, *value);
        }
        let (status, body) = match request.send_full().await {
            Ok(response) => (response.status, response.value),
            Err(ari_sdk::Error::Status(e)) => (
                e.status,
                serde_json::from_str(&e.body).unwrap_or(Value::String(e.body.clone())),
            ),
            Err(e) => (0, Value::String(e.to_string())),
        };
        self.ids.learn_body(&body);
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let text = format!("{} {path} {}", method_name(method), query.join("&"));
        let recorded = if body.is_null() {
            Value::String(String::new())
        } else {
            body.clone()
        };
        self.rest
            .push((text.trim_end().to_owned(), status, recorded));
        body
    }

    /// A stored recording's file, recorded as `<binary>` when there is one.
    pub async fn get_file(&mut self, name: &str) {
        let answer = self
            .client
            .stored_recording(name)
            .get_stored_file()
            .send_full()
            .await;
        let (status, body) = match answer {
            Ok(response) if response.value.is_empty() => (response.status, String::new()),
            Ok(response) => (response.status, "<binary>".to_owned()),
            Err(e) => (e.status().unwrap_or(0), e.to_string()),
        };
        self.rest.push((
            format!("GET recordings/stored/{name}/file"),
            status,
            Value::String(body),
        ));
    }

    /// Waits for the next event of `ty` in application `role` that names `id` (each
    /// call consumes one: waiting twice waits for the second).
    pub async fn wait(&mut self, role: &str, ty: &str, id: &str) -> bool {
        let app = self.app(role);
        let key = (role.to_owned(), ty.to_owned(), id.to_owned());
        let wanted = self.consumed.get(&key).copied().unwrap_or(0) + 1;
        self.consumed.insert(key, wanted);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let have = self
                .log
                .lock()
                .unwrap()
                .events
                .iter()
                .filter(|e| e.app == app && e.ty == ty && e.names_id(id))
                .count();
            if have >= wanted {
                return true;
            }
            let changed = tokio::time::timeout_at(deadline, self.arrivals.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                self.missed.push(format!("{role} {ty} {id}"));
                return false;
            }
        }
    }

    /// Lets trailing events arrive: returns after `quiet` without any (2 s at most).
    pub async fn settle(&mut self, quiet: Duration) {
        let end = tokio::time::Instant::now() + Duration::from_secs(2);
        while tokio::time::Instant::now() < end {
            if tokio::time::timeout(quiet, self.arrivals.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Ends the run: trailing events, then whatever the program left behind on the
    /// server is removed (not recorded), and the transcript.
    pub async fn finish(mut self) -> Transcript {
        self.settle(Duration::from_millis(300)).await;
        self.collector.abort();
        self.clean_up().await;
        let Log { events, problems } = std::mem::take(&mut *self.log.lock().unwrap());
        // Ids the events name that no REST answer had, in arrival order.
        for seen in &events {
            seen.names.iter().for_each(|n| self.ids.learn_name(n));
            seen.refs.iter().for_each(|r| self.ids.learn(r));
            // Channel names in what an event says (`BRIDGEPEER=Recorder/ARI-00000005;2`).
            seen.detail
                .split([' ', ',', '=', '(', ')'])
                .filter(|word| word.contains('/') && word.contains(';'))
                .for_each(|name| self.ids.learn_name(name));
        }
        let ids = &self.ids;
        Transcript {
            rest: self
                .rest
                .iter()
                .map(|(request, status, body)| Exchange {
                    request: ids.apply(request),
                    status: *status,
                    body: body.clone(),
                })
                .collect(),
            events: events
                .iter()
                .map(|s| Ev {
                    app: ids.apply(&s.app),
                    ty: s.ty.clone(),
                    subject: ids.apply(&s.subject),
                    detail: ids.apply(&s.detail),
                })
                .collect(),
            missed: self.missed.iter().map(|m| ids.apply(m)).collect(),
            problems,
        }
    }

    /// Hangs up this run's channels, destroys its bridges, deletes its recordings.
    async fn clean_up(&self) {
        let client = &self.client;
        if let Ok(channels) = client.channels().list().await {
            for c in channels.iter().filter(|c| c.id.starts_with(&self.tag)) {
                let _ = client.channel(&c.id).hangup().await;
            }
        }
        if let Ok(bridges) = client.bridges().list().await {
            for b in bridges.iter().filter(|b| b.id.starts_with(&self.tag)) {
                let _ = client.bridge(&b.id).destroy().await;
            }
        }
        if let Ok(recordings) = client.recordings().list_stored().await {
            for r in recordings.iter().filter(|r| r.name.starts_with(&self.tag)) {
                let _ = client.stored_recording(&r.name).delete_stored().await;
            }
        }
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        _ => "?",
    }
}

/// Waits until the server lists an application (its connection is registered).
async fn registered(client: &Client, app: &str) {
    for _ in 0..100 {
        if client.application(app).get().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("application {app} was never registered");
}

/// Keeps the run's events: those naming one of its ids, and those naming nothing
/// (application events). Another connection taking over an application is a problem.
async fn collect(
    mut stream: ari_sdk::EventStream,
    tag: String,
    log: Arc<Mutex<Log>>,
    arrivals: watch::Sender<usize>,
) {
    while let Some(item) = stream.next().await {
        let mut log = log.lock().unwrap();
        match item {
            Ok(Item::Event(event)) => {
                if let Event::ApplicationReplaced(e) = &event {
                    log.problems
                        .push(format!("another connection took over {}", e.application));
                }
                let seen = Seen::new(&event);
                if seen.refs.is_empty() || seen.refs.iter().any(|r| r.contains(&tag)) {
                    log.events.push(seen);
                    arrivals.send_replace(log.events.len());
                }
            }
            Ok(Item::Connected) => {}
            Ok(other) => log.problems.push(format!("event connection: {other:?}")),
            Err(e) => log.problems.push(format!("event stream: {e}")),
        }
    }
}
