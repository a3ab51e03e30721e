//! Requests to Asterisk carried over NATS: read the headers, record the owner of what the
//! request creates, run it, reply with Asterisk's answer (or why there is none).
//!
//! Requests for one resource (`/kind/id/...`) run one at a time in arrival order, on a
//! worker per resource that ends when its queue is empty; the others run concurrently.
//! Nothing is retried here: only the caller knows whether a retry is safe.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_nats::{HeaderMap, Message};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::Shared;
use super::owners::{self, Recorded};
use crate::creates;
use crate::protocol::{CREATE_QUEUE_GROUP, OwnerRecord, headers, subject};

/// Serves `ari.cmd.<node>` while the proxy is active.
pub(crate) async fn serve_node(shared: Arc<Shared>, requests: async_nats::Subscriber) {
    serve(shared, requests, std::future::pending()).await;
}

/// Subscribes to `ari.create.<app>` for every app, in the proxies' queue group.
pub(crate) async fn subscribe_creates(shared: &Shared) -> Vec<async_nats::Subscriber> {
    let mut subscriptions = Vec::new();
    for app in &shared.config.apps {
        let subject = subject::create(app);
        match shared
            .nats
            .queue_subscribe(subject.clone(), CREATE_QUEUE_GROUP.to_owned())
            .await
        {
            Ok(s) => subscriptions.push(s),
            Err(e) => tracing::error!(%subject, error = %e, "creates not served"),
        }
    }
    subscriptions
}

/// Serves creates until `stop` (the event WebSocket dropped): then unsubscribes and
/// finishes the requests already taken.
pub(crate) async fn serve_creates(
    shared: Arc<Shared>,
    subscriptions: Vec<async_nats::Subscriber>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let stop = async {
        let _ = stop.await;
    };
    serve(
        shared,
        futures_util::stream::select_all(subscriptions),
        stop,
    )
    .await;
}

/// Room left in a reply for its headers.
const REPLY_HEADROOM: usize = 4096;

/// The per-resource queues; a worker removes its own entry when it finds its queue empty
/// (senders push while holding the map, so nothing is lost in between).
type Queues = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>>;

async fn serve(
    shared: Arc<Shared>,
    mut requests: impl futures_util::Stream<Item = Message> + Unpin,
    stop: impl std::future::Future<Output = ()>,
) {
    let queues: Queues = Arc::default();
    // Dropped with this task (the proxy stepped down), aborting every request in flight.
    let mut workers = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let message = tokio::select! {
            message = requests.next() => message,
            () = &mut stop => None,
        };
        let Some(message) = message else { break };
        while workers.try_join_next().is_some() {}
        let Some(key) = ordering_key(&message) else {
            workers.spawn(run(shared.clone(), message));
            continue;
        };
        let Ok(mut map) = queues.lock() else { return };
        let message = match map.get(&key) {
            Some(queue) => match queue.send(message) {
                Ok(()) => continue,
                Err(mpsc::error::SendError(message)) => message,
            },
            None => message,
        };
        let (queue, receiver) = mpsc::unbounded_channel();
        let _ = queue.send(message);
        map.insert(key.clone(), queue);
        workers.spawn(work_through(shared.clone(), queues.clone(), key, receiver));
    }
    // Unsubscribed: no new requests; those taken get their answers.
    drop(requests);
    while workers.join_next().await.is_some() {}
}

async fn work_through(
    shared: Arc<Shared>,
    queues: Queues,
    key: String,
    mut receiver: mpsc::UnboundedReceiver<Message>,
) {
    loop {
        let next = match receiver.try_recv() {
            Ok(message) => Some(message),
            Err(_) => {
                let Ok(mut map) = queues.lock() else { return };
                match receiver.try_recv() {
                    Ok(message) => Some(message),
                    Err(_) => {
                        map.remove(&key);
                        None
                    }
                }
            }
        };
        match next {
            Some(message) => run(shared.clone(), message).await,
            None => return,
        }
    }
}

/// `/kind/id` of a request's path when it names one resource.
fn ordering_key(message: &Message) -> Option<String> {
    let path = header(message, headers::PATH)?;
    let mut segments = path.trim_start_matches('/').split('/');
    let kind = segments.next().filter(|s| !s.is_empty())?;
    let id = segments.next().filter(|s| !s.is_empty())?;
    Some(format!("/{kind}/{id}"))
}

fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message.headers.as_ref()?.get(name).map(|v| v.as_str())
}

/// A request as its headers describe it.
struct Request<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    instance: Option<&'a str>,
}

fn read_request(message: &Message) -> Result<Request<'_>, String> {
    let method = header(message, headers::METHOD).ok_or("no Ari-Method header")?;
    if !matches!(method, "GET" | "POST" | "PUT" | "DELETE") {
        return Err(format!("unsupported method {method:?}"));
    }
    let path = header(message, headers::PATH).ok_or("no Ari-Path header")?;
    // Under the ARI root and nowhere else: no dot segments (URL parsers resolve them,
    // encoded or not), no backslashes (read as slashes), nothing a URL would split on.
    let dot_segment = |segment: &str| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    };
    let well_formed = path.starts_with('/')
        && !path.contains(['?', '#', '\\'])
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
        && !path.split('/').any(dot_segment);
    if !well_formed {
        return Err(format!("bad path {path:?}"));
    }
    let query = header(message, headers::QUERY).filter(|q| !q.is_empty());
    if query
        .is_some_and(|q| q.contains('#') || q.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err("bad query".into());
    }
    Ok(Request {
        method,
        path,
        query,
        instance: header(message, headers::INSTANCE).filter(|i| !i.is_empty()),
    })
}

