//! The `Event` enum over every event type, and one struct per event type.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs;
use super::models::struct_fields;
use super::types::type_ident;
use crate::ir::{Api, Field, TypeRef};

/// Code visiting the resource ids inside one event field, if it holds resources.
fn resource_visit(api: &Api, field: &Field) -> Option<TokenStream> {
    let (model, list) = match &field.ty {
        TypeRef::Model(m) => (m, false),
        TypeRef::List(inner) => match inner.as_ref() {
            TypeRef::Model(m) => (m, true),
            _ => return None,
        },
        _ => return None,
    };
    let kind = api.resource_kinds.iter().find(|k| &k.name == model)?;
    let model_def = api.model(model)?;
    let kind_ident = type_ident(&kind.name);
    let kind_path = quote!(super::line::ResourceKind::#kind_ident);
    let field_ident = super::types::snake(&field.name);
    let id_required = kind.id_fields.iter().all(|f| {
        model_def
            .fields
            .iter()
            .any(|mf| &mf.name == f && mf.required)
    });
    if !id_required {
        return None;
    }
    let parts: Vec<_> = kind
        .id_fields
        .iter()
        .map(|f| super::types::snake(f))
        .collect();
    let one = if parts.len() == 1 {
        let part = &parts[0];
        quote!(visit(#kind_path, &v.#part);)
    } else {
        let pattern = vec!["{}"; parts.len()].join("/");
        quote! {
            let id = format!(#pattern, #(v.#parts),*);
            visit(#kind_path, &id);
        }
    };
    // A playback or recording also concerns the channel or bridge it plays to or records.
    let one = if super::line::has_media_target(api, model) {
        let field = super::types::snake(super::line::MEDIA_TARGET_FIELD);
        quote! {
            #one
            if let Some((kind, id)) = <super::line::ResourceKind as crate::runtime::LineKind>::of_target_uri(&v.#field) {
                visit(kind, id);
            }
        }
    } else {
        one
    };
    let optional = !field.required && field.ty != TypeRef::Date;
    Some(match (list, optional) {
        (false, false) => quote!({ let v = &e.#field_ident; #one }),
        (false, true) => quote!(if let Some(v) = &e.#field_ident { #one }),
        (true, false) => quote!(for v in &e.#field_ident { #one }),
        (true, true) => quote!(for v in e.#field_ident.iter().flatten() { #one }),
    })
}

pub fn emit(api: &Api) -> TokenStream {
    let base = &api.event_base_fields;
    let structs = api.events.iter().map(|e| {
        let lines = docs::model(
            e.text.as_ref(),
            e.description.as_deref(),
            format!("Event `{}` ({}), a variant of [`Event`].", e.name, e.file),
        );
        let doc = docs::attrs(&lines);
        let name = type_ident(&e.name);
        let mut fields = base.clone();
        fields.extend(e.fields.iter().cloned());
        let fields = struct_fields(&e.name, &fields);
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            pub struct #name { #fields }
        }
    });
    let names: Vec<_> = api.events.iter().map(|e| type_ident(&e.name)).collect();
    let wire: Vec<&str> = api.events.iter().map(|e| e.name.as_str()).collect();
    let discriminator = api.discriminator.as_str();
    let variant_docs = wire.iter().map(|w| format!(" `{w}`"));

    let has = |name: &str, ty: &TypeRef, required: bool| {
        base.iter()
            .any(|f| f.name == name && &f.ty == ty && f.required == required)
    };
    let application = has("application", &TypeRef::String, true).then(|| {
        quote! {
            /// The application the event was sent to.
            pub fn application(&self) -> &str {
                match self {
                    #( Event::#names(e) => &e.application, )*
                    Event::Other(e) => &e.application,
                }
            }
        }
    });
    let timestamp = has("timestamp", &TypeRef::Date, true).then(|| {
        quote! {
            /// When Asterisk created the event (`None` when the frame does not say).
            pub fn timestamp(&self) -> Option<&crate::Timestamp> {
                match self {
                    #( Event::#names(e) => e.timestamp.as_ref(), )*
                    Event::Other(e) => e.timestamp.as_ref(),
                }
            }
        }
    });
    let asterisk_id = has("asterisk_id", &TypeRef::String, false).then(|| {
        quote! {
            /// The id of the Asterisk instance that raised the event, when it says.
            pub fn asterisk_id(&self) -> Option<&str> {
                match self {
                    #( Event::#names(e) => e.asterisk_id.as_deref(), )*
                    Event::Other(e) => e.asterisk_id.as_deref(),
                }
            }
        }
    });

    let resource_arms = api.events.iter().filter_map(|e| {
        let name = type_ident(&e.name);
        let mut fields = base.clone();
        fields.extend(e.fields.iter().cloned());
        let visits: Vec<TokenStream> = fields
            .iter()
            .filter_map(|f| resource_visit(api, f))
            .collect();
        (!visits.is_empty()).then(|| quote!(Event::#name(e) => { #(#visits)* }))
    });

    quote! {
        #[allow(unused_imports)]
        use super::models;

        /// Every event type of the spec, decoded by its `type`.
        ///
        /// Variants are boxed: event structs hold whole channels and bridges, and an enum
        /// as large as its largest variant would make every queue slot that large.
        ///
        /// A type this spec does not know becomes [`Event::Other`], with the raw JSON kept,
        /// so a newer Asterisk never breaks decoding. A known type whose payload does not
        /// match its model is a decode error, not `Other`.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #( #[doc = #variant_docs] #names(Box<#names>), )*
            /// An event type this spec does not list.
            Other(crate::UnknownEvent),
        }

        impl Event {
            /// Every event type this spec lists.
            pub const TYPE_NAMES: &'static [&'static str] = &[#(#wire),*];

            /// The event's `type`, e.g. `StasisStart`.
            pub fn type_name(&self) -> &str {
                match self {
                    #( Event::#names(_) => #wire, )*
                    Event::Other(e) => &e.type_name,
                }
            }
            #application
            #timestamp
            #asterisk_id

            /// Calls `visit(kind, id)` for every resource the event carries, `id` being the
            /// id a handle takes (`technology/resource` for an endpoint), and for the channel
            /// or bridge a playback or recording plays to. Used by per-resource streams.
            #[allow(unused_mut)]
            pub fn for_each_resource(&self, mut visit: impl FnMut(super::line::ResourceKind, &str)) {
                #[allow(clippy::match_single_binding)]
                match self {
                    #(#resource_arms)*
                    _ => {}
                }
            }
        }

        impl crate::runtime::EventSet for Event {
            const DISCRIMINATOR: &'static str = #discriminator;
            fn decode_known(type_name: &str, json: &str) -> Option<Result<Self, crate::runtime::PayloadError>> {
                Some(match type_name {
                    #( #wire => crate::runtime::decode_payload::<#names>(json).map(|e| Event::#names(Box::new(e))), )*
                    _ => return None,
                })
            }
            fn unknown(event: crate::UnknownEvent) -> Self {
                Event::Other(event)
            }
        }

        impl serde::Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #( Event::#names(e) => crate::runtime::serialize_tagged(serializer, #discriminator, #wire, e), )*
                    Event::Other(e) => serde::Serialize::serialize(&e.raw, serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for Event {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::runtime::deserialize_event(deserializer)
            }
        }

        #(#structs)*
    }
}
