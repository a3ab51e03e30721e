//! Turns every guide example that needs a server (a `no_run` block of
//! `ari-sdk/src/guide/*.md` built around `async fn run(client: ari_sdk::Client)`) into a test
//! of `tests/guide_examples.rs`, which runs it on the simulator (and on a real Asterisk when
//! `ARI_E2E_URL` is set). The guide stays the one copy of its examples.

use std::fmt::Write;
use std::path::Path;

#[path = "tests/support/markdown.rs"]
mod markdown;

/// The hidden first line of a server example in the guide.
const RUN_SIGNATURE: &str = "async fn run(client: ari_sdk::Client)";

fn main() {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ari-sdk/src/guide");
    println!("cargo::rerun-if-changed={}", guide.display());
    let mut chapters: Vec<_> = std::fs::read_dir(&guide)
        .expect("ari-sdk/src/guide")
        .map(|entry| entry.expect("a guide entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    chapters.sort();
    let mut out = String::new();
    for chapter in chapters {
        println!("cargo::rerun-if-changed={}", chapter.display());
        let name = chapter.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&chapter).expect("a guide chapter");
        for (index, (line, code)) in server_examples(&text).into_iter().enumerate() {
            let test = format!("{name}_{}", index + 1);
            writeln!(
                out,
                "mod {test} {{\n{code}\n\
                 /// The example's `run` (private to the module its code is in), boxed.\n\
                 pub(crate) fn entry(client: ari_sdk::Client) -> crate::ExampleRun {{\n    \
                 Box::pin(run(client))\n}}\n}}\n\
                 #[tokio::test(flavor = \"multi_thread\")]\n\
                 async fn {test}_runs() {{\n    \
                 crate::run_example(\"{name}.md line {line}\", {test}::entry).await;\n}}\n"
            )
            .unwrap();
        }
    }
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("guide_examples.rs");
    std::fs::write(target, out).expect("write guide_examples.rs");
}

/// The `no_run` Rust blocks whose code defines `run(client)`, as compiled code (rustdoc's
/// hidden-line marks removed), each with the line of its opening fence.
fn server_examples(text: &str) -> Vec<(usize, String)> {
    markdown::fenced_blocks(text)
        .into_iter()
        .filter(|block| block.info.starts_with("rust") && block.info.contains("no_run"))
        .map(|block| {
            let code: String = block.lines.iter().map(|l| unhide(l) + "\n").collect();
            (block.line, code)
        })
        .filter(|(_, code)| code.contains(RUN_SIGNATURE))
        .collect()
}

/// A line as rustdoc compiles it: `# x` and a lone `#` are hidden lines, `##` a literal `#`.
fn unhide(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let rest = line.trim_start();
    if rest == "#" {
        String::new()
    } else if let Some(code) = rest.strip_prefix("# ") {
        format!("{indent}{code}")
    } else if let Some(code) = rest.strip_prefix("##") {
        format!("{indent}#{code}")
    } else {
        line.to_string()
    }
}
