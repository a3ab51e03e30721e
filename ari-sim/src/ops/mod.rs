//! Operation name -> behaviour. Every operation of the spec answers: those listed in
//! [`STATEFUL`] act on the world; the rest give spec-shaped answers ([`shaped`]).

mod bridges;
pub(crate) mod channels;
mod media;
mod system;

use ari_codegen::ir::{Operation, TypeRef};
use serde_json::json;

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{Shared, lock};

pub(crate) use media::media_step;
pub use media::silent_wav;
pub use system::VERSION;

/// Operations with behaviour on the simulated state (the rest answer by shape).
pub const STATEFUL: &[&str] = &[
    "applications.list",
    "applications.get",
    "applications.subscribe",
    "applications.unsubscribe",
    "applications.filter",
    "asterisk.getInfo",
    "asterisk.ping",
    "asterisk.listModules",
    "asterisk.getModule",
    "asterisk.loadModule",
    "asterisk.unloadModule",
    "asterisk.reloadModule",
    "asterisk.listLogChannels",
    "asterisk.getGlobalVar",
    "asterisk.setGlobalVar",
    "bridges.list",
    "bridges.create",
    "bridges.createWithId",
    "bridges.get",
    "bridges.destroy",
    "bridges.addChannel",
    "bridges.removeChannel",
    "bridges.setVideoSource",
    "bridges.clearVideoSource",
    "bridges.startMoh",
    "bridges.stopMoh",
    "bridges.play",
    "bridges.playWithId",
    "bridges.record",
    "bridges.getBridgeVar",
    "bridges.setBridgeVar",
    "bridges.getBridgeVars",
    "bridges.setBridgeVars",
    "channels.list",
    "channels.originate",
    "channels.create",
    "channels.get",
    "channels.originateWithId",
    "channels.hangup",
    "channels.continueInDialplan",
    "channels.move",
    "channels.redirect",
    "channels.answer",
    "channels.ring",
    "channels.ringStop",
    "channels.progress",
    "channels.sendDTMF",
    "channels.mute",
    "channels.unmute",
    "channels.hold",
    "channels.unhold",
    "channels.startMoh",
    "channels.stopMoh",
    "channels.startSilence",
    "channels.stopSilence",
    "channels.play",
    "channels.playWithId",
    "channels.record",
    "channels.getChannelVar",
    "channels.setChannelVar",
    "channels.getChannelVars",
    "channels.setChannelVars",
    "channels.snoopChannel",
    "channels.snoopChannelWithId",
    "channels.dial",
    "channels.externalMedia",
    "channels.transfer_progress",
    "deviceStates.list",
    "deviceStates.get",
    "deviceStates.update",
    "deviceStates.delete",
    "endpoints.list",
    "endpoints.listByTech",
    "endpoints.get",
    "endpoints.sendMessage",
    "endpoints.sendMessageToEndpoint",
    "endpoints.refer",
    "endpoints.referToEndpoint",
    "events.userEvent",
    "mailboxes.list",
    "mailboxes.get",
    "mailboxes.update",
    "mailboxes.delete",
    "playbacks.get",
    "playbacks.stop",
    "playbacks.control",
    "recordings.listStored",
    "recordings.getStored",
    "recordings.deleteStored",
    "recordings.getStoredFile",
    "recordings.copyStored",
    "recordings.getLive",
    "recordings.cancel",
    "recordings.stop",
    "recordings.pause",
    "recordings.unpause",
    "recordings.mute",
    "recordings.unmute",
    "sounds.list",
    "sounds.get",
];

fn bridge_target(shared: &Shared, p: &Params) -> Result<String> {
    let id = p.string("bridgeId");
    if !lock(shared).bridges.contains_key(&id) {
        return Err(bridges::not_found());
    }
    Ok(format!("bridge:{id}"))
}

/// Playing needs an answered channel; recording only one in an application.
fn channel_target(shared: &Shared, p: &Params, to_play: bool) -> Result<String> {
    let id = p.string("channelId");
    let world = lock(shared);
    if to_play {
        world.controllable(&id)?;
    } else {
        world.channel_in_stasis(&id)?;
    }
    Ok(format!("channel:{id}"))
}

