//! The resolved, version-independent model of an ARI spec.
//!
//! This is the one place that knows the dialect's quirks: emitters, the simulator and
//! the API diff read only these types, never raw JSON.

use std::collections::{BTreeSet, HashMap};

use crate::error::SpecError;
use crate::names;
use crate::spec::{self, Spec};

/// Everything a spec describes, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `apiVersion` of the listing (ARI's own version, e.g. `10.0.0`).
    pub api_version: Option<String>,
    /// The spec's content fingerprint ([`crate::fingerprint::of_spec`]): the same files give
    /// the same value wherever they lie.
    pub fingerprint: String,
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
    /// The spec marks it optional, but Asterisk rejects requests without it, so
    /// `required` is set ([`crate::fixups::REQUIRED_BY_ASTERISK`]).
    pub required_by_asterisk: bool,
    /// Its values are media URIs (`sound:hello-world`), whose scheme is checked before
    /// sending ([`crate::fixups::MEDIA_URIS`]).
    pub media_uris: bool,
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
                all_models.push((decl.file.as_str(), model));
            }
        }

        let hierarchy = self.event_hierarchy(spec)?;

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

        let handles = handles(&mut resources, &self.op_locations)?;
        check_rust_names(&models, &events, &self.enums)?;
        let resource_kinds = resource_kinds(&handles, &models);

        Ok(Api {
            api_version: spec.listing.api_version.clone(),
            fingerprint: crate::fingerprint::of_spec(spec),
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
        // Every model, in file order (so errors are deterministic).
        let mut order: Vec<(&str, &str, &spec::Model)> = Vec::new();
        let mut models: HashMap<&str, (&str, &spec::Model)> = HashMap::new();
        for decl in &spec.declarations {
            for (name, model) in decl.api.models.iter() {
                order.push((name, &decl.file, model));
                models.insert(name, (&decl.file, model));
            }
        }
        // Parent -> child edges from `subTypes`, and from `extends` (Asterisk 12.0), each
        // with the key that makes it; an edge written both ways counts once.
        let mut children: HashMap<&str, Vec<SubTypeEdge>> = HashMap::new();
        for &(name, file, model) in &order {
            for (i, sub) in model.sub_types.iter().enumerate() {
                let Some((&child, _)) = models.get_key_value(sub.as_str()) else {
                    return Err(SpecError::new(
                        file,
                        format!("models.{name}.subTypes[{i}]"),
                        format!("sub-type `{sub}` is not a model"),
                    ));
                };
                add_edge(
                    &mut children,
                    name,
                    SubTypeEdge {
                        child,
                        file,
                        key: format!("models.{name}.subTypes"),
                        entry: format!("models.{name}.subTypes[{i}]"),
                    },
                );
            }
            if let Some(parent) = &model.extends {
                let Some((&parent, _)) = models.get_key_value(parent.as_str()) else {
                    return Err(SpecError::new(
                        file,
                        format!("models.{name}.extends"),
                        format!("parent `{parent}` is not a model"),
                    ));
                };
                let key = format!("models.{name}.extends");
                add_edge(
                    &mut children,
                    parent,
                    SubTypeEdge {
                        child: name,
                        file,
                        key: key.clone(),
                        entry: key,
                    },
                );
            }
        }
        let mut roots: Vec<&str> = order
            .iter()
            .filter(|(_, _, m)| m.discriminator.is_some())
            .map(|(n, _, _)| *n)
            .collect();
        roots.sort();
        if roots.len() > 1 {
            let (file, _) = models[roots[1]];
            return Err(SpecError::new(
                file,
                format!("models.{}.discriminator", roots[1]),
                format!(
                    "a second discriminated base model besides `{}` is not supported",
                    roots[0]
                ),
            ));
        }

        // No cycles anywhere: a depth-first walk from the root, then from every other model,
        // visiting each model once (sub-type diamonds stay linear).
        let mut state: HashMap<&str, Visit> = HashMap::new();
        let starts = roots
            .iter()
            .copied()
            .chain(order.iter().map(|(n, _, _)| *n));
        for start in starts {
            if state.contains_key(start) {
                continue;
            }
            state.insert(start, Visit::OnPath);
            let mut path: Vec<(&str, usize)> = vec![(start, 0)];
            while let Some((node, next)) = path.last_mut() {
                let node = *node;
                let Some(edge) = children.get(node).and_then(|kids| kids.get(*next)) else {
                    state.insert(node, Visit::Done);
                    path.pop();
                    continue;
                };
                *next += 1;
                match state.get(edge.child) {
                    Some(Visit::OnPath) => {
                        let names: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                        return Err(SpecError::new(
                            edge.file,
                            edge.key.clone(),
                            format!("sub-type cycle: {} -> {}", names.join(" -> "), edge.child),
                        ));
                    }
                    Some(Visit::Done) => {}
                    None => {
                        state.insert(edge.child, Visit::OnPath);
                        path.push((edge.child, 0));
                    }
                }
            }
        }
        // One parent per model: fields and events are inherited along a single line.
        let mut parent_of: HashMap<&str, &str> = HashMap::new();
        for &(name, _, _) in &order {
            for edge in children.get(name).into_iter().flatten() {
                if let Some(first) = parent_of.insert(edge.child, name) {
                    return Err(SpecError::new(
                        edge.file,
                        edge.entry.clone(),
                        format!(
                            "model `{}` is a sub-type of both `{first}` and `{name}`; a model \
                             can have one parent only",
                            edge.child
                        ),
                    ));
                }
            }
        }

        let Some(root) = roots.first().copied() else {
            // A spec without events (a partial folder) still generates resources and models.
            return Ok(Hierarchy::default());
        };
        let discriminator = models[root].1.discriminator.clone().unwrap_or_default();

        // Walk the tree (now known to be one); leaves below the `Event` model are events.
        let mut events = BTreeSet::new();
        let mut bases = BTreeSet::new();
        let mut chain = Vec::new();
        let mut path: Vec<&str> = Vec::new();
        // (model, depth, whether `Event` is one of its ancestors)
        let mut stack: Vec<(&str, usize, bool)> = vec![(root, 0, false)];
        while let Some((name, depth, below_event)) = stack.pop() {
            path.truncate(depth);
            path.push(name);
            let kids = children.get(name).map(Vec::as_slice).unwrap_or_default();
            if kids.is_empty() {
                if below_event {
                    events.insert(name.to_owned());
                }
                continue;
            }
            bases.insert(name.to_owned());
            if name == "Event" {
                chain = path.iter().map(|s| s.to_string()).collect();
            }
            let below = below_event || name == "Event";
            for kid in kids {
                stack.push((kid.child, depth + 1, below));
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
                if names::ACCESSOR_METHODS.contains(&method.as_str()) {
                    return Err(loc.at(".nickname").err(format!(
                        "nickname `{nickname}` would be the method `{method}` every resource \
                         accessor already has"
                    )));
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
            let arg = names::snake_ident(&param.name).unwrap_or_default();
            if names::RESERVED_PARAMS.contains(&arg.as_str()) {
                return Err(ploc.at(".name").err(format!(
                    "parameter name `{}` becomes `{arg}`, a name the generated request \
                     builder uses itself",
                    param.name
                )));
            }
            let setter = names::setter_name(&param.name);
            if let Some(other) = params.iter().find(|x| {
                names::snake_ident(&x.name).as_ref() == Some(&arg)
                    || names::setter_name(&x.name) == setter
            }) {
                return Err(ploc.at(".name").err(format!(
                    "parameters `{}` and `{}` both become the Rust name `{arg}` or `{setter}`",
                    param.name, other.name
                )));
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
                required_by_asterisk: false,
                media_uris: false,
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

/// A parent -> child link between models, and the key of the spec that makes it.
struct SubTypeEdge<'a> {
    child: &'a str,
    file: &'a str,
    /// `models.P.subTypes` or `models.C.extends`.
    key: String,
    /// The entry itself: `models.P.subTypes[i]` or `models.C.extends`.
    entry: String,
}

/// Adds a parent -> child edge unless the same link is already there.
fn add_edge<'a>(
    children: &mut HashMap<&'a str, Vec<SubTypeEdge<'a>>>,
    parent: &'a str,
    edge: SubTypeEdge<'a>,
) {
    let list = children.entry(parent).or_default();
    if !list.iter().any(|e| e.child == edge.child) {
        list.push(edge);
    }
}

enum Visit {
    OnPath,
    Done,
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

/// Groups operations under id prefixes and names the handles. `locations` gives the file
/// and `apis[i].path` of each operation, for errors.
fn handles(
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
        // A handle's methods: its own, one getter per id, one per operation.
        let mut methods: HashMap<String, String> = names::HANDLE_METHODS
            .iter()
            .map(|m| (m.to_string(), "the handle itself".to_owned()))
            .collect();
        for id in &h.id_params {
            let getter = names::snake_ident(id).unwrap_or_default();
            if getter != "id" && methods.contains_key(&getter) {
                return Err(err(
                    h,
                    format!(
                        "path parameter `{id}` of `{}` would be the method `{getter}` every handle \
                         already has",
                        h.prefix
                    ),
                ));
            }
            methods.insert(getter, format!("the path parameter `{id}`"));
        }
        for (resource, nickname) in &h.operations {
            let method = names::snake_ident(nickname).unwrap_or_default();
            let this = format!("{resource}.{nickname}");
            if let Some(other) = methods.insert(method.clone(), this.clone()) {
                return Err(err(
                    h,
                    format!(
                        "`{this}` would be the method `{method}` of the handle for `{}`, \
                         already taken by {other}",
                        h.prefix
                    ),
                ));
            }
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
