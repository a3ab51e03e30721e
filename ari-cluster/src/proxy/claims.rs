//! Claims of new calls, and the hand-back of calls nobody claimed in time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use bytes::Bytes;
use futures_util::StreamExt;

use super::config::UnclaimedAction;
use super::events::channel_json;
use super::owners::{self, Recorded};
use super::routing::{PendingCall, Resource, Routing};
use super::{Shared, asterisk::encode, publish};
use crate::protocol::{Claim, ClaimReply, OwnerRecord, event_message_id, headers, kind, subject};

/// Answers claims while the proxy is active.
pub(crate) async fn serve(shared: Arc<Shared>, mut requests: async_nats::Subscriber) {
    let claims = subject::claim(&shared.node);
    while let Some(message) = requests.next().await {
        let claim: Claim = match serde_json::from_slice(&message.payload) {
            Ok(claim) => claim,
            Err(e) => {
                let error = crate::ClusterError::bad_message(claims.as_str(), e.to_string());
                tracing::warn!(node = %shared.node, %error, "malformed claim");
                shared
                    .reply_bad_request(message.reply.as_ref(), &error.to_string())
                    .await;
                continue;
            }
        };
        match decide(&shared, &claim).await {
            Ok(answer) => {
                tracing::debug!(node = %shared.node, channel = %claim.channel, instance = %claim.instance, ?answer, "claim");
                let body = serde_json::to_vec(&answer).unwrap_or_default();
                shared
                    .reply(message.reply.as_ref(), HeaderMap::new(), Bytes::from(body))
                    .await;
            }
            Err(reason) => {
                tracing::warn!(node = %shared.node, channel = %claim.channel, %reason, "claim not decided");
                let mut h = HeaderMap::new();
                h.insert(headers::FAILURE, "unavailable");
                h.insert(headers::REASON, reason.as_str());
                h.insert(headers::NODE, shared.node.as_str());
                shared.reply(message.reply.as_ref(), h, Bytes::new()).await;
            }
        }
    }
}

/// The answer to a claim; `Err` when it cannot be decided now (the owners bucket or
/// Asterisk did not answer): the claimer may ask again.
async fn decide(shared: &Shared, claim: &Claim) -> Result<ClaimReply, String> {
    if let Some(answer) = from_state(shared, &mut *shared.routing.lock().await, claim).await {
        return answer;
    }
    // No state for it here (this proxy took the node over after it was queued): ask
    // Asterisk whether the call is still waiting in Stasis, without holding up events.
    let in_stasis = match shared.asterisk.channel(&claim.channel).await {
        Ok(Some(channel)) => {
            super::asterisk::stasis_app(&channel).is_some()
                || channel.pointer("/dialplan/app_name").is_none()
        }
        Ok(None) => false,
        Err(e) => return Err(format!("channel not checked: {}", e.reason())),
    };
    let mut routing = shared.routing.lock().await;
    // Its events may have been routed meanwhile.
    if let Some(answer) = from_state(shared, &mut routing, claim).await {
        return answer;
    }
    if !in_stasis {
        routing.orphans.remove(&claim.channel);
        routing.mark_gone(&claim.channel);
        return Ok(ClaimReply::Gone);
    }
    let resource: Resource = (kind::CHANNEL, claim.channel.clone());
    let record = OwnerRecord {
        instance: claim.instance.clone(),
        app: claim.app.clone(),
        snapshot: claim.start.get("channel").cloned(),
        args: claim
            .start
            .get("args")
            .and_then(|args| serde_json::from_value(args.clone()).ok())
            .unwrap_or_default(),
    };
    match owners::record(shared, &mut routing, &resource, record).await {
        Ok(Recorded::Created) => {
            routing.orphans.remove(&claim.channel);
            let seq = shared.seq.load(std::sync::atomic::Ordering::SeqCst);
            let start = claim.start.to_string();
            if claim.start.is_null() {
                tracing::warn!(node = %shared.node, channel = %claim.channel, "claim without its StasisStart: none delivered");
            } else if let Some(payload) =
                publish::envelope(&shared.node, &shared.boot, seq, &claim.app, true, &start)
            {
                let msg_id = event_message_id(
                    &shared.node,
                    &shared.boot,
                    seq,
                    &format!("{}:claim-start", claim.instance),
                );
                shared
                    .publisher
                    .publish(
                        subject::owned_events(&claim.instance, &claim.app),
                        msg_id,
                        payload,
                    )
                    .await;
            }
            Ok(ClaimReply::Claimed)
        }
        Ok(Recorded::Existing(existing)) => Ok(taken_or_claimed(claim, &existing.instance)),
        Err(e) => Err(format!("owner not recorded: {e}")),
    }
}

