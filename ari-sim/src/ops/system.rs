//! Asterisk itself, applications, device states, mailboxes, endpoints, sounds, user events.

use serde_json::{Value, json};

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{Shared, lock, now, object};

/// The version the simulator answers as, the line its api-docs come from.
pub const VERSION: &str = "22.10.1";

pub fn info(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let all = json!({
        "build": {"os": "Linux", "kernel": "6.1.0", "machine": "x86_64", "options": "OPTIONAL_API",
                  "date": "2026-01-01 00:00:00 UTC", "user": "ari-sim"},
        "system": {"version": VERSION, "entity_id": world.asterisk_id},
        "config": {"name": "", "default_language": "en", "setid": {"user": "", "group": ""}},
        "status": {"startup_time": world.started, "last_reload_time": world.started}
    });
    let only = p.list("only");
    if only.is_empty() {
        return Ok(Reply::json(200, all));
    }
    let mut out = serde_json::Map::new();
    for key in only {
        if let Some(v) = all.get(&key) {
            out.insert(key, v.clone());
        }
    }
    Ok(Reply::json(200, Value::Object(out)))
}

pub fn ping(shared: &Shared) -> Result {
    let world = lock(shared);
    Ok(Reply::json(
        200,
        json!({"ping": "pong", "timestamp": now(), "asterisk_id": world.asterisk_id}),
    ))
}

const MODULES: &[(&str, &str, &str)] = &[
    ("app_stasis.so", "Stasis dialplan application", "core"),
    ("chan_pjsip.so", "PJSIP Channel Driver", "core"),
    ("res_ari.so", "Asterisk RESTful Interface", "core"),
    (
        "res_ari_channels.so",
        "RESTful API module - Channel resources",
        "core",
    ),
    ("res_stasis.so", "Stasis application support", "core"),
];

fn module(name: &str, description: &str, support: &str) -> Value {
    json!({"name": name, "description": description, "use_count": 1, "status": "Running", "support_level": support})
}

pub fn modules(_: &Shared) -> Result {
    Ok(Reply::json(
        200,
        Value::Array(MODULES.iter().map(|(n, d, s)| module(n, d, s)).collect()),
    ))
}

pub fn get_module(p: &Params) -> Result {
    let name = p.string("moduleName");
    MODULES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(n, d, s)| Reply::json(200, module(n, d, s)))
        .ok_or_else(|| Reply::error(404, "Module could not be found in running modules"))
}

/// load (already running: 409), unload and reload (unknown: 404).
pub fn module_action(p: &Params, load: bool) -> Result {
    let known = MODULES.iter().any(|(n, _, _)| *n == p.string("moduleName"));
    match (load, known) {
        (true, true) => Err(Reply::error(409, "Module is already loaded")),
        (true, false) | (false, true) => Ok(Reply::no_content()),
        (false, false) => Err(Reply::error(404, "Module not found in running modules")),
    }
}

pub fn log_channels() -> Result {
    Ok(Reply::json(
        200,
        json!([{"channel": "/var/log/asterisk/messages.log", "type": "File", "status": "Enabled", "configuration": "NOTICE WARNING ERROR "}]),
    ))
}

pub fn get_global(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let value = world
        .global_vars
        .get(&p.string("variable"))
        .cloned()
        .unwrap_or_default();
    Ok(Reply::json(200, json!({ "value": value })))
}

pub fn set_global(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    world
        .global_vars
        .insert(p.string("variable"), p.string("value"));
    Ok(Reply::no_content())
}

