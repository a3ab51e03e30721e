//! Channels: originate (Local pairs and simulated phones), the dialplan, answer, hangup,
//! DTMF, variables, and moving between applications.

use std::time::Duration;

use ari_sdk::{ChannelState, DialplanCEP};
use serde_json::{Map, Value, json};

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{Chan, Shared, World, lock, object};

/// The flag Asterisk's PBX hangs a channel up with when its dialplan ends, reported as
/// the `cause` of a soft `ChannelHangupRequest`.
const SOFTHANGUP_APPUNLOAD: i64 = 16;

/// The longest channel id an originate may ask for (`AST_MAX_PUBLIC_UNIQUEID`).
const MAX_PUBLIC_UNIQUEID: usize = 149;

/// Technologies the simulator can "dial": phones that answer after a short ring.
const PHONE_TECHS: &[&str] = &["PJSIP", "SIP", "IAX2", "DAHDI", "WebRTC"];

fn dialplan(
    context: &str,
    exten: &str,
    priority: i64,
    app_name: &str,
    app_data: &str,
) -> DialplanCEP {
    DialplanCEP {
        context: context.to_owned(),
        exten: exten.to_owned(),
        priority,
        app_name: app_name.to_owned(),
        app_data: app_data.to_owned(),
    }
}

/// `appArgs` is one comma-separated string.
fn split_args(args: &str) -> Vec<String> {
    if args.is_empty() {
        Vec::new()
    } else {
        args.split(',').map(str::to_owned).collect()
    }
}

pub fn not_found() -> Reply {
    Reply::error(404, "Channel not found")
}

impl World {
    pub fn channel_in_stasis(&self, id: &str) -> Result<&Chan> {
        let chan = self.channels.get(id).ok_or_else(not_found)?;
        if chan.stasis.is_none() {
            return Err(Reply::error(409, "Channel not in Stasis application"));
        }
        Ok(chan)
    }

    /// A channel in an application that can be acted on: outgoing channels not yet
    /// answered (Down, Reserved, Ringing) refuse state, media and dialplan operations.
    pub fn controllable(&self, id: &str) -> Result<&Chan> {
        let chan = self.channel_in_stasis(id)?;
        if matches!(
            chan.model.state,
            ChannelState::Down | ChannelState::Rsrved | ChannelState::Ringing
        ) {
            return Err(Reply::error(412, "Channel in invalid state"));
        }
        Ok(chan)
    }

    /// Creates the channel(s) of an originate; returns the id of the one answered with.
    /// Checks in the order Asterisk does: the ids' lengths, endpoint, originator/formats,
    /// the endpoint's form, application or extension, ids already taken, then whether
    /// the technology can be dialled.
    fn originate_channels(&mut self, p: &Params, id: Option<String>) -> Result<String> {
        let id = id.or_else(|| p.get("channelId").map(str::to_owned));
        let other_id = p.get("otherChannelId").map(str::to_owned);
        if [&id, &other_id]
            .iter()
            .any(|i| i.as_ref().is_some_and(|i| i.len() > MAX_PUBLIC_UNIQUEID))
        {
            return Err(Reply::error(
                400,
                &format!("Uniqueid length exceeds maximum of {MAX_PUBLIC_UNIQUEID}"),
            ));
        }
        let endpoint = p.string("endpoint");
        if endpoint.is_empty() {
            return Err(Reply::error(400, "Endpoint must be specified"));
        }
        if p.get("originator").is_some() && p.get("formats").is_some() {
            return Err(Reply::error(
                400,
                "Originator and formats can't both be specified",
            ));
        }
        if endpoint
            .split_once('/')
            .is_none_or(|(tech, device)| tech.is_empty() || device.is_empty())
        {
            return Err(Reply::error(400, "Invalid endpoint specified"));
        }
        let app = p.get("app").filter(|a| !a.is_empty()).map(str::to_owned);
        let args = split_args(p.get("appArgs").unwrap_or(""));
        if app.is_none() && p.get("extension").is_none() {
            return Err(Reply::error(
                400,
                "Application or extension must be specified",
            ));
        }
        let on_answer = app.clone().map(|a| (a, args));
        let exists = |world: &World, id: &Option<String>| {
            id.as_ref()
                .is_some_and(|id| world.channels.contains_key(id))
        };
        let taken = || Reply::error(409, "Channel with given unique ID already exists");
        if exists(self, &id) {
            return Err(taken());
        }
        let (tech, resource) = endpoint.split_once('/').unwrap_or((endpoint.as_str(), ""));
        if tech.eq_ignore_ascii_case("Local") {
            let (exten, context) = resource.split_once('@').unwrap_or((resource, "default"));
            let exten = exten.to_owned();
            let context = context.split('/').next().unwrap_or("default").to_owned();
            // The pair's name number is taken before its ids are checked.
            let suffix = self.next_channel_suffix();
            // `otherChannelId` counts only with a `channelId`; without one, the `;2`
            // half is `<channelId>;2` (Asterisk's core_unreal).
            let two_id = id
                .as_ref()
                .map(|one| other_id.unwrap_or_else(|| format!("{one};2")));
            if exists(self, &two_id) || (two_id.is_some() && two_id == id) {
                return Err(taken());
            }
            let one_id = id.unwrap_or_else(|| self.next_channel_id());
            let two_id = two_id.unwrap_or_else(|| self.next_channel_id());
            let base = format!("Local/{exten}@{context}-{suffix}");
            let mut one = self.new_channel(
                one_id.clone(),
                format!("{base};1"),
                ChannelState::Down,
                dialplan(&context, &exten, 1, "AppDial2", "(Outgoing Line)"),
            );
            let mut two = self.new_channel(
                two_id.clone(),
                format!("{base};2"),
                ChannelState::Ring,
                dialplan(&context, &exten, 1, "", ""),
            );
            one.local_peer = Some(two_id.clone());
            two.local_peer = Some(one_id.clone());
            one.on_answer = on_answer.clone();
            // As Asterisk 22.10.1 shows them once the call is up: `callerId` is the `;1`
            // half's connected line and the `;2` half's caller; `CALLERID(...)` variables
            // then change the `;1` caller, which the `;2` half sees as its connected line.
            apply_caller(&mut one, p);
            one.model.connected = one.model.caller.clone();
            apply_caller(&mut two, p);
            apply_variables(&mut one, p);
            two.model.connected = one.model.caller.clone();
            self.insert_channel(one);
            self.insert_channel(two);
            self.outgoing_line(&one_id);
            // ARI subscribes the originating application to both halves.
            if let Some((app, _)) = &on_answer {
                self.subscribe_channel(&one_id, app);
                self.subscribe_channel(&two_id, app);
            }
            Ok(one_id)
        } else if PHONE_TECHS.iter().any(|t| t.eq_ignore_ascii_case(tech)) && !resource.is_empty() {
            let suffix = self.next_channel_suffix();
            let id = id.unwrap_or_else(|| self.next_channel_id());
            let mut chan = self.new_channel(
                id.clone(),
                format!("{tech}/{resource}-{suffix}"),
                ChannelState::Down,
                dialplan("default", "s", 1, "AppDial2", "(Outgoing Line)"),
            );
            chan.on_answer = on_answer.clone();
            apply_caller(&mut chan, p);
            apply_variables(&mut chan, p);
            self.insert_channel(chan);
            self.outgoing_line(&id);
            if let Some((app, _)) = &on_answer {
                self.subscribe_channel(&id, app);
            }
            Ok(id)
        } else {
            // What Asterisk answers for a technology it has no driver for.
            Err(Reply::json(500, json!({ "error": "Allocation failed" })))
        }
    }

