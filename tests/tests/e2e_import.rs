//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): the importer.
//! `ari-codegen import --from <live URL>` (here its library: `import::fetch` then
//! `import::normalize`) must reproduce `api-docs/22`, imported from 22.10.1, byte for
//! byte; when it does not, the failure lists each file and line that differs.

mod e2e;

use std::collections::BTreeSet;
use std::path::Path;

use ari_codegen::import;

/// Where the committed line-22 api-docs are.
fn committed() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs/22")
}

/// What differs between two texts, line by line (at most `most` lines).
fn line_differences(name: &str, want: &str, got: &str, most: usize) -> Vec<String> {
    let want: Vec<&str> = want.lines().collect();
    let got: Vec<&str> = got.lines().collect();
    let mut out = Vec::new();
    for line in 0..want.len().max(got.len()) {
        let (w, g) = (want.get(line), got.get(line));
        if w != g {
            out.push(format!(
                "{name}:{}: committed {:?}, imported {:?}",
                line + 1,
                w.unwrap_or(&"<end of file>"),
                g.unwrap_or(&"<end of file>")
            ));
            if out.len() == most {
                out.push(format!("{name}: ... (first {most} differing lines shown)"));
                break;
            }
        }
    }
    out
}

/// Imports the live server's api-docs and lists how they differ from `api-docs/22`:
/// files on one side only, then the differing lines of each file.
async fn import_differences(asterisk: e2e::Asterisk) -> Vec<String> {
    // ureq blocks: off the runtime.
    let docs = tokio::task::spawn_blocking(move || {
        let spec = import::fetch(
            &asterisk.url,
            Some((asterisk.user.as_str(), asterisk.password.as_str())),
        )
        .unwrap_or_else(|e| panic!("fetching the live api-docs: {e}"));
        import::normalize(&spec).unwrap_or_else(|e| panic!("normalizing: {e}"))
    })
    .await
    .expect("the import");

    let dir = committed();
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("api-docs/22")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".json"))
        .collect();
    let imported: BTreeSet<String> = docs.keys().cloned().collect();
    assert_eq!(imported.len(), 12, "resources.json and 11 declarations");
    let mut problems = Vec::new();
    for name in on_disk.difference(&imported) {
        problems.push(format!("{name}: committed, not served by the live server"));
    }
    for name in imported.difference(&on_disk) {
        problems.push(format!("{name}: served by the live server, not committed"));
    }
    for name in on_disk.intersection(&imported) {
        let want = std::fs::read_to_string(dir.join(name)).expect("a committed file");
        let got = &docs[name];
        if want != *got {
            let lines = line_differences(name, &want, got, 20);
            if lines.is_empty() {
                problems.push(format!("{name}: same lines, different bytes (line ends?)"));
            }
            problems.extend(lines);
        }
    }
    problems
}

/// `ari-codegen import --from <live URL>` reproduces `api-docs/22` byte for byte, however
/// the server is reached: Asterisk writes the request's Host into `basePath`, which the
/// importer brings back to the host of Asterisk's own files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_live_server_reproduces_api_docs_22_byte_for_byte() {
    let Some(asterisk) = e2e::asterisk("import from the live server, byte for byte") else {
        return;
    };
    let problems = import_differences(asterisk).await;
    assert!(
        problems.is_empty(),
        "the live import differs from api-docs/22:\n{}",
        problems.join("\n")
    );
}

#[test]
fn line_differences_name_the_file_and_line() {
    assert!(line_differences("a.json", "x\ny\n", "x\ny\n", 5).is_empty());
    assert_eq!(
        line_differences("a.json", "x\ny\n", "x\nz\nw\n", 5),
        [
            r#"a.json:2: committed "y", imported "z""#,
            r#"a.json:3: committed "<end of file>", imported "w""#
        ]
    );
}
