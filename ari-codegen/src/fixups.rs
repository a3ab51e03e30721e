//! Where Asterisk and its own api-docs disagree, the generator follows Asterisk.
//!
//! Each entry names an operation and a parameter as the spec spells them. They are applied
//! in the IR stage, so the generated SDK, its docs, the operation table and the
//! simulator's route checks all see the same corrected parameter. An entry whose
//! operation or parameter a spec lacks is skipped (older lines, partial specs); a test
//! checks that every entry still names a parameter of `api-docs/22` that the spec marks
//! optional, so a fixed or renamed upstream parameter cannot leave a stale entry behind.

use crate::ir::{BodyShape, Param, ParamLocation, Resource, TypeRef};

/// A parameter the spec marks optional but Asterisk rejects a request without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredByAsterisk {
    /// Declaration name of the resource, e.g. `channels`.
    pub resource: &'static str,
    /// The operation's `nickname`.
    pub nickname: &'static str,
    /// The parameter's wire name.
    pub param: &'static str,
    /// What Asterisk answers (with 400) when the parameter is missing or empty.
    pub asterisk_says: &'static str,
}

/// Parameters Asterisk requires although the spec says optional. Checked against
/// Asterisk 22's `res/ari/resource_channels.c` and a running 22.10.1: each request without
/// the parameter is answered `400` with the message given. For `mute` and `unmute` the
/// spec even documents a default (`both`) that Asterisk never applies.
pub const REQUIRED_BY_ASTERISK: &[RequiredByAsterisk] = &[
    RequiredByAsterisk {
        resource: "channels",
        nickname: "sendDTMF",
        param: "dtmf",
        asterisk_says: "DTMF is required",
    },
    RequiredByAsterisk {
        resource: "channels",
        nickname: "mute",
        param: "direction",
        asterisk_says: "Direction is required",
    },
    RequiredByAsterisk {
        resource: "channels",
        nickname: "unmute",
        param: "direction",
        asterisk_says: "Direction is required",
    },
];

/// A parameter whose values are media URIs (`sound:hello-world`), which the spec types as
/// plain strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaUris {
    pub resource: &'static str,
    pub nickname: &'static str,
    pub param: &'static str,
}

/// Parameters holding media URIs: Asterisk accepts any text here, answers `201`, and then
/// silently skips a URI whose scheme it does not play (no `PlaybackFinished` follows), so
/// the SDK checks the scheme before sending.
pub const MEDIA_URIS: &[MediaUris] = &[
    MediaUris {
        resource: "channels",
        nickname: "play",
        param: "media",
    },
    MediaUris {
        resource: "channels",
        nickname: "playWithId",
        param: "media",
    },
    MediaUris {
        resource: "bridges",
        nickname: "play",
        param: "media",
    },
    MediaUris {
        resource: "bridges",
        nickname: "playWithId",
        param: "media",
    },
];

/// A body parameter Asterisk does not read as a member named after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyAs {
    pub resource: &'static str,
    pub nickname: &'static str,
    pub param: &'static str,
    pub shape: BodyShape,
}

/// Body parameters laid out otherwise than the spec suggests, as Asterisk 22's handlers
/// read them (`res/res_ari_*.c` hands them the whole body): `PUT
/// /applications/{name}/eventFilter` takes the filter object itself as the body (wrapped
/// in `{"filter": ...}` it finds no `allowed` or `disallowed`, changes nothing and still
/// answers 200), and `PUT /asterisk/config/dynamic/...` takes `fields` as a list of
/// `{"attribute", "value"}` objects (a map there is read as an empty list: nothing is set).
/// `POST /bridges` reads its variables from the top level of the body, unlike
/// `createWithId` and `setBridgeVars` (`{"variables": {...}}` there is answered 400, "Each
/// object value in 'variables' must include string field 'value'", after the bridge was
/// made; checked on 22.10.1).
pub const BODY_SHAPES: &[BodyAs] = &[
    BodyAs {
        resource: "applications",
        nickname: "filter",
        param: "filter",
        shape: BodyShape::Whole,
    },
    BodyAs {
        resource: "bridges",
        nickname: "create",
        param: "variables",
        shape: BodyShape::Whole,
    },
    BodyAs {
        resource: "asterisk",
        nickname: "updateObject",
        param: "fields",
        shape: BodyShape::AttributeList,
    },
];

/// The body layout of a parameter: [`BODY_SHAPES`]' entry, or a member of its name.
pub fn body_shape(resource: &str, nickname: &str, param: &str) -> BodyShape {
    BODY_SHAPES
        .iter()
        .find(|f| f.resource == resource && f.nickname == nickname && f.param == param)
        .map_or(BodyShape::Member, |f| f.shape)
}

/// The entry of [`REQUIRED_BY_ASTERISK`] for a parameter, if any.
pub fn required_by_asterisk(
    resource: &str,
    nickname: &str,
    param: &str,
) -> Option<&'static RequiredByAsterisk> {
    REQUIRED_BY_ASTERISK
        .iter()
        .find(|f| f.resource == resource && f.nickname == nickname && f.param == param)
}

fn is_media_uris(resource: &str, nickname: &str, param: &str) -> bool {
    MEDIA_URIS
        .iter()
        .any(|f| f.resource == resource && f.nickname == nickname && f.param == param)
}

/// Applies every fixup to resolved resources.
pub(crate) fn apply(resources: &mut [Resource]) {
    for resource in resources.iter_mut() {
        for op in resource.operations.iter_mut() {
            for param in op.params.iter_mut() {
                apply_to(&op.resource, &op.nickname, param);
            }
        }
    }
}

fn apply_to(resource: &str, nickname: &str, param: &mut Param) {
    if !param.required && required_by_asterisk(resource, nickname, &param.name).is_some() {
        param.required = true;
        param.required_by_asterisk = true;
    }
    let strings = match &param.ty {
        TypeRef::String => true,
        TypeRef::List(inner) => **inner == TypeRef::String,
        _ => false,
    };
    if strings && is_media_uris(resource, nickname, &param.name) {
        param.media_uris = true;
    }
    if param.location == ParamLocation::Body {
        let shape = body_shape(resource, nickname, &param.name);
        // A list of pairs only stands for a string map; the whole body only for an object.
        let fits = match shape {
            BodyShape::Member => true,
            BodyShape::Whole => matches!(param.ty, TypeRef::Object | TypeRef::Containers),
            BodyShape::AttributeList => param.ty == TypeRef::Containers,
        };
        if fits {
            param.body_shape = shape;
        }
    }
}

/// Operations that create a resource under a parameter not named after its kind, as
/// `(resource, nickname, parameter)`: a snoop is a new channel, named by `snoopId`. With
/// it, the answer is `Watched`, subscribed before the request leaves like an originate's.
pub const CREATED_UNDER: &[(&str, &str, &str)] = &[
    ("channels", "snoopChannel", "snoopId"),
    ("channels", "snoopChannelWithId", "snoopId"),
];
