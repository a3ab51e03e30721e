//! Bridges: mixing and holding, channels entering and leaving, destruction.

use ari_sdk::{Bridge, BridgeType};
use serde_json::{Map, json};

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{BridgeState, Shared, World, lock, now_timestamp, object, to_value, uuid};

pub fn not_found() -> Reply {
    Reply::error(404, "Bridge not found")
}

impl World {
    fn bridge_event(
        &self,
        bridge_id: &str,
        type_name: &str,
        mut fields: Map<String, serde_json::Value>,
    ) {
        let Some(bridge) = self.bridges.get(bridge_id) else {
            return;
        };
        fields.insert("bridge".to_owned(), to_value(&bridge.model));
        self.send(&self.bridge_targets(bridge_id), type_name, fields);
    }

    fn enter_bridge(&mut self, bridge_id: &str, channel_id: &str) {
        if self
            .channels
            .get(channel_id)
            .and_then(|c| c.bridge.as_deref())
            == Some(bridge_id)
        {
            return;
        }
        self.leave_bridge(channel_id);
        if let Some(bridge) = self.bridges.get_mut(bridge_id) {
            bridge.model.channels.push(channel_id.to_owned());
        }
        if let Some(chan) = self.channels.get_mut(channel_id) {
            chan.bridge = Some(bridge_id.to_owned());
        }
        let channel = to_value(&self.channels[channel_id].model);
        self.bridge_event(
            bridge_id,
            "ChannelEnteredBridge",
            object(json!({ "channel": channel })),
        );
        self.update_bridge_peers(bridge_id);
    }

    /// Takes a channel out of its bridge, if it is in one. Its application still hears
    /// of the leaving, then no more of the bridge unless another of its channels is there.
    pub fn leave_bridge(&mut self, channel_id: &str) {
        let Some(bridge_id) = self.channels.get(channel_id).and_then(|c| c.bridge.clone()) else {
            return;
        };
        let targets = self.bridge_targets(&bridge_id);
        self.set_bridge_peer(channel_id, "");
        if let Some(chan) = self.channels.get_mut(channel_id) {
            chan.bridge = None;
        }
        if let Some(bridge) = self.bridges.get_mut(&bridge_id) {
            bridge.model.channels.retain(|c| c != channel_id);
        }
        self.update_bridge_peers(&bridge_id);
        let Some(bridge) = self.bridges.get(&bridge_id) else {
            return;
        };
        let fields = object(json!({
            "bridge": to_value(&bridge.model),
            "channel": to_value(&self.channels[channel_id].model),
        }));
        self.send(&targets, "ChannelLeftBridge", fields);
    }

    /// Destroys a bridge: every channel is pushed out at once (so each loses its
    /// `BRIDGEPEER` before the first `ChannelLeftBridge`), newest first.
    fn destroy_bridge(&mut self, bridge_id: &str) {
        let members = self
            .bridges
            .get(bridge_id)
            .map(|b| b.model.channels.clone())
            .unwrap_or_default();
        for channel in &members {
            self.set_bridge_peer(channel, "");
        }
        for channel in members.iter().rev() {
            self.leave_bridge(channel);
        }
        self.end_playbacks_of(&format!("bridge:{bridge_id}"));
        self.bridge_event(bridge_id, "BridgeDestroyed", Map::new());
        self.bridges.remove(bridge_id);
    }

    /// In a mixing bridge each channel's `BRIDGEPEER` names the other parties, newest
    /// first (recorders included); alone, or in a holding bridge, it has none.
    fn update_bridge_peers(&mut self, bridge_id: &str) {
        let Some(bridge) = self.bridges.get(bridge_id) else {
            return;
        };
        if bridge.model.bridge_type != BridgeType::Mixing {
            return;
        }
        let members = bridge.model.channels.clone();
        let mut parties: Vec<String> = members
            .iter()
            .filter_map(|id| self.channels.get(id).map(|c| c.model.name.clone()))
            .collect();
        parties.extend(bridge.recorders.iter().map(|(_, name)| name.clone()));
        for (index, id) in members.iter().enumerate() {
            let peers: Vec<&str> = parties
                .iter()
                .enumerate()
                .rev()
                .filter(|(i, _)| *i != index)
                .map(|(_, name)| name.as_str())
                .collect();
            self.set_bridge_peer(id, &peers.join(","));
        }
    }

