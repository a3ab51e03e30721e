//! The ARI surface the simulator serves: the same api-docs and IR the SDK is generated
//! from, embedded so the binary runs anywhere.

use std::sync::Arc;

use ari_codegen::ir::{Api, Operation, Segment};

/// The facts-only Asterisk 22 api-docs, as served at `/ari/api-docs/`.
pub const API_DOCS: &[(&str, &str)] = &[
    (
        "resources.json",
        include_str!("../../api-docs/22/resources.json"),
    ),
    (
        "applications.json",
        include_str!("../../api-docs/22/applications.json"),
    ),
    (
        "asterisk.json",
        include_str!("../../api-docs/22/asterisk.json"),
    ),
    (
        "bridges.json",
        include_str!("../../api-docs/22/bridges.json"),
    ),
    (
        "channels.json",
        include_str!("../../api-docs/22/channels.json"),
    ),
    (
        "deviceStates.json",
        include_str!("../../api-docs/22/deviceStates.json"),
    ),
    (
        "endpoints.json",
        include_str!("../../api-docs/22/endpoints.json"),
    ),
    ("events.json", include_str!("../../api-docs/22/events.json")),
    (
        "mailboxes.json",
        include_str!("../../api-docs/22/mailboxes.json"),
    ),
    (
        "playbacks.json",
        include_str!("../../api-docs/22/playbacks.json"),
    ),
    (
        "recordings.json",
        include_str!("../../api-docs/22/recordings.json"),
    ),
    ("sounds.json", include_str!("../../api-docs/22/sounds.json")),
];

/// The resolved spec (the embedded files always resolve: a test builds them).
pub fn api() -> Arc<Api> {
    let find = |name: &str| {
        API_DOCS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| ari_codegen::SpecError::new(name, "", "not embedded"))
    };
    let spec = ari_codegen::Spec::from_documents(&find("resources.json").expect("embedded"), find)
        .expect("the embedded api-docs load");
    Arc::new(ari_codegen::ir::build(&spec).expect("the embedded api-docs resolve"))
}

/// What a request path and method resolve to.
pub enum Resolved<'a> {
    /// The operation, with the path's parameters by name.
    Operation {
        /// The operation of the spec.
        op: &'a Operation,
        /// Path parameters, e.g. `("channelId", "123")`.
        path_params: Vec<(String, String)>,
    },
    /// The path exists with other methods.
    WrongMethod,
    /// No operation has this path.
    NotFound,
}

/// Finds the operation for a path below `/ari` (segments already percent-decoded).
/// Literal segments beat parameters (`/channels/create` over `/channels/{channelId}`).
pub fn resolve<'a>(api: &'a Api, method: &str, segments: &[String]) -> Resolved<'a> {
    let mut best: Option<(usize, &Operation)> = None;
    let mut path_exists = false;
    for op in api.operations() {
        if op.segments.len() != segments.len() {
            continue;
        }
        let mut literals = 0;
        let fits = op.segments.iter().zip(segments).all(|(s, actual)| match s {
            Segment::Literal(l) => {
                literals += 1;
                l == actual
            }
            Segment::Param(_) => !actual.is_empty(),
        });
        if !fits {
            continue;
        }
        path_exists = true;
        if op.method.as_str() != method {
            continue;
        }
        if best.is_none_or(|(n, _)| literals > n) {
            best = Some((literals, op));
        }
    }
    match best {
        Some((_, op)) => {
            let path_params = op
                .segments
                .iter()
                .zip(segments)
                .filter_map(|(s, actual)| match s {
                    Segment::Param(p) => Some((p.clone(), actual.clone())),
                    Segment::Literal(_) => None,
                })
                .collect();
            Resolved::Operation { op, path_params }
        }
        None if path_exists => Resolved::WrongMethod,
        None => Resolved::NotFound,
    }
}
