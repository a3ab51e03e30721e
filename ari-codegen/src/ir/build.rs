//! Spec -> IR: resolves references, parameters, types and allowed values, and rejects
//! what no Rust client could be generated from, naming the file and JSON location.

use std::collections::HashMap;

use super::handles::handles;
use super::hierarchy::event_hierarchy;
use super::naming::{EnumNames, resource_kinds};
use super::types::*;
use crate::error::SpecError;
use crate::names;
use crate::spec::{self, Spec};

/// Resolves and validates a parsed spec.
pub fn build(spec: &Spec) -> Result<Api, SpecError> {
    Builder::default().build(spec)
}

#[derive(Default)]
struct Builder {
    /// Model name -> (file, JSON location of the model).
    model_index: HashMap<String, (String, usize)>,
    enums: EnumNames,
    /// (resource, nickname) -> (file, JSON location of the operation's `path`), for errors
    /// found once operations are grouped under handles.
    op_locations: HashMap<(String, String), (String, String)>,
}

struct Loc<'a> {
    file: &'a str,
    path: String,
}

impl Loc<'_> {
    fn err(&self, message: impl Into<String>) -> SpecError {
        SpecError::new(self.file, self.path.clone(), message)
    }
    fn at(&self, suffix: &str) -> Loc<'_> {
        Loc {
            file: self.file,
            path: format!("{}{suffix}", self.path),
        }
    }
}

impl Builder {
    fn build(mut self, spec: &Spec) -> Result<Api, SpecError> {
        // Pass 1: index every model, so references across files resolve.
        let mut all_models: Vec<(&str, &spec::Model)> = Vec::new();
        for (d, decl) in spec.declarations.iter().enumerate() {
            for (name, model) in decl.api.models.iter() {
                let loc = Loc {
                    file: &decl.file,
                    path: format!("models.{name}"),
                };
                if model.id != name {
                    return Err(loc.at(".id").err(format!(
                        "model id `{}` differs from its key `{name}`",
                        model.id
                    )));
                }
                if let Some((other, _)) = self.model_index.get(name) {
                    return Err(loc.err(format!("model `{name}` is also defined in {other}")));
                }
                if names::type_ident_of(name).is_none() {
                    return Err(loc.err(format!("model name `{name}` cannot be a Rust type name")));
                }
                self.model_index
                    .insert(name.to_owned(), (decl.file.clone(), d));
                self.enums.models.insert(name.to_owned());
                all_models.push((decl.file.as_str(), model));
            }
        }

        let hierarchy = event_hierarchy(spec)?;

        // Pass 2: resources and operations.
        let mut resources: Vec<Resource> = Vec::new();
        let mut modules: HashMap<String, String> = HashMap::new();
        for (d, decl) in spec.declarations.iter().enumerate() {
            let listed = Loc {
                file: "resources.json",
                path: format!("apis[{d}].path"),
            };
            let name = decl.file.trim_end_matches(".json");
            if let Some(problem) = names::item_name_problem(name) {
                return Err(listed.err(format!(
                    "the file name `{}` cannot name the resource's Rust module and type: {problem}",
                    decl.file
                )));
            }
            let module = names::module_name(name);
            if let Some(other) = modules.insert(module.clone(), decl.file.clone()) {
                return Err(listed.err(format!(
                    "`{}` and `{other}` both become the Rust module `{module}`",
                    decl.file
                )));
            }
            resources.push(self.resource(decl)?);
        }
        crate::fixups::apply(&mut resources);

        // Pass 3: models and events.
        let mut models = Vec::new();
        let mut events = Vec::new();
        for (file, model) in &all_models {
            let loc = Loc {
                file,
                path: format!("models.{}", model.id),
            };
            if hierarchy.bases.contains(&model.id) {
                continue;
            }
            // The discriminator is the enum tag of events; elsewhere `type` is a plain field.
            let is_event = hierarchy.events.contains(&model.id);
            let skip = if is_event {
                hierarchy.discriminator.as_str()
            } else {
                ""
            };
            let fields = self.fields(&loc, &model.id, model, skip)?;
            if is_event {
                events.push(EventType {
                    name: model.id.clone(),
                    file: file.to_string(),
                    fields,
                    description: model.description.clone(),
                    text: None,
                });
            } else {
                models.push(Model {
                    name: model.id.clone(),
                    file: file.to_string(),
                    fields,
                    description: model.description.clone(),
                    text: None,
                });
            }
        }
        events.sort_by(|a, b| a.name.cmp(&b.name));

        let mut event_base_fields = Vec::new();
        for base in &hierarchy.chain {
            let file = self.model_index[base].0.clone();
            let model = all_models
                .iter()
                .find(|(_, m)| &m.id == base)
                .map(|(_, m)| *m)
                .expect("indexed");
            let loc = Loc {
                file: &file,
                path: format!("models.{base}"),
            };
            for field in self.fields(&loc, base, model, &hierarchy.discriminator)? {
                if !event_base_fields
                    .iter()
                    .any(|f: &Field| f.name == field.name)
                {
                    event_base_fields.push(field);
                }
            }
        }
        // A leaf may repeat an inherited property; the inherited one is kept once.
        for event in &mut events {
            event
                .fields
                .retain(|f| !event_base_fields.iter().any(|b| b.name == f.name));
        }

        let handles = handles(&mut resources, &self.op_locations)?;
        let resource_kinds = resource_kinds(&handles, &models);

        Ok(Api {
            api_version: spec.listing.api_version.clone(),
            fingerprint: crate::fingerprint::of_spec(spec),
            resources,
            models,
            events,
            event_base_fields,
            discriminator: hierarchy.discriminator,
            enums: self.enums.enums,
            handles,
            resource_kinds,
        })
    }