    /// Sets `BRIDGEPEER` (with its `ChannelVarset`) when it changes.
    fn set_bridge_peer(&mut self, channel_id: &str, value: &str) {
        let Some(chan) = self.channels.get_mut(channel_id) else {
            return;
        };
        let old = chan.vars.get("BRIDGEPEER").map_or("", String::as_str);
        if old == value {
            return;
        }
        if value.is_empty() {
            chan.vars.remove("BRIDGEPEER");
        } else {
            chan.vars.insert("BRIDGEPEER".to_owned(), value.to_owned());
        }
        self.set_var_event(channel_id, "BRIDGEPEER", value);
    }

    /// Recording a bridge puts a recorder channel into it (events about the recorder
    /// reach nobody: no application is subscribed to it).
    pub fn add_recorder(&mut self, bridge_id: &str, recording: &str) {
        let name = format!("Recorder/ARI-{};2", self.next_channel_suffix());
        if let Some(bridge) = self.bridges.get_mut(bridge_id) {
            bridge.recorders.push((recording.to_owned(), name));
        }
        self.update_bridge_peers(bridge_id);
    }

    pub fn remove_recorder(&mut self, bridge_id: &str, recording: &str) {
        if let Some(bridge) = self.bridges.get_mut(bridge_id) {
            bridge.recorders.retain(|(r, _)| r != recording);
        }
        self.update_bridge_peers(bridge_id);
    }
}

/// `POST /bridges` (`with_id`: `POST /bridges/{id}`). `type` is a comma list of
/// features, `mixing` when empty; unknown ones count for nothing, and a bridge needs
/// exactly one of `mixing` and `holding` (Asterisk's `bridge_create_common`).
pub fn create(shared: &Shared, p: &Params, with_id: bool) -> Result {
    let mut world = lock(shared);
    let requested = p.get("bridgeId").filter(|id| !id.is_empty());
    if let Some(id) = requested.filter(|id| world.bridges.contains_key(*id)) {
        return Err(Reply::error(
            409,
            &format!("Bridge with id '{id}' already exists"),
        ));
    }
    let types = p.get("type").filter(|t| !t.is_empty()).unwrap_or("mixing");
    let features: Vec<&str> = types.split(',').map(str::trim).collect();
    let holding = features.contains(&"holding");
    if holding == features.contains(&"mixing") {
        return Err(Reply::error(
            500,
            &if with_id {
                "Unable to create bridge".to_owned()
            } else {
                // C's printf of a null id.
                format!(
                    "Unable to create bridge. Possible duplicate bridge id '{}'",
                    requested.unwrap_or("(null)")
                )
            },
        ));
    }
    let id = requested.map_or_else(uuid, str::to_owned);
    let model = Bridge {
        id: id.clone(),
        technology: if holding {
            "holding_bridge"
        } else {
            "simple_bridge"
        }
        .to_owned(),
        bridge_type: if holding {
            BridgeType::Holding
        } else {
            BridgeType::Mixing
        },
        bridge_class: "stasis".to_owned(),
        creator: "Stasis".to_owned(),
        name: p.string("name"),
        channels: Vec::new(),
        video_mode: Some("talker".to_owned()),
        video_source_id: None,
        creationtime: Some(now_timestamp()),
        bridgevars: None,
    };
    world.bridges.insert(
        id.clone(),
        BridgeState {
            model,
            subscribers: Vec::new(),
            recorders: Vec::new(),
            vars: Default::default(),
        },
    );
    // Nothing is subscribed to a new bridge yet but applications that take everything.
    world.send(
        &world.global_targets(),
        "BridgeCreated",
        object(json!({ "bridge": to_value(&world.bridges[&id].model) })),
    );
    Ok(Reply::ok(&world.bridges[&id].model))
}