    /// An outgoing channel starts in `AppDial2`, before any application subscribes to it
    /// (so only applications subscribed to everything see this).
    fn outgoing_line(&self, id: &str) {
        self.channel_event(
            id,
            "ChannelDialplan",
            object(json!({"dialplan_app": "AppDial2", "dialplan_app_data": "(Outgoing Line)"})),
        );
    }

    /// Runs the dialplan of a channel from its current priority until an application
    /// that waits (Stasis, Wait, Playback) or the end.
    pub fn run_dialplan(&mut self, id: &str) {
        for _ in 0..64 {
            let Some(chan) = self.channels.get(id) else {
                return;
            };
            let cep = chan.model.dialplan.clone();
            let Some(step) = self
                .dialplan
                .step(&cep.context, &cep.exten, cep.priority)
                .cloned()
                .or_else(|| self.per_call_context_step(&cep.context, &cep.exten, cep.priority))
            else {
                self.dialplan_ends(id);
                return;
            };
            if let Some(chan) = self.channels.get_mut(id) {
                chan.pbx = true;
                chan.model.dialplan.app_name = step.app.clone();
                chan.model.dialplan.app_data = step.data.clone();
            }
            self.channel_event(
                id,
                "ChannelDialplan",
                object(json!({"dialplan_app": step.app, "dialplan_app_data": step.data})),
            );
            match step.app.to_ascii_lowercase().as_str() {
                "stasis" => {
                    let mut parts = step.data.split(',');
                    let app = parts.next().unwrap_or("").trim().to_owned();
                    let args: Vec<String> = parts.map(str::to_owned).collect();
                    if self.hub.is_registered(&app) || self.hub.per_call(&app).is_some() {
                        self.enter_stasis(id, &app, args);
                        return;
                    }
                    self.set_var_event(id, "STASISSTATUS", "FAILED");
                }
                "answer" => {
                    let ringing = self.channels.get(id).is_some_and(|c| {
                        matches!(c.model.state, ChannelState::Ring | ChannelState::Ringing)
                    });
                    self.answer(id);
                    if ringing {
                        self.resume_dialplan_after(id, self.timing.answer_wait);
                        return;
                    }
                }
                "hangup" => {
                    self.dialplan_ends(id);
                    return;
                }
                "goto" => {
                    let parts: Vec<&str> = step.data.split(',').map(str::trim).collect();
                    if let Some(chan) = self.channels.get_mut(id) {
                        let d = &mut chan.model.dialplan;
                        match parts.as_slice() {
                            [ctx, ext, prio] => {
                                d.context = ctx.to_string();
                                d.exten = ext.to_string();
                                d.priority = prio.parse().unwrap_or(1);
                            }
                            [ext, prio] => {
                                d.exten = ext.to_string();
                                d.priority = prio.parse().unwrap_or(1);
                            }
                            _ => d.priority += 1,
                        }
                    }
                    continue;
                }
                // Applications that hold the channel: it stays until hung up.
                "wait" | "playback" | "echo" | "musiconhold" | "dial" | "background" => return,
                _ => {}
            }
            match self.channels.get_mut(id) {
                Some(chan) => chan.model.dialplan.priority += 1,
                None => return,
            }
        }
    }

    /// Goes on to the channel's next dialplan step after `delay`, unless by then it is
    /// gone or elsewhere (hung up, in an application, sent on).
    fn resume_dialplan_after(&mut self, id: &str, delay: Duration) {
        let Some(chan) = self.channels.get(id) else {
            return;
        };
        let (id, at) = (id.to_owned(), chan.model.dialplan.clone());
        self.after(delay, move |world| {
            let here = world
                .channels
                .get_mut(&id)
                .filter(|c| c.stasis.is_none() && c.model.dialplan == at);
            if let Some(chan) = here {
                chan.model.dialplan.priority += 1;
                world.run_dialplan(&id);
            }
        });
    }

    /// A frame reaches a channel (a key being pressed): one whose dialplan waits in
    /// `Answer()` for media stops waiting and goes on.
    pub fn media_arrives(&mut self, id: &str) {
        let waiting = self.channels.get_mut(id).filter(|c| {
            c.pbx
                && c.stasis.is_none()
                && c.model.state == ChannelState::Up
                && c.model.dialplan.app_name.eq_ignore_ascii_case("answer")
        });
        if let Some(chan) = waiting {
            chan.model.dialplan.priority += 1;
            self.run_dialplan(id);
        }
    }