/// The answer from what this proxy knows of the call (owned, pending, gone); `None`
/// when it knows nothing.
async fn from_state(
    shared: &Shared,
    routing: &mut Routing,
    claim: &Claim,
) -> Option<Result<ClaimReply, String>> {
    let resource: Resource = (kind::CHANNEL, claim.channel.clone());
    if let Some(owned) = routing.owner_of(&resource) {
        return Some(Ok(taken_or_claimed(claim, &owned.record.instance)));
    }
    if let Some(call) = routing.pending.remove(&claim.channel) {
        let record = OwnerRecord {
            instance: claim.instance.clone(),
            app: call.app.clone(),
            snapshot: channel_json(&call.start.text),
            args: super::events::start_args(&call.start.text),
        };
        return Some(
            match owners::record(shared, routing, &resource, record).await {
                Ok(Recorded::Created) => {
                    deliver_held(shared, claim, &call).await;
                    Ok(ClaimReply::Claimed)
                }
                Ok(Recorded::Existing(existing)) => Ok(taken_or_claimed(claim, &existing.instance)),
                Err(e) => {
                    // Still pending: the claim may be retried.
                    routing.pending.insert(claim.channel.clone(), call);
                    Err(format!("owner not recorded: {e}"))
                }
            },
        );
    }
    if routing.is_gone(&claim.channel) {
        return Some(Ok(ClaimReply::Gone));
    }
    None
}

/// Publishes a claimed call's `StasisStart` and the frames held since, in order, to the
/// claimer.
async fn deliver_held(shared: &Shared, claim: &Claim, call: &PendingCall) {
    for frame in std::iter::once(&call.start).chain(&call.buffer) {
        let Some(payload) = publish::envelope(
            &shared.node,
            &shared.boot,
            frame.seq,
            &frame.app,
            false,
            &frame.text,
        ) else {
            continue;
        };
        let msg_id = event_message_id(&shared.node, &shared.boot, frame.seq, &claim.instance);
        let target = subject::owned_events(&claim.instance, &frame.app);
        shared.publisher.publish(target, msg_id, payload).await;
    }
}

fn taken_or_claimed(claim: &Claim, owner: &str) -> ClaimReply {
    if owner == claim.instance {
        ClaimReply::Claimed
    } else {
        ClaimReply::Taken {
            owner: owner.to_owned(),
        }
    }
}

/// Hands back the calls whose claim deadline passed, as configured.
pub(crate) async fn hand_back_unclaimed(shared: Arc<Shared>) {
    let tick = (shared.config.claim_timeout / 4)
        .clamp(Duration::from_millis(20), Duration::from_millis(500));
    loop {
        tokio::time::sleep(tick).await;
        let expired = shared.routing.lock().await.take_expired(Instant::now());
        for channel in expired {
            let (method, path) = match shared.config.unclaimed {
                UnclaimedAction::Continue => {
                    ("POST", format!("/channels/{}/continue", encode(&channel)))
                }
                UnclaimedAction::Hangup => ("DELETE", format!("/channels/{}", encode(&channel))),
            };
            tracing::info!(node = %shared.node, %channel, action = ?shared.config.unclaimed, "call not claimed in time; handed back");
            match shared
                .asterisk
                .request(method, &path, None, Bytes::new())
                .await
            {
                Ok(reply) if reply.status < 300 || reply.status == 404 => {}
                Ok(reply) => {
                    tracing::warn!(node = %shared.node, %channel, status = reply.status, "hand-back refused")
                }
                Err(e) => {
                    tracing::warn!(node = %shared.node, %channel, reason = %e.reason(), "hand-back not sent")
                }
            }
        }
    }
}
