//! The resolved, version-independent model of an ARI spec.
//!
//! This is the one place that knows the dialect's quirks: emitters, the simulator and
//! the API diff read only these types, never raw JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::SpecError;
use crate::names;
use crate::spec::{self, Spec};

/// Everything a spec describes, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `apiVersion` of the listing (ARI's own version, e.g. `10.0.0`).
    pub api_version: Option<String>,
    pub resources: Vec<Resource>,
    /// Plain models (everything that is not an event or an event base), in file order.
    pub models: Vec<Model>,
    /// Concrete event types, sorted by name.
    pub events: Vec<EventType>,
    /// Fields every event inherits (from `Message` and `Event`), in order.
    pub event_base_fields: Vec<Field>,
    /// The JSON key naming an event's type (`type`).
    pub discriminator: String,
    /// Enums made from `allowableValues` lists, in first-use order.
    pub enums: Vec<EnumDef>,
    /// Resources addressed by an id path prefix, in first-use order.
    pub handles: Vec<Handle>,
    /// Handles that are also models (`Channel`, `Bridge`, ...): what events can concern.
    pub resource_kinds: Vec<ResourceKind>,
}

/// A kind of resource that has both a handle and a model, so events can name it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceKind {
    /// The model and handle name, e.g. `Channel`, `LiveRecording`.
    pub name: String,
    /// Model fields that make the id, joined by `/` when several (`technology`, `resource`).
    pub id_fields: Vec<String>,
    /// Path parameters of the handle, in the same order as `id_fields`.
    pub id_params: Vec<String>,
}

impl ResourceKind {
    /// The parameter that names a new resource of this kind before it exists
    /// (`playbackId` for play, `channelId` for originate, `name` for record).
    pub fn creation_param<'a>(&self, op: &'a Operation) -> Option<&'a Param> {
        let [field] = self.id_fields.as_slice() else {
            return None;
        };
        let camel = names::upper_camel(&self.name);
        let lower = format!("{}{}Id", camel[..1].to_ascii_lowercase(), &camel[1..]);
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
                && (p.name == lower || p.name == *field)
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Declaration name: `channels`, `deviceStates`, ...
    pub name: String,
    pub file: String,
    pub since: Vec<String>,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Head => "HEAD",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            "PATCH" => HttpMethod::Patch,
            "HEAD" => HttpMethod::Head,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Declaration name of the resource this operation belongs to.
    pub resource: String,
    pub nickname: String,
    pub method: HttpMethod,
    /// Path template as in the spec, e.g. `/channels/{channelId}/play`.
    pub path: String,
    pub segments: Vec<Segment>,
    pub params: Vec<Param>,
    pub response: TypeRef,
    /// Error statuses the spec lists, sorted.
    pub error_statuses: Vec<u16>,
    pub since: Vec<String>,
    /// The event WebSocket (`upgrade: websocket`).
    pub websocket: bool,
    pub summary: Option<String>,
    pub notes: Option<String>,
    /// Name of the handle this operation belongs to, if its path starts with an id prefix.
    pub handle: Option<String>,
}