    /// The channel enters a Stasis application: `StasisStart` to that application. A
    /// per-call outbound application first opens the channel's own socket.
    pub fn enter_stasis(&mut self, id: &str, app: &str, args: Vec<String>) {
        if let Some(entry) = self.hub.per_call(app) {
            if let Some(chan) = self.channels.get(id) {
                let channel_name = chan.model.name.clone();
                self.pending_per_call.push(crate::outbound::PerCallStart {
                    entry,
                    channel_id: id.to_owned(),
                    channel_name,
                    app: app.to_owned(),
                    args,
                });
            }
            return;
        }
        self.enter_stasis_now(id, app, args);
    }

    /// The context Asterisk makes for a per-call application: `stasis-<app>`, where every
    /// extension runs `Stasis(<app>)`.
    fn per_call_context_step(
        &self,
        context: &str,
        exten: &str,
        priority: i64,
    ) -> Option<crate::dialplan::Step> {
        let app = context.strip_prefix("stasis-")?;
        if priority != 1 || exten == "h" || self.hub.per_call(app).is_none() {
            return None;
        }
        Some(crate::dialplan::Step {
            app: "Stasis".to_owned(),
            data: app.to_owned(),
        })
    }

    /// The per-call socket is open: the channel enters `<app>:<channel name>`.
    pub fn per_call_connected(&mut self, id: &str, app: &str, args: Vec<String>) {
        if self.channels.get(id).is_some_and(|c| c.stasis.is_none()) {
            self.enter_stasis_now(id, app, args);
        }
    }

    /// The per-call socket could not be opened (or reopened): Stasis fails and the
    /// channel goes on in its dialplan; one that was not running a dialplan hangs up.
    pub fn per_call_failed(&mut self, id: &str, started: bool) {
        if !self.channels.contains_key(id) {
            return;
        }
        if started {
            self.leave_stasis(id);
        } else {
            self.set_var_event(id, "STASISSTATUS", "FAILED");
        }
        let pbx = self.channels.get(id).is_some_and(|c| c.pbx);
        if pbx {
            if let Some(chan) = self.channels.get_mut(id) {
                chan.model.dialplan.priority += 1;
            }
            self.run_dialplan(id);
        } else {
            self.hangup(id, 16);
        }
    }

    fn enter_stasis_now(&mut self, id: &str, app: &str, args: Vec<String>) {
        self.set_var_event(id, "STASISSTATUS", "");
        self.subscribe_channel(id, app);
        if let Some(chan) = self.channels.get_mut(id) {
            chan.stasis = Some(app.to_owned());
        }
        self.channel_event_to(app, id, "StasisStart", object(json!({ "args": args })));
    }

    /// The channel leaves its application, then `then` runs (into the dialplan or
    /// another application). As in Asterisk, where leaving is a command on the
    /// channel's queue, this waits until the media queued before it (and meanwhile)
    /// has played; a channel that has left by then (hung up) does nothing more.
    pub fn leave_after_media(
        &mut self,
        id: &str,
        then: impl FnOnce(&mut World, &str) + Send + 'static,
    ) {
        let owned = id.to_owned();
        let action = move |world: &mut World| {
            if world
                .channels
                .get(&owned)
                .is_some_and(|c| c.stasis.is_some())
            {
                world.leave_stasis(&owned);
                then(world, &owned);
            }
        };
        self.when_media_done(&format!("channel:{id}"), Box::new(action));
    }

    /// The channel leaves its application: `StasisEnd`, then `STASISSTATUS`.
    fn leave_stasis(&mut self, id: &str) {
        let Some(app) = self.channels.get_mut(id).and_then(|c| c.stasis.take()) else {
            return;
        };
        self.channel_event_to(&app, id, "StasisEnd", Map::new());
        self.unsubscribe_channel(id, &app);
        self.set_var_event(id, "STASISSTATUS", "SUCCESS");
    }

    /// Answers a channel; a Local `;2` answering also answers its `;1`, which then enters
    /// the application it was originated into.
    pub fn answer(&mut self, id: &str) {
        if self
            .channels
            .get(id)
            .is_none_or(|c| c.model.state == ChannelState::Up)
        {
            return;
        }
        self.set_state(id, ChannelState::Up);
        let peer = self.channels.get(id).and_then(|c| c.local_peer.clone());
        if let Some(peer) = peer {
            if self
                .channels
                .get(&peer)
                .is_some_and(|c| c.model.state != ChannelState::Up)
            {
                self.set_state(&peer, ChannelState::Up);
                self.dial_answered(&peer);
            }
        }
    }

    /// An originated channel was answered: `Dial` with `ANSWER`, then into its application.
    fn dial_answered(&mut self, id: &str) {
        let Some(chan) = self.channels.get(id) else {
            return;
        };
        let peer = crate::world::to_value(&chan.model);
        let dialstring = dial_string(&chan.model.name);
        let targets = self.channel_targets(id);
        self.send(&targets, "Dial", object(json!({"dialstatus": "ANSWER", "forward": "", "dialstring": dialstring, "peer": peer})));
        let on_answer = self.channels.get_mut(id).and_then(|c| c.on_answer.take());
        if let Some((app, args)) = on_answer {
            if let Some(chan) = self.channels.get_mut(id) {
                chan.model.dialplan.app_name = "Stasis".to_owned();
                chan.model.dialplan.app_data = std::iter::once(app.clone())
                    .chain(args.clone())
                    .collect::<Vec<_>>()
                    .join(",");
            }
            self.enter_stasis(id, &app, args);
        }
    }

    /// ARI hangs a channel up (`DELETE /channels/{id}`): a soft hang-up request, which
    /// Asterisk reports with the request's flag (32, "explicit") in place of a cause.
    pub fn request_hangup(&mut self, id: &str, cause: i64) {
        if !self.channels.contains_key(id) {
            return;
        }
        self.channel_event(
            id,
            "ChannelHangupRequest",
            object(json!({ "cause": 32, "soft": true })),
        );
        self.tear_down(id, cause);
    }

