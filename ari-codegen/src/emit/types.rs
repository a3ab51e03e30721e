//! Rust types for IR types, and identifiers.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{BodyShape, Param, ParamLocation, TypeRef};
use crate::names;

/// An identifier from prepared text (`r#move` becomes a raw identifier).
pub fn ident(text: &str) -> Ident {
    match text.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(text, Span::call_site()),
    }
}

/// snake_case identifier for a wire name (validated by the IR).
pub fn snake(wire: &str) -> Ident {
    ident(&names::snake_ident(wire).expect("validated by ir"))
}

pub fn type_ident(name: &str) -> Ident {
    format_ident!(
        "{}",
        names::type_ident_of(name).unwrap_or_else(|| names::upper_camel(name))
    )
}

/// The Rust type of a value of this type, as seen from a sibling module of `models`.
pub fn value_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String),
        TypeRef::Int | TypeRef::Long => quote!(i64),
        TypeRef::Double => quote!(f64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Date => quote!(crate::Timestamp),
        TypeRef::Object => quote!(serde_json::Value),
        TypeRef::Containers => quote!(std::collections::BTreeMap<String, String>),
        TypeRef::Binary => quote!(crate::runtime::Bytes),
        TypeRef::Void => quote!(()),
        TypeRef::List(inner) => {
            let inner = value_type(inner);
            quote!(Vec<#inner>)
        }
        TypeRef::Model(name) | TypeRef::Enum(name) => {
            let name = type_ident(name);
            quote!(super::models::#name)
        }
    }
}

/// How a parameter is taken as a method argument, and stored into `call`.
pub struct ArgShape {
    /// The argument type, e.g. `impl Into<String>`.
    pub arg: TokenStream,
    /// Statement(s) that store the argument (the variable `arg`) into `call`.
    pub store: TokenStream,
}

/// Argument type of one element (not a list), and the conversion of `input` to the stored type.
fn element(ty: &TypeRef, input: TokenStream) -> (TokenStream, TokenStream) {
    match ty {
        TypeRef::String => (
            quote!(impl Into<String>),
            quote!(Into::<String>::into(#input)),
        ),
        TypeRef::Enum(_) => {
            let t = value_type(ty);
            (quote!(impl Into<#t>), quote!(Into::<#t>::into(#input)))
        }
        other => (value_type(other), input),
    }
}

fn is_scalar(ty: &TypeRef) -> bool {
    matches!(
        ty,
        TypeRef::String
            | TypeRef::Int
            | TypeRef::Long
            | TypeRef::Double
            | TypeRef::Boolean
            | TypeRef::Date
            | TypeRef::Enum(_)
    )
}

/// `arg` is the identifier the argument is bound to.
pub fn arg_shape(param: &Param, arg: &Ident) -> ArgShape {
    let name = param.name.as_str();
    let list_inner = match (&param.ty, param.multiple) {
        (TypeRef::List(inner), _) => Some(inner.as_ref().clone()),
        (other, true) => Some(other.clone()),
        _ => None,
    };
    let body = param.location == ParamLocation::Body;
    match (list_inner, &param.ty) {
        (None, TypeRef::Containers) => ArgShape {
            arg: quote!(impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>),
            store: if body && param.body_shape == BodyShape::AttributeList {
                quote!(call.body_attribute_list(#name, #arg);)
            } else if body && param.body_shape == BodyShape::Whole {
                quote!(call.body_map_whole(#arg);)
            } else if body {
                quote!(call.body_map(#name, #arg);)
            } else {
                quote!(call.query_map(#name, #arg);)
            },
        },
        // One string or several, through one runtime trait: `impl IntoIterator<Item = impl
        // Into<String>>` made rustc suggest `.chars()` for a single `&str`, which compiles
        // and sends one value per character.
        (Some(TypeRef::String), _) => {
            let check = param
                .media_uris
                .then(|| quote!(call.check_media(#name, &values);));
            let store = if body {
                quote!(call.body(#name, values);)
            } else {
                quote!(call.query_list(#name, values);)
            };
            ArgShape {
                arg: quote!(impl crate::IntoStrings),
                store: quote! {
                    let values = crate::IntoStrings::into_strings(#arg);
                    #check
                    #store
                },
            }
        }
        (Some(inner), _) => {
            let (elem, conv) = element(&inner, quote!(v));
            let iter = quote!(#arg.into_iter().map(|v| #conv));
            let store = if body {
                quote!(call.body(#name, #iter.collect::<Vec<_>>());)
            } else if is_scalar(&inner) {
                quote!(call.query_list(#name, #iter);)
            } else {
                quote!(call.query_json(#name, #iter.collect::<Vec<_>>());)
            };
            ArgShape {
                arg: quote!(impl IntoIterator<Item = #elem>),
                store,
            }
        }
        (None, ty) => {
            let (arg_ty, conv) = element(ty, quote!(#arg));
            let mut store = if body && param.body_shape == BodyShape::Whole {
                quote!(call.body_whole(#name, #conv);)
            } else if body {
                quote!(call.body(#name, #conv);)
            } else if is_scalar(ty) {
                quote!(call.query(#name, #conv);)
            } else {
                quote!(call.query_json(#name, #conv);)
            };
            if let (Some(range), TypeRef::Int | TypeRef::Long | TypeRef::Double) =
                (&param.range, ty)
            {
                let min = option_f64(range.min);
                let max = option_f64(range.max);
                store = quote!(call.check_range(#name, #arg as f64, #min, #max); #store);
            }
            ArgShape { arg: arg_ty, store }
        }
    }
}

fn option_f64(v: Option<f64>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}
