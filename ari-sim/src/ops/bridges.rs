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
        let app = self.channels.get(channel_id).and_then(|c| c.stasis.clone());
        if let Some(bridge) = self.bridges.get_mut(bridge_id) {
            bridge.model.channels.push(channel_id.to_owned());
            if let Some(app) = app {
                if !bridge.subscribers.contains(&app) {
                    bridge.subscribers.push(app);
                }
            }
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
    }

    /// Takes a channel out of its bridge, if it is in one.
    pub fn leave_bridge(&mut self, channel_id: &str) {
        let Some(bridge_id) = self
            .channels
            .get_mut(channel_id)
            .and_then(|c| c.bridge.take())
        else {
            return;
        };
        if let Some(bridge) = self.bridges.get_mut(&bridge_id) {
            bridge.model.channels.retain(|c| c != channel_id);
        }
        let channel = to_value(&self.channels[channel_id].model);
        self.bridge_event(
            &bridge_id,
            "ChannelLeftBridge",
            object(json!({ "channel": channel })),
        );
    }

    fn destroy_bridge(&mut self, bridge_id: &str) {
        let members = self
            .bridges
            .get(bridge_id)
            .map(|b| b.model.channels.clone())
            .unwrap_or_default();
        for channel in members {
            self.leave_bridge(&channel);
        }
        self.end_playbacks_of(&format!("bridge:{bridge_id}"));
        self.bridge_event(bridge_id, "BridgeDestroyed", Map::new());
        self.bridges.remove(bridge_id);
    }
}

pub fn create(shared: &Shared, p: &Params, id: Option<String>) -> Result {
    let mut world = lock(shared);
    let id = id
        .or_else(|| p.get("bridgeId").map(str::to_owned))
        .unwrap_or_else(uuid);
    if world.bridges.contains_key(&id) {
        return Err(Reply::error(409, "Bridge with this ID already exists"));
    }
    // `type` is a comma list of features: mixing, holding, dtmf_events, proxy_media, ...
    let features = p.list("type");
    let holding = features.iter().any(|f| f == "holding");
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
        },
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
