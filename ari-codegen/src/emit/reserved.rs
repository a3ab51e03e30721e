//! Names generated code must leave free, and how a wanted name gives way.
//!
//! Generated items share impls and scopes with what ari-sdk's hand-written runtime defines
//! (`Client`'s methods, the methods `ari-sdk/src` adds to handles, the crate root's
//! re-exports) and with what the generator itself writes into every builder or handle.
//! These lists are checked against the real runtime: `tests/reserved_names.rs` parses
//! `ari-sdk/src` and a generated builder, and fails when a defined name is missing here.
//! A spec name that wants a reserved name gets a suffix (see [`Scope`]); only crate-root
//! type names are refused ([`check_root_names`]), because renaming a model would change
//! what its JSON is called.

use std::collections::HashMap;

use crate::error::SpecError;
use crate::ir::Api;
use crate::names;

/// Methods of `Client`: generated accessors on it (`client.channels()`) must not take them.
/// Inherent ones come from `ari-sdk/src`; `clone` and `fmt` are its derived trait methods,
/// which an inherent method would hide.
pub const CLIENT_METHODS: &[&str] = &[
    "base_url",
    "builder",
    "calls",
    "clone",
    "events",
    "fmt",
    "new",
    "not_ari",
    "outbound",
    "outbound_peer",
    "over_relay",
    "path_of",
    "raw",
    "redact",
    "send",
    "server_version",
    "transport",
    "with_registries",
    "with_relay",
];

/// Methods every handle has besides its operations and id getters: the generator writes
/// `new`, `id`, `events` and `client`; `ari-sdk/src` adds the waits (to `ChannelHandle`,
/// reserved on every handle so a spec cannot make one handle differ from the others).
pub const HANDLE_METHODS: &[&str] = &[
    "client",
    "events",
    "id",
    "new",
    "next_dtmf",
    "wait_for_hangup",
    "wait_for_state",
];

/// Methods the generator writes into every request builder, which setters must not take.
pub const BUILDER_METHODS: &[&str] =
    &["into_future", "new", "request_timeout", "send", "send_full"];

/// Names a builder's `new` binds itself (the client argument and the call being built),
/// which argument names must not take.
pub const BUILDER_LOCALS: &[&str] = &["call", "client"];

/// Methods every resource accessor has besides its operations.
pub const ACCESSOR_METHODS: &[&str] = &["new"];

/// Type names generated resource modules use unqualified; a builder type of that name
/// would shadow the prelude (`Vec` as a builder breaks `Vec<Channel>`).
pub const PRELUDE_TYPES: &[&str] = &[
    "Box",
    "Into",
    "IntoIterator",
    "Option",
    "Result",
    "Some",
    "String",
    "Vec",
];

/// Modules every generated line holds, plus the crates generated paths start with
/// (`std::collections`, `serde_json::Value`): a resource module of such a name gets
/// `_resource`.
pub const MODULES: &[&str] = &[
    "alloc",
    "call",
    "core",
    "events",
    "handles",
    "line",
    "mod",
    "models",
    "operations",
    "serde",
    "serde_json",
    "std",
    "waits",
];

/// Type names at the crate root that a model, event or enum would clash with: the
/// runtime's public types (`ari-sdk/src/lib.rs`), the generated `Event` enum and its
/// catch-all variant `Other`, and the line's `Api`. The crate root re-exports a line's
/// models with a glob, which the runtime's own names silently win over.
pub const ROOT_TYPES: &[&str] = &[
    "Api",
    "AsteriskConnection",
    "AsteriskVersion",
    "BodyShape",
    "Call",
    "CallEnded",
    "Calls",
    "CallsBuilder",
    "CallsItem",
    "Client",
    "ClientBuilder",
    "CollectDigits",
    "Digits",
    "DigitsEnd",
    "Error",
    "Event",
    "EventDecodeError",
    "EventStream",
    "EventsBuilder",
    "IntoStrings",
    "Item",
    "Menu",
    "MenuChoice",
    "Method",
    "OperationInfo",
    "Other",
    "OutboundServer",
    "ParamInfo",
    "ParamLocation",
    "Played",
    "Prompt",
    "Raw",
    "RawRequest",
    "Record",
    "Recorded",
    "ResourceEvents",
    "ResourceKind",
    "Response",
    "Result",
    "StatusError",
    "Timestamp",
    "TimestampError",
    "Transport",
    "UnknownEvent",
    "VersionError",
    "Watched",
];

