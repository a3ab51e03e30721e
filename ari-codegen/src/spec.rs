//! Serde types for Asterisk's Swagger 1.1 dialect, and loading a spec folder.
//!
//! These types accept what Asterisk ships, quirks included: string error codes,
//! the `defalutValue` typo, `descriptioni`, `__note`, `extends`, and any other unknown
//! keys (ignored). Mapping to Rust concepts happens later, in [`crate::ir`].

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SpecError;

/// A whole spec: the `resources.json` listing and every api-declaration it names,
/// in listing order.
#[derive(Debug, Clone)]
pub struct Spec {
    pub listing: ResourceListing,
    pub declarations: Vec<Declaration>,
}

/// One api-declaration file (`channels.json`, ...).
#[derive(Debug, Clone)]
pub struct Declaration {
    /// File name, e.g. `channels.json`.
    pub file: String,
    pub api: ApiDeclaration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceListing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swagger_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    pub apis: Vec<ResourceRef>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ResourceRef {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ResourceRef {
    /// The declaration file this entry points at: `/api-docs/channels.{format}` -> `channels.json`.
    pub fn file_name(&self) -> Option<String> {
        let last = self.path.rsplit('/').next()?;
        let stem = last
            .strip_suffix(".{format}")
            .or_else(|| last.strip_suffix(".json"))?;
        if stem.is_empty() || stem.contains(['.', '\\']) {
            return None;
        }
        Some(format!("{stem}.json"))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiDeclaration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swagger_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub since: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_modules: Vec<String>,
    #[serde(default)]
    pub apis: Vec<Api>,
    #[serde(default)]
    pub models: Ordered<Model>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Api {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub http_method: String,
    pub nickname: String,
    pub response_class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub since: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket_protocol: Option<String>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_responses: Vec<ErrorResponse>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    pub name: String,
    pub param_type: String,
    pub data_type: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub allow_multiple: bool,
    /// Asterisk up to 16 spells this key `defalutValue` once.
    #[serde(
        default,
        alias = "defalutValue",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowable_values: Option<AllowableValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowableValues {
    pub value_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ErrorResponse {
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Error codes are numbers in most files and strings (`"404"`) in a few.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum ErrorCode {
    Number(u64),
    Text(String),
}

impl ErrorCode {
    /// The HTTP status, when the code is one.
    pub fn status(&self) -> Option<u16> {
        let n = match self {
            ErrorCode::Number(n) => *n,
            ErrorCode::Text(s) => s.trim().parse().ok()?,
        };
        u16::try_from(n).ok().filter(|s| (100..=599).contains(s))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub properties: Ordered<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discriminator: Option<String>,
    /// Asterisk 12.0 named the parent model instead of listing sub-types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowable_values: Option<AllowableValues>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A JSON object whose key order is kept (property order becomes field order).
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<T> Ordered<T> {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                let mut seen: HashSet<String> = HashSet::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Parses one JSON document, reporting the JSON location of a mismatch.
pub fn parse_document<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, SpecError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let location = e.path().to_string();
        let inner = e.into_inner();
        SpecError::new(file, location, format!("{inner}"))
    })?;
    de.end()
        .map_err(|e| SpecError::new(file, "", e.to_string()))?;
    Ok(value)
}

impl Spec {
    /// Builds a spec from already-read documents: the listing text and a lookup for
    /// each declaration file it names.
    pub fn from_documents(
        listing_text: &str,
        mut read: impl FnMut(&str) -> Result<String, SpecError>,
    ) -> Result<Spec, SpecError> {
        let listing: ResourceListing = parse_document("resources.json", listing_text)?;
        let mut declarations = Vec::with_capacity(listing.apis.len());
        for (i, entry) in listing.apis.iter().enumerate() {
            let file = entry.file_name().ok_or_else(|| {
                SpecError::new(
                    "resources.json",
                    format!("apis[{i}].path"),
                    format!("`{}` does not name an api-declaration file", entry.path),
                )
            })?;
            if declarations.iter().any(|d: &Declaration| d.file == file) {
                return Err(SpecError::new(
                    "resources.json",
                    format!("apis[{i}].path"),
                    format!("`{file}` is listed twice"),
                ));
            }
            let text = read(&file)?;
            let api: ApiDeclaration = parse_document(&file, &text)?;
            declarations.push(Declaration { file, api });
        }
        Ok(Spec {
            listing,
            declarations,
        })
    }

    /// Loads `resources.json` and every declaration it lists from a folder.
    pub fn load_dir(dir: &Path) -> Result<Spec, SpecError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| {
                SpecError::new(&path.display().to_string(), "", format!("cannot read: {e}"))
            })
        };
        let listing = read("resources.json")?;
        Spec::from_documents(&listing, read)
    }
}
