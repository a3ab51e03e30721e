//! How long a run of `ari` takes, start to exit, as a user's shell sees it: the process
//! started, the command tree built from the operation table, the request sent to the
//! simulator (in this process), the answer printed. The baseline is the same binary asked
//! only for its version (process start and command tree, no connection), and a process
//! that does nothing (`true`) for the cost of starting any process on this machine.
//!
//! `cargo bench -p ari-cli --bench startup`

use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};

fn run(command: &mut Command) {
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the process runs");
    assert!(status.success(), "{command:?} failed");
}

fn startup(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = runtime
        .block_on(ari_sim::Simulator::start())
        .expect("the simulator starts");
    let (user, password) = sim.credentials();
    let config = std::env::temp_dir().join(format!("ari-bench-{}.toml", std::process::id()));
    std::fs::write(&config, "").expect("an empty config file");
    let ari = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ari"));
        command
            .env("ARI_CONFIG", &config)
            .env("ARI_URL", sim.base_url())
            .env("ARI_USER", user)
            .env("ARI_PASSWORD", password)
            .args(args);
        command
    };
    let mut group = c.benchmark_group("startup");
    group.bench_function("true (any process)", |b| {
        b.iter(|| run(&mut Command::new("true")))
    });
    group.bench_function("ari --version", |b| {
        b.iter(|| run(&mut ari(&["--version"])))
    });
    group.bench_function("ari asterisk ping", |b| {
        b.iter(|| run(&mut ari(&["asterisk", "ping"])))
    });
    group.bench_function("ari channels list", |b| {
        b.iter(|| run(&mut ari(&["channels", "list"])))
    });
    group.finish();
    let _ = std::fs::remove_file(&config);
}

criterion_group!(benches, startup);
criterion_main!(benches);