    fn resource(&mut self, decl: &spec::Declaration) -> Result<Resource, SpecError> {
        let name = decl.file.trim_end_matches(".json").to_owned();
        let mut operations: Vec<Operation> = Vec::new();
        for (a, api) in decl.api.apis.iter().enumerate() {
            let loc = Loc {
                file: &decl.file,
                path: format!("apis[{a}]"),
            };
            let segments = parse_path(&loc.at(".path"), &api.path)?;
            for (o, op) in api.operations.iter().enumerate() {
                let loc = loc.at(&format!(".operations[{o}]"));
                let operation = self.operation(&loc, &name, &api.path, &segments, op)?;
                let nickname = &operation.nickname;
                if operations.iter().any(|x| x.nickname == *nickname) {
                    return Err(loc.at(".nickname").err(format!(
                        "duplicate nickname `{nickname}` in resource `{name}`"
                    )));
                }
                // Nicknames that differ on the wire can still make one Rust name.
                let method = names::snake_ident(nickname).unwrap_or_default();
                let builder = names::builder_name(&name, nickname);
                for other in &operations {
                    let same = if names::snake_ident(&other.nickname).as_ref() == Some(&method) {
                        Some(method.as_str())
                    } else if names::builder_name(&name, &other.nickname) == builder {
                        Some(builder.as_str())
                    } else {
                        None
                    };
                    if let Some(same) = same {
                        return Err(loc.at(".nickname").err(format!(
                            "nicknames `{nickname}` and `{}` both become the Rust name `{same}`",
                            other.nickname
                        )));
                    }
                }
                self.op_locations.insert(
                    (name.clone(), nickname.clone()),
                    (decl.file.clone(), format!("apis[{a}].path")),
                );
                operations.push(operation);
            }
        }
        Ok(Resource {
            name,
            file: decl.file.clone(),
            since: decl.api.since.clone(),
            operations,
            text: None,
        })
    }

