//! Models (plain structs) and enums from allowed-value lists.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs;
use super::types::{type_ident, value_type};
use crate::ir::{Api, EnumDef, Field, TypeRef};
use crate::names;

pub fn emit(api: &Api) -> TokenStream {
    let models = api.models.iter().map(|m| {
        let lines = docs::model(
            m.text.as_ref(),
            m.description.as_deref(),
            format!("ARI model `{}` ({}).", m.name, m.file),
        );
        let doc = docs::attrs(&lines);
        let name = type_ident(&m.name);
        let fields = struct_fields(&m.name, &m.fields);
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            pub struct #name { #fields }
        }
    });
    let enums = api.enums.iter().map(enum_def);
    quote! {
        #(#models)*
        #(#enums)*
    }
}

/// Fields of a struct, with the serde attributes of the decoding rule (see ari-sdk docs):
/// optional -> `Option`; required with a natural empty value -> default when absent;
/// required date -> `Option` too (older servers omit e.g. `Bridge.creationtime`);
/// required model or enum -> must be present.
pub fn struct_fields(owner: &str, fields: &[Field]) -> TokenStream {
    let mut used: Vec<String> = Vec::new();
    let items = fields.iter().map(|f| {
        let mut ident_text = names::snake_ident(&f.name).expect("validated by ir");
        while used.contains(&ident_text) {
            ident_text.push('_');
        }
        used.push(ident_text.clone());
        let ident = super::types::ident(&ident_text);
        let doc = docs::attrs(&docs::field(f));
        let mut ty = value_type(&f.ty);
        if f.ty == TypeRef::Model(owner.to_owned()) {
            ty = quote!(Box<#ty>);
        }
        let bare = ident_text.trim_start_matches("r#");
        let wire = f.name.as_str();
        let rename = if bare != wire {
            quote!(#[serde(rename = #wire)])
        } else {
            quote!()
        };
        if !f.required || f.ty == TypeRef::Date {
            quote! {
                #doc
                #rename
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub #ident: Option<#ty>,
            }
        } else if f.ty.has_empty_value() {
            quote! {
                #doc
                #rename
                #[serde(default)]
                pub #ident: #ty,
            }
        } else {
            quote! {
                #doc
                #rename
                pub #ident: #ty,
            }
        }
    });
    quote!(#(#items)*)
}

fn enum_def(e: &EnumDef) -> TokenStream {
    let name = type_ident(&e.name);
    let variants = names::variant_names(&e.values);
    let idents: Vec<_> = variants
        .iter()
        .map(|v| quote::format_ident!("{}", v))
        .collect();
    let values = &e.values;
    let variant_docs = values.iter().map(|v| match e.value_text.get(v) {
        Some(text) => format!(" `{}`: {}", docs::escape(v), docs::ours_inline(text)),
        None => format!(" `{}`", docs::escape(v)),
    });
    let doc = docs::attrs(&[
        format!("Allowed values of {}.", e.origin),
        String::new(),
        "`Other` keeps any value a newer Asterisk sends; conversions from `&str` never fail."
            .to_owned(),
    ]);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #idents, )*
            /// A value this version of the spec does not list, kept as sent.
            Other(String),
        }
        impl #name {
            /// Every value the spec lists.
            pub const KNOWN: &'static [#name] = &[#(#name::#idents),*];
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #name::#idents => #values, )*
                    #name::Other(value) => value,
                }
            }
        }
        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => #name::#idents, )*
                    other => #name::Other(other.to_owned()),
                }
            }
        }
        crate::runtime::wire_enum_impls!(#name);
    }
}
