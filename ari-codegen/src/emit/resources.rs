//! One module per resource: an accessor with a method per operation, and a request
//! builder per operation.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use super::reserved::{self, Scope, param_names};
use super::types::{arg_shape, ident, value_type};
use crate::ir::{Api, Operation, ParamLocation, Resource, Segment, TypeRef};
use crate::names;

pub fn module_name(resource: &Resource) -> String {
    names::module_name(&resource.name)
}

pub fn accessor_type(resource: &Resource) -> Ident {
    format_ident!("{}", names::upper_camel(&resource.name))
}

pub fn builder_name(resource: &Resource, op: &Operation) -> Ident {
    format_ident!("{}", names::builder_name(&resource.name, &op.nickname))
}

/// The accessor's method for each operation (by nickname): `snake_case`, with `_request`
/// when the accessor already has the name.
pub fn accessor_methods(resource: &Resource) -> std::collections::HashMap<String, Ident> {
    let mut scope = Scope::with(reserved::ACCESSOR_METHODS);
    resource
        .operations
        .iter()
        .map(|op| {
            let wanted = names::snake_ident(&op.nickname).expect("validated by ir");
            (
                op.nickname.clone(),
                ident(&scope.claim(&wanted, "_request")),
            )
        })
        .collect()
}

/// The argument identifier of the parameter `wire` of `op`.
fn arg_of(op: &Operation, wire: &str) -> Ident {
    let index = op
        .params
        .iter()
        .position(|p| p.name == wire)
        .expect("a parameter of the operation");
    ident(&param_names(op)[index].arg)
}

/// Operations that a builder can send (the event WebSocket has its own connection type).
pub fn callable(op: &Operation) -> bool {
    !op.websocket
}

pub fn emit(api: &Api, resource: &Resource) -> TokenStream {
    let accessor = accessor_type(resource);
    let accessor_doc = docs::attrs(&[
        format!(
            "Operations of the `{}` resource ({}).",
            resource.name, resource.file
        ),
        String::new(),
        "Each method returns a request builder: set optional parameters, then `.await` it."
            .to_owned(),
    ]);
    let method_names = accessor_methods(resource);
    let methods = resource
        .operations
        .iter()
        .filter(|op| callable(op))
        .map(|op| {
            let builder = builder_name(resource, op);
            let method = &method_names[&op.nickname];
            let required = required_args(op, 0);
            let (args, names) = (&required.args, &required.names);
            let doc = docs::attrs(&[format!(
                "`{} {}`: returns a [`{builder}`] request builder.",
                op.method.as_str(),
                op.path
            )]);
            quote! {
                #doc
                pub fn #method(&self, #(#args),*) -> #builder {
                    #builder::new(&self.client, #(#names),*)
                }
            }
        });
    let builders = resource
        .operations
        .iter()
        .filter(|op| callable(op))
        .map(|op| builder(api, resource, op));
    quote! {
        #accessor_doc
        #[derive(Debug, Clone)]
        pub struct #accessor {
            client: crate::Client,
        }
        impl #accessor {
            pub(crate) fn new(client: crate::Client) -> Self {
                #accessor { client }
            }
            #(#methods)*
        }
        #(#builders)*
    }
}

/// The resource kind an operation creates and the parameter naming it, when its
/// response is that kind's model.
fn watched_kind<'a>(api: &'a Api, op: &'a Operation) -> Option<(&'a str, &'a crate::ir::Param)> {
    let TypeRef::Model(model) = &op.response else {
        return None;
    };
    let kind = api.resource_kinds.iter().find(|k| &k.name == model)?;
    Some((kind.name.as_str(), kind.creation_param(op)?))
}

/// Positional arguments of an operation: every required parameter, path ones first;
/// the first `skip` path parameters are held by a handle instead.
pub struct RequiredArgs {
    pub args: Vec<TokenStream>,
    pub names: Vec<Ident>,
}

