//! The `ari` binary run as a user runs it, against the simulator: arguments in, exit code,
//! standard output and standard error checked.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use ari_sim::Simulator;
use serde_json::Value;

/// Exit codes (see `ari --help`; `src/exit.rs` is the list).
const OK: i32 = 0;
const USAGE: i32 = 2;
const NOT_FOUND: i32 = 3;
const CONNECTION: i32 = 6;
const CREDENTIALS: i32 = 7;

/// A password that must never show in any output.
const SECRET: &str = "s3cret-never-shown";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.stdout))
    }
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The `ari` command with no settings from the environment or a config file.
fn ari(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ari"));
    for name in [
        "ARI_URL",
        "ARI_USER",
        "ARI_PASSWORD",
        "ARI_TRANSPORT",
        "ARI_PROFILE",
    ] {
        command.env_remove(name);
    }
    command.env("ARI_CONFIG", config).env("NO_COLOR", "1");
    command
}

/// Runs the binary in a blocking thread, so the simulator keeps serving meanwhile.
async fn run(mut command: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::task::spawn_blocking(move || command.stdin(Stdio::null()).output())
        .await
        .expect("the blocking task")
        .expect("ari runs");
    Run {
        code: status.code().expect("an exit code"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

struct Setup {
    sim: Simulator,
    config: PathBuf,
    _dir: TempDir,
}

impl Setup {
    async fn new() -> Setup {
        let sim = Simulator::start().await.expect("the simulator starts");
        let dir = TempDir::new();
        let config = dir.0.join("config.toml");
        // ARI_CONFIG names a file that must exist: an empty one has no profiles.
        std::fs::write(&config, "").expect("an empty config file");
        Setup {
            sim,
            config,
            _dir: dir,
        }
    }

    /// `ari` with the simulator's URL and user, the password from the environment.
    fn ari(&self, args: &[&str]) -> Command {
        let (user, password) = self.sim.credentials();
        let mut command = ari(&self.config);
        command
            .env("ARI_URL", self.sim.base_url())
            .env("ARI_USER", user)
            .env("ARI_PASSWORD", password)
            .args(args);
        command
    }

    async fn run(&self, args: &[&str]) -> Run {
        run(self.ari(args)).await
    }

    /// Originates a call to 7002 into application `app` with `extra` arguments; its id.
    async fn call(&self, app: &str, extra: &[&str]) -> String {
        let mut args = vec!["channels", "originate", "Local/7002@default", "--app", app];
        args.extend_from_slice(extra);
        let created = self.run(&args).await.expect(OK);
        created.json()["id"].as_str().expect("an id").to_owned()
    }

    /// Waits until an `ari events` started by the test registered application `app`.
    async fn wait_for_app(&self, app: &str) {
        let client = self.sim.client();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let quoted = format!("\"{app}\"");
        while !client
            .raw()
            .get("applications")
            .await
            .expect("applications")
            .to_string()
            .contains(&quoted)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "ari events never connected"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// A folder removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "ari-cli-test-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_from_originate_to_hangup_with_the_generated_commands() {
    let s = Setup::new().await;
    let ping = s.run(&["asterisk", "ping"]).await.expect(OK);
    assert_eq!(ping.json()["ping"], "pong", "piped output is compact JSON");
    assert_eq!(ping.stdout.lines().count(), 1);

    // The required parameter positional, an optional one as a flag, a map with --var.
    let id = s.call("cli", &["--var", "GREETING=hello there"]).await;

    let var = s
        .run(&["channels", "get-channel-var", &id, "--variable", "GREETING"])
        .await
        .expect(OK);
    assert_eq!(var.json()["value"], "hello there");

    let table = s.run(&["channels", "list", "-o", "table"]).await.expect(OK);
    let header = table.stdout.lines().next().expect("a header");
    assert!(
        header.starts_with("ID") && header.contains("STATE") && header.contains("AGE"),
        "{table:?}",
        table = table.stdout
    );
    assert!(table.stdout.contains(&id), "{}", table.stdout);

    // The same parameter as a flag instead of positional.
    s.run(&[
        "channels",
        "hangup",
        "--channel-id",
        &id,
        "--reason",
        "busy",
    ])
    .await
    .expect(OK);
    let gone = s.run(&["channels", "get", &id]).await.expect(NOT_FOUND);
    assert!(gone.stdout.is_empty());
    assert!(
        gone.stderr.contains("404") && gone.stderr.contains("Channel not found"),
        "the status and Asterisk's message: {}",
        gone.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_command_lines_are_usage_errors_that_say_what_is_wrong() {
    let s = Setup::new().await;
    let cases: &[(&[&str], &[&str])] = &[
        (&["channels", "lst"], &["list"]),
        (&["chanels", "list"], &["channels"]),
        (&["channels", "get"], &["channelId", "--channel-id"]),
        (
            &["channels", "hangup", "x", "--reason", "bogus"],
            &["bogus", "no_answer", "normal"],
        ),
        (
            &[
                "channels",
                "originate",
                "Local/1@default",
                "--timeout",
                "soon",
            ],
            &["soon", "not a whole number"],
        ),
        (
            &["channels", "play", "x", "hello-world"],
            &["not a media URI", "sound:"],
        ),
        (
            &["channels", "list", "-o", "xml"],
            &["xml", "json, pretty, table"],
        ),
        (&["raw", "GET", "channels", "[1]"], &["JSON object"]),
        (
            &["--profile", "nope", "asterisk", "ping"],
            &["profile `nope`"],
        ),
        (
            &["events", "app", "--type", "stasisend"],
            &["stasisend", "StasisEnd"],
        ),
        (&["raw", "GET", "/ari/channels"], &["under ARI's root"]),
        (
            &["asterisk", "ping", "--request-timeout", "soon"],
            &["whole number of seconds"],
        ),
    ];
    for (args, said) in cases {
        let out = s.run(args).await;
        assert_eq!(out.code, USAGE, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        for text in *said {
            assert!(
                out.stderr.contains(text),
                "{args:?} should say {text:?}: {}",
                out.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_and_wrong_credentials_have_their_own_codes_and_leak_nothing() {
    let s = Setup::new().await;
    let mut unreachable = ari(&s.config);
    unreachable.args([
        "--url",
        "http://127.0.0.1:1/ari",
        "--user",
        "hey",
        "--password",
        SECRET,
        "asterisk",
        "ping",
    ]);
    let out = run(unreachable).await.expect(CONNECTION);
    assert!(out.stderr.contains("127.0.0.1:1"), "{}", out.stderr);

    let mut wrong = ari(&s.config);
    wrong.env("ARI_URL", s.sim.base_url()).args([
        "--user",
        "hey",
        "--password",
        SECRET,
        "asterisk",
        "ping",
    ]);
    let out = run(wrong).await.expect(CREDENTIALS);
    assert!(
        out.stderr.contains("401") && out.stderr.contains("`hey`"),
        "{}",
        out.stderr
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(SECRET), "the password leaked: {text}");
    }

    let mut in_url = ari(&s.config);
    in_url.args([
        "--url",
        &format!("http://hey:{SECRET}@127.0.0.1:1/ari"),
        "asterisk",
        "ping",
    ]);
    let out = run(in_url).await.expect(USAGE);
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_of_the_config_file_give_the_settings() {
    let s = Setup::new().await;
    let (user, password) = s.sim.credentials();
    std::fs::write(
        &s.config,
        format!(
            "default_profile = \"broken\"\n\
             [profiles.lab]\nurl = \"{}\"\nuser = \"{user}\"\npassword = \"{password}\"\n\
             [profiles.broken]\nurl = \"http://127.0.0.1:1/ari\"\n",
            s.sim.base_url()
        ),
    )
    .expect("write the config");
    let mut lab = ari(&s.config);
    lab.args(["--profile", "lab", "asterisk", "ping"]);
    run(lab).await.expect(OK);
    let mut by_env = ari(&s.config);
    by_env.env("ARI_PROFILE", "lab").args(["asterisk", "ping"]);
    run(by_env).await.expect(OK);
    let mut default = ari(&s.config);
    default.args(["asterisk", "ping"]);
    run(default).await.expect(CONNECTION);
    // A profile named on the command line wins over the environment; ARI_PROFILE does not.
    let mut named = ari(&s.config);
    named
        .env("ARI_URL", "http://127.0.0.1:1/ari")
        .args(["--profile", "lab", "asterisk", "ping"]);
    run(named).await.expect(OK);
    let mut ambient = ari(&s.config);
    ambient
        .env("ARI_URL", "http://127.0.0.1:1/ari")
        .env("ARI_PROFILE", "lab")
        .args(["asterisk", "ping"]);
    run(ambient).await.expect(CONNECTION);
    let mut missing = ari(&s.config.with_file_name("missing.toml"));
    missing.args(["asterisk", "ping"]);
    let out = run(missing).await.expect(USAGE);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
    let mut unknown = ari(&s.config);
    unknown.args(["--profile", "prod", "asterisk", "ping"]);
    let out = run(unknown).await.expect(USAGE);
    assert!(
        out.stderr.contains("broken, lab"),
        "names the profiles there are: {}",
        out.stderr
    );
    assert!(!out.stderr.contains(password), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_and_the_websocket_transport() {
    let s = Setup::new().await;
    let info = s.run(&["raw", "get", "asterisk/info"]).await.expect(OK);
    assert!(info.json()["system"].is_object(), "{}", info.stdout);
    let created = s
        .run(&[
            "raw",
            "POST",
            "channels?endpoint=Local/7002@default&app=cli",
            r#"{"variables": {"X": "1"}}"#,
        ])
        .await
        .expect(OK);
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let listed = s
        .run(&["--transport", "websocket", "channels", "list"])
        .await
        .expect(OK);
    assert!(listed.stdout.contains(&id), "{}", listed.stdout);
    let missing = s
        .run(&["raw", "DELETE", "channels/nope"])
        .await
        .expect(NOT_FOUND);
    assert!(missing.stderr.contains("404"), "{}", missing.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_prints_json_lines_of_the_application() {
    let s = Setup::new().await;
    let mut events = s.ari(&["events", "cliapp", "--count", "1", "--type", "StasisStart"]);
    events.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = events.spawn().expect("ari events starts");
    // Wait until the application is registered, then send it a call.
    s.wait_for_app("cliapp").await;
    s.call("cliapp", &[]).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the blocking task")
        .expect("ari events ends after --count events");
    assert_eq!(out.status.code(), Some(OK));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["type"], "StasisStart");
    assert_eq!(lines[0]["application"], "cliapp");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connected as cliapp"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_scripts_know_commands_flags_and_allowed_values() {
    let s = Setup::new().await;
    for shell in ["bash", "zsh", "fish"] {
        let out = s.run(&["completion", shell]).await.expect(OK);
        for word in ["originate-with-id", "channel-id", "no_answer"] {
            assert!(out.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_shows_the_request_and_the_sdk_text() {
    let s = Setup::new().await;
    let out = s.run(&["channels", "hangup", "--help"]).await.expect(OK);
    assert!(
        out.stdout.contains("DELETE /channels/{channelId}"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("no_answer: No answer, cause 19."),
        "{}",
        out.stdout
    );
    let top = s.run(&["--help"]).await.expect(OK);
    assert!(
        top.stdout.contains("Exit codes:") && top.stdout.contains("  7  "),
        "{}",
        top.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_file_goes_to_standard_output_or_to_the_output_file() {
    let s = Setup::new().await;
    let id = s.call("cli", &[]).await;
    // The channel enters the application once answered; recording needs that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s
        .run(&[
            "channels", "record", &id, "--name", "clirec", "--format", "wav",
        ])
        .await
        .code
        != OK
    {
        assert!(std::time::Instant::now() < deadline, "never recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.run(&["recordings", "stop", "clirec"]).await.expect(OK);

    let mut piped = s.ari(&["recordings", "get-stored-file", "clirec"]);
    let piped = tokio::task::spawn_blocking(move || piped.stdin(Stdio::null()).output())
        .await
        .expect("the blocking task")
        .expect("ari runs");
    assert_eq!(piped.status.code(), Some(OK));
    assert!(
        piped.stdout.starts_with(b"RIFF"),
        "a WAV file on standard output"
    );

    let file = s.config.with_file_name("clirec.wav");
    s.run(&[
        "recordings",
        "get-stored-file",
        "clirec",
        "-o",
        file.to_str().expect("UTF-8"),
    ])
    .await
    .expect(OK);
    assert_eq!(
        std::fs::read(&file).expect("the file was written"),
        piped.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_draws_one_frame_with_once_and_needs_a_terminal_without() {
    let s = Setup::new().await;
    let id = s.call("cli", &["--caller-id", "Alice <200>"]).await;
    let frame = s.run(&["top", "--once"]).await.expect(OK);
    assert!(frame.stdout.starts_with("ari top"), "{}", frame.stdout);
    assert!(
        frame.stdout.contains(&id),
        "the call is listed: {}",
        frame.stdout
    );
    assert!(frame.stdout.contains("connected"), "{}", frame.stdout);
    assert!(
        frame.stdout.contains("q quit"),
        "the keys: {}",
        frame.stdout
    );
    let piped = s.run(&["top"]).await.expect(USAGE);
    assert!(piped.stderr.contains("--once"), "{}", piped.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_user_is_told_so_and_a_taken_over_event_stream_fails() {
    let s = Setup::new().await;
    let out = s
        .run(&[
            "--user",
            "ro",
            "--password",
            "ro",
            "channels",
            "originate",
            "Local/7002@default",
            "--app",
            "x",
        ])
        .await
        .expect(CREDENTIALS);
    assert!(
        out.stderr.contains("403") && out.stderr.contains("read-only"),
        "{}",
        out.stderr
    );

    let mut events = s.ari(&["events", "taken", "--json"]);
    let child = events
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ari events starts");
    s.wait_for_app("taken").await;
    let client = s.sim.client();
    // Another connection for the same application takes it over.
    let _other = client
        .events(["taken"])
        .connect()
        .await
        .expect("the second connection");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the blocking task")
        .expect("ari events ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(CONNECTION), "{stderr}");
    assert!(stderr.contains("event stream ended"), "{stderr}");
}
