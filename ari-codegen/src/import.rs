//! `ari-codegen import`: a real Asterisk's api-docs -> the project's facts-only form.
//!
//! Upstream files carry copyright headers and prose. The normalized copy keeps every fact
//! the generator, the simulator and the API diff use (paths, methods, nicknames,
//! parameters, types, required, allowMultiple, defaults, allowed values, error codes,
//! since, upgrade, models, sub-types) and drops everything else, in a stable key order.

use std::path::Path;

use crate::error::SpecError;
use crate::spec::{ApiDeclaration, ErrorCode, ResourceListing, Spec};

/// Keys that hold prose or authorship; never written by [`normalize`].
pub const DROPPED_KEYS: &[&str] = &[
    "_copyright",
    "_author",
    "_svn_revision",
    "description",
    "descriptioni",
    "summary",
    "notes",
    "reason",
    "__note",
];

/// File name -> normalized JSON text.
pub type Documents = std::collections::BTreeMap<String, String>;

/// Strips prose and renders each document in a stable form. Fails when the spec
/// cannot be mapped, so a broken import never reaches `api-docs/`.
pub fn normalize(spec: &Spec) -> Result<Documents, SpecError> {
    crate::ir::build(spec)?;
    let mut docs = Documents::new();
    let mut listing: ResourceListing = spec.listing.clone();
    listing.base_path = listing.base_path.as_deref().map(canonical_base_path);
    for entry in &mut listing.apis {
        entry.description = None;
    }
    docs.insert("resources.json".to_owned(), render(&listing));
    for decl in &spec.declarations {
        let mut api: ApiDeclaration = decl.api.clone();
        api.base_path = api.base_path.as_deref().map(canonical_base_path);
        for path in &mut api.apis {
            path.description = None;
            for op in &mut path.operations {
                op.summary = None;
                op.notes = None;
                for p in &mut op.parameters {
                    p.description = None;
                }
                for e in &mut op.error_responses {
                    e.reason = None;
                    if let Some(status) = e.code.status() {
                        e.code = ErrorCode::Number(status.into());
                    }
                }
            }
        }
        for (_, model) in &mut api.models.0 {
            model.description = None;
            for (_, prop) in &mut model.properties.0 {
                prop.description = None;
            }
        }
        docs.insert(decl.file.clone(), render(&api));
    }
    Ok(docs)
}

/// `basePath` with the host Asterisk's own files carry (`localhost:8088`): a live server
/// writes the host it was reached as, which says nothing about the API. The path stays.
pub fn canonical_base_path(base_path: &str) -> String {
    let path = match base_path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => base_path,
    };
    format!("http://localhost:8088{path}")
}

fn render<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("spec types always serialize");
    text.push('\n');
    text
}

/// Writes normalized documents into `out`, removing stale `.json` files there.
pub fn write(docs: &Documents, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if name.ends_with(".json") && !docs.contains_key(&name) {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, text) in docs {
        std::fs::write(out.join(name), text)?;
    }
    Ok(())
}

/// Every key in a JSON document that [`normalize`] never writes, with its location.
/// Used by tests to prove committed api-docs hold facts only.
pub fn prose_keys(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let here = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    // `properties` and `models` are maps keyed by wire names, which may be
                    // any word (a property called `description` is a fact).
                    let is_name_map = at.ends_with("properties") || at == "models";
                    if !is_name_map && DROPPED_KEYS.contains(&k.as_str()) {
                        out.push(here.clone());
                    }
                    walk(v, &here, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// Fetches a live server's api-docs: `base` is the ARI root (`http://host:8088/ari`) or
/// the URL of its `resources.json`.
#[cfg(feature = "cli")]
pub fn fetch(base: &str, credentials: Option<(&str, &str)>) -> Result<Spec, SpecError> {
    let base = base.trim_end_matches('/');
    let root = base
        .strip_suffix("/api-docs/resources.json")
        .or_else(|| base.strip_suffix("/api-docs"))
        .unwrap_or(base)
        .to_owned();
    let auth = credentials.map(|(user, password)| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    });
    let get = |file: &str| -> Result<String, SpecError> {
        let url = format!("{root}/api-docs/{file}");
        let mut request = ureq::get(&url);
        if let Some(auth) = &auth {
            request = request.set("Authorization", auth);
        }
        match request.call() {
            Ok(response) => response
                .into_string()
                .map_err(|e| SpecError::new(file, "", format!("reading {url}: {e}"))),
            Err(ureq::Error::Status(code, _)) => Err(SpecError::new(
                file,
                "",
                format!("GET {url} answered HTTP {code}"),
            )),
            Err(e) => Err(SpecError::new(
                file,
                "",
                format!("GET {url} failed: {}", e.kind()),
            )),
        }
    };
    let listing = get("resources.json")?;
    Spec::from_documents(&listing, get)
}

#[cfg(test)]
mod tests {
    use super::canonical_base_path;

    #[test]
    fn base_paths_lose_the_host_they_were_fetched_from() {
        for seen in [
            "http://127.0.0.1:8088/ari",
            "http://localhost:8088/ari",
            "https://pbx.example.com:8089/ari",
        ] {
            assert_eq!(
                canonical_base_path(seen),
                "http://localhost:8088/ari",
                "{seen}"
            );
        }
        assert_eq!(
            canonical_base_path("http://host/asterisk/ari"),
            "http://localhost:8088/asterisk/ari"
        );
    }
}
