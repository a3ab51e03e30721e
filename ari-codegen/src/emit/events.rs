//! The `Event` enum over every event type, and one struct per event type.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs;
use super::models::struct_fields;
use super::types::type_ident;
use crate::ir::{Api, TypeRef};

pub fn emit(api: &Api) -> TokenStream {
    let base = &api.event_base_fields;
    let structs = api.events.iter().map(|e| {
        let mut lines = docs::prose(e.description.as_deref());
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(format!(
            "Event `{}` ({}), a variant of [`Event`].",
            e.name, e.file
        ));
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

    quote! {
        #[allow(unused_imports)]
        use super::models;

        /// Every event type of the spec, decoded by its `type`.
        ///
        /// A type this spec does not know becomes [`Event::Other`], with the raw JSON kept,
        /// so a newer Asterisk never breaks decoding. A known type whose payload does not
        /// match its model is a decode error, not `Other`.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #( #[doc = #variant_docs] #names(#names), )*
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
        }

        impl crate::runtime::EventSet for Event {
            const DISCRIMINATOR: &'static str = #discriminator;
            fn decode_known(type_name: &str, json: &str) -> Option<Result<Self, crate::runtime::PayloadError>> {
                Some(match type_name {
                    #( #wire => crate::runtime::decode_payload::<#names>(json).map(Event::#names), )*
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
