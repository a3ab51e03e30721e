//! The table of every operation: what tests, tools and the simulator read.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::Api;

/// Index of an operation in the emitted `OPERATIONS` table.
pub fn index_of(api: &Api, resource: &str, nickname: &str) -> usize {
    api.operations()
        .position(|o| o.resource == resource && o.nickname == nickname)
        .expect("operation from this api")
}

pub fn emit(api: &Api) -> TokenStream {
    let rows = api.operations().map(|op| {
        let resource = &op.resource;
        let nickname = &op.nickname;
        let name = op.qualified_name();
        let method = format_ident!("{}", match op.method.as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "DELETE" => "Delete",
            "PATCH" => "Patch",
            _ => "Head",
        });
        let path = &op.path;
        let since = &op.since;
        let errors = &op.error_statuses;
        let websocket = op.websocket;
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
            }
        }
    });
    quote! {
        /// Every operation of the spec, in spec order.
        pub static OPERATIONS: &[crate::runtime::OperationInfo] = &[#(#rows),*];
    }
}
