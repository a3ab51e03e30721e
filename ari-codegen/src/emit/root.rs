//! The generated `mod.rs`: module wiring and the `Client` accessors.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::handles;
use super::resources::{accessor_type, module_name};
use super::types::snake;
use crate::ir::Api;
use crate::names;

/// `asterisk_22` and the like: the methods of `Client` that select a line.
fn is_line_method(name: &str) -> bool {
    name.strip_prefix("asterisk_")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

pub fn emit(api: &Api, settings: &Settings, modules: &[String]) -> TokenStream {
    let subdir = &settings.out_subdir;
    let module_items = modules.iter().map(|m| {
        let ident = format_ident!("{m}");
        let file = format!("/{subdir}/{m}.rs");
        let doc = match m.as_str() {
            "models" => " ARI models and the enums of their allowed values.".to_owned(),
            "events" => {
                " ARI events: the [`Event`](events::Event) enum and one struct per event type."
                    .to_owned()
            }
            "operations" => " The table of every operation of the spec.".to_owned(),
            "handles" => " Handles: resources addressed by id.".to_owned(),
            "line" => " What the runtime routes this spec's events by: [`ResourceKind`](line::ResourceKind), which events end a resource, what media plays to.".to_owned(),
            other => format!(" The `{other}` resource: accessor and request builders."),
        };
        quote! {
            #[doc = #doc]
            #[allow(clippy::large_enum_variant, clippy::too_many_arguments, rustdoc::redundant_explicit_links)]
            pub mod #ident {
                include!(concat!(env!("OUT_DIR"), #file));
            }
        }
    });

    let accessors = accessor_methods(api, &quote!(self.clone()));
    let api_accessors = accessor_methods(api, &quote!(self.client.clone()));
    // Every line is reachable as `client.asterisk_NN()`; the crate's primary line also
    // puts its accessors on `Client` itself.
    let line_method = format_ident!("{}", settings.out_subdir);
    let label = settings
        .label
        .clone()
        .unwrap_or_else(|| super::content_label(api));
    let line_doc =
        format!(" This spec's operations ({label}), whichever line the crate root uses.");
    let api_doc = format!(" The operations of this spec on a client: `client.{line_method}()`.");
    let call_gap = super::line::call_support_gap(api);
    let calls_accessor = call_gap.is_none().then(|| {
        quote! {
            /// The calls entering Stasis applications, one [`Call`] per `StasisStart`:
            /// `client.calls(["hello"]).connect().await?`.
            pub fn calls<I, S>(&self, apps: I) -> CallsBuilder
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.#line_method().calls(apps)
            }
        }
    });
    let client_impl = settings.client_accessors.then(|| {
        quote! {
            impl crate::Client {
                /// The event connection for one or more Stasis applications:
                /// `client.events(["hello"]).connect().await?`.
                pub fn events<I, S>(&self, apps: I) -> EventsBuilder
                where
                    I: IntoIterator<Item = S>,
                    S: Into<String>,
                {
                    self.#line_method().events(apps)
                }
                #calls_accessor
                #(#accessors)*
            }
        }
    });
    let line_runtime = match &call_gap {
        None => quote! {
            crate::line_runtime!();
        },
        Some(gap) => {
            quote! {
                /// Why this spec has no calls (`Call`, `client.calls(..)`) and no waits on
                /// what requests create: something they read is missing from it.
                pub const CALLS_UNSUPPORTED: &str = #gap;
            }
        }
    };
    let fingerprint = &api.fingerprint;
    quote! {
        /// The spec this code was generated from.
        pub const SPEC_LABEL: &str = #label;
        /// The content fingerprint of that spec (SHA-256 of what generation read): the same
        /// api-docs give the same value wherever they lie.
        pub const SPEC_FINGERPRINT: &str = #fingerprint;
        #(#module_items)*

        #[doc = #api_doc]
        #[derive(Debug, Clone)]
        pub struct Api {
            client: crate::Client,
        }

        impl Api {
            /// The event connection for one or more Stasis applications, its events
            /// decoded with this spec's [`Event`].
            pub fn events<I, S>(&self, apps: I) -> EventsBuilder
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                EventsBuilder::new(&self.client, apps)
            }
            #(#api_accessors)*
        }

        /// The event connection of this spec's events.
        pub type EventStream = crate::generic::EventStream<events::Event>;
        /// Settings of an event connection of this spec's events.
        pub type EventsBuilder = crate::generic::EventsBuilder<events::Event>;
        /// What an event connection yields: this spec's events and connection changes.
        pub type Item = crate::generic::Item<events::Event>;
        /// The events of one resource, in this spec's events.
        pub type ResourceEvents = crate::generic::ResourceEvents<events::Event>;
        /// What a request that creates a resource answers, its events subscribed.
        pub type Watched<T> = crate::generic::Watched<T, events::Event>;
        /// A server for Asterisk's outbound WebSocket connections speaking this spec.
        pub type OutboundServer = crate::server::OutboundServer<events::Event>;
        /// One connection Asterisk opened to an [`OutboundServer`].
        pub type AsteriskConnection = crate::server::AsteriskConnection<events::Event>;
        pub use events::Event;
        #[doc(inline)]
        pub use handles::*;
        pub use line::ResourceKind;

        #line_runtime

        impl crate::Client {
            #[doc = #line_doc]
            pub fn #line_method(&self) -> Api {
                Api { client: self.clone() }
            }
        }

        #client_impl
    }
}

