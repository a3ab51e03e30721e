//! RELIABILITY.md names, for each promise, the tests that prove it as `file::test`; this
//! test fails when a named file or test does not exist, so the document cannot rot.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every backquoted reference to a Rust file in `text`: `(file, Some(test))` for
/// `path/file.rs::test`, `(file, None)` for a bare `path/file.rs`.
fn references(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for (i, span) in text.split('`').enumerate() {
        // Odd pieces are inside backquotes.
        if i % 2 == 0 {
            continue;
        }
        let (file, test) = match span.split_once("::") {
            Some((file, test)) => (file, Some(test.to_owned())),
            None => (span, None),
        };
        if file.ends_with(".rs") && !file.contains(char::is_whitespace) {
            out.push((file.to_owned(), test));
        }
    }
    out
}

/// Whether `source` defines a test function `name`: `fn name(` preceded, among its
/// attributes, by `#[test]` or `#[tokio::test...]`.
fn defines_test(source: &str, name: &str) -> bool {
    let needle = format!("fn {name}(");
    source.match_indices(&needle).any(|(at, _)| {
        // The text before `fn` on its own line, and the lines above it.
        let (above, own_line) = source[..at]
            .rsplit_once('\n')
            .unwrap_or(("", &source[..at]));
        let own_ok = matches!(own_line.trim(), "" | "async" | "pub" | "pub async");
        // The function's attributes and doc comments: the lines just above it.
        let attributes: Vec<&str> = above
            .lines()
            .rev()
            .take_while(|line| {
                let line = line.trim();
                line.starts_with("#[") || line.starts_with("//")
            })
            .collect();
        own_ok
            && attributes
                .iter()
                .any(|a| a.trim() == "#[test]" || a.trim().starts_with("#[tokio::test"))
    })
}

#[test]
fn every_test_named_in_reliability_md_exists() {
    let root = repo_root();
    let doc = std::fs::read_to_string(root.join("RELIABILITY.md")).expect("RELIABILITY.md");
    let refs = references(&doc);
    let tests = refs.iter().filter(|(_, t)| t.is_some()).count();
    assert!(
        tests >= 50,
        "RELIABILITY.md names only {tests} tests as `file::test`: the parser or the document broke"
    );
    let mut problems = Vec::new();
    for (file, test) in &refs {
        let Ok(source) = std::fs::read_to_string(root.join(file)) else {
            problems.push(format!("`{file}` does not exist"));
            continue;
        };
        if let Some(test) = test {
            if !defines_test(&source, test) {
                problems.push(format!("`{file}` has no test `{test}`"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "RELIABILITY.md names what does not exist:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_tells_tests_from_other_functions() {
    let source = "\
#[test]
fn a_test() {}

/// Helper.
fn helper() {}

#[tokio::test(flavor = \"multi_thread\")]
async fn an_async_test() {}
";
    assert!(defines_test(source, "a_test"));
    assert!(defines_test(source, "an_async_test"));
    assert!(!defines_test(source, "helper"));
    assert!(!defines_test(source, "missing"));
    let refs = references("see `a/b.rs::t`, `c.rs`, `not code`, and `x::y`");
    assert_eq!(
        refs,
        [
            ("a/b.rs".to_owned(), Some("t".to_owned())),
            ("c.rs".to_owned(), None)
        ]
    );
}
