//! Naming heuristics of the IR: enum names for allowed-value lists, and which handles are
//! resource kinds that events can name.

use std::collections::{HashMap, HashSet};

use super::types::*;
use crate::names;

impl ResourceKind {
    /// The parameter that names a new resource of this kind before it exists
    /// (`playbackId` for play, `channelId` for originate, `name` for record).
    pub fn creation_param<'a>(&self, op: &'a Operation) -> Option<&'a Param> {
        let [field] = self.id_fields.as_slice() else {
            return None;
        };
        let camel = names::upper_camel(&self.name);
        let lower = format!("{}{}Id", camel[..1].to_ascii_lowercase(), &camel[1..]);
        let named_otherwise = crate::fixups::CREATED_UNDER
            .iter()
            .find(|(resource, nickname, _)| *resource == op.resource && *nickname == op.nickname)
            .map(|(_, _, param)| *param);
        if op.method == HttpMethod::Get {
            return None;
        }
        // A path parameter names the new resource only as the path's last segment
        // (`/channels/{channelId}`), not as its parent (`/channels/{channelId}/snoop`).
        let last = match op.segments.last() {
            Some(Segment::Param(p)) => Some(p.as_str()),
            _ => None,
        };
        op.params.iter().find(|p| {
            let place_ok = match p.location {
                ParamLocation::Path => last == Some(p.name.as_str()),
                _ => true,
            };
            p.ty == TypeRef::String
                && !p.multiple
                && place_ok
                && (p.name == lower || p.name == *field || Some(p.name.as_str()) == named_otherwise)
        })
    }
}

/// Names enums after where their values are allowed, without taking a model's name.
#[derive(Default)]
pub(super) struct EnumNames {
    /// Model names, which enums must not take.
    pub(super) models: HashSet<String>,
    /// The enums named so far, in first-use order.
    pub(super) enums: Vec<EnumDef>,
    /// (parameter name, values) -> enum name, so operations share parameter enums.
    param_enums: HashMap<(String, Vec<String>), String>,
}

impl EnumNames {
    pub(super) fn property_enum(&mut self, model: &str, field: &str, values: &[String]) -> String {
        // `Bridge.bridge_type` reads better as `BridgeType` than `BridgeBridgeType`.
        let model_snake = names::snake_ident(model).unwrap_or_default();
        let base = match field.strip_prefix(&format!("{model_snake}_")) {
            Some(rest) => format!("{model}{}", names::upper_camel(rest)),
            None => format!("{model}{}", names::upper_camel(field)),
        };
        self.claim_enum(
            &[base.clone(), format!("{base}Value")],
            values,
            format!("{model}.{field}"),
        )
    }

    pub(super) fn param_enum(
        &mut self,
        resource: &str,
        nickname: &str,
        param: &str,
        values: &[String],
    ) -> String {
        // One enum per parameter name and value list: `mute`/`unmute` share `MuteDirection`.
        if let Some(name) = self.param_enums.get(&(param.to_owned(), values.to_vec())) {
            return name.clone();
        }
        let op = format!(
            "{}{}",
            names::upper_camel(nickname),
            names::upper_camel(param)
        );
        let long = format!("{}{op}", names::upper_camel(resource));
        let name = self.claim_enum(
            &[op, long],
            values,
            format!("{resource}.{nickname}({param})"),
        );
        self.param_enums
            .insert((param.to_owned(), values.to_vec()), name.clone());
        name
    }

    /// Picks the first candidate name that is free or already names the same values.
    fn claim_enum(&mut self, candidates: &[String], values: &[String], origin: String) -> String {
        for name in candidates {
            if self.models.contains(name) {
                continue;
            }
            match self.enums.iter().find(|e| &e.name == name) {
                Some(existing) if existing.values == values => return name.clone(),
                Some(_) => continue,
                None => {
                    self.enums.push(EnumDef {
                        name: name.clone(),
                        values: values.to_vec(),
                        origin,
                        value_text: Default::default(),
                    });
                    return name.clone();
                }
            }
        }
        // Every candidate taken: number the last one.
        let last = candidates.last().expect("candidates");
        let mut n = 2;
        loop {
            let name = format!("{last}{n}");
            if !self.models.contains(&name) && !self.enums.iter().any(|e| e.name == name) {
                self.enums.push(EnumDef {
                    name: name.clone(),
                    values: values.to_vec(),
                    origin,
                    value_text: Default::default(),
                });
                return name;
            }
            n += 1;
        }
    }
}