    /// The far end (or the dialplan's `Hangup()`) hangs a channel up: a hang-up queued
    /// with its cause.
    pub fn hangup(&mut self, id: &str, cause: i64) {
        if !self.channels.contains_key(id) {
            return;
        }
        self.channel_event(
            id,
            "ChannelHangupRequest",
            object(json!({ "cause": cause })),
        );
        self.tear_down(id, cause);
    }

    /// A channel hung up inside a bridge leaves its application subscribed to the bridge:
    /// Asterisk 22 subscribes it twice on entry (adding the channel, then the Stasis loop
    /// seeing the new bridge) and, on a hang-up, takes back only one (the bridge's
    /// after-callback; the loop ends without noticing the bridge went). The application
    /// hears the bridge's later events, `BridgeDestroyed` included. A channel removed from
    /// the bridge while alive takes back both.
    fn keep_bridge_subscription(&mut self, id: &str) {
        let Some((bridge_id, app)) = self
            .channels
            .get(id)
            .and_then(|c| Some((c.bridge.clone()?, c.stasis.clone()?)))
        else {
            return;
        };
        if let Some(bridge) = self.bridges.get_mut(&bridge_id)
            && !bridge.subscribers.contains(&app)
        {
            bridge.subscribers.push(app);
        }
    }

    /// The channel's dialplan ends (`Hangup()`, or no step left): no request comes
    /// before, the end of the dialplan makes its own (see [`World::tear_down`]).
    pub fn dialplan_ends(&mut self, id: &str) {
        if self.channels.contains_key(id) {
            self.tear_down(id, 16);
        }
    }

    /// What follows a hang-up request: out of any bridge, media ended, out of the
    /// application, then the end of its dialplan, if it runs one (back from Stasis, or
    /// in an application such as `Wait`, which notices the hang-up): Asterisk's PBX
    /// ends by hanging up softly with `AST_SOFTHANGUP_APPUNLOAD` (16), whatever the
    /// cause. Then the other half of a Local pair is told, this channel destroyed, and
    /// the other half goes the same way.
    fn tear_down(&mut self, id: &str, cause: i64) {
        self.keep_bridge_subscription(id);
        self.leave_bridge(id);
        self.end_playbacks_of(&format!("channel:{id}"));
        self.leave_stasis(id);
        if self.channels.get(id).is_some_and(|c| c.pbx) {
            self.channel_event(
                id,
                "ChannelHangupRequest",
                object(json!({ "cause": SOFTHANGUP_APPUNLOAD, "soft": true })),
            );
        }
        let peer = self
            .channels
            .get_mut(id)
            .and_then(|c| c.local_peer.take())
            .filter(|p| self.channels.contains_key(p));
        if let Some(peer) = &peer {
            if let Some(chan) = self.channels.get_mut(peer) {
                chan.local_peer = None;
            }
            self.channel_event(
                peer,
                "ChannelHangupRequest",
                object(json!({ "cause": cause })),
            );
        }
        self.destroy(id, cause);
        if let Some(peer) = peer {
            self.tear_down(&peer, cause);
        }
    }

    fn destroy(&mut self, id: &str, cause: i64) {
        // Asterisk's `ast_cause2str` for the causes ARI can name.
        let cause_txt = match cause {
            1 => "Unallocated (unassigned) number",
            16 => "Normal Clearing",
            17 => "User busy",
            18 => "No user responding",
            19 => "User alerting, no answer",
            21 => "Call Rejected",
            26 => "Answered elsewhere",
            28 => "Invalid number format",
            31 => "Normal, unspecified",
            34 => "Circuit/channel congestion",
            38 => "Network out of order",
            58 => "Bearer capability not available",
            127 => "Interworking, unspecified",
            _ => "Unknown",
        };
        self.channel_event(
            id,
            "ChannelDestroyed",
            object(json!({"cause": cause, "cause_txt": cause_txt})),
        );
        self.remove_channel(id);
    }

    /// DTMF pressed on a channel: received by the channel itself (a phone pressing keys)
    /// or, sent to a Local half, by its other half. The event comes first (Asterisk
    /// publishes it as it reads the digit), then a recording may end on it.
    pub fn dtmf_received(&mut self, id: &str, digit: char, duration_ms: i64) {
        self.channel_event(
            id,
            "ChannelDtmfReceived",
            object(json!({"digit": digit.to_string(), "duration_ms": duration_ms})),
        );
        self.recording_hears_digit(id, digit);
    }
}

fn dial_string(name: &str) -> String {
    // `Local/7000@default-00000000;1` -> `7000@default`
    let base = name.split(';').next().unwrap_or(name);
    let base = base.rsplit_once('-').map_or(base, |(b, _)| b);
    base.split_once('/').map_or(base, |(_, r)| r).to_owned()
}

fn apply_caller(chan: &mut Chan, p: &Params) {
    if let Some(caller) = p.get("callerId") {
        // `"Alice" <100>` or `100`.
        let (name, number) = match caller.split_once('<') {
            Some((name, rest)) => (
                name.trim().trim_matches('"').to_owned(),
                rest.trim_end_matches('>').trim().to_owned(),
            ),
            None => (String::new(), caller.trim().to_owned()),
        };
        chan.model.caller.name = name;
        chan.model.caller.number = number;
    }
}

/// The `variables` of an originate; `CALLERID(name)` and `CALLERID(num)` are dialplan
/// functions that set the caller rather than variables.
fn apply_variables(chan: &mut Chan, p: &Params) {
    for (k, v) in p.map("variables") {
        match k.as_str() {
            "CALLERID(name)" => chan.model.caller.name = v,
            "CALLERID(num)" | "CALLERID(number)" => chan.model.caller.number = v,
            _ => {
                chan.vars.insert(k, v);
            }
        }
    }
}

