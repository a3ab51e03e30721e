//! The API facts of a spec: what [`crate::diff`] compares, in a form that can be stored.
//!
//! Generation writes them next to the code as [`FILE`] (`spec-facts.json`), so a folder
//! of generated code records the API it was generated from: `ari-codegen check` summarizes
//! what a new spec changes without the old spec at hand, and `ari-codegen diff` accepts a
//! generated folder wherever it accepts a spec folder. The file holds facts only (names,
//! methods, paths, types, required flags, defaults, enum values, since-versions) and the
//! spec's content [fingerprint](crate::fingerprint); it is valid JSON with one item per
//! line, so its own diff in a review reads line by line.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ir::{Api, Field, ParamLocation, TypeRef};

/// The file name generated folders carry the facts in.
pub const FILE: &str = "spec-facts.json";

/// The `format` this version writes and reads.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub format: u32,
    /// The spec's content fingerprint (`sha256:...`).
    pub fingerprint: String,
    /// `apiVersion` of the listing (ARI's own version).
    pub api_version: Option<String>,
    /// Sorted by name.
    pub operations: Vec<OperationFacts>,
    /// Sorted by name.
    pub models: Vec<StructFacts>,
    /// Event types with their own fields (not the inherited ones), sorted by name.
    pub events: Vec<StructFacts>,
    /// Sorted by name.
    pub enums: Vec<EnumFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationFacts {
    /// `resource.nickname`.
    pub name: String,
    pub method: String,
    pub path: String,
    pub response: String,
    pub since: Vec<String>,
    pub params: Vec<ParamFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamFacts {
    pub name: String,
    /// `path`, `query` or `body`.
    #[serde(rename = "in")]
    pub location: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructFacts {
    pub name: String,
    pub fields: Vec<FieldFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldFacts {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumFacts {
    pub name: String,
    pub values: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A type as the spec spells it (`List[Channel]`, `string`); enums made from allowable
/// values read `enum Name`.
pub fn type_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::String => "string".to_owned(),
        TypeRef::Int => "int".to_owned(),
        TypeRef::Long => "long".to_owned(),
        TypeRef::Double => "double".to_owned(),
        TypeRef::Boolean => "boolean".to_owned(),
        TypeRef::Date => "Date".to_owned(),
        TypeRef::Object => "object".to_owned(),
        TypeRef::Containers => "containers".to_owned(),
        TypeRef::Binary => "binary".to_owned(),
        TypeRef::Void => "void".to_owned(),
        TypeRef::List(inner) => format!("List[{}]", type_name(inner)),
        TypeRef::Model(name) => name.clone(),
        TypeRef::Enum(name) => format!("enum {name}"),
    }
}

/// Models or events with their fields (in spec order), sorted by name.
fn structs<'a>(items: impl Iterator<Item = (&'a String, &'a [Field])>) -> Vec<StructFacts> {
    let mut out: Vec<StructFacts> = items
        .map(|(name, fields)| StructFacts {
            name: name.clone(),
            fields: fields
                .iter()
                .map(|f| FieldFacts {
                    name: f.name.clone(),
                    ty: type_name(&f.ty),
                    required: f.required,
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl Facts {
    /// The facts of a resolved spec.
    pub fn of(api: &Api) -> Facts {
        let mut operations: Vec<OperationFacts> = api
            .operations()
            .map(|op| OperationFacts {
                name: op.qualified_name(),
                method: op.method.as_str().to_owned(),
                path: op.path.clone(),
                response: type_name(&op.response),
                since: op.since.clone(),
                params: op
                    .params
                    .iter()
                    .map(|p| ParamFacts {
                        name: p.name.clone(),
                        location: match p.location {
                            ParamLocation::Path => "path",
                            ParamLocation::Query => "query",
                            ParamLocation::Body => "body",
                        }
                        .to_owned(),
                        ty: type_name(&p.ty),
                        required: p.required,
                        multiple: p.multiple,
                        default: p.default.clone(),
                    })
                    .collect(),
            })
            .collect();
        operations.sort_by(|a, b| a.name.cmp(&b.name));
        let models = structs(api.models.iter().map(|m| (&m.name, &m.fields[..])));
        let events = structs(api.events.iter().map(|e| (&e.name, &e.fields[..])));
        let mut enums: Vec<EnumFacts> = api
            .enums
            .iter()
            .map(|e| EnumFacts {
                name: e.name.clone(),
                values: e.values.clone(),
            })
            .collect();
        enums.sort_by(|a, b| a.name.cmp(&b.name));
        Facts {
            format: FORMAT,
            fingerprint: api.fingerprint.clone(),
            api_version: api.api_version.clone(),
            operations,
            models,
            events,
            enums,
        }
    }

    /// The file's text: JSON, one operation, model, event or enum per line.
    pub fn render(&self) -> String {
        fn one<T: Serialize>(value: &T) -> String {
            // Plain data with string keys: serialization cannot fail.
            serde_json::to_string(value).unwrap_or_default()
        }
        fn list<T: Serialize>(out: &mut String, key: &str, items: &[T], last: bool) {
            out.push_str(&format!("{}: [", one(&key)));
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&one(item));
            }
            out.push_str(if items.is_empty() { "]" } else { "\n]" });
            out.push_str(if last { "\n" } else { ",\n" });
        }
        let mut out = String::from("{\n");
        out.push_str(&format!("\"format\": {},\n", self.format));
        out.push_str(&format!("\"fingerprint\": {},\n", one(&self.fingerprint)));
        out.push_str(&format!("\"api_version\": {},\n", one(&self.api_version)));
        list(&mut out, "operations", &self.operations, false);
        list(&mut out, "models", &self.models, false);
        list(&mut out, "events", &self.events, false);
        list(&mut out, "enums", &self.enums, true);
        out.push_str("}\n");
        out
    }

    /// Reads a facts file's text.
    pub fn parse(text: &str) -> Result<Facts, String> {
        #[derive(Deserialize)]
        struct Header {
            format: u32,
        }
        let header: Header = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if header.format != FORMAT {
            return Err(format!(
                "format {} (this ari-codegen reads format {FORMAT})",
                header.format
            ));
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The facts of a folder: a spec (`resources.json` and its declarations) or generated
    /// code carrying [`FILE`].
    pub fn load(dir: &Path) -> Result<Facts, String> {
        if dir.join("resources.json").is_file() {
            let api = crate::load_api(dir).map_err(|e| format!("invalid spec: {e}"))?;
            return Ok(Facts::of(&api));
        }
        let file = dir.join(FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => Facts::parse(&text).map_err(|e| format!("{}: {e}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "{} holds neither a spec (resources.json) nor generated code ({FILE})",
                dir.display()
            )),
            Err(e) => Err(format!("cannot read {}: {e}", file.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quirks() -> Api {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/quirks/spec");
        crate::load_api(&path).unwrap()
    }

    #[test]
    fn rendered_facts_read_back_the_same() {
        let facts = Facts::of(&quirks());
        let text = facts.render();
        assert_eq!(Facts::parse(&text).unwrap(), facts);
        // One item per line: every operation is on a line of its own.
        for op in &facts.operations {
            let needle = format!("{{\"name\":\"{}\",", op.name);
            assert!(text.lines().any(|l| l.starts_with(&needle)), "{text}");
        }
        assert!(facts.fingerprint.starts_with("sha256:"));
    }

    #[test]
    fn another_format_is_refused_with_a_reason() {
        let text = Facts::of(&quirks())
            .render()
            .replace("\"format\": 1,", "\"format\": 99,");
        let error = Facts::parse(&text).unwrap_err();
        assert!(error.contains("format 99"), "{error}");
        assert!(Facts::parse("not json").is_err());
    }

    #[test]
    fn types_read_as_the_spec_spells_them() {
        let list = TypeRef::List(Box::new(TypeRef::Model("Channel".to_owned())));
        assert_eq!(type_name(&list), "List[Channel]");
        assert_eq!(type_name(&TypeRef::Enum("State".to_owned())), "enum State");
        assert_eq!(type_name(&TypeRef::Date), "Date");
    }
}
