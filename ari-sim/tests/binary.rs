//! The `ari-sim` binary as a user starts it.

/// The binary runs under glibc's tunable for a larger per-thread malloc cache (set by
/// restarting itself, the same process id), keeps tunables it was given, and leaves a
/// cache size it was given alone.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_runs_with_a_larger_malloc_cache_unless_told_otherwise() {
    let cases = [
        (None, "glibc.malloc.tcache_count=1000"),
        (
            Some("glibc.malloc.arena_max=2"),
            "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=1000",
        ),
        (
            Some("glibc.malloc.tcache_count=7"),
            "glibc.malloc.tcache_count=7",
        ),
    ];
    for (given, expected) in cases {
        assert_eq!(
            tunables_of_a_running_simulator(given),
            expected,
            "given {given:?}"
        );
    }
    // The README states the setting; the value is the one the binary was seen to run with.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let stated = format!("`GLIBC_TUNABLES={}`", cases[0].1);
    assert!(readme.contains(&stated), "the README states {stated}");
}

/// Starts the binary, waits until it listens, and reads `GLIBC_TUNABLES` from its
/// environment as the kernel has it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tunables_of_a_running_simulator(given: Option<&str>) -> String {
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ari-sim"));
    command.args(["--listen", &format!("127.0.0.1:{port}")]);
    command.env_remove("GLIBC_TUNABLES");
    if let Some(given) = given {
        command.env("GLIBC_TUNABLES", given);
    }
    let mut child = command.spawn().expect("start ari-sim");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "ari-sim listens on {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let environ = std::fs::read(format!("/proc/{}/environ", child.id()));
    let _ = child.kill();
    let _ = child.wait();
    let environ = environ.expect("the running simulator's environment");
    // glibc parses the tunables in place, ending each at its `:` with a NUL, so in the
    // kernel's copy the ones after the first read as entries of their own.
    let mut entries = environ.split(|b| *b == 0).map(String::from_utf8_lossy);
    let Some(first) = entries.find_map(|e| e.strip_prefix("GLIBC_TUNABLES=").map(str::to_owned))
    else {
        return String::new();
    };
    std::iter::once(first)
        .chain(
            entries
                .take_while(|e| e.starts_with("glibc."))
                .map(|e| e.into_owned()),
        )
        .collect::<Vec<_>>()
        .join(":")
}