/// After the answer: the `Dial`, the dialplan of a Local `;2`, or a phone's ring and answer.
fn after_originate(shared: &Shared, id: String) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let (peer, delay) = {
            let mut world = lock(&shared);
            let Some(chan) = world.channels.get(&id) else {
                return;
            };
            let peer_model = crate::world::to_value(&chan.model);
            let dialstring = dial_string(&chan.model.name);
            let targets = world.channel_targets(&id);
            let peer = chan.local_peer.clone();
            world.send(&targets, "Dial", object(json!({"dialstatus": "", "forward": "", "dialstring": dialstring, "peer": peer_model})));
            if let Some(peer) = &peer {
                world.run_dialplan(peer);
            }
            (peer, world.timing.answer_delay)
        };
        if peer.is_none() {
            // A simulated phone: rings, then answers.
            tokio::time::sleep(delay).await;
            let mut world = lock(&shared);
            if world.channels.contains_key(&id) {
                world.set_state(&id, ChannelState::Up);
                world.dial_answered(&id);
            }
        }
    });
}

pub fn originate(shared: &Shared, p: &Params, id: Option<String>) -> Result {
    let mut world = lock(shared);
    let id = world.originate_channels(p, id)?;
    let reply = Reply::ok(&world.channels[&id].model);
    drop(world);
    after_originate(shared, id);
    Ok(reply)
}

/// `POST /channels/create`: a channel placed in an application, dialled later.
pub fn create(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    if p.get("originator").is_some() && p.get("formats").is_some() {
        return Err(Reply::error(
            400,
            "Originator and formats can't both be specified",
        ));
    }
    let endpoint = p.string("endpoint");
    if endpoint.is_empty() {
        return Err(Reply::error(400, "Endpoint must be specified"));
    }
    let (tech, resource) = endpoint.split_once('/').unwrap_or((endpoint.as_str(), ""));
    if !PHONE_TECHS.iter().any(|t| t.eq_ignore_ascii_case(tech)) || resource.is_empty() {
        return Err(Reply::json(500, json!({ "error": "Allocation failed" })));
    }
    let id = p
        .get("channelId")
        .map(str::to_owned)
        .unwrap_or_else(|| world.next_channel_id());
    if world.channels.contains_key(&id) {
        return Err(Reply::error(
            409,
            "Channel with given unique ID already exists",
        ));
    }
    let suffix = world.next_channel_suffix();
    let app = p.string("app");
    let mut chan = world.new_channel(
        id.clone(),
        format!("{tech}/{resource}-{suffix}"),
        ChannelState::Down,
        dialplan("default", "s", 1, "", ""),
    );
    chan.dialstring = Some(resource.to_owned());
    chan.interest.insert(app.clone(), 1);
    chan.subscribers.push(app.clone());
    world.insert_channel(chan);
    world.enter_stasis(&id, &app, split_args(p.get("appArgs").unwrap_or("")));
    Ok(Reply::ok(&world.channels[&id].model))
}

/// `POST /channels/{id}/dial`: the created channel rings and is answered.
pub fn dial(shared: &Shared, p: &Params) -> Result {
    let id = p.string("channelId");
    {
        let world = lock(shared);
        let chan = world.channel_in_stasis(&id)?;
        if !matches!(chan.model.state, ChannelState::Down | ChannelState::Rsrved) {
            return Err(Reply::error(409, "Channel is not in the 'Down' state"));
        }
        if chan.dialstring.is_none() {
            return Err(Reply::error(409, "Dialing a channel not created by ARI"));
        }
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        let delay = {
            let mut world = lock(&shared);
            world.set_state(&id, ChannelState::Ringing);
            world.timing.answer_delay
        };
        tokio::time::sleep(delay).await;
        let mut world = lock(&shared);
        if world.channels.contains_key(&id) {
            world.set_state(&id, ChannelState::Up);
        }
    });
    Ok(Reply::no_content())
}

pub fn answer(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    world.controllable(&id)?;
    world.answer(&id);
    Ok(Reply::no_content())
}

pub fn hangup(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    if !world.channels.contains_key(&id) {
        return Err(not_found());
    }
    let reason = p.get("reason").filter(|r| !r.is_empty());
    let code = p.get("reason_code").filter(|c| !c.is_empty());
    let cause = match (reason, code) {
        (Some(_), Some(_)) => {
            return Err(Reply::error(
                400,
                "The reason and reason_code can't both be specified",
            ));
        }
        // Any number Asterisk's `sscanf("%d")` reads.
        (None, Some(code)) => {
            let digits = code.trim_start().trim_start_matches(['-', '+']);
            if !digits.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(Reply::error(
                    400,
                    "Invalid reason for hangup reason code provided",
                ));
            }
            crate::params::atoi(code)
        }
        (Some(reason), None) => hangup_cause(reason)
            .ok_or_else(|| Reply::error(400, "Invalid reason for hangup reason provided"))?,
        (None, None) => 16,
    };
    world.request_hangup(&id, cause);
    Ok(Reply::no_content())
}

/// The hang-up causes `DELETE /channels/{id}?reason=` names.
fn hangup_cause(reason: &str) -> Option<i64> {
    Some(match reason {
        "normal" => 16,
        "busy" => 17,
        "congestion" => 34,
        "no_answer" => 19,
        "timeout" => 18,
        "rejected" => 21,
        "unallocated" => 1,
        "normal_unspecified" => 31,
        "number_incomplete" => 28,
        "codec_mismatch" => 58,
        "interworking" => 127,
        "failure" => 38,
        "answered_elsewhere" => 26,
        _ => return None,
    })
}