async fn run(shared: Arc<Shared>, message: Message) {
    let request = match read_request(&message) {
        Ok(request) => request,
        Err(reason) => {
            tracing::warn!(node = %shared.node, %reason, "malformed request");
            shared
                .reply_bad_request(message.reply.as_ref(), &reason)
                .await;
            return;
        }
    };
    // Asterisk would choose the id after the resource's first events: choose it here.
    let chosen_query = request
        .instance
        .and_then(|_| creates::with_chosen_id(request.method, request.path, request.query, new_id));
    let request = Request {
        query: chosen_query.as_deref().or(request.query),
        ..request
    };
    let recorded = record_owners(&shared, &request).await;
    let outcome = shared
        .asterisk
        .request(
            request.method,
            request.path,
            request.query,
            message.payload.clone(),
        )
        .await;
    let mut reply = HeaderMap::new();
    reply.insert(headers::NODE, shared.node.as_str());
    let room = shared
        .nats
        .server_info()
        .max_payload
        .saturating_sub(REPLY_HEADROOM);
    let (ran, body) = match outcome {
        Ok(answer) if answer.body.len() > room => {
            // It ran, but its answer cannot travel: say so rather than let the caller
            // wait for a reply that never comes.
            reply.insert(headers::FAILURE, "sent");
            let reason = format!(
                "Asterisk answered {} with {} bytes, more than a NATS message carries",
                answer.status,
                answer.body.len()
            );
            reply.insert(headers::REASON, reason.as_str());
            (answer.status < 300, Bytes::new())
        }
        Ok(answer) => {
            reply.insert(headers::STATUS, answer.status.to_string().as_str());
            if let Some(location) = &answer.location {
                reply.insert(headers::LOCATION, location.as_str());
            }
            (answer.status < 300, answer.body)
        }
        Err(failure) => {
            tracing::debug!(node = %shared.node, method = request.method, path = request.path, reason = failure.reason(), "request failed");
            reply.insert(headers::FAILURE, failure.kind());
            reply.insert(headers::REASON, failure.reason());
            // `sent`: it may have run, so what it may have created keeps its owner.
            (failure.kind() == "sent", Bytes::new())
        }
    };
    if !recorded.creating.is_empty() {
        let mut routing = shared.routing.lock().await;
        for resource in &recorded.creating {
            routing.end_create(resource);
        }
        if !ran {
            for resource in &recorded.made {
                owners::forget(&shared, &mut routing, resource).await;
            }
        }
    }
    shared.reply(message.reply.as_ref(), reply, body).await;
}

/// An id for a resource whose creator named none.
fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// What a create request recorded.
#[derive(Default)]
struct Recording {
    /// Every resource it creates (marked as being created until it is answered).
    creating: Vec<(&'static str, String)>,
    /// The owner records it made (undone when the request fails).
    made: Vec<(&'static str, String)>,
}

/// Records the caller as the owner of what the request creates.
async fn record_owners(shared: &Shared, request: &Request<'_>) -> Recording {
    let mut recording = Recording::default();
    let Some(instance) = request.instance else {
        return recording;
    };
    let created = creates::created_by(request.method, request.path, request.query);
    if created.is_empty() {
        return recording;
    }
    let app = owner_app(shared, request.query);
    let mut routing = shared.routing.lock().await;
    for resource in created {
        routing.begin_create(&resource);
        recording.creating.push(resource.clone());
        let record = OwnerRecord {
            instance: instance.to_owned(),
            app: app.clone(),
            snapshot: None,
            args: Vec::new(),
        };
        match owners::record(shared, &mut routing, &resource, record).await {
            Ok(Recorded::Created) => recording.made.push(resource),
            Ok(Recorded::Existing(existing)) if existing.instance != instance => {
                tracing::warn!(node = %shared.node, kind = resource.0, id = %resource.1, owner = %existing.instance, "create of a resource another instance owns");
            }
            Ok(Recorded::Existing(_)) => {}
            Err(e) => {
                tracing::warn!(node = %shared.node, kind = resource.0, id = %resource.1, error = %e, "owner not recorded")
            }
        }
    }
    recording
}

/// The application a created resource's events belong to: the request's `app` when it
/// names one of ours, else this proxy's first.
fn owner_app(shared: &Shared, query: Option<&str>) -> String {
    let named = query.unwrap_or("").split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == "app").then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    });
    named
        .filter(|app| shared.config.apps.contains(app))
        .or_else(|| shared.config.apps.first().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> Message {
        let mut h = HeaderMap::new();
        h.insert(headers::PATH, path);
        Message {
            subject: "s".into(),
            reply: None,
            payload: Bytes::new(),
            headers: Some(h),
            status: None,
            description: None,
            length: 0,
        }
    }

    #[test]
    fn requests_for_one_resource_share_a_key() {
        let key = |p| ordering_key(&request(p));
        assert_eq!(
            key("/channels/1.2/answer").as_deref(),
            Some("/channels/1.2")
        );
        assert_eq!(key("/channels/1.2"), key("/channels/1.2/play/p"));
        assert_eq!(key("/channels"), None);
        assert_eq!(key("/"), None);
        assert!(read_request(&request("/channels")).is_err(), "no method");
        let with_method = |path: &str| {
            let mut message = request(path);
            if let Some(h) = message.headers.as_mut() {
                h.insert(headers::METHOD, "GET");
            }
            read_request(&message).is_ok()
        };
        assert!(with_method("/channels/1.2"));
        for bad in [
            "channels",
            "/a/../b",
            "/a/%2e%2E/b",
            "/a/./b",
            "/a\\b",
            "/a b",
            "/a?x",
            "/a#x",
        ] {
            assert!(!with_method(bad), "{bad}");
        }
    }
}