pub fn required_args(op: &Operation, skip: usize) -> RequiredArgs {
    let mut args = Vec::new();
    let mut names = Vec::new();
    let idents = param_names(op);
    let required = op.params.iter().zip(&idents).filter(|(p, _)| p.required);
    for (i, (p, idents)) in required.enumerate() {
        if i < skip {
            continue;
        }
        let name = ident(&idents.arg);
        let ty = if p.location == ParamLocation::Path {
            quote!(impl Into<String>)
        } else {
            arg_shape(p, &name).arg
        };
        args.push(quote!(#name: #ty));
        names.push(name);
    }
    RequiredArgs { args, names }
}

fn builder(api: &Api, resource: &Resource, op: &Operation) -> TokenStream {
    let name = builder_name(resource, op);
    let row = super::operations::row(op);
    let output = value_type(&op.response);
    let decoder = match op.response {
        TypeRef::Void => quote!(crate::runtime::decode_void),
        TypeRef::Binary => quote!(crate::runtime::decode_binary),
        _ => quote!(crate::runtime::decode_json::<#output>),
    };
    let required = required_args(op, 0);
    let args = &required.args;

    let idents = param_names(op);
    let path_ids: Vec<Ident> = op.path_params().map(|p| arg_of(op, &p.name)).collect();
    let segments = op.segments.iter().map(|s| match s {
        Segment::Literal(l) => quote!(crate::runtime::Seg::Lit(#l)),
        Segment::Param(p) => {
            let id = arg_of(op, p);
            quote!(crate::runtime::Seg::Id(#p, &#id))
        }
    });
    let stores: Vec<TokenStream> = op
        .params
        .iter()
        .zip(&idents)
        .filter(|(p, _)| p.required && p.location != ParamLocation::Path)
        .map(|(p, idents)| arg_shape(p, &ident(&idents.arg)).store)
        .collect();
    let new_call = quote! {
        crate::runtime::Call::new(
            client,
            &Self::INFO,
            &[#(#segments),*],
            #decoder,
        )
    };
    let setters = op
        .params
        .iter()
        .zip(&idents)
        .filter(|(p, _)| !p.required)
        .map(|(p, idents)| {
            let setter = ident(&idents.setter);
            let arg = ident(&idents.arg);
            let shape = arg_shape(p, &arg);
            let (ty, store) = (shape.arg, shape.store);
            let doc = docs::attrs(&[format!("Sets {}.", docs::param(p))]);
            quote! {
                #doc
                pub fn #setter(mut self, #arg: #ty) -> Self {
                    let call = &mut self.call;
                    #store
                    self
                }
            }
        });
    // Operations that create a resource events can name (play, record, originate) answer
    // with a `Watched` value, subscribed to that resource's events before the request left.
    let watch = watched_kind(api, op);
    // The kind of what created media plays to or records from (the handle it is made on).
    let target_kind = op.handle.as_ref().and_then(|h| {
        let kind = api
            .resource_kinds
            .iter()
            .find(|k| &k.name == h && k.id_params.len() == 1)?;
        super::line::has_media_target(api, watch.as_ref()?.0).then_some(kind)
    });
    let (awaited, send_body, into_future) = match &watch {
        Some((kind, _)) => {
            let kind = super::types::type_ident(kind);
            let target = match target_kind {
                Some(target) => {
                    let target = super::types::type_ident(&target.name);
                    quote!(Some(super::line::ResourceKind::#target))
                }
                None => quote!(None),
            };
            let send = quote!(self.call.send_watched(super::line::ResourceKind::#kind, #target));
            (
                quote!(super::Watched<#output>),
                quote!(#send.await),
                quote!(Box::pin(#send)),
            )
        }
        None => (
            output.clone(),
            quote!(self.call.send().await),
            quote!(self.call.into_future()),
        ),
    };
    let watch_setup = watch.as_ref().map(|(_, param)| {
        let id = if param.location == ParamLocation::Path {
            let ident = arg_of(op, &param.name);
            quote!(crate::runtime::WatchId::Path(#ident.clone()))
        } else {
            let param_name = param.name.as_str();
            quote!(crate::runtime::WatchId::Query(#param_name))
        };
        // Media (play, record) also watches what it plays to, before the request leaves,
        // so the target going away is never missed.
        let target = target_kind.map(|kind| {
            let id = arg_of(op, &kind.id_params[0]);
            quote!(call.watch_target(#id.clone());)
        });
        quote!(call.watch(#id); #target)
    });
    // Stores run on the call itself (setters run them on `&mut self.call`), so the call is
    // bound once, mutable only when something is stored or watched.
    let make_call = if stores.is_empty() && watch_setup.is_none() {
        quote!(let call = #new_call;)
    } else {
        quote! {
            let mut call = #new_call;
            #(#stores)*
            #watch_setup
        }
    };
    let doc = docs::attrs(&docs::operation(op, api));
    quote! {
        #doc
        #[must_use = "a request builder does nothing until it is awaited"]
        #[derive(Debug)]
        pub struct #name {
            call: crate::runtime::Call<#output>,
        }
        impl #name {
            /// This operation's row of [`OPERATIONS`](super::operations::OPERATIONS).
            pub(crate) const INFO: crate::runtime::OperationInfo = #row;
            pub(crate) fn new(client: &crate::Client, #(#args),*) -> Self {
                #( let #path_ids: String = #path_ids.into(); )*
                #make_call
                #name { call }
            }
            #(#setters)*
            /// Time allowed for this request alone, instead of the client's timeout.
            pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.call.set_timeout(timeout);
                self
            }
            /// Sends the request (the same as `.await`).
            pub async fn send(self) -> crate::Result<#awaited> {
                #send_body
            }
            /// Sends the request and returns the status and `Location` header with the value.
            pub async fn send_full(self) -> crate::Result<crate::Response<#output>> {
                self.call.send_full().await
            }
        }
        impl std::future::IntoFuture for #name {
            type Output = crate::Result<#awaited>;
            type IntoFuture = crate::runtime::Pending<#awaited>;
            fn into_future(self) -> Self::IntoFuture {
                #into_future
            }
        }
    }
}
