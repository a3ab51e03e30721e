//! The `ari` binary against a real Asterisk (`ARI_E2E_URL`, as the workspace's end-to-end
//! tests; `ARI_E2E_USER`/`ARI_E2E_PASSWORD`, default hey/peekaboo). Without the URL each test
//! prints `SKIPPED` and passes.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server {
    url: String,
    user: String,
    password: String,
}

fn server(test: &str) -> Option<Server> {
    let Some(url) = std::env::var("ARI_E2E_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("SKIPPED {test}: ARI_E2E_URL is not set");
        return None;
    };
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    Some(Server {
        url,
        user: var("ARI_E2E_USER", "hey"),
        password: var("ARI_E2E_PASSWORD", "peekaboo"),
    })
}

impl Server {
    fn ari(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ari"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ARI_CONFIG", empty_config())
            .env("ARI_URL", &self.url)
            .env("ARI_USER", &self.user)
            .env("ARI_PASSWORD", &self.password)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Runs `ari`; (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.ari(args).output().expect("ari runs");
        (
            out.status.code().expect("an exit code"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        stdout
    }
}

/// An empty config file (no profiles), so the user's own cannot change the settings.
fn empty_config() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("ari-cli-e2e-{}.toml", std::process::id()));
    std::fs::write(&path, "").expect("an empty config file");
    path
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn a_call_through_the_generated_commands_on_both_transports() {
    let Some(s) = server("a_call_through_the_generated_commands_on_both_transports") else {
        return;
    };
    assert_eq!(json(&s.ok(&["asterisk", "ping"]))["ping"], "pong");
    let id = format!("cli-e2e-{}", std::process::id());
    // Straight to the dialplan (7002 answers and waits): no application needed.
    let created = s.ok(&[
        "channels",
        "originate-with-id",
        &id,
        "Local/7002@default",
        "--extension",
        "7002",
        "--context",
        "default",
        "--var",
        "CLI_MARK=set by ari",
    ]);
    assert_eq!(json(&created)["id"], id.as_str());
    let table = s.ok(&["channels", "list", "-o", "table"]);
    assert!(table.lines().any(|l| l.starts_with(&id)), "{table}");
    let mark = s.ok(&["channels", "get-channel-var", &id, "--variable", "CLI_MARK"]);
    assert_eq!(json(&mark)["value"], "set by ari");
    let over_ws = s.ok(&["--transport", "websocket", "channels", "get", &id]);
    assert_eq!(json(&over_ws)["id"], id.as_str());
    s.ok(&["channels", "hangup", &id, "--reason", "normal"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, _, stderr) = s.run(&["channels", "get", &id]);
        if code == 3 {
            assert!(stderr.contains("404"), "{stderr}");
            break;
        }
        assert!(Instant::now() < deadline, "the channel stayed");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn errors_of_a_real_server_have_their_exit_codes() {
    let Some(s) = server("errors_of_a_real_server_have_their_exit_codes") else {
        return;
    };
    let (code, _, stderr) = s.run(&["bridges", "get", "no-such-bridge"]);
    assert_eq!(code, 3, "{stderr}");
    let (code, stdout, stderr) = s.run(&["--password", "not-the-password-xyz", "asterisk", "ping"]);
    assert_eq!(code, 7, "{stderr}");
    assert!(!stdout.contains("not-the-password-xyz") && !stderr.contains("not-the-password-xyz"));
}

#[test]
fn events_show_a_call_entering_the_application() {
    let Some(s) = server("events_show_a_call_entering_the_application") else {
        return;
    };
    let app = format!("cli-e2e-events-{}", std::process::id());
    let mut events = s.ari(&["events", &app, "--count", "1", "--type", "StasisStart"]);
    let child = events
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ari events starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s
        .ok(&["applications", "list"])
        .contains(&format!("\"{app}\""))
    {
        assert!(
            Instant::now() < deadline,
            "the application never registered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let created = s.ok(&["channels", "originate", "Local/7002@default", "--app", &app]);
    let id = json(&created)["id"].as_str().expect("an id").to_owned();
    let out = child
        .wait_with_output()
        .expect("ari events ends after one event");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = json(stdout.lines().next().unwrap_or_default());
    assert_eq!(line["type"], "StasisStart");
    assert_eq!(line["channel"]["id"], id.as_str());
    s.ok(&["channels", "hangup", &id]);
}