    fn operation(
        &mut self,
        loc: &Loc,
        resource: &str,
        path: &str,
        segments: &[Segment],
        op: &spec::Operation,
    ) -> Result<Operation, SpecError> {
        let method = HttpMethod::parse(&op.http_method).ok_or_else(|| {
            loc.at(".httpMethod")
                .err(format!("unsupported HTTP method `{}`", op.http_method))
        })?;
        if let Some(problem) = names::item_name_problem(&op.nickname) {
            return Err(loc.at(".nickname").err(format!(
                "nickname `{}` cannot name a Rust method and type: {problem}",
                op.nickname
            )));
        }
        let mut params: Vec<Param> = Vec::new();
        for (p, param) in op.parameters.iter().enumerate() {
            let ploc = loc.at(&format!(".parameters[{p}]"));
            let location = match param.param_type.as_str() {
                "path" => ParamLocation::Path,
                "query" => ParamLocation::Query,
                "body" => ParamLocation::Body,
                other => {
                    return Err(ploc
                        .at(".paramType")
                        .err(format!("unsupported paramType `{other}`")));
                }
            };
            if names::snake_ident(&param.name).is_none() {
                return Err(ploc.at(".name").err(format!(
                    "parameter name `{}` cannot be a Rust name",
                    param.name
                )));
            }
            if params.iter().any(|x| x.name == param.name) {
                return Err(ploc
                    .at(".name")
                    .err(format!("duplicate parameter `{}`", param.name)));
            }
            if location == ParamLocation::Path
                && !segments
                    .iter()
                    .any(|s| *s == Segment::Param(param.name.clone()))
            {
                return Err(ploc.err(format!(
                    "path parameter `{}` is not in the path `{path}`",
                    param.name
                )));
            }
            let mut ty = self.type_ref(&ploc.at(".dataType"), &param.data_type)?;
            if matches!(ty, TypeRef::Void | TypeRef::Binary) {
                return Err(ploc
                    .at(".dataType")
                    .err(format!("`{}` is not a parameter type", param.data_type)));
            }
            let (allowed, range) = allowable(
                &ploc.at(".allowableValues"),
                param.allowable_values.as_ref(),
            )?;
            if let (Some(values), TypeRef::String) = (&allowed, &ty) {
                ty = TypeRef::Enum(self.enums.param_enum(
                    resource,
                    &op.nickname,
                    &param.name,
                    values,
                ));
            }
            params.push(Param {
                name: param.name.clone(),
                location,
                ty,
                required: param.required || location == ParamLocation::Path,
                multiple: param.allow_multiple,
                default: param.default_value.as_ref().map(value_text),
                allowed,
                range,
                description: param.description.clone(),
                required_by_asterisk: false,
                media_uris: false,
                body_shape: Default::default(),
                text: None,
                value_text: Default::default(),
            });
        }
        for segment in segments {
            if let Segment::Param(name) = segment {
                if !params
                    .iter()
                    .any(|p| p.location == ParamLocation::Path && &p.name == name)
                {
                    return Err(loc.err(format!(
                        "`{{{name}}}` in path `{path}` has no path parameter"
                    )));
                }
            }
        }
        // Path parameters come first, in path order, so positional arguments read like the URL.
        let mut ordered: Vec<Param> = Vec::with_capacity(params.len());
        for segment in segments {
            if let Segment::Param(name) = segment {
                if let Some(i) = params.iter().position(|p| &p.name == name) {
                    ordered.push(params.remove(i));
                }
            }
        }
        ordered.extend(params);

        let response = self.type_ref(&loc.at(".responseClass"), &op.response_class)?;
        let mut error_statuses = Vec::new();
        for (e, err) in op.error_responses.iter().enumerate() {
            let status = err.code.status().ok_or_else(|| {
                loc.at(&format!(".errorResponses[{e}].code"))
                    .err(format!("`{:?}` is not an HTTP status", err.code))
            })?;
            if !error_statuses.contains(&status) {
                error_statuses.push(status);
            }
        }
        error_statuses.sort_unstable();
        Ok(Operation {
            resource: resource.to_owned(),
            nickname: op.nickname.clone(),
            method,
            path: path.to_owned(),
            segments: segments.to_vec(),
            params: ordered,
            response,
            error_statuses,
            since: op.since.clone(),
            websocket: op
                .upgrade
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case("websocket")),
            summary: op.summary.clone(),
            notes: op.notes.clone(),
            text: None,
            handle: None,
        })
    }

    fn fields(
        &mut self,
        loc: &Loc,
        model: &str,
        spec_model: &spec::Model,
        skip: &str,
    ) -> Result<Vec<Field>, SpecError> {
        let mut fields = Vec::new();
        for (name, prop) in spec_model.properties.iter() {
            if !skip.is_empty() && name == skip {
                continue;
            }
            let ploc = loc.at(&format!(".properties.{name}"));
            if names::snake_ident(name).is_none() {
                return Err(ploc.err(format!("property name `{name}` cannot be a Rust name")));
            }
            let mut ty = self.type_ref(&ploc.at(".type"), &prop.ty)?;
            if matches!(ty, TypeRef::Void | TypeRef::Binary) {
                return Err(ploc
                    .at(".type")
                    .err(format!("`{}` is not a property type", prop.ty)));
            }
            let (allowed, _range) =
                allowable(&ploc.at(".allowableValues"), prop.allowable_values.as_ref())?;
            if let (Some(values), TypeRef::String) = (&allowed, &ty) {
                ty = TypeRef::Enum(self.enums.property_enum(model, name, values));
            }
            fields.push(Field {
                name: name.to_owned(),
                ty,
                required: prop.required,
                allowed,
                description: prop.description.clone(),
                text: None,
                value_text: Default::default(),
            });
        }
        Ok(fields)
    }

    fn type_ref(&self, loc: &Loc, text: &str) -> Result<TypeRef, SpecError> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix("List[").and_then(|t| t.strip_suffix(']')) {
            let inner = self.type_ref(loc, inner)?;
            if matches!(inner, TypeRef::Void | TypeRef::Binary | TypeRef::List(_)) {
                return Err(loc.err(format!("unsupported list type `{text}`")));
            }
            return Ok(TypeRef::List(Box::new(inner)));
        }
        Ok(match text {
            "string" => TypeRef::String,
            "int" | "integer" => TypeRef::Int,
            "long" => TypeRef::Long,
            "double" | "float" | "number" => TypeRef::Double,
            "boolean" => TypeRef::Boolean,
            "Date" => TypeRef::Date,
            "object" => TypeRef::Object,
            "containers" => TypeRef::Containers,
            "binary" => TypeRef::Binary,
            "void" => TypeRef::Void,
            name if self.model_index.contains_key(name) => TypeRef::Model(name.to_owned()),
            other => {
                return Err(loc.err(format!(
                    "unknown type `{other}` (neither a Swagger type nor a model)"
                )));
            }
        })
    }
}

