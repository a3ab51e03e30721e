//! The README's tour is the code of `ari-sdk/examples/readme.rs`, which `cargo test`
//! compiles: the two cannot drift apart.

use std::path::Path;

#[test]
fn the_readme_tour_is_the_compiled_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let example =
        std::fs::read_to_string(root.join("ari-sdk/examples/readme.rs")).expect("readme.rs");
    let tour = &readme[readme
        .find("## A tour of the SDK")
        .expect("the tour section")..];
    let start = tour.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let block = &tour[start..start + tour[start..].find("```").expect("block end")];
    let code: String = example
        .lines()
        .skip_while(|line| line.starts_with("//!") || line.is_empty())
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        block, code,
        "README tour differs from ari-sdk/examples/readme.rs"
    );
}