fn application(shared: &Shared, name: &str) -> Value {
    let world = lock(shared);
    let mut channel_ids: Vec<&String> = world
        .channels
        .values()
        .filter(|c| c.subscribers.iter().any(|a| a == name))
        .map(|c| &c.model.id)
        .collect();
    channel_ids.sort();
    let bridge_ids: Vec<&String> = world
        .bridges
        .values()
        .filter(|b| {
            world
                .bridge_subscribers(&b.model.id)
                .iter()
                .any(|a| a == name)
        })
        .map(|b| &b.model.id)
        .collect();
    let device_names: Vec<String> = world
        .app_subscriptions
        .get(name)
        .map(|s| {
            s.iter()
                .filter_map(|s| s.strip_prefix("deviceState:"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    json!({"name": name, "channel_ids": channel_ids, "bridge_ids": bridge_ids, "endpoint_ids": [],
           "device_names": device_names, "events_allowed": [], "events_disallowed": []})
}

pub fn applications(shared: &Shared) -> Result {
    let apps = lock(shared).hub.registered_apps();
    Ok(Reply::json(
        200,
        Value::Array(apps.iter().map(|a| application(shared, a)).collect()),
    ))
}

pub fn get_application(shared: &Shared, p: &Params) -> Result {
    let name = p.string("applicationName");
    if !lock(shared).hub.is_registered(&name) {
        return Err(Reply::error(404, "Application not found"));
    }
    Ok(Reply::json(200, application(shared, &name)))
}

/// subscribe / unsubscribe to `channel:`, `bridge:`, `endpoint:`, `deviceState:` sources.
pub fn subscription(shared: &Shared, p: &Params, subscribe: bool) -> Result {
    let name = p.string("applicationName");
    let mut world = lock(shared);
    if !world.hub.is_registered(&name) {
        return Err(Reply::error(404, "Application not found"));
    }
    let sources = p.list("eventSource");
    // Each source in turn, as Asterisk does: one that fails leaves those before it done.
    for source in sources {
        let (kind, id) = source
            .split_once(':')
            .ok_or_else(|| Reply::error(400, "Invalid event source URI scheme"))?;
        if !matches!(kind, "channel" | "bridge" | "endpoint" | "deviceState") {
            return Err(Reply::error(400, "Invalid event source URI scheme"));
        }
        let subscribed = match kind {
            "channel" => world
                .channels
                .get(id)
                .is_some_and(|c| c.interest.contains_key(&name)),
            "bridge" => world.bridge_subscribers(id).contains(&name),
            _ => true,
        };
        if subscribe {
            let exists = match kind {
                "channel" => world.channels.contains_key(id),
                "bridge" => world.bridges.contains_key(id),
                _ => true,
            };
            if !exists {
                return Err(Reply::error(422, "Event source does not exist"));
            }
        } else if !subscribed {
            return Err(Reply::error(422, "Event source was not subscribed to"));
        }
        match (kind, subscribe) {
            ("channel", true) => world.subscribe_channel(id, &name),
            ("channel", false) => {
                world.unsubscribe_channel(id, &name);
            }
            ("bridge", on) => {
                if let Some(b) = world.bridges.get_mut(id) {
                    b.subscribers.retain(|a| *a != name);
                    if on {
                        b.subscribers.push(name.clone());
                    }
                }
            }
            _ => {}
        }
        let list = world.app_subscriptions.entry(name.clone()).or_default();
        list.retain(|s| *s != source);
        if subscribe {
            list.push(source);
        }
    }
    drop(world);
    Ok(Reply::json(200, application(shared, &name)))
}

pub fn filter(shared: &Shared, p: &Params) -> Result {
    let name = p.string("applicationName");
    if !lock(shared).hub.is_registered(&name) {
        return Err(Reply::error(404, "Application not found"));
    }
    let mut app = application(shared, &name);
    // A RESTRequest without a body gives the filter JSON `null`, which is no filter.
    if p.json("filter") == Some(&Value::Null) {
        return Err(Reply::error(400, "Invalid format definition"));
    }
    if let Some(Value::Object(filter)) = p.json("filter") {
        for key in ["allowed", "disallowed"] {
            if let Some(v) = filter.get(key) {
                app[format!("events_{key}")] = v.clone();
            }
        }
    }
    Ok(Reply::json(200, app))
}

pub fn device_states(shared: &Shared) -> Result {
    let world = lock(shared);
    let list: Vec<Value> = world
        .device_states
        .iter()
        .map(|(n, s)| json!({"name": n, "state": s}))
        .collect();
    Ok(Reply::json(200, Value::Array(list)))
}

pub fn get_device_state(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let name = p.string("deviceName");
    let state = world
        .device_states
        .get(&name)
        .cloned()
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    Ok(Reply::json(200, json!({"name": name, "state": state})))
}

/// Only `Stasis:` devices belong to ARI; others are Asterisk's own.
pub fn update_device_state(shared: &Shared, p: &Params, delete: bool) -> Result {
    let name = p.string("deviceName");
    let device = name
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("Stasis:"))
        .map(|_| &name[7..]);
    let Some(device) = device else {
        return Err(Reply::error(409, "Uncontrolled device specified"));
    };
    if device.is_empty() {
        return Err(Reply::error(404, "Device name is missing"));
    }
    let mut world = lock(shared);
    if delete {
        world
            .device_states
            .remove(&name)
            .ok_or_else(|| Reply::error(404, "Device name is missing"))?;
        return Ok(Reply::no_content());
    }
    // Asterisk's `ast_devstate_val`: any case; anything else, "UNKNOWN" included, is
    // an unknown device state.
    let state = p.string("deviceState").to_ascii_uppercase();
    const STATES: &[&str] = &[
        "NOT_INUSE",
        "INUSE",
        "BUSY",
        "INVALID",
        "UNAVAILABLE",
        "RINGING",
        "RINGINUSE",
        "ONHOLD",
    ];
    if !STATES.contains(&state.as_str()) {
        return Err(Reply::error(500, "Unknown device"));
    }
    world.device_states.insert(name.clone(), state.clone());
    let mut targets: Vec<String> = world
        .app_subscriptions
        .iter()
        .filter(|(_, s)| s.iter().any(|s| *s == format!("deviceState:{name}")))
        .map(|(a, _)| a.clone())
        .collect();
    targets.extend(world.hub.subscribed_to_all());
    world.send(
        &targets,
        "DeviceStateChanged",
        object(json!({"device_state": {"name": name, "state": state}})),
    );
    Ok(Reply::no_content())
}

pub fn mailboxes(shared: &Shared) -> Result {
    let world = lock(shared);
    let list: Vec<Value> = world
        .mailboxes
        .iter()
        .map(|(n, (o, new))| json!({"name": n, "old_messages": o, "new_messages": new}))
        .collect();
    Ok(Reply::json(200, Value::Array(list)))
}

pub fn get_mailbox(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let name = p.string("mailboxName");
    let (old, new) = world
        .mailboxes
        .get(&name)
        .ok_or_else(|| Reply::error(404, "Mailbox not found"))?;
    Ok(Reply::json(
        200,
        json!({"name": name, "old_messages": old, "new_messages": new}),
    ))
}

pub fn update_mailbox(shared: &Shared, p: &Params, delete: bool) -> Result {
    let mut world = lock(shared);
    let name = p.string("mailboxName");
    if delete {
        world
            .mailboxes
            .remove(&name)
            .ok_or_else(|| Reply::error(404, "Mailbox not found"))?;
    } else {
        world.mailboxes.insert(
            name,
            (
                p.int("oldMessages").unwrap_or(0),
                p.int("newMessages").unwrap_or(0),
            ),
        );
    }
    Ok(Reply::no_content())
}

/// The simulator has no SIP endpoints configured (as the recordings' server had none).
pub fn endpoints() -> Result {
    Ok(Reply::json(200, json!([])))
}

pub fn endpoints_by_tech(p: &Params) -> Result {
    match p.string("tech").as_str() {
        "PJSIP" | "Local" | "SIP" | "IAX2" => Ok(Reply::json(200, json!([]))),
        _ => Err(Reply::error(404, "No Endpoints found - invalid tech")),
    }
}

pub fn endpoint_not_found() -> Result {
    Err(Reply::error(404, "Endpoint not found"))
}

/// The sounds a stock Asterisk 22 with Debian's core sound package has in `en` (the
/// recorded `GET /sounds`), one id a line, sorted.
const SOUNDS: &str = include_str!("sounds.txt");

fn sound_ids() -> impl Iterator<Item = &'static str> {
    SOUNDS.lines()
}

/// Whether `sound:<id>` names a file the simulated Asterisk has.
pub fn sound_exists(id: &str) -> bool {
    sound_ids().any(|s| s == id)
}

fn sound(id: &str) -> Value {
    json!({"id": id, "formats": [{"language": "en", "format": "gsm"}, {"language": "en", "format": "slin"}]})
}

pub fn sounds(p: &Params) -> Result {
    let lang_ok = p.get("lang").is_none_or(|l| l == "en");
    let format_ok = p.get("format").is_none_or(|f| f == "gsm" || f == "slin");
    let list: Vec<Value> = if lang_ok && format_ok {
        sound_ids().map(sound).collect()
    } else {
        Vec::new()
    };
    Ok(Reply::json(200, Value::Array(list)))
}

pub fn get_sound(p: &Params) -> Result {
    let id = p.string("soundId");
    if sound_exists(&id) {
        Ok(Reply::json(200, sound(&id)))
    } else {
        Err(Reply::error(404, "Sound not found"))
    }
}

/// `POST /events/user/{eventName}`: a `ChannelUserevent` to the application.
pub fn user_event(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let app = p.string("application");
    if !world.hub.is_registered(&app) {
        return Err(Reply::error(404, "Application not found"));
    }
    let name = p.string("eventName");
    // Asterisk writes the variables first, then `eventname`.
    let mut userevent = serde_json::Map::new();
    for (k, v) in p.map("variables") {
        userevent.insert(k, Value::String(v));
    }
    userevent.insert("eventname".to_owned(), Value::String(name.clone()));
    let mut fields = object(json!({ "eventname": name }));
    for source in p.list("source") {
        let (kind, id) = source
            .split_once(':')
            .ok_or_else(|| Reply::error(400, "Invalid event source URI"))?;
        match kind {
            "channel" => {
                let chan = world
                    .channels
                    .get(id)
                    .ok_or_else(|| Reply::error(422, "Event source not found"))?;
                fields.insert("channel".to_owned(), crate::world::to_value(&chan.model));
            }
            "bridge" => {
                let bridge = world
                    .bridges
                    .get(id)
                    .ok_or_else(|| Reply::error(422, "Event source not found"))?;
                fields.insert("bridge".to_owned(), crate::world::to_value(&bridge.model));
            }
            "endpoint" | "deviceState" => {}
            _ => return Err(Reply::error(400, "Invalid event source URI")),
        }
    }
    fields.insert("userevent".to_owned(), Value::Object(userevent));
    world.send(&[app], "ChannelUserevent", fields);
    Ok(Reply::no_content())
}
