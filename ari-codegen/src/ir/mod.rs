//! The resolved, version-independent model of an ARI spec.
//!
//! This is the one place that knows the dialect's quirks: emitters, the simulator and
//! the API diff read only these types, never raw JSON. Whether a name clashes with what
//! the runtime or the generated code defines is the emitter's business
//! ([`crate::emit::reserved`]); the IR refuses only names that cannot become the items it
//! derives itself (a module per file, a handle per id prefix, a method per nickname, an
//! argument per path parameter), where the spec location is at hand.
//!
//! - [`types`]: the data structures;
//! - `build`: spec -> IR (references, parameters, types, allowed values);
//! - `hierarchy`: the event hierarchy (sub-type graph checks);
//! - `handles`: operations grouped under id prefixes;
//! - `naming`: enum names and resource kinds (naming heuristics).

mod build;
mod handles;
mod hierarchy;
mod naming;
pub mod types;

pub use build::build;
pub use types::*;

/// Small specs for the unit tests of the IR's parts.
#[cfg(test)]
pub(crate) mod test_spec {
    use serde_json::{Value, json};

    use crate::error::SpecError;
    use crate::spec::Spec;

    /// A spec of the given declarations (`things.json` -> its JSON), listed in order.
    pub fn spec(declarations: &[(&str, Value)]) -> Result<Spec, SpecError> {
        let apis: Vec<Value> = declarations
            .iter()
            .map(|(file, _)| {
                let stem = file.trim_end_matches(".json");
                json!({ "path": format!("/api-docs/{stem}.{{format}}") })
            })
            .collect();
        let listing = json!({"apiVersion": "1.0.0", "swaggerVersion": "1.1", "apis": apis});
        Spec::from_documents(&listing.to_string(), |name| {
            declarations
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, doc)| doc.to_string())
                .ok_or_else(|| SpecError::new(name, "", "no such file"))
        })
    }

    /// One declaration `things.json` with these APIs and models.
    pub fn things(apis: Value, models: Value) -> Spec {
        spec(&[("things.json", json!({"apis": apis, "models": models}))]).expect("spec parses")
    }

    /// An operation in `apis` form.
    pub fn op(path: &str, method: &str, nickname: &str, params: Value, response: &str) -> Value {
        json!({"path": path, "operations": [{
            "httpMethod": method, "nickname": nickname, "responseClass": response,
            "parameters": params,
        }]})
    }

    /// A required path parameter.
    pub fn path_param(name: &str) -> Value {
        json!({"name": name, "paramType": "path", "dataType": "string", "required": true})
    }
}
