//! The SDK's own documentation (`api-docs/text/*.toml`): what each operation, parameter,
//! model, field, event and allowed value means, keyed by the names the specs use, one file
//! per resource. The generator merges it into the rustdoc of what it generates; one entry
//! serves every line that has the item. The format is described in `api-docs/text/README.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::{AllowableValues, Spec};

/// Text for one item: a sentence and, optionally, more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub summary: String,
    #[serde(default)]
    pub details: Option<String>,
}

/// Allowed values of one parameter or field: value -> text.
pub type Values = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationText {
    pub summary: String,
    #[serde(default)]
    pub details: Option<String>,
    /// Event types that follow the operation, in the order they come.
    #[serde(default)]
    pub events: Vec<String>,
    /// Error status (as text: TOML keys are strings) -> what it means here.
    #[serde(default)]
    pub statuses: BTreeMap<String, String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub values: BTreeMap<String, Values>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelText {
    pub summary: String,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub values: BTreeMap<String, Values>,
}

/// One file: a resource's text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceText {
    #[serde(default)]
    pub resource: Option<Summary>,
    #[serde(default)]
    pub operations: BTreeMap<String, OperationText>,
    #[serde(default)]
    pub models: BTreeMap<String, ModelText>,
}

/// Every file of a text folder, by resource (the file's stem: `channels`, `deviceStates`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub resources: BTreeMap<String, ResourceText>,
}

/// Our text as the generator carries it: each file of `api-docs/text` (linked into this
/// package as `text/`), by resource. A test checks the list against the folder.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("applications", include_str!("../text/applications.toml")),
    ("asterisk", include_str!("../text/asterisk.toml")),
    ("bridges", include_str!("../text/bridges.toml")),
    ("channels", include_str!("../text/channels.toml")),
    ("deviceStates", include_str!("../text/deviceStates.toml")),
    ("endpoints", include_str!("../text/endpoints.toml")),
    ("events", include_str!("../text/events.toml")),
    ("mailboxes", include_str!("../text/mailboxes.toml")),
    ("playbacks", include_str!("../text/playbacks.toml")),
    ("recordings", include_str!("../text/recordings.toml")),
    ("sounds", include_str!("../text/sounds.toml")),
];

/// Values the SDK's enums carry beyond the specs' lists (Asterisk sends them), as
/// `(model, field, value)`: text may document them.
pub const EXTRA_VALUES: &[(&str, &str, &str)] = &[("Playback", "state", "paused")];

impl Text {
    #[cfg(feature = "emit")]
    /// Reads every `*.toml` of `dir`; an unreadable file or one that is not this format is
    /// an error naming the file and the place.
    pub fn load(dir: &std::path::Path) -> Result<Text, String> {
        let mut text = Text::default();
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let source = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let resource: ResourceText =
                toml::from_str(&source).map_err(|e| format!("{}: {e}", path.display()))?;
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            text.resources.insert(stem, resource);
        }
        Ok(text)
    }

    /// The SDK's own text ([`EMBEDDED`]); a file that does not read is an error naming it.
    #[cfg(feature = "emit")]
    pub fn ours() -> Result<Text, String> {
        let mut text = Text::default();
        for (resource, source) in EMBEDDED {
            let file: ResourceText = toml::from_str(source)
                .map_err(|e| format!("api-docs/text/{resource}.toml: {e}"))?;
            text.resources.insert((*resource).to_owned(), file);
        }
        Ok(text)
    }

    pub fn resource(&self, resource: &str) -> Option<&ResourceText> {
        self.resources.get(resource)
    }

    pub fn operation(&self, resource: &str, nickname: &str) -> Option<&OperationText> {
        self.resource(resource)?.operations.get(nickname)
    }

    /// A model's text, looked up in the file of the resource that declares it
    /// (`Channel` in `channels`, events in `events`).
    pub fn model(&self, file: &str, name: &str) -> Option<&ModelText> {
        self.resource(resource_of_file(file))?.models.get(name)
    }
}

/// `channels.json` -> `channels`.
pub fn resource_of_file(file: &str) -> &str {
    file.strip_suffix(".json").unwrap_or(file)
}