fn parse_path(loc: &Loc, path: &str) -> Result<Vec<Segment>, SpecError> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(loc.err(format!("path `{path}` does not start with `/`")));
    };
    let mut segments = Vec::new();
    for part in rest.split('/') {
        if part.is_empty() {
            return Err(loc.err(format!("path `{path}` has an empty segment")));
        }
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if name.is_empty() || name.contains(['{', '}']) || names::snake_ident(name).is_none() {
                return Err(loc.err(format!("bad path parameter `{part}` in `{path}`")));
            }
            if segments.contains(&Segment::Param(name.to_owned())) {
                return Err(loc.err(format!("path parameter `{name}` appears twice in `{path}`")));
            }
            // Path parameters become positional arguments of one accessor method
            // (`client.thing(a, b)`), so they must stay apart as Rust names too.
            let snake = names::snake_ident(name);
            if let Some(Segment::Param(other)) = segments
                .iter()
                .find(|s| matches!(s, Segment::Param(p) if names::snake_ident(p) == snake))
            {
                return Err(loc.err(format!(
                    "path parameters `{other}` and `{name}` of `{path}` both become the Rust \
                     name `{}`",
                    snake.unwrap_or_default()
                )));
            }
            segments.push(Segment::Param(name.to_owned()));
        } else if part.contains(['{', '}', '?', '#', '%']) {
            return Err(loc.err(format!(
                "path segment `{part}` of `{path}` is not a literal or `{{param}}`"
            )));
        } else if let Some(problem) = names::path_literal_problem(part) {
            return Err(loc.err(format!("path segment `{part}` of `{path}`: {problem}")));
        } else {
            segments.push(Segment::Literal(part.to_owned()));
        }
    }
    Ok(segments)
}

