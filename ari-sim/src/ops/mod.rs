//! Operation name -> behaviour. Every operation of the spec answers: those in
//! [`BEHAVIOURS`] act on the world; the rest give spec-shaped answers ([`shaped`]).

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

/// How an operation acts on the simulated world.
pub type Behaviour = fn(&Shared, &Params) -> Result<Reply>;

/// Every operation with behaviour on the simulated state, by qualified name: the one list
/// both [`dispatch`] and [`is_stateful`] read. The rest answer by shape.
pub const BEHAVIOURS: &[(&str, Behaviour)] = &[
    ("applications.list", |s, _| system::applications(s)),
    ("applications.get", system::get_application),
    ("applications.subscribe", |s, p| {
        system::subscription(s, p, true)
    }),
    ("applications.unsubscribe", |s, p| {
        system::subscription(s, p, false)
    }),
    ("applications.filter", system::filter),
    ("asterisk.getInfo", system::info),
    ("asterisk.ping", |s, _| system::ping(s)),
    ("asterisk.listModules", |s, _| system::modules(s)),
    ("asterisk.getModule", |_, p| system::get_module(p)),
    ("asterisk.loadModule", |_, p| system::module_action(p, true)),
    ("asterisk.unloadModule", |_, p| {
        system::module_action(p, false)
    }),
    ("asterisk.reloadModule", |_, p| {
        system::module_action(p, false)
    }),
    ("asterisk.listLogChannels", |_, _| system::log_channels()),
    ("asterisk.getGlobalVar", system::get_global),
    ("asterisk.setGlobalVar", system::set_global),
    ("bridges.list", |s, _| bridges::list(s)),
    ("bridges.create", |s, p| bridges::create(s, p, false)),
    ("bridges.createWithId", |s, p| bridges::create(s, p, true)),
    ("bridges.get", bridges::get),
    ("bridges.destroy", bridges::destroy),
    ("bridges.addChannel", bridges::add_channel),
    ("bridges.removeChannel", bridges::remove_channel),
    ("bridges.setVideoSource", bridges::exists_no_content),
    ("bridges.clearVideoSource", bridges::exists_no_content),
    ("bridges.startMoh", bridges::exists_no_content),
    ("bridges.stopMoh", bridges::exists_no_content),
    ("bridges.play", |s, p| {
        bridge_target(s, p).and_then(|t| media::play(s, p, t, None))
    }),
    ("bridges.playWithId", |s, p| {
        bridge_target(s, p).and_then(|t| media::play(s, p, t, Some(p.string("playbackId"))))
    }),
    ("bridges.record", |s, p| {
        bridge_target(s, p).and_then(|t| media::record(s, p, t))
    }),
    ("bridges.getBridgeVar", bridges::get_var),
    ("bridges.getBridgeVars", bridges::get_vars),
    ("bridges.setBridgeVar", |s, p| {
        bridges::set_vars(s, p, false)
    }),
    ("bridges.setBridgeVars", |s, p| {
        bridges::set_vars(s, p, true)
    }),
    ("channels.list", |s, _| channels::list(s)),
    ("channels.originate", |s, p| channels::originate(s, p, None)),
    ("channels.originateWithId", |s, p| {
        channels::originate(s, p, Some(p.string("channelId")))
    }),
    ("channels.create", channels::create),
    ("channels.get", channels::get),
    ("channels.hangup", channels::hangup),
    (
        "channels.continueInDialplan",
        channels::continue_in_dialplan,
    ),
    ("channels.move", channels::move_app),
    ("channels.answer", channels::answer),
    ("channels.ring", |s, p| channels::ring(s, p, true)),
    ("channels.ringStop", |s, p| channels::ring(s, p, false)),
    ("channels.sendDTMF", channels::send_dtmf),
    ("channels.mute", |s, p| channels::mute(s, p, true)),
    ("channels.unmute", |s, p| channels::mute(s, p, false)),
    ("channels.hold", |s, p| channels::hold(s, p, true)),
    ("channels.unhold", |s, p| channels::hold(s, p, false)),
    ("channels.redirect", channels::redirect),
    ("channels.progress", channels::in_stasis_no_content),
    ("channels.startMoh", channels::in_stasis_no_content),
    ("channels.stopMoh", channels::in_stasis_no_content),
    ("channels.startSilence", channels::in_stasis_no_content),
    ("channels.stopSilence", channels::in_stasis_no_content),
    ("channels.transfer_progress", channels::in_stasis_no_content),
    ("channels.play", |s, p| {
        channel_target(s, p, true).and_then(|t| media::play(s, p, t, None))
    }),
    ("channels.playWithId", |s, p| {
        channel_target(s, p, true).and_then(|t| media::play(s, p, t, Some(p.string("playbackId"))))
    }),
    ("channels.record", |s, p| {
        media::record_limits(p)
            .and_then(|()| channel_target(s, p, false))
            .and_then(|t| media::record(s, p, t))
    }),
    ("channels.getChannelVar", channels::get_var),
    ("channels.setChannelVar", channels::set_var),
    ("channels.getChannelVars", channels::get_vars),
    ("channels.setChannelVars", channels::set_vars),
    ("channels.snoopChannel", |s, p| channels::snoop(s, p, None)),
    ("channels.snoopChannelWithId", |s, p| {
        channels::snoop(s, p, Some(p.string("snoopId")))
    }),
    ("channels.dial", channels::dial),
    ("channels.externalMedia", channels::external_media),
    ("deviceStates.list", |s, _| system::device_states(s)),
    ("deviceStates.get", system::get_device_state),
    ("deviceStates.update", |s, p| {
        system::update_device_state(s, p, false)
    }),
    ("deviceStates.delete", |s, p| {
        system::update_device_state(s, p, true)
    }),
    ("endpoints.list", |_, _| system::endpoints()),
    ("endpoints.listByTech", |_, p| system::endpoints_by_tech(p)),
    ("endpoints.get", |_, _| system::endpoint_not_found()),
    ("endpoints.sendMessage", |_, _| system::endpoint_not_found()),
    ("endpoints.sendMessageToEndpoint", |_, _| {
        system::endpoint_not_found()
    }),
    ("endpoints.refer", |_, _| system::endpoint_not_found()),
    ("endpoints.referToEndpoint", |_, _| {
        system::endpoint_not_found()
    }),
    ("events.userEvent", system::user_event),
    ("mailboxes.list", |s, _| system::mailboxes(s)),
    ("mailboxes.get", system::get_mailbox),
    ("mailboxes.update", |s, p| {
        system::update_mailbox(s, p, false)
    }),
    ("mailboxes.delete", |s, p| {
        system::update_mailbox(s, p, true)
    }),
    ("playbacks.get", media::get_playback),
    ("playbacks.stop", media::stop_playback),
    ("playbacks.control", media::control_playback),
    ("recordings.listStored", |s, _| media::list_stored(s)),
    ("recordings.getStored", media::get_stored),
    ("recordings.deleteStored", media::delete_stored),
    ("recordings.getStoredFile", media::stored_file),
    ("recordings.copyStored", media::copy_stored),
    ("recordings.getLive", media::get_live),
    ("recordings.cancel", |s, p| {
        media::control_live(s, p, "cancel")
    }),
    ("recordings.stop", |s, p| media::control_live(s, p, "stop")),
    ("recordings.pause", |s, p| {
        media::control_live(s, p, "pause")
    }),
    ("recordings.unpause", |s, p| {
        media::control_live(s, p, "unpause")
    }),
    ("recordings.mute", |s, p| media::control_live(s, p, "mute")),
    ("recordings.unmute", |s, p| {
        media::control_live(s, p, "unmute")
    }),
    ("sounds.list", |_, p| system::sounds(p)),
    ("sounds.get", |_, p| system::get_sound(p)),
];