/// `POST /channels/{id}/redirect`: checked as Asterisk does; nothing is redirected.
pub fn redirect(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let chan = world.controllable(&p.string("channelId"))?;
    let endpoint = p.string("endpoint");
    if endpoint.is_empty() {
        return Err(Reply::error(
            400,
            "Required parameter 'endpoint' not provided.",
        ));
    }
    let Some((tech, resource)) = endpoint.split_once('/').filter(|(t, _)| !t.is_empty()) else {
        return Err(Reply::error(
            422,
            &format!("Endpoint parameter '{endpoint}' does not contain tech/resource"),
        ));
    };
    if resource.is_empty() {
        return Err(Reply::error(
            422,
            &format!("No resource provided in endpoint parameter '{endpoint}'"),
        ));
    }
    let channel_tech = chan.model.name.split('/').next().unwrap_or("");
    if !channel_tech
        .to_ascii_lowercase()
        .starts_with(&tech.to_ascii_lowercase())
    {
        return Err(Reply::error(
            422,
            &format!(
                "Endpoint technology '{tech}' does not match channel technology '{channel_tech}'"
            ),
        ));
    }
    Ok(Reply::no_content())
}

/// Operations without simulated effect (MOH, silence, progress, ...): the
/// channel must be in an application and answered (or inbound).
pub fn in_stasis_no_content(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    world.controllable(&p.string("channelId"))?;
    Ok(Reply::no_content())
}

pub fn ring(shared: &Shared, p: &Params, ringing: bool) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    let chan = world.controllable(&id)?;
    let state = chan.model.state.clone();
    let peer = chan.local_peer.clone();
    // The `;2` half of a Local pair passes the indication to its `;1` half, whose state
    // Asterisk sets to Ringing (core_unreal); its own state does not change.
    if let Some(peer) = peer {
        let peer_down = world
            .channels
            .get(&peer)
            .is_some_and(|c| c.model.state != ChannelState::Up);
        if ringing && state == ChannelState::Ring && peer_down {
            world.set_state(&peer, ChannelState::Ringing);
        }
        return Ok(Reply::no_content());
    }
    if state != ChannelState::Up {
        world.set_state(
            &id,
            if ringing {
                ChannelState::Ringing
            } else {
                ChannelState::Ring
            },
        );
    }
    Ok(Reply::no_content())
}

pub fn hold(shared: &Shared, p: &Params, on: bool) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    world.controllable(&id)?;
    if let Some(chan) = world.channels.get_mut(&id) {
        chan.held = on;
    }
    Ok(Reply::no_content())
}

pub fn mute(shared: &Shared, p: &Params, on: bool) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    world.controllable(&id)?;
    // Asterisk insists on a direction, whatever the spec's default says.
    let direction = p
        .get("direction")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| Reply::error(400, "Direction is required"))?
        .to_owned();
    if !["in", "out", "both"].contains(&direction.as_str()) {
        return Err(Reply::error(400, "Invalid direction specified"));
    }
    if let Some(chan) = world.channels.get_mut(&id) {
        chan.muted = on.then_some(direction);
    }
    Ok(Reply::no_content())
}

/// `POST /channels/{id}/dtmf`: to a Local half, received on the other half, digit by
/// digit with the requested spacing.
pub fn send_dtmf(shared: &Shared, p: &Params) -> Result {
    let id = p.string("channelId");
    let receiver = {
        let world = lock(shared);
        let chan = world.controllable(&id)?;
        chan.local_peer.clone()
    };
    let digits = p.string("dtmf");
    if digits.is_empty() {
        return Err(Reply::error(400, "DTMF is required"));
    }
    if let Some(receiver) = receiver {
        // Asterisk's `dtmf_stream`: `before`, 100 ms of quiet, then each digit sent for
        // its duration (100 ms at least) and followed by `between` (0 means 100).
        let before = p.int("before").unwrap_or(0).max(0);
        let between = p.int("between").filter(|b| *b != 0).unwrap_or(100);
        let duration = p.int("duration").unwrap_or(100).max(100);
        press(
            shared,
            receiver,
            digits,
            Keys {
                lead_ms: before + 100,
                hold_ms: duration,
                between_ms: between,
                duration_ms: duration,
            },
        );
    }
    Ok(Reply::no_content())
}

/// How keys are pressed: a wait before the first, each held (its `ChannelDtmfReceived`
/// comes as it is released, reporting `duration_ms`), a pause after each.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    pub lead_ms: i64,
    pub hold_ms: i64,
    pub between_ms: i64,
    pub duration_ms: i64,
}

/// Delivers digits on a channel over time (also the far end's key presses); `w` and
/// `W` wait half a second and a second, characters that are not keys are skipped.
pub fn press(shared: &Shared, id: String, digits: String, keys: Keys) {
    let shared = shared.clone();
    let pause = |ms: i64| tokio::time::sleep(Duration::from_millis(ms.clamp(0, 10_000) as u64));
    tokio::spawn(async move {
        pause(keys.lead_ms).await;
        for digit in digits.chars() {
            match digit {
                'w' => pause(500).await,
                'W' => pause(1000).await,
                d if "0123456789*#ABCDabcd".contains(d) => {
                    lock(&shared).media_arrives(&id);
                    pause(keys.hold_ms).await;
                    {
                        let mut world = lock(&shared);
                        if !world.channels.contains_key(&id) {
                            return;
                        }
                        world.dtmf_received(&id, digit, keys.duration_ms);
                    }
                    pause(keys.between_ms).await;
                }
                _ => {}
            }
        }
    });
}

pub fn get(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let chan = world
        .channels
        .get(&p.string("channelId"))
        .ok_or_else(not_found)?;
    Ok(Reply::ok(&chan.model))
}

pub fn list(shared: &Shared) -> Result {
    let world = lock(shared);
    let channels: Vec<&ari_sdk::Channel> = world.channels_in_order().map(|c| &c.model).collect();
    Ok(Reply::ok(&channels))
}

/// Reading needs no application, and names its own "not found".
pub fn get_var(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    if p.string("variable").is_empty() {
        return Err(Reply::error(400, "Variable name is required"));
    }
    let chan = world
        .channels
        .get(&p.string("channelId"))
        .ok_or_else(|| Reply::error(404, "Provided channel was not found"))?;
    let value = chan
        .vars
        .get(&p.string("variable"))
        .ok_or_else(|| Reply::error(404, "Provided variable was not found"))?;
    Ok(Reply::json(200, json!({ "value": value })))
}

