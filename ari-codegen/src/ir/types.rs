//! The IR's data: what a spec describes, resolved and free of the dialect's quirks.

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

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Declaration name: `channels`, `deviceStates`, ...
    pub name: String,
    pub file: String,
    pub since: Vec<String>,
    pub operations: Vec<Operation>,
    /// Our own text of the resource (`[resource]` of `api-docs/text`), when merged.
    pub text: Option<crate::text::Summary>,
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
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    /// Our own text (`api-docs/text`), when merged ([`crate::text::apply`]).
    pub text: Option<crate::text::OperationText>,
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
    /// How a body parameter is laid out in the request body ([`crate::fixups::BODY_SHAPES`]).
    pub body_shape: BodyShape,
    /// Our own text of the parameter and of its allowed values.
    pub text: Option<String>,
    pub value_text: crate::text::Values,
}

/// Where a body parameter's value goes in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyShape {
    /// A member named after the parameter: `{"variables": {"k": "v"}}`.
    #[default]
    Member,
    /// The value's own members are the body: `{"allowed": [...]}` for `filter`.
    Whole,
    /// A string map sent as a list of pairs: `{"fields": [{"attribute": "k", "value": "v"}]}`.
    AttributeList,
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
    /// Our own text (its `fields` and `values` are also on each [`Field`]).
    pub text: Option<crate::text::ModelText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The JSON key, exactly.
    pub name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub allowed: Option<Vec<String>>,
    pub description: Option<String>,
    /// Our own text of the field and of its allowed values.
    pub text: Option<String>,
    pub value_text: crate::text::Values,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    /// The `type` value, which is also the model name.
    pub name: String,
    pub file: String,
    /// Own fields only; the inherited ones are [`Api::event_base_fields`].
    pub fields: Vec<Field>,
    pub description: Option<String>,
    pub text: Option<crate::text::ModelText>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    /// Wire values, in spec order.
    pub values: Vec<String>,
    /// Where it comes from, for docs: `Channel.state` or `channels.mute(direction)`.
    pub origin: String,
    /// Our own text of each value (from the parameter or field of `origin`).
    pub value_text: crate::text::Values,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_methods_parse_in_any_case_and_print_upper_case() {
        for method in [
            HttpMethod::Get,
            HttpMethod::Post,
            HttpMethod::Put,
            HttpMethod::Delete,
            HttpMethod::Patch,
            HttpMethod::Head,
        ] {
            let text = method.as_str();
            assert_eq!(HttpMethod::parse(text), Some(method));
            assert_eq!(HttpMethod::parse(&text.to_ascii_lowercase()), Some(method));
        }
        assert_eq!(HttpMethod::parse("OPTIONS"), None);
    }

    #[test]
    fn only_types_with_a_natural_empty_value_have_one() {
        assert!(TypeRef::List(Box::new(TypeRef::Model("Channel".into()))).has_empty_value());
        assert!(TypeRef::Containers.has_empty_value());
        for none in [
            TypeRef::Date,
            TypeRef::Model("Channel".into()),
            TypeRef::Enum("ChannelState".into()),
            TypeRef::Binary,
            TypeRef::Void,
        ] {
            assert!(!none.has_empty_value(), "{none:?}");
        }
    }

    #[test]
    fn an_api_finds_operations_models_and_enums_by_name() {
        let spec = crate::ir::test_spec::things(
            serde_json::json!([crate::ir::test_spec::op(
                "/things/{thingId}",
                "GET",
                "get",
                serde_json::json!([crate::ir::test_spec::path_param("thingId")]),
                "Thing"
            )]),
            serde_json::json!({"Thing": {"id": "Thing", "properties": {
                "state": {"type": "string", "allowableValues": {"valueType": "LIST", "values": ["Up"]}}
            }}}),
        );
        let api = crate::ir::build(&spec).unwrap();
        let get = api.operation("things", "get").unwrap();
        assert_eq!(get.qualified_name(), "things.get");
        assert_eq!(get.path_params().count(), 1);
        assert!(api.operation("things", "list").is_none());
        assert!(api.model("Thing").is_some());
        assert_eq!(api.enum_def("ThingState").unwrap().values, vec!["Up"]);
    }
}