pub fn dispatch(shared: &Shared, op: &Operation, p: &Params) -> Reply {
    let result = match op.qualified_name().as_str() {
        "applications.list" => system::applications(shared),
        "applications.get" => system::get_application(shared, p),
        "applications.subscribe" => system::subscription(shared, p, true),
        "applications.unsubscribe" => system::subscription(shared, p, false),
        "applications.filter" => system::filter(shared, p),
        "asterisk.getInfo" => system::info(shared, p),
        "asterisk.ping" => system::ping(shared),
        "asterisk.listModules" => system::modules(shared),
        "asterisk.getModule" => system::get_module(p),
        "asterisk.loadModule" => system::module_action(p, true),
        "asterisk.unloadModule" | "asterisk.reloadModule" => system::module_action(p, false),
        "asterisk.listLogChannels" => system::log_channels(),
        "asterisk.getGlobalVar" => system::get_global(shared, p),
        "asterisk.setGlobalVar" => system::set_global(shared, p),
        "bridges.list" => bridges::list(shared),
        "bridges.create" => bridges::create(shared, p, false),
        "bridges.createWithId" => bridges::create(shared, p, true),
        "bridges.get" => bridges::get(shared, p),
        "bridges.destroy" => bridges::destroy(shared, p),
        "bridges.addChannel" => bridges::add_channel(shared, p),
        "bridges.removeChannel" => bridges::remove_channel(shared, p),
        "bridges.setVideoSource"
        | "bridges.clearVideoSource"
        | "bridges.startMoh"
        | "bridges.stopMoh" => bridges::exists_no_content(shared, p),
        "bridges.play" => bridge_target(shared, p).and_then(|t| media::play(shared, p, t, None)),
        "bridges.playWithId" => bridge_target(shared, p)
            .and_then(|t| media::play(shared, p, t, Some(p.string("playbackId")))),
        "bridges.record" => bridge_target(shared, p).and_then(|t| media::record(shared, p, t)),
        "bridges.getBridgeVar" => bridges::get_var(shared, p),
        "bridges.getBridgeVars" => bridges::get_vars(shared, p),
        "bridges.setBridgeVar" => bridges::set_vars(shared, p, false),
        "bridges.setBridgeVars" => bridges::set_vars(shared, p, true),
        "channels.list" => channels::list(shared),
        "channels.originate" => channels::originate(shared, p, None),
        "channels.originateWithId" => channels::originate(shared, p, Some(p.string("channelId"))),
        "channels.create" => channels::create(shared, p),
        "channels.get" => channels::get(shared, p),
        "channels.hangup" => channels::hangup(shared, p),
        "channels.continueInDialplan" => channels::continue_in_dialplan(shared, p),
        "channels.move" => channels::move_app(shared, p),
        "channels.answer" => channels::answer(shared, p),
        "channels.ring" => channels::ring(shared, p, true),
        "channels.ringStop" => channels::ring(shared, p, false),
        "channels.sendDTMF" => channels::send_dtmf(shared, p),
        "channels.mute" => channels::mute(shared, p, true),
        "channels.unmute" => channels::mute(shared, p, false),
        "channels.hold" => channels::hold(shared, p, true),
        "channels.unhold" => channels::hold(shared, p, false),
        "channels.redirect" => channels::redirect(shared, p),
        "channels.progress"
        | "channels.startMoh"
        | "channels.stopMoh"
        | "channels.startSilence"
        | "channels.stopSilence"
        | "channels.transfer_progress" => channels::in_stasis_no_content(shared, p),
        "channels.play" => {
            channel_target(shared, p, true).and_then(|t| media::play(shared, p, t, None))
        }
        "channels.playWithId" => channel_target(shared, p, true)
            .and_then(|t| media::play(shared, p, t, Some(p.string("playbackId")))),
        "channels.record" => media::record_limits(p)
            .and_then(|()| channel_target(shared, p, false))
            .and_then(|t| media::record(shared, p, t)),
        "channels.getChannelVar" => channels::get_var(shared, p),
        "channels.setChannelVar" => channels::set_var(shared, p),
        "channels.getChannelVars" => channels::get_vars(shared, p),
        "channels.setChannelVars" => channels::set_vars(shared, p),
        "channels.snoopChannel" => channels::snoop(shared, p, None),
        "channels.snoopChannelWithId" => channels::snoop(shared, p, Some(p.string("snoopId"))),
        "channels.dial" => channels::dial(shared, p),
        "channels.externalMedia" => channels::external_media(shared, p),
        "deviceStates.list" => system::device_states(shared),
        "deviceStates.get" => system::get_device_state(shared, p),
        "deviceStates.update" => system::update_device_state(shared, p, false),
        "deviceStates.delete" => system::update_device_state(shared, p, true),
        "endpoints.list" => system::endpoints(),
        "endpoints.listByTech" => system::endpoints_by_tech(p),
        "endpoints.get"
        | "endpoints.sendMessage"
        | "endpoints.sendMessageToEndpoint"
        | "endpoints.refer"
        | "endpoints.referToEndpoint" => system::endpoint_not_found(),
        "events.userEvent" => system::user_event(shared, p),
        "mailboxes.list" => system::mailboxes(shared),
        "mailboxes.get" => system::get_mailbox(shared, p),
        "mailboxes.update" => system::update_mailbox(shared, p, false),
        "mailboxes.delete" => system::update_mailbox(shared, p, true),
        "playbacks.get" => media::get_playback(shared, p),
        "playbacks.stop" => media::stop_playback(shared, p),
        "playbacks.control" => media::control_playback(shared, p),
        "recordings.listStored" => media::list_stored(shared),
        "recordings.getStored" => media::get_stored(shared, p),
        "recordings.deleteStored" => media::delete_stored(shared, p),
        "recordings.getStoredFile" => media::stored_file(shared, p),
        "recordings.copyStored" => media::copy_stored(shared, p),
        "recordings.getLive" => media::get_live(shared, p),
        "recordings.cancel" => media::control_live(shared, p, "cancel"),
        "recordings.stop" => media::control_live(shared, p, "stop"),
        "recordings.pause" => media::control_live(shared, p, "pause"),
        "recordings.unpause" => media::control_live(shared, p, "unpause"),
        "recordings.mute" => media::control_live(shared, p, "mute"),
        "recordings.unmute" => media::control_live(shared, p, "unmute"),
        "sounds.list" => system::sounds(p),
        "sounds.get" => system::get_sound(p),
        _ => Ok(shaped(op)),
    };
    result.unwrap_or_else(|reply| reply)
}

/// The answer of an operation without simulated behaviour: the first documented error
/// status when it has one that means "not here" (404), else an empty but well-formed
/// value of its response type.
pub fn shaped(op: &Operation) -> Reply {
    if op.error_statuses.contains(&404) {
        return Reply::error(404, "Not found");
    }
    match &op.response {
        TypeRef::Void => Reply::no_content(),
        TypeRef::List(_) => Reply::json(200, json!([])),
        TypeRef::Binary => Reply::bytes(Vec::new(), "application/octet-stream"),
        _ => Reply::error(501, "Not implemented by the simulator"),
    }
}
