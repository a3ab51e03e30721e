//! IR -> Rust source: tokens built with `quote!`, parsed into a `syn::File`, formatted by
//! prettyplease. Generated code describes requests and types; all HTTP and decoding logic
//! lives in ari-sdk's hand-written runtime (`crate::runtime`).
//!
//! Rendering needs the `emit` feature (syn, quote, prettyplease); the settings, file map and
//! reserved names do not, so ari-sim can resolve the spec without compiling a second syn.

#[cfg(feature = "emit")]
mod docs;
#[cfg(feature = "emit")]
mod events;
#[cfg(feature = "emit")]
mod handles;
#[cfg(feature = "emit")]
pub mod line;
#[cfg(feature = "emit")]
mod models;
#[cfg(feature = "emit")]
mod operations;
pub mod reserved;
#[cfg(feature = "emit")]
mod resources;
#[cfg(feature = "emit")]
mod root;
#[cfg(feature = "emit")]
mod types;

use std::collections::BTreeMap;

#[cfg(feature = "emit")]
use proc_macro2::TokenStream;

#[cfg(feature = "emit")]
use crate::error::SpecError;
use crate::ir::Api;

/// How the generated files are wired into the crate that includes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Folder under `OUT_DIR` the files are written to, e.g. `asterisk_22`; the generated
    /// `mod.rs` includes its siblings from there.
    pub out_subdir: String,
    /// Emit `impl Client { fn channels(..), fn channel(..) }` accessors.
    pub client_accessors: bool,
    /// Human label of the spec for docs (`SPEC_LABEL`). `None` labels the spec by its
    /// content (ARI version and fingerprint, see [`content_label`]), never by where it lies:
    /// generated files depend on the spec's content and these settings only.
    pub label: Option<String>,
    /// Our own documentation, merged into the docs of every item it names: the SDK's
    /// ([`crate::text::Text::ours`]) unless a caller sets other text or none.
    pub text: Option<crate::text::Text>,
}

/// The SDK's own text; [`EMBEDDED`](crate::text::EMBEDDED) is checked by a test to read.
#[cfg(feature = "emit")]
fn ours() -> Option<crate::text::Text> {
    Some(crate::text::Text::ours().unwrap_or_else(|error| panic!("the SDK's own text: {error}")))
}

/// Reading the text takes the `emit` feature (as rendering does); without it there is none.
#[cfg(not(feature = "emit"))]
fn ours() -> Option<crate::text::Text> {
    None
}

impl Settings {
    /// The settings ari-sdk uses for a release line's api-docs folder (`api-docs/22`):
    /// files under `asterisk_22/`, labelled for docs. The committed snapshot uses them too.
    pub fn asterisk_line(line: &str) -> Settings {
        Settings {
            out_subdir: format!("asterisk_{line}"),
            client_accessors: true,
            label: Some(format!("Asterisk {line} api-docs (api-docs/{line})")),
            text: ours(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            out_subdir: "generated".to_owned(),
            client_accessors: true,
            label: None,
            text: ours(),
        }
    }
}

/// File name -> text: the formatted Rust sources and the spec's API facts
/// ([`crate::facts::FILE`]). Sorted, so the same input gives the same bytes.
pub type Files = BTreeMap<String, String>;

/// The label a spec gets from its content alone: `ARI 10.0.0 api-docs, sha256 0123456789ab`.
pub fn content_label(api: &Api) -> String {
    let short = crate::fingerprint::short(&api.fingerprint);
    match &api.api_version {
        Some(version) => format!("ARI {version} api-docs, sha256 {short}"),
        None => format!("ARI api-docs, sha256 {short}"),
    }
}

/// Renders every generated file for an API.
#[cfg(feature = "emit")]
pub fn emit(api: &Api, settings: &Settings) -> Result<Files, SpecError> {
    reserved::check_root_names(api)?;
    let mut files = Files::new();
    let mut modules = Vec::new();
    let mut put = |name: &str, tokens: TokenStream| -> Result<(), SpecError> {
        files.insert(format!("{name}.rs"), format(name, tokens)?);
        Ok(())
    };
    put("models", models::emit(api))?;
    modules.push("models".to_owned());
    put("events", events::emit(api))?;
    modules.push("events".to_owned());
    put("operations", operations::emit(api))?;
    modules.push("operations".to_owned());
    for resource in &api.resources {
        let module = resources::module_name(resource);
        put(&module, resources::emit(api, resource))?;
        modules.push(module);
    }
    put("handles", handles::emit(api))?;
    modules.push("handles".to_owned());
    put("line", line::emit(api))?;
    modules.push("line".to_owned());
    put("mod", root::emit(api, settings, &modules))?;
    files.insert(
        crate::facts::FILE.to_owned(),
        crate::facts::Facts::of(api).render(),
    );
    Ok(files)
}

#[cfg(feature = "emit")]
fn format(name: &str, tokens: TokenStream) -> Result<String, SpecError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        SpecError::new(
            &format!("{name}.rs"),
            "",
            format!("generated code does not parse (a generator bug): {e}"),
        )
    })?;
    let mut text = String::from("// @generated by ari-codegen from ARI api-docs. Do not edit.\n\n");
    text.push_str(&prettyplease::unparse(&file));
    Ok(text)
}