/// One documentable item of a spec, as its key reads in a text file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// The resource file's stem.
    pub resource: String,
    /// `operations.originate.parameters.endpoint` and the like.
    pub path: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.toml: {}", self.resource, self.path)
    }
}

/// Every key a spec asks text for: its resources, operations, error statuses, parameters,
/// models (events and their bases included), fields and allowed values.
pub fn wanted(spec: &Spec) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut key = |resource: &str, path: String| {
        keys.push(Key {
            resource: resource.to_owned(),
            path,
        })
    };
    let values = |allowed: &Option<AllowableValues>| -> Vec<String> {
        allowed
            .iter()
            .filter(|a| a.value_type.eq_ignore_ascii_case("LIST"))
            .flat_map(|a| a.values.iter().flatten())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect()
    };
    for declaration in &spec.declarations {
        let r = resource_of_file(&declaration.file);
        key(r, "resource".to_owned());
        for op in declaration.api.apis.iter().flat_map(|a| &a.operations) {
            let at = format!("operations.{}", op.nickname);
            key(r, at.clone());
            for status in op.error_responses.iter().filter_map(|e| e.code.status()) {
                key(r, format!("{at}.statuses.{status}"));
            }
            for p in &op.parameters {
                key(r, format!("{at}.parameters.{}", p.name));
                for v in values(&p.allowable_values) {
                    key(r, format!("{at}.values.{}.{v}", p.name));
                }
            }
        }
        for (name, model) in &declaration.api.models.0 {
            let at = format!("models.{name}");
            key(r, at.clone());
            for (field, property) in &model.properties.0 {
                key(r, format!("{at}.fields.{field}"));
                for v in values(&property.allowable_values) {
                    key(r, format!("{at}.values.{field}.{v}"));
                }
                for (m, f, v) in EXTRA_VALUES {
                    if m == name && f == field {
                        key(r, format!("{at}.values.{field}.{v}"));
                    }
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Every key a text has (with some text), and the event names its `events` lists give.
pub fn written(text: &Text) -> (Vec<Key>, Vec<(Key, String)>) {
    let mut keys = Vec::new();
    let mut events = Vec::new();
    for (r, file) in &text.resources {
        let mut key = |path: String, body: &str| {
            if !body.trim().is_empty() {
                keys.push(Key {
                    resource: r.clone(),
                    path,
                });
            }
        };
        if let Some(resource) = &file.resource {
            key("resource".to_owned(), &resource.summary);
        }
        for (nickname, op) in &file.operations {
            let at = format!("operations.{nickname}");
            key(at.clone(), &op.summary);
            for (status, body) in &op.statuses {
                key(format!("{at}.statuses.{status}"), body);
            }
            for (name, body) in &op.parameters {
                key(format!("{at}.parameters.{name}"), body);
            }
            for (name, values) in &op.values {
                for (value, body) in values {
                    key(format!("{at}.values.{name}.{value}"), body);
                }
            }
            for event in &op.events {
                events.push((
                    Key {
                        resource: r.clone(),
                        path: format!("{at}.events"),
                    },
                    event.clone(),
                ));
            }
        }
        for (name, model) in &file.models {
            let at = format!("models.{name}");
            key(at.clone(), &model.summary);
            for (field, body) in &model.fields {
                key(format!("{at}.fields.{field}"), body);
            }
            for (field, values) in &model.values {
                for (value, body) in values {
                    key(format!("{at}.values.{field}.{value}"), body);
                }
            }
        }
    }
    keys.sort();
    (keys, events)
}

/// Merges `text` into the IR: each operation, parameter, model, event and field gets its
/// entry, and each enum the value texts of the parameters and fields that use it.
pub fn apply(api: &mut crate::ir::Api, text: &Text) {
    use crate::ir::TypeRef;
    for resource in &mut api.resources {
        let r = resource_of_file(&resource.file).to_owned();
        resource.text = text.resource(&r).and_then(|t| t.resource.clone());
        for op in &mut resource.operations {
            let Some(entry) = text.operation(&r, &op.nickname) else {
                continue;
            };
            op.text = Some(entry.clone());
            for p in &mut op.params {
                p.text = entry.parameters.get(&p.name).cloned();
                p.value_text = entry.values.get(&p.name).cloned().unwrap_or_default();
            }
        }
    }
    let apply_fields = |fields: &mut [crate::ir::Field], entry: Option<&ModelText>| {
        for f in fields {
            f.text = entry.and_then(|e| e.fields.get(&f.name).cloned());
            f.value_text = entry
                .and_then(|e| e.values.get(&f.name).cloned())
                .unwrap_or_default();
        }
    };
    for model in &mut api.models {
        let entry = text.model(&model.file, &model.name);
        model.text = entry.cloned();
        apply_fields(&mut model.fields, entry);
    }
    for event in &mut api.events {
        let entry = text.model(&event.file, &event.name);
        event.text = entry.cloned();
        apply_fields(&mut event.fields, entry);
    }
    // The inherited fields' text is that of the base models (`Message`, `Event`).
    let bases: Vec<&ModelText> = ["Message", "Event"]
        .iter()
        .filter_map(|m| text.model("events", m))
        .collect();
    for f in &mut api.event_base_fields {
        f.text = bases.iter().find_map(|b| b.fields.get(&f.name).cloned());
    }
    // An enum's values: from every parameter and field of its type, first text wins.
    let of_enum = |ty: &TypeRef| match ty {
        TypeRef::Enum(name) => Some(name.clone()),
        TypeRef::List(inner) => match inner.as_ref() {
            TypeRef::Enum(name) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    };
    let mut value_text: BTreeMap<String, Values> = BTreeMap::new();
    let params = api
        .operations()
        .flat_map(|o| &o.params)
        .map(|p| (&p.ty, &p.value_text));
    let fields = api
        .models
        .iter()
        .flat_map(|m| &m.fields)
        .chain(api.events.iter().flat_map(|e| &e.fields))
        .map(|f| (&f.ty, &f.value_text));
    for (ty, values) in params.chain(fields) {
        if let Some(name) = of_enum(ty) {
            let known = value_text.entry(name).or_default();
            for (value, body) in values {
                known.entry(value.clone()).or_insert_with(|| body.clone());
            }
        }
    }
    for e in &mut api.enums {
        e.value_text = value_text.remove(&e.name).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_file_reads_into_its_resource_and_unknown_keys_are_errors() {
        let dir = std::env::temp_dir().join(format!("ari-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("channels.toml"),
            r#"
[resource]
summary = "Calls."
[operations.hangup]
summary = "Ends a call."
events = ["StasisEnd"]
[operations.hangup.statuses]
404 = "Gone."
[operations.hangup.values.reason]
busy = "Busy."
[models.Channel.fields]
id = "The id."
"#,
        )
        .unwrap();
        let error = Text::load(&dir).unwrap_err();
        assert!(error.contains("channels.toml"), "{error}");
        assert!(
            error.contains("summary"),
            "a model without summary: {error}"
        );
        std::fs::write(
            dir.join("channels.toml"),
            "[operations.hangup]\nsummary = \"Ends a call.\"\ntypo = 1\n",
        )
        .unwrap();
        let error = Text::load(&dir).unwrap_err();
        assert!(error.contains("typo"), "{error}");
        std::fs::write(
            dir.join("channels.toml"),
            "[operations.hangup]\nsummary = \"Ends a call.\"\n[operations.hangup.statuses]\n404 = \"Gone.\"\n",
        )
        .unwrap();
        let text = Text::load(&dir).unwrap();
        let hangup = text.operation("channels", "hangup").unwrap();
        assert_eq!(hangup.statuses["404"], "Gone.");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_embedded_text_is_every_file_of_the_folder_and_reads() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("text");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                Some(name.strip_suffix(".toml")?.to_owned())
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(r, _)| *r).collect();
        assert_eq!(embedded, on_disk, "EMBEDDED vs {}", folder.display());
        let ours = Text::ours().unwrap();
        assert_eq!(ours, Text::load(&folder).unwrap());
    }
}
