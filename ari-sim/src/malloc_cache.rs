//! The simulator binary runs with a larger per-thread malloc cache under glibc.
//!
//! glibc keeps 7 freed blocks per size class and thread; past that, allocating and freeing
//! take the arena's lock and its slow path, whose cost grows with the heap. With thousands
//! of calls up, that made the simulator's CPU per call grow with the number of calls
//! (BENCHMARKS.md, "Load scenario"). The cache size is a tunable glibc reads only when a
//! process starts, so the binary starts itself over once with it set. A `GLIBC_TUNABLES`
//! that already names the tunable is left as it is (also the way to opt out:
//! `GLIBC_TUNABLES=glibc.malloc.tcache_count=7`, glibc's default).

/// Replaces this process with itself under the larger cache, unless it already runs with
/// the tunable set; returns (and the simulator runs as it is) when that cannot be done.
/// Call it before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn restart_with_larger_cache() {
    use std::os::unix::process::CommandExt;
    /// The tunable and the value the simulator runs with.
    const TUNABLE: &str = "glibc.malloc.tcache_count";
    const CACHED_BLOCKS: u32 = 1000;
    let current = std::env::var_os("GLIBC_TUNABLES");
    if let Some(set) = &current {
        if set.to_string_lossy().contains(TUNABLE) {
            return;
        }
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut tunables = match current {
        Some(mut set) if !set.is_empty() => {
            set.push(":");
            set
        }
        _ => Default::default(),
    };
    tunables.push(format!("{TUNABLE}={CACHED_BLOCKS}"));
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .exec();
    eprintln!("ari-sim: running with glibc's default malloc cache: cannot restart: {error}");
}

/// Other platforms' allocators have no such tunable.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn restart_with_larger_cache() {}
