//! Code blocks of Markdown documents, and whether a source file holds one line for line:
//! how the README's and the guide's examples are tied to code that compiles (the tests and
//! `tests/build.rs` read blocks through here).
#![allow(dead_code)]

/// One fenced block: its info string (`rust,no_run`), the line of its opening fence
/// (1-based) and its lines as written.
pub struct Fenced<'a> {
    pub info: &'a str,
    pub line: usize,
    pub lines: Vec<&'a str>,
}

/// Every fenced (```) block of `text`, in order.
pub fn fenced_blocks(text: &str) -> Vec<Fenced<'_>> {
    let mut blocks = Vec::new();
    let mut current: Option<Fenced<'_>> = None;
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(info)) => {
                current = Some(Fenced {
                    info: info.trim(),
                    line: index + 1,
                    lines: Vec::new(),
                })
            }
            (None, None) => {}
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some(block), None) => block.lines.push(line),
        }
    }
    blocks
}

/// The fenced blocks whose info string starts with `rust` and passes `wanted` (e.g.
/// `|info| info.contains("ignore")`), each as its non-empty lines, trimmed.
pub fn rust_blocks(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<Vec<&str>> {
    fenced_blocks(text)
        .into_iter()
        .filter(|block| block.info.starts_with("rust") && wanted(block.info))
        .map(|block| {
            block
                .lines
                .into_iter()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect()
        })
        .collect()
}

/// Whether `source` has `block`'s lines in a row (trimmed, blank lines ignored).
pub fn holds(source: &str, block: &[&str]) -> bool {
    let lines: Vec<&str> = source
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    block.is_empty() || lines.windows(block.len()).any(|window| window == block)
}
