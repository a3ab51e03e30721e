//! The emitter's reserved names ([`ari_codegen::emit::reserved`]) hold everything the
//! hand-written runtime and the generator's fixed code really define: this test reads
//! `ari-sdk/src` and a generated builder with `syn` and fails when a name is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ari_codegen::emit::reserved;

fn sdk_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../ari-sdk/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "ari-sdk/src read: {files:?}");
    files
}

fn parse(path: &Path) -> syn::File {
    syn::parse_file(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Items of a file, inline modules included.
fn items(file: &syn::File) -> Vec<&syn::Item> {
    let mut out = Vec::new();
    let mut stack: Vec<&syn::Item> = file.items.iter().collect();
    while let Some(item) = stack.pop() {
        if let syn::Item::Mod(m) = item {
            if let Some((_, inner)) = &m.content {
                stack.extend(inner);
            }
        }
        out.push(item);
    }
    out
}

/// The last path segment of an impl's type: `Client`, `ChannelHandle`, `Call`.
fn self_type(imp: &syn::ItemImpl) -> Option<String> {
    match imp.self_ty.as_ref() {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Methods of inherent impls whose type `select` picks, across ari-sdk/src.
fn runtime_methods(select: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let mut methods = BTreeSet::new();
    for path in sdk_sources() {
        let file = parse(&path);
        for item in items(&file) {
            let syn::Item::Impl(imp) = item else { continue };
            if imp.trait_.is_some() || !self_type(imp).is_some_and(|t| select(&t)) {
                continue;
            }
            for inner in &imp.items {
                if let syn::ImplItem::Fn(f) = inner {
                    methods.insert(f.sig.ident.to_string());
                }
            }
        }
    }
    methods
}

fn missing(defined: &BTreeSet<String>, reserved: &[&str]) -> Vec<String> {
    defined
        .iter()
        .filter(|m| !reserved.contains(&m.as_str()))
        .cloned()
        .collect()
}

#[test]
fn every_client_method_of_the_runtime_is_reserved() {
    let defined = runtime_methods(|t| t == "Client");
    for known in ["transport", "send", "raw"] {
        assert!(defined.contains(known), "{known} not found in {defined:?}");
    }
    let missing = missing(&defined, reserved::CLIENT_METHODS);
    assert!(
        missing.is_empty(),
        "methods ari-sdk/src defines on Client that generated accessors could take; add \
         them to emit::reserved::CLIENT_METHODS: {missing:?}"
    );
}

#[test]
fn every_handle_method_of_the_runtime_is_reserved() {
    // Handles are generated (`ChannelHandle`); the runtime may add methods to any of them.
    let defined = runtime_methods(|t| t.ends_with("Handle"));
    assert!(defined.contains("wait_for_hangup"), "{defined:?}");
    let missing = missing(&defined, reserved::HANDLE_METHODS);
    assert!(
        missing.is_empty(),
        "methods ari-sdk/src defines on handles that operations could take; add them to \
         emit::reserved::HANDLE_METHODS: {missing:?}"
    );
}

#[test]
fn every_public_type_at_the_crate_root_is_reserved() {
    let lib = parse(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../ari-sdk/src/lib.rs"));
    let mut names = BTreeSet::new();
    fn walk(tree: &syn::UseTree, names: &mut BTreeSet<String>) {
        match tree {
            syn::UseTree::Path(p) => walk(&p.tree, names),
            syn::UseTree::Name(n) => {
                names.insert(n.ident.to_string());
            }
            syn::UseTree::Rename(r) => {
                names.insert(r.rename.to_string());
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| walk(t, names)),
            syn::UseTree::Glob(_) => {}
        }
    }
    for item in &lib.items {
        match item {
            syn::Item::Use(u) if matches!(u.vis, syn::Visibility::Public(_)) => {
                walk(&u.tree, &mut names)
            }
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                names.insert(s.ident.to_string());
            }
            syn::Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                names.insert(e.ident.to_string());
            }
            syn::Item::Type(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                names.insert(t.ident.to_string());
            }
            syn::Item::Trait(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                names.insert(t.ident.to_string());
            }
            _ => {}
        }
    }
    // Types only: constants and functions do not share a namespace with models.
    names.retain(|n| {
        n.starts_with(|c: char| c.is_ascii_uppercase()) && n.chars().any(|c| c.is_ascii_lowercase())
    });
    assert!(
        names.contains("Client") && names.contains("Transport"),
        "{names:?}"
    );
    let missing = missing(&names, reserved::ROOT_TYPES);
    assert!(
        missing.is_empty(),
        "types ari-sdk's crate root defines that a model could shadow; add them to \
         emit::reserved::ROOT_TYPES: {missing:?}"
    );
}

#[test]
fn every_fixed_method_of_a_generated_builder_is_reserved() {
    // The methods every builder of the quirks spec has (the types that are `IntoFuture`)
    // are the ones the generator writes into every builder.
    let things =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/quirks/expected/things.rs");
    let file = parse(&things);
    let builders: BTreeSet<String> = items(&file)
        .into_iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp)
                if imp.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|s| s.ident == "IntoFuture")
                }) =>
            {
                self_type(imp)
            }
            _ => None,
        })
        .collect();
    assert!(builders.len() > 2, "{builders:?}");
    let mut common: Option<BTreeSet<String>> = None;
    for builder in &builders {
        let mut methods = BTreeSet::new();
        for item in items(&file) {
            let syn::Item::Impl(imp) = item else { continue };
            if imp.trait_.is_none() && self_type(imp).as_ref() == Some(builder) {
                for inner in &imp.items {
                    if let syn::ImplItem::Fn(f) = inner {
                        methods.insert(f.sig.ident.to_string());
                    }
                }
            }
        }
        methods.insert("into_future".to_owned());
        common = Some(match common {
            None => methods,
            Some(c) => c.intersection(&methods).cloned().collect(),
        });
    }
    let defined = common.unwrap();
    for expected in ["new", "send", "send_full", "request_timeout", "into_future"] {
        assert!(defined.contains(expected), "{expected} not in {defined:?}");
    }
    let missing = missing(&defined, reserved::BUILDER_METHODS);
    assert!(
        missing.is_empty(),
        "methods of every generated builder that setters could take; add them to \
         emit::reserved::BUILDER_METHODS: {missing:?}"
    );
}