/// Whether `name` (`channels.play`) has behaviour on the simulated state.
pub fn is_stateful(name: &str) -> bool {
    behaviour(name).is_some()
}

fn behaviour(name: &str) -> Option<Behaviour> {
    BEHAVIOURS
        .iter()
        .find(|(listed, _)| *listed == name)
        .map(|(_, behaviour)| *behaviour)
}

/// Runs the simulated behaviour of `op` (or its documented "not found" answer).
pub fn dispatch(shared: &Shared, op: &Operation, p: &Params) -> Reply {
    let result = match behaviour(&op.qualified_name()) {
        Some(behaviour) => behaviour(shared, p),
        None => Ok(shaped(op)),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A misspelt or renamed operation in the table would quietly answer by shape.
    #[test]
    fn every_behaviour_names_one_operation_of_the_spec() {
        let api = crate::spec::api();
        let names: Vec<String> = api.operations().map(Operation::qualified_name).collect();
        for (i, (name, _)) in BEHAVIOURS.iter().enumerate() {
            assert!(
                names.iter().any(|n| n == name),
                "{name} is not an operation of the spec"
            );
            assert!(
                BEHAVIOURS[..i].iter().all(|(earlier, _)| earlier != name),
                "{name} is listed twice"
            );
        }
    }
}