fn allowable(
    loc: &Loc,
    values: Option<&spec::AllowableValues>,
) -> Result<(Option<Vec<String>>, Option<Range>), SpecError> {
    let Some(values) = values else {
        return Ok((None, None));
    };
    match values.value_type.to_ascii_uppercase().as_str() {
        "LIST" => {
            let list = values
                .values
                .as_ref()
                .ok_or_else(|| loc.err("LIST without `values`"))?;
            let mut out: Vec<String> = Vec::new();
            for v in list {
                let text = value_text(v);
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            if out.is_empty() {
                return Err(loc.at(".values").err("empty list of allowed values"));
            }
            Ok((Some(out), None))
        }
        "RANGE" => {
            let number =
                |v: &Option<serde_json::Value>, key: &str| -> Result<Option<f64>, SpecError> {
                    match v {
                        None => Ok(None),
                        Some(serde_json::Value::Number(n)) => Ok(n.as_f64()),
                        Some(serde_json::Value::String(s)) => s
                            .trim()
                            .parse()
                            .map(Some)
                            .map_err(|_| loc.at(key).err(format!("`{s}` is not a number"))),
                        Some(other) => Err(loc.at(key).err(format!("`{other}` is not a number"))),
                    }
                };
            Ok((
                None,
                Some(Range {
                    min: number(&values.min, ".min")?,
                    max: number(&values.max, ".max")?,
                }),
            ))
        }
        other => Err(loc
            .at(".valueType")
            .err(format!("unsupported valueType `{other}`"))),
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ir::test_spec::{op, path_param, things};

    fn build_things(apis: serde_json::Value) -> Result<Api, SpecError> {
        build(&things(apis, json!({})))
    }

    #[test]
    fn path_parameters_come_first_in_path_order() {
        let params = json!([
            {"name": "q", "paramType": "query", "dataType": "string"},
            path_param("b"),
            path_param("a"),
        ]);
        let api =
            build_things(json!([op("/x/{a}/y/{b}", "POST", "make", params, "void")])).unwrap();
        let names: Vec<&str> = api
            .operations()
            .next()
            .unwrap()
            .params
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, vec!["a", "b", "q"]);
    }

    #[test]
    fn paths_must_match_their_parameters() {
        let missing = build_things(json!([op("/x/{a}", "GET", "get", json!([]), "void")]));
        let error = missing.unwrap_err();
        assert_eq!(error.location, "apis[0].operations[0]");
        assert!(error.message.contains("has no path parameter"), "{error}");

        let dot = build_things(json!([op("/x/..", "GET", "get", json!([]), "void")]));
        assert!(dot.unwrap_err().message.contains("dot segment"));

        let case = json!([path_param("a"), path_param("A")]);
        let twins = build_things(json!([op("/x/{a}/{A}", "GET", "get", case, "void")]));
        assert!(
            twins
                .unwrap_err()
                .message
                .contains("both become the Rust name `a`")
        );

        let stray = build_things(json!([op(
            "/x",
            "GET",
            "get",
            json!([path_param("a")]),
            "void"
        )]));
        assert!(stray.unwrap_err().message.contains("is not in the path"));
    }

    #[test]
    fn ranges_accept_numbers_written_as_text() {
        let params = json!([{"name": "n", "paramType": "query", "dataType": "int",
            "allowableValues": {"valueType": "RANGE", "min": " 1 ", "max": 5}}]);
        let api = build_things(json!([op("/x", "GET", "get", params, "void")])).unwrap();
        let range = api.operations().next().unwrap().params[0]
            .range
            .clone()
            .unwrap();
        assert_eq!((range.min, range.max), (Some(1.0), Some(5.0)));

        let bad = json!([{"name": "n", "paramType": "query", "dataType": "int",
            "allowableValues": {"valueType": "RANGE", "min": "one"}}]);
        let error = build_things(json!([op("/x", "GET", "get", bad, "void")])).unwrap_err();
        assert!(error.location.ends_with(".allowableValues.min"), "{error}");
    }

    #[test]
    fn nested_lists_and_void_parameters_are_refused() {
        let list = build_things(json!([op(
            "/x",
            "GET",
            "get",
            json!([]),
            "List[List[string]]"
        )]));
        assert!(list.unwrap_err().message.contains("unsupported list type"));
        let void = json!([{"name": "v", "paramType": "query", "dataType": "void"}]);
        let error = build_things(json!([op("/x", "GET", "get", void, "void")])).unwrap_err();
        assert!(error.message.contains("is not a parameter type"), "{error}");
    }

    #[test]
    fn nicknames_that_make_one_rust_name_are_refused() {
        let apis = json!([
            op("/a", "GET", "getThing", json!([]), "void"),
            op("/b", "GET", "get_thing", json!([]), "void"),
        ]);
        let error = build_things(apis).unwrap_err();
        assert!(
            error
                .message
                .contains("both become the Rust name `get_thing`"),
            "{error}"
        );
    }

    #[test]
    fn hostile_parameter_names_are_accepted_for_the_emitter_to_rename() {
        // Names the generated code uses itself are the emitter's concern, not the IR's.
        let params = json!([
            {"name": "client", "paramType": "query", "dataType": "string"},
            {"name": "channelId", "paramType": "query", "dataType": "string"},
            {"name": "ChannelId", "paramType": "query", "dataType": "string"},
        ]);
        let api = build_things(json!([op("/x", "GET", "get", params, "void")])).unwrap();
        assert_eq!(api.operations().next().unwrap().params.len(), 3);
    }
}
