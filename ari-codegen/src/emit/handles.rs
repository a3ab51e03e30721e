//! Handles: a resource addressed by id, whose methods are that resource's operations
//! without the id (`client.channel(id).answer()`).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use super::resources::{builder_name, callable, module_name, required_args};
use super::types::snake;
use crate::ir::{Api, Handle};

pub fn type_name(handle: &Handle) -> Ident {
    format_ident!("{}Handle", handle.name)
}

pub fn emit(api: &Api) -> TokenStream {
    let handles = api.handles.iter().map(|h| handle(api, h));
    quote!(#(#handles)*)
}

fn handle(api: &Api, handle: &Handle) -> TokenStream {
    let name = type_name(handle);
    let ids: Vec<Ident> = handle.id_params.iter().map(|p| snake(p)).collect();
    let id_docs = handle
        .id_params
        .iter()
        .map(|p| format!(" The `{p}` this handle addresses."));
    let doc = docs::attrs(&[format!(
        "A {} addressed by id (`{}`): its operations without the id.",
        handle.name, handle.prefix
    )]);
    // A single id named `id` already has its getter.
    let getters: Vec<&Ident> = ids
        .iter()
        .filter(|id| ids.len() > 1 || *id != "id")
        .collect();
    let single_id = (ids.len() == 1).then(|| {
        let id = &ids[0];
        quote! {
            /// The id this handle addresses.
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
            let method = snake(&op.nickname);
            let rest = required_args(op, ids.len());
            let (args, names) = (&rest.args, &rest.names);
            let doc = docs::attrs(&[format!(
                "`{} {}`: returns a [`{builder}`](super::{module}::{builder}) request builder.",
                op.method.as_str(),
                op.path
            )]);
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
            #(
                #[doc = " The id this handle addresses."]
                pub fn #getters(&self) -> &str {
                    &self.#getters
                }
            )*
            #(#methods)*
        }
    }
}
