//! Handles: a resource addressed by id, whose methods are that resource's operations
//! without the id (`client.channel(id).answer()`).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use super::reserved::{self, Scope};
use super::resources::{builder_name, callable, module_name, required_args};
use super::types::ident;
use crate::ir::{Api, Handle};
use crate::names;

pub fn type_name(handle: &Handle) -> Ident {
    format_ident!("{}Handle", handle.name)
}

/// Rust names of a handle's parts. A path parameter or operation wanting a name the handle
/// already has gives way: `_id` for ids, `_request` for operations.
struct HandleNames {
    /// One field per id parameter (never `client`, the field holding the client).
    fields: Vec<Ident>,
    /// One getter per id parameter of a handle of several ids; `None` for a single id,
    /// which `id()` returns.
    getters: Vec<Option<Ident>>,
    /// Operation (resource, nickname) -> method.
    methods: Vec<((String, String), Ident)>,
}

fn handle_names(handle: &Handle) -> HandleNames {
    let mut fields = Scope::with(&["client"]);
    let single = handle.id_params.len() == 1;
    // `id()` is written for single-id handles only; a handle of several ids has a getter
    // per id, which may then be `id`.
    let own: Vec<&str> = reserved::HANDLE_METHODS
        .iter()
        .copied()
        .filter(|m| single || *m != "id")
        .collect();
    let mut methods = Scope::with(&own);
    let mut names = HandleNames {
        fields: Vec::new(),
        getters: Vec::new(),
        methods: Vec::new(),
    };
    for id in &handle.id_params {
        let wanted = names::snake_ident(id).expect("validated by ir");
        names.fields.push(ident(&fields.claim(&wanted, "_id")));
        // One name per concept: a single id is `id()`, never also `channel_id()`.
        let getter = (!single).then(|| ident(&methods.claim(&wanted, "_id")));
        names.getters.push(getter);
    }
    for key in &handle.operations {
        let wanted = names::snake_ident(&key.1).expect("validated by ir");
        names
            .methods
            .push((key.clone(), ident(&methods.claim(&wanted, "_request"))));
    }
    names
}

pub fn emit(api: &Api) -> TokenStream {
    let handles = api.handles.iter().map(|h| handle(api, h));
    quote!(#(#handles)*)
}

fn handle(api: &Api, handle: &Handle) -> TokenStream {
    let name = type_name(handle);
    let names = handle_names(handle);
    let ids = &names.fields;
    let id_docs = handle
        .id_params
        .iter()
        .map(|p| format!(" The path parameter `{p}` of `{}`.", handle.prefix));
    let doc = docs::attrs(&[format!(
        "A {} addressed by id (`{}`): its operations without the id.",
        handle.name, handle.prefix
    )]);
    let getters = names
        .getters
        .iter()
        .zip(ids)
        .zip(&handle.id_params)
        .filter_map(|((getter, field), param)| {
            let getter = getter.as_ref()?;
            let doc = format!(
                " The `{param}` this handle addresses (in `{}`).",
                handle.prefix
            );
            Some(quote! {
                #[doc = #doc]
                pub fn #getter(&self) -> &str {
                    &self.#field
                }
            })
        });
    let single_id = (ids.len() == 1).then(|| {
        let id = &ids[0];
        let doc = format!(
            " The id this handle addresses: its path parameter `{}`.",
            handle.id_params[0]
        );
        quote! {
            #[doc = #doc]
            pub fn id(&self) -> &str {
                &self.#id
            }
        }
    });
    let events = api
        .resource_kinds
        .iter()
        .find(|k| k.name == handle.name)
        .map(|kind| {
            let kind_ident = super::types::type_ident(&kind.name);
            let id = if ids.len() == 1 {
                let id = &ids[0];
                quote!(self.#id.clone())
            } else {
                let pattern = vec!["{}"; ids.len()].join("/");
                quote!(format!(#pattern, #(self.#ids),*))
            };
            quote! {
                /// The events that concern this resource, in arrival order, from the client's
                /// event connections, each once; the stream ends when the resource is gone.
                /// It starts now: events that arrived before are not in it. For a channel
                /// entering your application, use the stream of its `Call`
                /// (`client.calls(..)`), opened when its `StasisStart` arrived.
                pub fn events(&self) -> super::ResourceEvents {
                    super::ResourceEvents::subscribe(&self.client, super::line::ResourceKind::#kind_ident, #id)
                }
            }
        });
    let methods = handle
        .operations
        .iter()
        .filter_map(|(resource_name, nickname)| {
            let resource = api.resources.iter().find(|r| &r.name == resource_name)?;
            let op = resource
                .operations
                .iter()
                .find(|o| &o.nickname == nickname)?;
            if !callable(op) {
                return None;
            }
            let module = format_ident!("{}", module_name(resource));
            let builder = builder_name(resource, op);
            let method = names
                .methods
                .iter()
                .find(|(key, _)| key.0 == *resource_name && key.1 == *nickname)
                .map(|(_, method)| method)?;
            let rest = required_args(op, ids.len());
            let (args, names) = (&rest.args, &rest.names);
            let mut lines = op
                .text
                .as_ref()
                .map(|t| {
                    let mut lines = docs::ours(&t.summary);
                    lines.push(String::new());
                    lines
                })
                .unwrap_or_default();
            lines.push(format!(
                "`{} {}`: the request builder [`{builder}`](super::{module}::{builder}) \
                 has the parameters, statuses and events.",
                op.method.as_str(),
                op.path
            ));
            let doc = docs::attrs(&lines);
            Some(quote! {
                #doc
                pub fn #method(&self, #(#args),*) -> super::#module::#builder {
                    super::#module::#builder::new(&self.client, #(self.#ids.clone(),)* #(#names),*)
                }
            })
        });
    quote! {
        #doc
        #[derive(Debug, Clone)]
        pub struct #name {
            client: crate::Client,
            #( #[doc = #id_docs] #ids: String, )*
        }
        impl #name {
            pub(crate) fn new(client: crate::Client, #(#ids: impl Into<String>),*) -> Self {
                #name { client, #(#ids: #ids.into()),* }
            }
            #single_id
            #events
            /// The client this handle sends with.
            pub fn client(&self) -> &crate::Client {
                &self.client
            }
            #(#getters)*
            #(#methods)*
        }
    }
}
