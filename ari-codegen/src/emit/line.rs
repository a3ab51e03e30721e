//! The generated `line.rs`: what the hand-written runtime needs to know about this spec's
//! events, as the `ResourceKind` enum and the `LineKind`/`LineEvent` trait impls. The
//! runtime (event connections, per-resource streams, waits, calls) is generic over these
//! traits, so every line the crate compiles is complete, whichever is the crate root.
//!
//! ARI's api-docs say which models events carry, not what ends a resource or what a
//! media `target_uri` points at: those facts are the tables below, each entry used only
//! when the spec has the events and kinds it names.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::type_ident;
use crate::ir::{Api, TypeRef};

/// Per resource kind, the events that end its stream (delivered, then the stream ends):
/// a channel leaves the application or is destroyed, a bridge is destroyed, media ends.
const STREAM_ENDS: &[(&str, &[&str])] = &[
    ("Channel", &["StasisEnd", "ChannelDestroyed"]),
    ("Bridge", &["BridgeDestroyed"]),
    ("Playback", &["PlaybackFinished"]),
    ("LiveRecording", &["RecordingFinished", "RecordingFailed"]),
];

/// Events that mean a channel hangs up or leaves the application.
const HANGUP: &[&str] = &["ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"];

/// Events of the channel or bridge media plays to that mean the media cannot finish
/// normally: the hang-up set and these.
const MEDIA_TARGET_ENDS: &[&str] = &["BridgeDestroyed"];

/// The model field of playbacks and recordings naming what they play to or record from,
/// as `scheme:id`. The api-docs type it as a plain string: the schemes are this table.
pub const MEDIA_TARGET_FIELD: &str = "target_uri";

/// `target_uri` scheme -> resource kind.
const TARGET_SCHEMES: &[(&str, &str)] = &[
    ("channel", "Channel"),
    ("bridge", "Bridge"),
    ("endpoint", "Endpoint"),
    ("deviceState", "DeviceState"),
];

/// The event that brings a channel into an application, and its required fields.
const CALL_START: &str = "StasisStart";

/// What the hand-written call and wait helpers (ari-sdk's `src/line/`) read, by event or
/// model name and field: a line gets them only when its spec has all of it.
const CALL_SUPPORT: &[(&str, &[&str])] = &[
    ("StasisStart", &["application", "channel", "args"]),
    ("StasisEnd", &[]),
    ("ChannelDestroyed", &["cause", "cause_txt"]),
    ("ChannelHangupRequest", &[]),
    ("ChannelDtmfReceived", &["digit"]),
    ("ChannelStateChange", &["channel"]),
    ("PlaybackFinished", &["playback"]),
    ("RecordingFinished", &["recording"]),
    ("RecordingFailed", &["recording"]),
    ("Channel", &["id", "state"]),
    (
        "Playback",
        &["id", "state", "media_uri", MEDIA_TARGET_FIELD],
    ),
    (
        "LiveRecording",
        &["name", "state", "cause", MEDIA_TARGET_FIELD],
    ),
];

/// Handles (with the operations) the call helpers use.
const CALL_HANDLES: &[(&str, &[&str])] = &[
    ("Channel", &["get", "play", "record"]),
    ("Playback", &["stop"]),
    ("LiveRecording", &["stop"]),
];

/// Why this spec cannot have the call and wait helpers (`None` when it can).
pub fn call_support_gap(api: &Api) -> Option<String> {
    for (name, fields) in CALL_SUPPORT {
        let have: Option<Vec<&str>> = match api.events.iter().find(|e| e.name == *name) {
            Some(event) => Some(
                api.event_base_fields
                    .iter()
                    .chain(&event.fields)
                    .map(|f| f.name.as_str())
                    .collect(),
            ),
            None => api
                .model(name)
                .map(|m| m.fields.iter().map(|f| f.name.as_str()).collect()),
        };
        let Some(have) = have else {
            return Some(format!("no event or model `{name}`"));
        };
        if let Some(missing) = fields.iter().find(|f| !have.contains(f)) {
            return Some(format!("`{name}` has no field `{missing}`"));
        }
    }
    for (name, ops) in CALL_HANDLES {
        let Some(handle) = api.handles.iter().find(|h| h.name == *name) else {
            return Some(format!("no {name} handle"));
        };
        if let Some(missing) = ops
            .iter()
            .find(|op| !handle.operations.iter().any(|(_, nick)| nick == *op))
        {
            return Some(format!("the {name} handle has no `{missing}`"));
        }
    }
    None
}

/// Whether a model's field is the media target (a required string named so).
pub fn has_media_target(api: &Api, model: &str) -> bool {
    api.model(model).is_some_and(|m| {
        m.fields
            .iter()
            .any(|f| f.name == MEDIA_TARGET_FIELD && f.ty == TypeRef::String && f.required)
    })
}