pub fn set_var(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    let (name, value) = (p.string("variable"), p.string("value"));
    if name.is_empty() {
        return Err(Reply::error(400, "Variable name is required"));
    }
    world.channel_in_stasis(&id)?;
    if let Some(chan) = world.channels.get_mut(&id) {
        chan.vars.insert(name.clone(), value.clone());
    }
    world.set_var_event(&id, &name, &value);
    Ok(Reply::no_content())
}

pub fn get_vars(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let chan = world
        .channels
        .get(&p.string("channelId"))
        .ok_or_else(not_found)?;
    let mut out = Map::new();
    for name in p.list("variables") {
        let value = chan
            .vars
            .get(&name)
            .ok_or_else(|| Reply::error(404, "Provided variable was not found"))?;
        out.insert(name, Value::String(value.clone()));
    }
    Ok(Reply::json(200, json!({ "variables": out })))
}

pub fn set_vars(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    if !world.channels.contains_key(&id) {
        return Err(Reply::error(404, "Provided channel was not found"));
    }
    world.channel_in_stasis(&id)?;
    if !matches!(p.json("variables"), Some(Value::Object(_))) {
        return Err(Reply::error(
            400,
            "The 'variables' field must be a JSON object",
        ));
    }
    let vars = p.map("variables");
    for (k, v) in vars {
        if let Some(chan) = world.channels.get_mut(&id) {
            chan.vars.insert(k.clone(), v.clone());
        }
        world.set_var_event(&id, &k, &v);
    }
    Ok(Reply::no_content())
}

/// `POST /channels/{id}/continue`: back to the dialplan (see [`World::leave_after_media`]).
pub fn continue_in_dialplan(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    world.controllable(&id)?;
    let context = p.get("context").map(str::to_owned);
    let extension = p.get("extension").map(str::to_owned);
    let priority = p.int("priority");
    world.leave_after_media(&id, move |world, id| {
        if let Some(chan) = world.channels.get_mut(id) {
            let d = &mut chan.model.dialplan;
            match (context, extension, priority) {
                (None, None, None) => d.priority += 1,
                (context, extension, priority) => {
                    if let Some(c) = context {
                        d.context = c;
                    }
                    if let Some(e) = extension {
                        d.exten = e;
                    }
                    d.priority = priority.unwrap_or(1);
                }
            }
        }
        world.run_dialplan(id);
    });
    Ok(Reply::no_content())
}

/// `POST /channels/{id}/move`: into another application (see
/// [`World::leave_after_media`]).
pub fn move_app(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    world.channel_in_stasis(&id)?;
    let app = p.string("app");
    let args = split_args(p.get("appArgs").unwrap_or(""));
    world.leave_after_media(&id, move |world, id| {
        if world.hub.is_registered(&app) {
            world.enter_stasis(id, &app, args);
        }
    });
    Ok(Reply::no_content())
}

/// `POST /channels/{id}/snoop`: a Snoop channel placed in an application.
pub fn snoop(shared: &Shared, p: &Params, snoop_id: Option<String>) -> Result {
    let mut world = lock(shared);
    let id = p.string("channelId");
    let mut directed = false;
    for name in ["spy", "whisper"] {
        match p.get(name).unwrap_or("") {
            "" | "none" => {}
            "both" | "out" | "in" => directed = true,
            _ => {
                return Err(Reply::error(
                    400,
                    &format!("Invalid direction specified for {name}"),
                ));
            }
        }
    }
    if !directed {
        return Err(Reply::error(
            400,
            "Direction must be specified for at least spy or whisper",
        ));
    }
    if p.string("app").is_empty() {
        return Err(Reply::error(400, "Application name is required"));
    }
    if !world.channels.contains_key(&id) {
        return Err(Reply::error(404, "Provided channel was not found"));
    }
    let snoop_id = snoop_id
        .or_else(|| p.get("snoopId").map(str::to_owned))
        .unwrap_or_else(|| world.next_channel_id());
    let suffix = world.next_channel_suffix();
    let app = p.string("app");
    let mut chan = world.new_channel(
        snoop_id.clone(),
        format!("Snoop/{id}-{suffix}"),
        ChannelState::Up,
        dialplan("default", "s", 1, "", ""),
    );
    chan.interest.insert(app.clone(), 1);
    chan.subscribers.push(app.clone());
    world.insert_channel(chan);
    world.enter_stasis(&snoop_id, &app, split_args(p.get("appArgs").unwrap_or("")));
    Ok(Reply::ok(&world.channels[&snoop_id].model))
}

/// `POST /channels/externalMedia`: a media channel placed in an application.
pub fn external_media(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let host = external_media_checks(p, &world.media.config.websocket_clients)?;
    let transport = media_transport(p, &host, &world.media.config.websocket_clients)?;
    let id = p
        .get("channelId")
        .map(str::to_owned)
        .unwrap_or_else(|| world.next_channel_id());
    if world.channels.contains_key(&id) {
        return Err(Reply::error(
            409,
            "Channel with given unique ID already exists",
        ));
    }
    let suffix = world.next_channel_suffix();
    let app = p.string("app");
    let name = match &transport {
        crate::media::Transport::AudioSocket { .. } => {
            format!("AudioSocket/{host}-{}", p.string("data"))
        }
        crate::media::Transport::Rtp { .. } => format!("UnicastRTP/{host}-{suffix}"),
        crate::media::Transport::WebSocket { .. } => format!("WebSocket/{host}/{suffix}"),
    };
    let mut chan = world.new_channel(
        id.clone(),
        name.clone(),
        ChannelState::Up,
        dialplan("default", "s", 1, "", ""),
    );
    // A format the simulator cannot generate (say `g722`) gets a channel without media.
    let format = ari_media::AudioFormat::from_asterisk_name(&p.string("format"));
    let vars = match (format, tokio::runtime::Handle::try_current()) {
        (Some(format), Ok(_)) => world
            .media
            .start(shared, &id, &name, format, transport)
            .map_err(|error| {
                tracing::error!(%error, "externalMedia: cannot start media");
                Reply::error(
                    500,
                    "An internal error prevented this request from being handled",
                )
            })?,
        _ => serde_json::Map::new(),
    };
    if !vars.is_empty() {
        chan.model.channelvars = Some(serde_json::Value::Object(vars));
    }
    chan.interest.insert(app.clone(), 1);
    chan.subscribers.push(app.clone());
    world.insert_channel(chan);
    world.enter_stasis(&id, &app, Vec::new());
    Ok(Reply::ok(&world.channels[&id].model))
}

