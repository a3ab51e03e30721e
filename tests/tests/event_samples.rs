//! Every event type of the Asterisk 22 spec decodes into its own variant from a sample
//! payload built from the spec itself, and per-resource routing sees its channel.

use std::path::Path;

use ari_codegen::ir::{Api, Field, TypeRef};
use serde_json::{Map, Value, json};

const DATE: &str = "2026-11-27T10:36:17.719+0000";
/// Deeper models are left empty: enough to fill every event, and no endless recursion.
const MAX_DEPTH: usize = 6;

fn api() -> Api {
    ari_codegen::load_api(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../api-docs/22"
    )))
    .expect("the Asterisk 22 spec loads")
}

fn sample(api: &Api, ty: &TypeRef, depth: usize) -> Value {
    match ty {
        TypeRef::String => json!("x"),
        TypeRef::Int | TypeRef::Long => json!(1),
        TypeRef::Double => json!(1.5),
        TypeRef::Boolean => json!(true),
        TypeRef::Date => json!(DATE),
        TypeRef::Object => json!({}),
        TypeRef::Containers => json!({"k": "v"}),
        TypeRef::List(item) => json!([sample(api, item, depth)]),
        TypeRef::Enum(name) => {
            let def = api.enum_def(name).unwrap_or_else(|| panic!("enum {name}"));
            json!(def.values[0])
        }
        TypeRef::Model(name) => {
            let model = api.model(name).unwrap_or_else(|| panic!("model {name}"));
            if depth >= MAX_DEPTH {
                return json!({});
            }
            Value::Object(fields(api, &model.fields, depth + 1))
        }
        TypeRef::Binary | TypeRef::Void => panic!("{ty:?} cannot be an event field"),
    }
}

fn fields(api: &Api, fields: &[Field], depth: usize) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| (f.name.clone(), sample(api, &f.ty, depth)))
        .collect()
}

/// The sample of one event, with the type member first or last.
fn event_sample(api: &Api, name: &str, own: &[Field], type_first: bool) -> String {
    let mut object = Map::new();
    if type_first {
        object.insert(api.discriminator.clone(), json!(name));
    }
    for (key, value) in fields(api, &api.event_base_fields, 0) {
        if key != api.discriminator {
            object.insert(key, value);
        }
    }
    object.extend(fields(api, own, 0));
    if !type_first {
        object.insert(api.discriminator.clone(), json!(name));
    }
    Value::Object(object).to_string()
}

#[test]
fn every_spec_event_decodes_into_its_own_variant() {
    let api = api();
    assert!(
        api.events.len() >= 40,
        "Asterisk 22 has ~45 event types, found {}",
        api.events.len()
    );
    assert_eq!(api.events.len(), ari_sdk::Event::TYPE_NAMES.len());
    let mut failures = Vec::new();
    for spec_event in &api.events {
        for type_first in [true, false] {
            let frame = event_sample(&api, &spec_event.name, &spec_event.fields, type_first);
            match ari_sdk::decode_event(&frame) {
                Ok(ari_sdk::Event::Other(_)) => {
                    failures.push(format!("{}: decoded as Event::Other", spec_event.name))
                }
                Ok(event) => {
                    if event.type_name() != spec_event.name {
                        failures.push(format!(
                            "{}: decoded as {}",
                            spec_event.name,
                            event.type_name()
                        ));
                    }
                    if event.application() != "x" || event.asterisk_id() != Some("x") {
                        failures.push(format!("{}: base fields lost", spec_event.name));
                    }
                    if event.timestamp().map(|t| t.to_string()).as_deref() != Some(DATE) {
                        failures.push(format!("{}: timestamp lost", spec_event.name));
                    }
                }
                Err(e) => failures.push(format!(
                    "{} (type first: {type_first}): {e}",
                    spec_event.name
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_event_with_a_required_channel_reports_it() {
    let api = api();
    let with_channel: Vec<_> = api
        .events
        .iter()
        .filter(|e| {
            e.fields.iter().any(|f| {
                f.name == "channel" && f.required && f.ty == TypeRef::Model("Channel".into())
            })
        })
        .collect();
    assert!(
        with_channel.len() >= 20,
        "found only {} events with a required channel",
        with_channel.len()
    );
    let mut missing = Vec::new();
    for spec_event in with_channel {
        let frame = event_sample(&api, &spec_event.name, &spec_event.fields, true);
        let event = ari_sdk::decode_event(&frame)
            .unwrap_or_else(|e| panic!("{} decodes: {e}", spec_event.name));
        let mut resources = Vec::new();
        event.for_each_resource(|kind, id| resources.push((kind, id.to_owned())));
        if !resources.contains(&(ari_sdk::ResourceKind::Channel, "x".to_owned())) {
            missing.push(format!("{}: {resources:?}", spec_event.name));
        }
    }
    assert!(
        missing.is_empty(),
        "no Channel reported:\n{}",
        missing.join("\n")
    );
}