/// Handles whose name is a model, and which model fields make their ids: `id`, else
/// `name` for one id; for several ids, the field each parameter starts (`tech` ->
/// `technology`).
pub(super) fn resource_kinds(handles: &[Handle], models: &[Model]) -> Vec<ResourceKind> {
    let mut kinds = Vec::new();
    for handle in handles {
        let Some(model) = models.iter().find(|m| m.name == handle.name) else {
            continue;
        };
        let has = |name: &str| {
            model
                .fields
                .iter()
                .any(|f| f.name == name && f.ty == TypeRef::String)
        };
        let id_fields: Option<Vec<String>> = if handle.id_params.len() == 1 {
            ["id", "name"]
                .iter()
                .find(|f| has(f))
                .map(|f| vec![f.to_string()])
        } else {
            handle
                .id_params
                .iter()
                .map(|p| {
                    model
                        .fields
                        .iter()
                        .find(|f| f.ty == TypeRef::String && f.name.starts_with(p.as_str()))
                        .map(|f| f.name.clone())
                })
                .collect()
        };
        if let Some(id_fields) = id_fields {
            kinds.push(ResourceKind {
                name: handle.name.clone(),
                id_fields,
                id_params: handle.id_params.clone(),
            });
        }
    }
    kinds
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ir::build;
    use crate::ir::test_spec::{op, path_param, things};

    fn values(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_enum_name_is_shared_by_equal_values_and_numbered_for_others() {
        let mut names = EnumNames::default();
        names.models.insert("ThingState".to_owned());
        // The model takes `ThingState`, so the second candidate is used.
        let first = names.property_enum("Thing", "state", &values(&["Up", "Down"]));
        assert_eq!(first, "ThingStateValue");
        let same = names.property_enum("Thing", "state", &values(&["Up", "Down"]));
        assert_eq!(same, first);
        let other = names.property_enum("Thing", "state", &values(&["Ringing"]));
        assert_eq!(other, "ThingStateValue2");
        assert_eq!(names.enums.len(), 2);
    }

    #[test]
    fn a_property_repeating_its_model_name_is_not_doubled() {
        let mut names = EnumNames::default();
        assert_eq!(
            names.property_enum("Bridge", "bridge_type", &values(&["mixing"])),
            "BridgeType"
        );
    }

    #[test]
    fn parameter_enums_are_shared_across_operations() {
        let mut names = EnumNames::default();
        let dir = values(&["in", "out", "both"]);
        let mute = names.param_enum("channels", "mute", "direction", &dir);
        let unmute = names.param_enum("channels", "unmute", "direction", &dir);
        assert_eq!(
            (mute.as_str(), unmute.as_str()),
            ("MuteDirection", "MuteDirection")
        );
    }

    #[test]
    fn resource_kinds_use_id_then_name_then_fields_by_prefix() {
        let spec = things(
            json!([
                op(
                    "/things/{thingId}",
                    "POST",
                    "create",
                    json!([path_param("thingId")]),
                    "Thing"
                ),
                op(
                    "/things/{thingId}/copy",
                    "POST",
                    "copy",
                    json!([path_param("thingId"),
                        {"name": "thingId2", "paramType": "query", "dataType": "string"}]),
                    "Thing"
                ),
                op(
                    "/ends/{tech}/{resource}",
                    "GET",
                    "get",
                    json!([path_param("tech"), path_param("resource")]),
                    "End"
                ),
            ]),
            json!({
                "Thing": {"id": "Thing", "properties": {"name": {"type": "string"}}},
                "End": {"id": "End", "properties": {
                    "technology": {"type": "string"}, "resource": {"type": "string"}}},
            }),
        );
        let api = build(&spec).unwrap();
        let kinds: Vec<(&str, Vec<&str>)> = api
            .resource_kinds
            .iter()
            .map(|k| {
                (
                    k.name.as_str(),
                    k.id_fields.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("Thing", vec!["name"]),
                ("End", vec!["technology", "resource"])
            ]
        );

        let thing = &api.resource_kinds[0];
        // The id names a new resource as the path's last segment, not as its parent.
        let create = api.operation("things", "create").unwrap();
        assert_eq!(
            thing.creation_param(create).map(|p| p.name.as_str()),
            Some("thingId")
        );
        let copy = api.operation("things", "copy").unwrap();
        assert_eq!(thing.creation_param(copy), None);
    }
}