impl Operation {
    /// `channels.originate`: how errors and logs name the operation.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.resource, self.nickname)
    }
    pub fn path_params(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Body,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub location: ParamLocation,
    pub ty: TypeRef,
    pub required: bool,
    /// `allowMultiple`: one comma-joined value.
    pub multiple: bool,
    /// The default as the spec writes it.
    pub default: Option<String>,
    pub allowed: Option<Vec<String>>,
    pub range: Option<Range>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeRef {
    String,
    Int,
    Long,
    Double,
    Boolean,
    /// Asterisk's timestamp text.
    Date,
    /// Free JSON.
    Object,
    /// A string-to-string map.
    Containers,
    /// Raw bytes (a recording's file).
    Binary,
    Void,
    List(Box<TypeRef>),
    Model(String),
    Enum(String),
}

impl TypeRef {
    /// Whether a missing value has a natural empty form (see the decoding rule in ari-sdk).
    pub fn has_empty_value(&self) -> bool {
        matches!(
            self,
            TypeRef::String
                | TypeRef::Int
                | TypeRef::Long
                | TypeRef::Double
                | TypeRef::Boolean
                | TypeRef::Object
                | TypeRef::Containers
                | TypeRef::List(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub file: String,
    pub fields: Vec<Field>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The JSON key, exactly.
    pub name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub allowed: Option<Vec<String>>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    /// The `type` value, which is also the model name.
    pub name: String,
    pub file: String,
    /// Own fields only; the inherited ones are [`Api::event_base_fields`].
    pub fields: Vec<Field>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    /// Wire values, in spec order.
    pub values: Vec<String>,
    /// Where it comes from, for docs: `Channel.state` or `channels.mute(direction)`.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Handle {
    /// UpperCamel name: `Channel`, `LiveRecording`, ...
    pub name: String,
    /// The id prefix, e.g. `/channels/{channelId}`.
    pub prefix: String,
    /// The path parameters the handle holds, in path order.
    pub id_params: Vec<String>,
    /// `(resource, nickname)` of each operation under the prefix.
    pub operations: Vec<(String, String)>,
}

impl Api {
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.resources.iter().flat_map(|r| r.operations.iter())
    }
    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
    pub fn enum_def(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.name == name)
    }
    pub fn operation(&self, resource: &str, nickname: &str) -> Option<&Operation> {
        self.operations()
            .find(|o| o.resource == resource && o.nickname == nickname)
    }
}

/// Resolves and validates a parsed spec.
pub fn build(spec: &Spec) -> Result<Api, SpecError> {
    Builder::default().build(spec)
}

#[derive(Default)]
struct Builder {
    /// Model name -> (file, JSON location of the model).
    model_index: HashMap<String, (String, usize)>,
    enums: Vec<EnumDef>,
    /// (parameter name, values) -> enum name, so operations share parameter enums.
    param_enums: HashMap<(String, Vec<String>), String>,
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
                all_models.push((decl.file.as_str(), model));
            }
        }

        let hierarchy = self.event_hierarchy(spec)?;

        // Pass 2: resources and operations.
        let mut resources = Vec::new();
        for decl in &spec.declarations {
            resources.push(self.resource(decl)?);
        }

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
                });
            } else {
                models.push(Model {
                    name: model.id.clone(),
                    file: file.to_string(),
                    fields,
                    description: model.description.clone(),
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

        let handles = handles(&mut resources)?;
        check_rust_names(&models, &events, &self.enums)?;
        let resource_kinds = resource_kinds(&handles, &models);

        Ok(Api {
            api_version: spec.listing.api_version.clone(),
            resources,
            models,
            events,
            event_base_fields,
            discriminator: hierarchy.discriminator,
            enums: self.enums,
            handles,
            resource_kinds,
        })
    }

    fn event_hierarchy(&self, spec: &Spec) -> Result<Hierarchy, SpecError> {
        let mut models: HashMap<&str, (&str, &spec::Model)> = HashMap::new();
        for decl in &spec.declarations {
            for (name, model) in decl.api.models.iter() {
                models.insert(name, (&decl.file, model));
            }
        }
        // Children from `subTypes`, and from `extends` (Asterisk 12.0).
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, (file, model)) in &models {
            for (i, sub) in model.sub_types.iter().enumerate() {
                if !models.contains_key(sub.as_str()) {
                    return Err(SpecError::new(
                        file,
                        format!("models.{name}.subTypes[{i}]"),
                        format!("sub-type `{sub}` is not a model"),
                    ));
                }
                children.entry(name).or_default().push(sub);
            }
            if let Some(parent) = &model.extends {
                if !models.contains_key(parent.as_str()) {
                    return Err(SpecError::new(
                        file,
                        format!("models.{name}.extends"),
                        format!("parent `{parent}` is not a model"),
                    ));
                }
                let list = children.entry(parent.as_str()).or_default();
                if !list.contains(name) {
                    list.push(name);
                }
            }
        }
        let mut roots: Vec<&str> = models
            .iter()
            .filter(|(_, (_, m))| m.discriminator.is_some())
            .map(|(n, _)| *n)
            .collect();
        roots.sort();
        let Some(root) = roots.first().copied() else {
            // A spec without events (a partial folder) still generates resources and models.
            return Ok(Hierarchy::default());
        };
        if roots.len() > 1 {
            let (file, _) = models[roots[1]];
            return Err(SpecError::new(
                file,
                format!("models.{}.discriminator", roots[1]),
                format!("a second discriminated base model besides `{root}` is not supported"),
            ));
        }
        let discriminator = models[root].1.discriminator.clone().unwrap_or_default();

        // Walk the tree, rejecting cycles; leaves below the `Event` model are events.
        let mut events = BTreeSet::new();
        let mut bases = BTreeSet::new();
        let mut chain = Vec::new();
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(root, vec![root])];
        while let Some((name, path)) = stack.pop() {
            let kids = children.get(name).cloned().unwrap_or_default();
            if kids.is_empty() {
                if path.contains(&"Event") && name != "Event" {
                    events.insert(name.to_owned());
                }
                continue;
            }
            bases.insert(name.to_owned());
            if name == "Event" {
                chain = path.iter().map(|s| s.to_string()).collect();
            }
            for kid in kids {
                if path.contains(&kid) {
                    let (file, _) = models[name];
                    return Err(SpecError::new(
                        file,
                        format!("models.{name}.subTypes"),
                        format!("sub-type cycle: {} -> {kid}", path.join(" -> ")),
                    ));
                }
                let mut next = path.clone();
                next.push(kid);
                stack.push((kid, next));
            }
        }
        Ok(Hierarchy {
            discriminator,
            events,
            bases,
            chain,
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
                if operations.iter().any(|x| x.nickname == operation.nickname) {
                    return Err(loc.at(".nickname").err(format!(
                        "duplicate nickname `{}` in resource `{name}`",
                        operation.nickname
                    )));
                }
                operations.push(operation);
            }
        }
        Ok(Resource {
            name,
            file: decl.file.clone(),
            since: decl.api.since.clone(),
            operations,
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
        if names::snake_ident(&op.nickname).is_none() {
            return Err(loc
                .at(".nickname")
                .err(format!("nickname `{}` cannot be a Rust name", op.nickname)));
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
                ty = TypeRef::Enum(self.param_enum(resource, &op.nickname, &param.name, values));
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
                ty = TypeRef::Enum(self.property_enum(model, name, values));
            }
            fields.push(Field {
                name: name.to_owned(),
                ty,
                required: prop.required,
                allowed,
                description: prop.description.clone(),
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

    fn property_enum(&mut self, model: &str, field: &str, values: &[String]) -> String {
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

    fn param_enum(
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
            if self.model_index.contains_key(name) {
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
            if !self.model_index.contains_key(&name) && !self.enums.iter().any(|e| e.name == name) {
                self.enums.push(EnumDef {
                    name: name.clone(),
                    values: values.to_vec(),
                    origin,
                });
                return name;
            }
            n += 1;
        }
    }
}

#[derive(Default)]
struct Hierarchy {
    discriminator: String,
    events: BTreeSet<String>,
    /// Models with sub-types (`Message`, `Event`): not emitted as structs.
    bases: BTreeSet<String>,
    /// `Message`, `Event`: the ancestors whose fields every event has.
    chain: Vec<String>,
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
            segments.push(Segment::Param(name.to_owned()));
        } else if part.contains(['{', '}', '?', '#', '%']) {
            return Err(loc.err(format!(
                "path segment `{part}` of `{path}` is not a literal or `{{param}}`"
            )));
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

/// Groups operations under id prefixes and names the handles.
fn handles(resources: &mut [Resource]) -> Result<Vec<Handle>, SpecError> {
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
    let mut seen = BTreeSet::new();
    for h in &handles {
        if !seen.insert(h.name.clone()) {
            return Err(SpecError::new(
                "resources.json",
                "",
                format!(
                    "two id prefixes give the handle name `{}` (one is `{}`)",
                    h.name, h.prefix
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

/// Handles whose name is a model, and which model fields make their ids: `id`, else
/// `name` for one id; for several ids, the field each parameter starts (`tech` ->
/// `technology`).
fn resource_kinds(handles: &[Handle], models: &[Model]) -> Vec<ResourceKind> {
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

pub(crate) fn render_path(segments: &[Segment]) -> String {
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

/// Models, events and enums share the crate root, so their Rust names must not collide.
fn check_rust_names(
    models: &[Model],
    events: &[EventType],
    enums: &[EnumDef],
) -> Result<(), SpecError> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let reserved = [
        "Event",
        "Client",
        "Error",
        "Result",
        "Timestamp",
        "Response",
        "Other",
    ];
    for name in reserved {
        seen.insert(name.to_owned(), "ari-sdk itself".to_owned());
    }
    let items = models
        .iter()
        .map(|m| (m.name.clone(), m.file.clone()))
        .chain(events.iter().map(|e| (e.name.clone(), e.file.clone())))
        .chain(
            enums
                .iter()
                .map(|e| (e.name.clone(), format!("enum for {}", e.origin))),
        );
    for (name, origin) in items {
        let ident = names::type_ident_of(&name).unwrap_or(name.clone());
        if let Some(other) = seen.insert(ident.clone(), origin.clone()) {
            return Err(SpecError::new(
                &origin,
                format!("models.{name}"),
                format!("Rust name `{ident}` is also used by {other}"),
            ));
        }
    }
    Ok(())
}
