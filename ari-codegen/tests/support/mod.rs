//! Helpers of the tests that run the `ari-codegen` binary on copies of real specs.

#![allow(dead_code)] // each test file uses its own share

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ari-codegen"))
}

/// The repository's own api-docs of a line (facts only).
pub fn api_docs(line: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../api-docs")
        .join(line)
}

/// Upstream api-docs (prose included) when this machine has them: `ARI_UPSTREAM_API_DOCS`
/// or `shared/asterisk-api-docs` beside the repository.
pub fn upstream(release: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    [
        std::env::var_os("ARI_UPSTREAM_API_DOCS").map(PathBuf::from),
        Some(root.join("../shared/asterisk-api-docs")),
        Some(PathBuf::from("/work/shared/asterisk-api-docs")),
    ]
    .into_iter()
    .flatten()
    .map(|p| p.join(release))
    .find(|p| p.join("resources.json").is_file())
}

/// A fresh, empty folder for one test; removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ari-codegen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the files of a folder (specs and generated code are flat).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Every file of a folder, by name.
pub fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Removes the operations at `path` from a spec folder's `file` (e.g. to make the spec of
/// an older release).
pub fn remove_api(spec: &Path, file: &str, path: &str) {
    let file = spec.join(file);
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let apis = doc["apis"].as_array_mut().unwrap();
    let before = apis.len();
    apis.retain(|api| api["path"] != path);
    assert_eq!(
        apis.len(),
        before - 1,
        "{path} not found in {}",
        file.display()
    );
    std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// Runs the binary in `cwd`.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it differs.
pub fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}
