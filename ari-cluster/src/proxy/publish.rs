//! Publishing to JetStream: envelopes, message ids, and acks checked off the hot path.
//!
//! Events are sent in frame order on one connection, so each subject keeps that order;
//! their acks are awaited by a separate task. A failed ack is retried with the same
//! message id: if the first publish did land, the stream drops the copy.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, context::PublishAckFuture};
use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::protocol::Envelope;

const RETRIES: u32 = 5;

struct Unconfirmed {
    subject: String,
    msg_id: String,
    payload: Bytes,
    /// `None` when even sending failed.
    ack: Option<PublishAckFuture>,
}

#[derive(Clone)]
pub(crate) struct Publisher {
    context: jetstream::Context,
    unconfirmed: mpsc::UnboundedSender<Unconfirmed>,
}

impl Publisher {
    /// The publisher and its ack checker (the caller owns the task).
    pub fn new(context: jetstream::Context) -> (Publisher, tokio::task::JoinHandle<()>) {
        let (unconfirmed, queue) = mpsc::unbounded_channel();
        let checker = tokio::spawn(check_acks(context.clone(), queue));
        (
            Publisher {
                context,
                unconfirmed,
            },
            checker,
        )
    }

    /// Sends now, confirms later (retrying with the same id when the ack fails).
    pub async fn publish(&self, subject: String, msg_id: String, payload: Bytes) {
        let ack = self
            .context
            .publish_with_headers(subject.clone(), id_header(&msg_id), payload.clone())
            .await
            .map_err(|e| tracing::warn!(%subject, error = %e, "publish failed; retrying"))
            .ok();
        let _ = self.unconfirmed.send(Unconfirmed {
            subject,
            msg_id,
            payload,
            ack,
        });
    }

    /// Sends and waits for the stream's ack, retrying with the same id.
    pub async fn publish_confirmed(
        &self,
        subject: &str,
        msg_id: &str,
        payload: Bytes,
    ) -> Result<(), String> {
        let mut last_error = String::new();
        for attempt in 0..RETRIES {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            match send_and_ack(&self.context, subject, msg_id, payload.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }
}

async fn check_acks(context: jetstream::Context, mut queue: mpsc::UnboundedReceiver<Unconfirmed>) {
    while let Some(item) = queue.recv().await {
        let acked = match item.ack {
            Some(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
            None => Err("not sent".to_owned()),
        };
        let Err(first_error) = acked else { continue };
        tracing::warn!(subject = %item.subject, msg_id = %item.msg_id, error = %first_error, "publish not acknowledged; retrying");
        let mut confirmed = false;
        for attempt in 1..RETRIES {
            tokio::time::sleep(backoff(attempt)).await;
            if send_and_ack(&context, &item.subject, &item.msg_id, item.payload.clone())
                .await
                .is_ok()
            {
                confirmed = true;
                break;
            }
        }
        if !confirmed {
            tracing::error!(subject = %item.subject, msg_id = %item.msg_id, "event lost: JetStream did not acknowledge it");
        }
    }
}

async fn send_and_ack(
    context: &jetstream::Context,
    subject: &str,
    msg_id: &str,
    payload: Bytes,
) -> Result<(), String> {
    let ack = context
        .publish_with_headers(subject.to_owned(), id_header(msg_id), payload)
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map(|_| ()).map_err(|e| e.to_string())
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 << attempt.min(5))
}

fn id_header(msg_id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, msg_id);
    headers
}

/// The JSON of an [`Envelope`] around `event_text` (which must be JSON: it is carried as
/// it is); `None` when it is not.
pub(crate) fn envelope(
    node: &str,
    boot: &str,
    seq: u64,
    app: &str,
    synthetic: bool,
    event_text: &str,
) -> Option<Bytes> {
    let event: &RawValue = serde_json::from_str(event_text).ok()?;
    let envelope = Envelope {
        node: node.to_owned(),
        boot: boot.to_owned(),
        seq,
        app: app.to_owned(),
        synthetic,
        event,
    };
    serde_json::to_vec(&envelope).ok().map(Bytes::from)
}

/// Now, as Asterisk writes timestamps: `2026-12-02T10:00:00.000+0000`.
pub(crate) fn asterisk_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_carry_the_text_unchanged() {
        let text = r#"{"type":"X", "odd" : [1,2.50]}"#;
        let bytes = envelope("n", "b", 3, "app", false, text).unwrap();
        let back: Envelope<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.event.get(), text);
        assert!(envelope("n", "b", 3, "app", false, "not json").is_none());
        let now = asterisk_now();
        assert_eq!(now.len(), "2026-12-02T10:00:00.000+0000".len(), "{now}");
        assert!(ari_sdk::Timestamp::parse(&now).is_ok());
    }
}