/// `POST /channels/externalMedia`'s checks, in Asterisk's order; the host it names.
/// A websocket client names a connection of `websocket_client.conf`
/// ([`SimulatorBuilder::websocket_client`](crate::SimulatorBuilder::websocket_client)).
fn external_media_checks(
    p: &Params,
    websocket_clients: &std::collections::BTreeMap<String, String>,
) -> Result<String> {
    let bad = |message: &str| Err(Reply::error(400, message));
    let or = |name: &str, default: &'static str| {
        p.get(name)
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_owned()
    };
    let transport = or("transport", "udp");
    let encapsulation = or("encapsulation", "rtp");
    let connection = or("connection_type", "client");
    if transport == "websocket" && encapsulation != "none" {
        return bad("encapsulation must be 'none' for websocket transport");
    }
    if encapsulation == "rtp" && transport != "udp" {
        return bad("transport must be 'udp' for rtp encapsulation");
    }
    if encapsulation == "audiosocket" && transport != "tcp" {
        return bad("transport must be 'tcp' for audiosocket encapsulation");
    }
    if transport != "websocket" && connection == "server" {
        return bad("'server' connection_type can only be used with the websocket transport");
    }
    let host = p.string("external_host");
    if host.is_empty() && connection == "client" {
        return bad("external_host is required for all but websocket server connections");
    }
    if transport == "websocket" {
        if connection == "client" && !websocket_clients.contains_key(&host) {
            return bad("external_host must be a valid websocket_client connection id.");
        }
    } else if host
        .rsplit_once(':')
        .is_none_or(|(h, port)| h.is_empty() || port.parse::<u16>().is_err())
    {
        return bad("external_host must be <host>:<port> for all transports other than websocket");
    }
    if p.string("format").is_empty() {
        return bad("format cannot be empty");
    }
    if !["", "both", "in", "out"].contains(&p.get("direction").unwrap_or("")) {
        return bad("Invalid direction specified");
    }
    match (encapsulation.as_str(), transport.as_str()) {
        ("rtp", "udp") | ("none", "websocket") => {}
        ("audiosocket", "tcp") if p.string("data").is_empty() => {
            return bad("data can not be empty");
        }
        ("audiosocket", "tcp") => {}
        _ => {
            return Err(Reply::error(
                501,
                "The encapsulation and/or transport is not supported",
            ));
        }
    }
    Ok(if host.is_empty() {
        "INCOMING".to_owned()
    } else {
        host
    })
}

/// How a checked `externalMedia` request carries its media. AudioSocket's `data` must be
/// a UUID: Asterisk fails to create the channel otherwise and answers a bare 500.
fn media_transport(
    p: &Params,
    host: &str,
    websocket_clients: &std::collections::BTreeMap<String, String>,
) -> Result<crate::media::Transport> {
    use crate::media::Transport;
    use ari_media::wire::ws_control::MediaDirection;
    Ok(match p.get("encapsulation").filter(|e| !e.is_empty()) {
        Some("audiosocket") => Transport::AudioSocket {
            remote: host.to_owned(),
            uuid: ari_media::wire::audiosocket::parse_uuid(&p.string("data")).map_err(|_| {
                Reply::error(
                    500,
                    "An internal error prevented this request from being handled",
                )
            })?,
        },
        Some("none") => {
            // `transport_data` holds chan_websocket's dial options: `f(json)` for JSON
            // control messages, `d(in|out|both)` for the direction (which the
            // `direction` parameter overrides, as Asterisk appends it last).
            let options = p.string("transport_data");
            let direction = p
                .get("direction")
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .or_else(|| dial_option(&options, 'd'));
            let client = p.get("connection_type") != Some("server");
            Transport::WebSocket {
                client_url: client
                    .then(|| websocket_clients.get(host).cloned())
                    .flatten(),
                connection_id: if client {
                    host.to_owned()
                } else {
                    crate::world::uuid()
                },
                json: dial_option(&options, 'f').is_some_and(|f| f.eq_ignore_ascii_case("json")),
                direction: match direction.as_deref() {
                    Some("in") => MediaDirection::In,
                    Some("out") => MediaDirection::Out,
                    _ => MediaDirection::Both,
                },
            }
        }
        _ => Transport::Rtp {
            remote: host.to_owned(),
        },
    })
}

/// The argument of option `letter` in a dial-option string such as `f(json)d(in)`.
fn dial_option(options: &str, letter: char) -> Option<String> {
    let start = options.find(&format!("{letter}("))? + 2;
    let end = options[start..].find(')')? + start;
    Some(options[start..end].to_owned())
}

/// Far end: a phone dials an extension (the guide's "dial 7000").
pub fn call_from_phone(
    shared: &Shared,
    exten: &str,
    context: &str,
    caller: &str,
) -> std::result::Result<String, String> {
    let mut world = lock(shared);
    if !world.dialplan.has_extension(context, exten) {
        return Err(format!("no extension {exten} in context {context}"));
    }
    let id = world.next_channel_id();
    let suffix = world.next_channel_suffix();
    let mut chan = world.new_channel(
        id.clone(),
        format!("PJSIP/{caller}-{suffix}"),
        ChannelState::Ring,
        dialplan(context, exten, 1, "", ""),
    );
    chan.model.caller.number = caller.to_owned();
    world.insert_channel(chan);
    world.run_dialplan(&id);
    Ok(id)
}
