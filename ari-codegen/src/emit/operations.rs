//! The table of every operation: what tests, tools and the simulator read.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::resources;
use super::types::value_type;
use crate::ir::{Api, BodyShape, Operation, Param, ParamLocation, TypeRef};

/// An operation's row of the table: what the runtime and tools know of it.
pub fn row(op: &Operation) -> TokenStream {
    let resource = &op.resource;
    let nickname = &op.nickname;
    let name = op.qualified_name();
    let method = format_ident!(
        "{}",
        match op.method.as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "DELETE" => "Delete",
            "PATCH" => "Patch",
            _ => "Head",
        }
    );
    let path = &op.path;
    let since = &op.since;
    let errors = &op.error_statuses;
    let websocket = op.websocket;
    let response = super::docs::type_text(&op.response);
    let response = match &op.response {
        crate::ir::TypeRef::Enum(_) => "string".to_owned(),
        _ => response,
    };
    let params = op.params.iter().map(param_row);
    let text = op.text.clone().unwrap_or_default();
    let summary = text.summary.trim();
    let details = text.details.as_deref().unwrap_or_default().trim();
    let statuses = op.error_statuses.iter().filter_map(|status| {
        let said = text.statuses.get(&status.to_string())?.trim();
        Some(quote!((#status, #said)))
    });
    let events = &text.events;
    quote! {
        crate::runtime::OperationInfo {
            resource: #resource,
            nickname: #nickname,
            name: #name,
            method: crate::runtime::Method::#method,
            path: #path,
            since: &[#(#since),*],
            error_statuses: &[#(#errors),*],
            websocket: #websocket,
            response: #response,
            params: &[#(#params),*],
            summary: #summary,
            details: #details,
            statuses: &[#(#statuses),*],
            events: &[#(#events),*],
        }
    }
}

/// A parameter's row: what a tool needs to ask for it and check it.
fn param_row(param: &Param) -> TokenStream {
    let name = &param.name;
    let location = format_ident!(
        "{}",
        match param.location {
            ParamLocation::Path => "Path",
            ParamLocation::Query => "Query",
            ParamLocation::Body => "Body",
        }
    );
    let ty = super::docs::type_text(&param.ty);
    let required = param.required;
    let multiple = param.multiple;
    let allowed = param.allowed.clone().unwrap_or_default();
    let value_text = param
        .value_text
        .iter()
        .map(|(value, text)| quote!((#value, #text)));
    let default = optional_str(param.default.as_deref());
    let bound = |b: Option<f64>| match b {
        Some(b) => {
            let b = b as i64;
            quote!(Some(#b))
        }
        None => quote!(None),
    };
    let min = bound(param.range.as_ref().and_then(|r| r.min));
    let max = bound(param.range.as_ref().and_then(|r| r.max));
    let media_uris = param.media_uris;
    let shape = format_ident!(
        "{}",
        match param.body_shape {
            BodyShape::Member => "Member",
            BodyShape::Whole => "Whole",
            BodyShape::AttributeList => "AttributeList",
        }
    );
    let text = param.text.as_deref().unwrap_or_default().trim();
    quote! {
        crate::runtime::ParamInfo {
            name: #name,
            location: crate::runtime::ParamLocation::#location,
            ty: #ty,
            required: #required,
            multiple: #multiple,
            allowed: &[#(#allowed),*],
            value_text: &[#(#value_text),*],
            default: #default,
            min: #min,
            max: #max,
            media_uris: #media_uris,
            body_shape: crate::runtime::BodyShape::#shape,
            text: #text,
        }
    }
}

fn optional_str(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(Some(#text)),
        None => quote!(None),
    }
}

pub fn emit(api: &Api) -> TokenStream {
    // A builder holds its operation's row (`Builder::INFO`) and the table names it, so
    // that an operation added to the spec changes the generated code where it is added
    // only, rather than shifting table indices through every resource module.
    let mut rows = Vec::new();
    for resource in &api.resources {
        let module = format_ident!("{}", resources::module_name(resource));
        for op in &resource.operations {
            rows.push(if resources::callable(op) {
                let builder = resources::builder_name(resource, op);
                quote!(super::#module::#builder::INFO)
            } else {
                row(op)
            });
        }
    }
    let summaries = api.resources.iter().map(|resource| {
        let name = &resource.name;
        let summary = resource.text.as_ref().map_or("", |t| t.summary.trim());
        quote!((#name, #summary))
    });
    let checks = response_checks(api);
    let every = every_operation(api);
    quote! {
        /// Every operation of the spec, in spec order.
        pub static OPERATIONS: &[crate::runtime::OperationInfo] = &[#(#rows),*];
        /// Each resource's name with what it is, in one sentence (the SDK's text).
        pub static RESOURCE_SUMMARIES: &[(&str, &str)] = &[#(#summaries),*];
        #checks
        #every
    }
}

/// `check_response(type, body)` (behind ari-sdk's `testing` feature, like
/// [`every_operation`]: users' builds do not pay for it): decodes a body as an operation's response type, for
/// tools and tests that hold an operation row rather than a typed builder.
fn response_checks(api: &Api) -> TokenStream {
    let mut seen: Vec<String> = Vec::new();
    let mut arms = Vec::new();
    for op in api.operations() {
        if matches!(op.response, TypeRef::Void | TypeRef::Binary) || op.websocket {
            continue;
        }
        let text = super::docs::type_text(&op.response);
        if seen.contains(&text) {
            continue;
        }
        seen.push(text.clone());
        let ty = value_type(&op.response);
        arms.push(quote! {
            #text => crate::runtime::decode_json::<#ty>(#text, crate::runtime::Bytes::copy_from_slice(body).into()).map(|_| ()),
        });
    }
    quote! {
        /// Decodes `body` as the response type named like [`OperationInfo::response`]
        /// (`Channel`, `List[Bridge]`, ...); `None` for `void`, `binary` and unknown names.
        /// For tests and tools: only with ari-sdk's `testing` feature.
        ///
        /// [`OperationInfo::response`]: crate::runtime::OperationInfo::response
        #[cfg(feature = "testing")]
        pub fn check_response(response: &str, body: &[u8]) -> Option<crate::Result<()>> {
            Some(match response {
                #(#arms)*
                _ => return None,
            })
        }
    }
}

/// `every_operation(client)`: one request per callable operation, made through the
/// resource accessors with placeholder arguments. The coverage test sends them all.
fn every_operation(api: &Api) -> TokenStream {
    let mut calls = Vec::new();
    for resource in &api.resources {
        let accessor = super::root::accessor_method(api, resource);
        let methods = resources::accessor_methods(resource);
        for op in resource
            .operations
            .iter()
            .filter(|o| super::resources::callable(o))
        {
            let method = &methods[&op.nickname];
            let name = op.qualified_name();
            let args: Vec<TokenStream> = op
                .params
                .iter()
                .filter(|p| p.required)
                .map(placeholder)
                .collect();
            // One statement per operation (not a `vec![...]` whose tokens the formatter
            // leaves unformatted): an added operation is a few added lines.
            calls.push(quote! {
                all.push((#name, {
                    let api = super::Api { client: client.clone() };
                    Box::pin(async move { api.#accessor().#method(#(#args),*).send().await.map(|_| ()) })
                }));
            });
        }
    }
    quote! {
        /// One request per callable operation, through the resource accessors, with
        /// placeholder arguments: `(operation name, request)`. For coverage tests: only
        /// with ari-sdk's `testing` feature.
        #[cfg(feature = "testing")]
        #[doc(hidden)]
        #[allow(clippy::vec_init_then_push)]
        pub fn every_operation(client: &crate::Client) -> Vec<(&'static str, crate::runtime::Pending<()>)> {
            let mut all: Vec<(&'static str, crate::runtime::Pending<()>)> = Vec::new();
            #(#calls)*
            all
        }
    }
}

fn placeholder(param: &Param) -> TokenStream {
    let one = |ty: &TypeRef| -> TokenStream {
        match ty {
            // A media URI must carry a scheme the SDK lets through.
            TypeRef::String if param.media_uris => {
                let value = format!("sound:{}-1", param.name);
                quote!(#value)
            }
            TypeRef::String | TypeRef::Enum(_) => {
                let value = param
                    .allowed
                    .as_ref()
                    .and_then(|v| v.first().cloned())
                    .unwrap_or_else(|| format!("{}-1", param.name));
                quote!(#value)
            }
            TypeRef::Int | TypeRef::Long => {
                let v = param
                    .range
                    .as_ref()
                    .and_then(|r| r.min)
                    .map_or(1i64, |m| m as i64);
                quote!(#v)
            }
            TypeRef::Double => quote!(1.0),
            TypeRef::Boolean => quote!(true),
            TypeRef::Date => {
                quote!(crate::Timestamp::parse("2020-01-01T00:00:00.000+0000").expect("valid"))
            }
            TypeRef::Object => quote!(serde_json::Value::Null),
            TypeRef::Containers => quote!([("key", "value")]),
            other => {
                let ty = value_type(other);
                quote!(serde_json::from_value::<#ty>(serde_json::json!({})).expect("placeholder model"))
            }
        }
    };
    if param.location == ParamLocation::Path {
        let value = format!("{}-1", param.name);
        return quote!(#value);
    }
    match (&param.ty, param.multiple) {
        (TypeRef::List(inner), _) => {
            let v = one(inner);
            quote!([#v])
        }
        (TypeRef::Containers, _) => one(&param.ty),
        (ty, true) => {
            let v = one(ty);
            quote!([#v])
        }
        (ty, false) => one(ty),
    }
}
