//! Code blocks of Markdown documents, and whether a source file holds one line for line:
//! how the README's and the guide's examples are tied to code that compiles.
#![allow(dead_code)]

/// The fenced blocks whose info string starts with `rust` and passes `wanted` (e.g.
/// `|info| info.contains("ignore")`), each as its non-empty lines, trimmed.
pub fn rust_blocks(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        match &mut current {
            None => {
                if let Some(info) = trimmed.strip_prefix("```")
                    && info.starts_with("rust")
                    && wanted(info)
                {
                    current = Some(Vec::new());
                }
            }
            Some(_) if trimmed.starts_with("```") => blocks.push(current.take().unwrap()),
            Some(block) if !trimmed.is_empty() => block.push(trimmed),
            Some(_) => {}
        }
    }
    blocks
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