/// Names taken in one Rust scope (an impl, a function's arguments); later claims give way.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: Vec<String>,
}

impl Scope {
    /// A scope where `reserved` are already taken.
    pub fn with(reserved: &[&str]) -> Scope {
        Scope {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Takes `wanted` (identifier text, possibly `r#type`), or when it is taken,
    /// `wanted` + `suffix`, then `wanted` + `suffix` + 2, 3, ...
    pub fn claim(&mut self, wanted: &str, suffix: &str) -> String {
        // `r#type` gives `type_param`; `self_` (an escaped keyword) gives `self_param`.
        let bare = wanted.trim_start_matches("r#").trim_end_matches('_');
        let name = std::iter::once(wanted.to_owned())
            .chain(std::iter::once(format!("{bare}{suffix}")))
            .chain((2..).map(|n| format!("{bare}{suffix}{n}")))
            .find(|name| !self.is_taken(name))
            .expect("an endless sequence of names has a free one");
        self.taken.push(name.clone());
        name
    }

    pub fn is_taken(&self, name: &str) -> bool {
        let bare = name.trim_start_matches("r#");
        self.taken
            .iter()
            .any(|t| t.trim_start_matches("r#") == bare)
    }
}

/// Rust names of an operation's parameters, index for index with `op.params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamNames {
    /// The argument (and local variable) name, e.g. `channel_id`.
    pub arg: String,
    /// The builder's setter, for an optional parameter: `snake_case`, with `_param` when
    /// a builder method or another setter has the name.
    pub setter: String,
}

pub fn param_names(op: &crate::ir::Operation) -> Vec<ParamNames> {
    let mut args = Scope::with(BUILDER_LOCALS);
    let mut setters = Scope::with(BUILDER_METHODS);
    op.params
        .iter()
        .map(|p| {
            let wanted = names::snake_ident(&p.name).expect("validated by ir");
            let arg = args.claim(&wanted, "_arg");
            let setter = if p.required {
                String::new()
            } else {
                setters.claim(&wanted, "_param")
            };
            ParamNames { arg, setter }
        })
        .collect()
}

/// Models, events and enums share the crate root, so their Rust names must neither collide
/// with each other nor with what the runtime puts there ([`ROOT_TYPES`]), nor shadow the
/// prelude types the runtime and generated code name unqualified ([`PRELUDE_TYPES`]).
pub fn check_root_names(api: &Api) -> Result<(), SpecError> {
    let mut seen: HashMap<String, String> = ROOT_TYPES
        .iter()
        .map(|name| (name.to_string(), "ari-sdk itself".to_owned()))
        .chain(
            PRELUDE_TYPES
                .iter()
                .map(|name| (name.to_string(), "the Rust prelude".to_owned())),
        )
        .collect();
    let items = api
        .models
        .iter()
        .map(|m| (m.name.clone(), m.file.clone()))
        .chain(api.events.iter().map(|e| (e.name.clone(), e.file.clone())))
        .chain(
            api.enums
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_the_suffix_then_a_number() {
        let mut scope = Scope::with(&["client"]);
        assert_eq!(scope.claim("client", "_arg"), "client_arg");
        assert_eq!(scope.claim("client", "_arg"), "client_arg2");
        assert_eq!(scope.claim("channel_id", "_arg"), "channel_id");
        assert_eq!(scope.claim("channel_id", "_arg"), "channel_id_arg");
    }

    #[test]
    fn raw_identifiers_give_way_without_their_prefix() {
        let mut scope = Scope::with(&["type"]);
        assert_eq!(scope.claim("r#type", "_param"), "type_param");
        assert!(scope.is_taken("r#type_param"));
        let mut scope = Scope::with(&["self_"]);
        assert_eq!(scope.claim("self_", "_arg"), "self_arg");
    }

    #[test]
    fn lists_are_sorted_and_free_of_duplicates() {
        for list in [
            CLIENT_METHODS,
            HANDLE_METHODS,
            BUILDER_METHODS,
            PRELUDE_TYPES,
            MODULES,
            ROOT_TYPES,
        ] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, list);
        }
    }
}
