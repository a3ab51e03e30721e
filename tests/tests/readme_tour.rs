//! The README's tour is the code of `ari-sdk/examples/readme.rs`, which `cargo test`
//! compiles: the two cannot drift apart.

use std::path::Path;

#[path = "support/markdown.rs"]
mod markdown;

#[test]
fn the_readme_tour_is_the_compiled_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let example =
        std::fs::read_to_string(root.join("ari-sdk/examples/readme.rs")).expect("readme.rs");
    let tour = &readme[readme
        .find("## A tour of the SDK")
        .expect("the tour section")..];
    let blocks = markdown::rust_blocks(tour, |_| true);
    let block = blocks.first().expect("a rust block in the tour");
    // The whole example after its `//!` header, line for line (blank lines aside).
    let code: Vec<&str> = example
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(
        *block, code,
        "README tour differs from ari-sdk/examples/readme.rs"
    );
}
