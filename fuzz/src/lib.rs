//! What the fuzz targets share: the Asterisk 22 api-docs, built in, and the checks made
//! on whatever the code generator answers.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use ari_codegen::{Settings, Spec, SpecError};

/// The Asterisk 22 api-docs (`api-docs/22` of this repository), by file name, read once.
/// The fuzz targets run from a checkout, so the files are read rather than embedded.
pub fn api_docs() -> &'static BTreeMap<String, String> {
    static DOCS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs/22");
        let mut docs = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("api-docs/22 of the checkout") {
            let path = entry.expect("a readable folder").path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("a file name");
                let text = std::fs::read_to_string(&path).expect("a readable file");
                docs.insert(name.to_owned(), text);
            }
        }
        assert!(
            docs.contains_key("resources.json"),
            "api-docs/22 is complete"
        );
        docs
    })
}

/// Parses, resolves and generates a spec whose listing is `listing` and whose files are
/// read by `read`. Panics (a finding) when the generator panics, when an error names no
/// file of the spec, or when the generated code does not parse.
pub fn check_spec(listing: &str, read: impl Fn(&str) -> Option<String>) {
    let asked = RefCell::new(BTreeSet::from(["resources.json".to_owned()]));
    let result = Spec::from_documents(listing, |name| {
        assert!(
            !name.contains(['/', '\\']) && !name.starts_with('.'),
            "the loader was asked for `{name}`"
        );
        asked.borrow_mut().insert(name.to_owned());
        read(name).ok_or_else(|| SpecError::new(name, "", "no such file"))
    })
    .and_then(|spec| ari_codegen::generate(&spec, &Settings::default()));
    if let Err(error) = result {
        assert!(
            asked.borrow().contains(&error.file),
            "the error names `{}`, not a file of the spec: {error}",
            error.file
        );
        assert!(
            !error.message.contains("generator bug"),
            "generated code does not parse: {error}"
        );
    }
}