use super::Settings;

/// The resource and handle accessors, sending with the client `client` evaluates to.
fn accessor_methods(api: &Api, client: &TokenStream) -> Vec<TokenStream> {
    let names = accessor_names(api);
    let mut out = Vec::new();
    for resource in api.resources.iter().filter(|r| !r.operations.is_empty()) {
        let module = format_ident!("{}", module_name(resource));
        let ty = accessor_type(resource);
        let method = super::types::ident(&names.resources[&resource.name]);
        let doc = format!(" Operations of the `{}` resource.", resource.name);
        out.push(quote! {
            #[doc = #doc]
            pub fn #method(&self) -> #module::#ty {
                #module::#ty::new(#client)
            }
        });
    }
    for handle in &api.handles {
        let ty = handles::type_name(handle);
        let method = super::types::ident(&names.handles[&handle.name]);
        let ids: Vec<_> = handle.id_params.iter().map(|p| snake(p)).collect();
        let doc = format!(
            " A handle on the {} addressed by `{}`.",
            handle.name, handle.prefix
        );
        out.push(quote! {
            #[doc = #doc]
            pub fn #method(&self, #(#ids: impl Into<String>),*) -> handles::#ty {
                handles::#ty::new(#client, #(#ids),*)
            }
        });
    }
    out
}

/// Method names on `Client`: resource name -> accessor, handle name -> accessor.
pub struct AccessorNames {
    pub resources: std::collections::BTreeMap<String, String>,
    pub handles: std::collections::BTreeMap<String, String>,
}

pub fn accessor_names(api: &Api) -> AccessorNames {
    let mut taken: Vec<String> = super::reserved::CLIENT_METHODS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut claim = |wanted: String, suffix: &str| -> String {
        let mut name = wanted;
        while taken.contains(&name) || is_line_method(&name) {
            name.push_str(suffix);
        }
        taken.push(name.clone());
        name
    };
    let mut out = AccessorNames {
        resources: Default::default(),
        handles: Default::default(),
    };
    for resource in &api.resources {
        let name = claim(
            names::snake_ident(&resource.name).expect("validated"),
            "_resource",
        );
        out.resources.insert(resource.name.clone(), name);
    }
    for handle in &api.handles {
        let name = claim(
            names::snake_ident(&handle.name).expect("validated"),
            "_handle",
        );
        out.handles.insert(handle.name.clone(), name);
    }
    out
}

/// The `Client` method returning a resource's accessor.
pub fn accessor_method(api: &Api, resource: &crate::ir::Resource) -> proc_macro2::Ident {
    super::types::ident(&accessor_names(api).resources[&resource.name])
}