pub fn get(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let bridge = world
        .bridges
        .get(&p.string("bridgeId"))
        .ok_or_else(not_found)?;
    Ok(Reply::ok(&bridge.model))
}

pub fn list(shared: &Shared) -> Result {
    let world = lock(shared);
    let bridges: Vec<&Bridge> = world.bridges.values().map(|b| &b.model).collect();
    Ok(Reply::ok(&bridges))
}

pub fn destroy(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("bridgeId");
    if !world.bridges.contains_key(&id) {
        return Err(not_found());
    }
    world.destroy_bridge(&id);
    Ok(Reply::no_content())
}

pub fn add_channel(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("bridgeId");
    if !world.bridges.contains_key(&id) {
        return Err(not_found());
    }
    let channels = p.list("channel");
    if channels.is_empty() {
        return Err(Reply::error(400, "Missing parameter channel"));
    }
    for channel in &channels {
        match world.channels.get(channel) {
            None => return Err(Reply::error(400, "Channel not found")),
            Some(c) if c.stasis.is_none() => {
                return Err(Reply::error(422, "Channel not in Stasis application"));
            }
            Some(_) => {}
        }
    }
    for channel in channels {
        world.enter_bridge(&id, &channel);
    }
    Ok(Reply::no_content())
}

pub fn remove_channel(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("bridgeId");
    if !world.bridges.contains_key(&id) {
        return Err(not_found());
    }
    let channels = p.list("channel");
    for channel in &channels {
        match world.channels.get(channel) {
            None => return Err(Reply::error(400, "Channel not found")),
            Some(c) if c.bridge.as_deref() != Some(id.as_str()) => {
                return Err(Reply::error(422, "Channel not in this bridge"));
            }
            Some(_) => {}
        }
    }
    for channel in channels {
        world.leave_bridge(&channel);
    }
    Ok(Reply::no_content())
}

/// Operations that only need the bridge to exist (MOH, video source, ...).
pub fn exists_no_content(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    if !world.bridges.contains_key(&p.string("bridgeId")) {
        return Err(not_found());
    }
    Ok(Reply::no_content())
}

fn variable_not_found() -> Reply {
    Reply::error(404, "Provided variable was not found")
}

/// `GET /bridges/{id}/variable`.
pub fn get_var(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let bridge = world
        .bridges
        .get(&p.string("bridgeId"))
        .ok_or_else(not_found)?;
    let value = bridge
        .vars
        .get(&p.string("variable"))
        .ok_or_else(variable_not_found)?;
    Ok(Reply::json(200, json!({ "value": value })))
}

/// `GET /bridges/{id}/variables?variables=a,b`.
pub fn get_vars(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let bridge = world
        .bridges
        .get(&p.string("bridgeId"))
        .ok_or_else(not_found)?;
    let mut out = Map::new();
    for name in p.list("variables") {
        let value = bridge.vars.get(&name).ok_or_else(variable_not_found)?;
        out.insert(name, serde_json::Value::String(value.clone()));
    }
    Ok(Reply::json(200, json!({ "variables": out })))
}

/// `POST /bridges/{id}/variable` (one, from the query) and `/variables` (a JSON map).
pub fn set_vars(shared: &Shared, p: &Params, several: bool) -> Result {
    let mut world = lock(shared);
    let bridge = world
        .bridges
        .get_mut(&p.string("bridgeId"))
        .ok_or_else(not_found)?;
    let vars = if several {
        p.map("variables")
    } else {
        vec![(p.string("variable"), p.string("value"))]
    };
    if vars.is_empty() || vars.iter().any(|(name, _)| name.is_empty()) {
        let what = if several { "variables" } else { "variable" };
        return Err(Reply::error(400, &format!("Missing {what} parameter.")));
    }
    bridge.vars.extend(vars);
    Ok(Reply::no_content())
}