pub fn emit(api: &Api) -> TokenStream {
    let has_event = |name: &str| api.events.iter().any(|e| e.name == name);
    let has_kind = |name: &str| api.resource_kinds.iter().any(|k| k.name == name);
    let event_variant = |name: &str| {
        let ident = type_ident(name);
        quote!(super::events::Event::#ident(_))
    };
    let kinds: Vec<_> = api
        .resource_kinds
        .iter()
        .map(|k| format_ident!("{}", type_ident(&k.name).to_string()))
        .collect();
    let kind_names: Vec<&str> = api.resource_kinds.iter().map(|k| k.name.as_str()).collect();
    let kind_docs = kind_names
        .iter()
        .map(|n| format!(" The `{n}` model and handle."));

    let end_arms = STREAM_ENDS
        .iter()
        .filter(|(kind, _)| has_kind(kind))
        .filter_map(|(kind, events)| {
            let events: Vec<_> = events
                .iter()
                .filter(|e| has_event(e))
                .map(|e| event_variant(e))
                .collect();
            let kind = type_ident(kind);
            (!events.is_empty()).then(|| quote!((ResourceKind::#kind, #(#events)|*)))
        });
    let end_arms: Vec<TokenStream> = end_arms.collect();
    let ends_body = if end_arms.is_empty() {
        quote!(false)
    } else {
        quote!(matches!((kind, self), #(#end_arms)|*))
    };
    let matches_any = |names: &[&str]| {
        let arms: Vec<_> = names
            .iter()
            .filter(|e| has_event(e))
            .map(|e| event_variant(e))
            .collect();
        if arms.is_empty() {
            quote!(false)
        } else {
            quote!(matches!(self, #(#arms)|*))
        }
    };
    let hangup = matches_any(HANGUP);
    let mut media_ends: Vec<&str> = HANGUP.to_vec();
    media_ends.extend(MEDIA_TARGET_ENDS);
    let media_target_ends = matches_any(&media_ends);
    let hangup_names = HANGUP
        .iter()
        .filter(|e| has_event(e))
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let hangup_doc = format!(
        " Whether the event means a channel hangs up or leaves the application ({hangup_names})."
    );

    let schemes = TARGET_SCHEMES
        .iter()
        .filter(|(_, kind)| has_kind(kind))
        .map(|(scheme, kind)| {
            let kind = type_ident(kind);
            quote!(#scheme => ResourceKind::#kind,)
        });

    let call_start = match api.events.iter().find(|e| e.name == CALL_START) {
        Some(_) if call_support_gap(api).is_none() => {
            let ident = type_ident(CALL_START);
            quote!(match self {
                super::events::Event::#ident(e) => Some((&e.application, &e.channel.id)),
                _ => None,
            })
        }
        _ => quote!(None),
    };
    let call_kind = if call_support_gap(api).is_none() {
        quote!(Some(ResourceKind::Channel))
    } else {
        quote!(None)
    };
    let replaced = if api
        .events
        .iter()
        .find(|e| e.name == "ApplicationReplaced")
        .is_some_and(|e| {
            api.event_base_fields
                .iter()
                .chain(&e.fields)
                .any(|f| f.name == "application" && f.ty == TypeRef::String && f.required)
        }) {
        quote!(match self {
            super::events::Event::ApplicationReplaced(e) => Some(&e.application),
            _ => None,
        })
    } else {
        quote!(None)
    };
    let has_application = api
        .event_base_fields
        .iter()
        .any(|f| f.name == "application" && f.ty == TypeRef::String && f.required);
    let application = if has_application {
        quote!(super::events::Event::application(self))
    } else {
        quote!("")
    };
    let kind_enum = if kinds.is_empty() {
        quote! {
            /// The resources events can concern: none in this spec.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum ResourceKind {}
        }
    } else {
        quote! {
            /// The resources events concern and per-resource streams subscribe to: the models
            /// that are also addressed by id.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum ResourceKind {
                #( #[doc = #kind_docs] #kinds, )*
            }
        }
    };
    let name_body = if kinds.is_empty() {
        quote!(match self {})
    } else {
        quote!(match self { #( ResourceKind::#kinds => #kind_names, )* })
    };

    quote! {
        #kind_enum

        impl ResourceKind {
            /// Every kind.
            pub const ALL: &'static [ResourceKind] = &[#(ResourceKind::#kinds),*];

            /// The model name, e.g. `Channel`.
            pub fn name(self) -> &'static str {
                #name_body
            }
        }

        impl std::fmt::Display for ResourceKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl crate::runtime::LineKind for ResourceKind {
            type Event = super::events::Event;
            fn name(self) -> &'static str {
                ResourceKind::name(self)
            }
            fn of_target_uri(uri: &str) -> Option<(Self, &str)> {
                let (scheme, id) = uri.split_once(':')?;
                #[allow(unreachable_code)]
                let kind = match scheme {
                    #(#schemes)*
                    _ => return None,
                };
                (!id.is_empty()).then_some((kind, id))
            }
        }

        impl super::events::Event {
            #[doc = #hangup_doc]
            pub fn is_hangup(&self) -> bool {
                #hangup
            }
        }

        impl crate::runtime::LineEvent for super::events::Event {
            type Kind = ResourceKind;
            fn type_name(&self) -> &str {
                super::events::Event::type_name(self)
            }
            fn application(&self) -> &str {
                #application
            }
            fn for_each_resource(&self, visit: impl FnMut(ResourceKind, &str)) {
                super::events::Event::for_each_resource(self, visit)
            }
            fn ends_stream_of(&self, kind: ResourceKind) -> bool {
                #ends_body
            }
            fn call_start(&self) -> Option<(&str, &str)> {
                #call_start
            }
            fn call_kind() -> Option<ResourceKind> {
                #call_kind
            }
            fn ends_media_target(&self) -> bool {
                #media_target_ends
            }
            fn replaced_application(&self) -> Option<&str> {
                #replaced
            }
        }
    }
}
