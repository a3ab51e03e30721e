//! Handles: operations grouped under the id prefix of their path (`/channels/{channelId}`).

use std::collections::HashMap;

use super::types::*;
use crate::error::SpecError;
use crate::names;

/// Groups operations under id prefixes and names the handles. `locations` gives the file
/// and `apis[i].path` of each operation, for errors.
pub(super) fn handles(
    resources: &mut [Resource],
    locations: &HashMap<(String, String), (String, String)>,
) -> Result<Vec<Handle>, SpecError> {
    let mut handles: Vec<Handle> = Vec::new();
    for resource in resources.iter_mut() {
        for op in resource.operations.iter_mut() {
            let Some(start) = op
                .segments
                .iter()
                .position(|s| matches!(s, Segment::Param(_)))
            else {
                continue;
            };
            let end = op.segments[start..]
                .iter()
                .position(|s| matches!(s, Segment::Literal(_)))
                .map_or(op.segments.len(), |n| start + n);
            let prefix_segments = &op.segments[..end];
            let prefix = render_path(prefix_segments);
            let index = match handles.iter().position(|h| h.prefix == prefix) {
                Some(i) => i,
                None => {
                    handles.push(Handle {
                        name: String::new(),
                        prefix: prefix.clone(),
                        id_params: prefix_segments
                            .iter()
                            .filter_map(|s| match s {
                                Segment::Param(p) => Some(p.clone()),
                                Segment::Literal(_) => None,
                            })
                            .collect(),
                        operations: Vec::new(),
                    });
                    handles.len() - 1
                }
            };
            handles[index]
                .operations
                .push((op.resource.clone(), op.nickname.clone()));
        }
    }
    for handle in &mut handles {
        handle.name = names::handle_name(&handle.prefix);
    }
    // Two prefixes with one name (`/endpoints/{tech}` and `/endpoints/{tech}/{resource}`):
    // the one with fewer ids says what it is addressed by.
    for i in 0..handles.len() {
        for j in 0..handles.len() {
            if i != j
                && handles[i].name == handles[j].name
                && handles[i].id_params.len() < handles[j].id_params.len()
            {
                let by: Vec<String> = handles[i]
                    .id_params
                    .iter()
                    .map(|p| names::upper_camel(p))
                    .collect();
                handles[i].name = format!("{}By{}", handles[i].name, by.join("And"));
            }
        }
    }
    // Where a handle comes from: the path of its first operation.
    let origin = |h: &Handle| -> SpecError {
        let (file, location) = h
            .operations
            .first()
            .and_then(|key| locations.get(key))
            .cloned()
            .unwrap_or_else(|| ("resources.json".to_owned(), String::new()));
        SpecError::new(&file, location, String::new())
    };
    let err = |h: &Handle, message: String| SpecError {
        message,
        ..origin(h)
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    for h in &handles {
        if names::type_ident_of(&h.name).is_none() || names::snake_ident(&h.name).is_none() {
            return Err(err(
                h,
                format!(
                    "the id prefix `{}` gives the handle name `{}`, which cannot be a Rust type name",
                    h.prefix, h.name
                ),
            ));
        }
        if let Some(other) = seen.insert(h.name.clone(), &h.prefix) {
            return Err(err(
                h,
                format!(
                    "the id prefixes `{other}` and `{}` both give the handle name `{}`",
                    h.prefix, h.name
                ),
            ));
        }
    }
    for resource in resources.iter_mut() {
        for op in resource.operations.iter_mut() {
            op.handle = handles
                .iter()
                .find(|h| {
                    h.operations
                        .iter()
                        .any(|(r, n)| *r == op.resource && *n == op.nickname)
                })
                .map(|h| h.name.clone());
        }
    }
    Ok(handles)
}

fn render_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        match s {
            Segment::Literal(l) => out.push_str(l),
            Segment::Param(p) => {
                out.push('{');
                out.push_str(p);
                out.push('}');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::ir::test_spec::{op, path_param, things};
    use crate::ir::{Api, build};

    fn api(apis: serde_json::Value) -> Result<Api, crate::SpecError> {
        build(&things(apis, json!({})))
    }

    #[test]
    fn operations_under_one_id_prefix_share_a_handle() {
        let api = api(json!([
            op("/things", "GET", "list", json!([]), "void"),
            op(
                "/things/{thingId}",
                "GET",
                "get",
                json!([path_param("thingId")]),
                "void"
            ),
            op(
                "/things/{thingId}/play",
                "POST",
                "play",
                json!([path_param("thingId")]),
                "void"
            ),
        ]))
        .unwrap();
        assert_eq!(api.handles.len(), 1);
        let handle = &api.handles[0];
        assert_eq!(
            (handle.name.as_str(), handle.prefix.as_str()),
            ("Thing", "/things/{thingId}")
        );
        assert_eq!(handle.operations.len(), 2);
        let handle_of = |n: &str| api.operation("things", n).unwrap().handle.clone();
        assert_eq!(handle_of("play").as_deref(), Some("Thing"));
        assert_eq!(handle_of("list"), None);
    }

    #[test]
    fn the_shorter_of_two_prefixes_with_one_name_says_what_addresses_it() {
        let api = api(json!([
            op(
                "/things/{kind}",
                "GET",
                "byKind",
                json!([path_param("kind")]),
                "void"
            ),
            op(
                "/things/{kind}/{name}",
                "GET",
                "get",
                json!([path_param("kind"), path_param("name")]),
                "void"
            ),
        ]))
        .unwrap();
        let names: Vec<&str> = api.handles.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["ThingByKind", "Thing"]);
    }

    #[test]
    fn two_prefixes_giving_one_handle_name_are_refused_where_the_second_is() {
        let error = api(json!([
            op(
                "/things/{a}",
                "GET",
                "get",
                json!([path_param("a")]),
                "void"
            ),
            op(
                "/things/{b}/x",
                "GET",
                "x",
                json!([path_param("b")]),
                "void"
            ),
        ]))
        .unwrap_err();
        assert_eq!(
            (error.file.as_str(), error.location.as_str()),
            ("things.json", "apis[1].path")
        );
        assert!(
            error.message.contains("both give the handle name `Thing`"),
            "{error}"
        );
    }
}
