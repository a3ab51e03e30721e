//! Event decoding on the recorded corpus (every line of `tests/fixtures/traces/*/events.jsonl`):
//!
//! - `ari_sdk_decode_event`: `ari_sdk::decode_event`, text frame -> typed `Event` (the SDK's path);
//! - `direct_struct`: each frame straight into its own struct, chosen in advance (the limit
//!   of a typed dispatch: "dispatch for free");
//! - `serde_json_value`: `serde_json::from_str::<serde_json::Value>`;
//! - `asterisk_rs_ari`: `serde_json::from_str::<asterisk_rs_ari::AriMessage>`, the other
//!   client's own typed decoding.
//!
//! One criterion iteration decodes the whole corpus; throughput is in bytes. After the
//! criterion group, an interleaved run of the four prints events/s, MB/s and the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ari_bench::{Corpus, Frame, corpus, quick_mode};
use criterion::{Criterion, Throughput};

type Pass = fn(&[Frame]) -> usize;

fn sdk(frames: &[Frame]) -> usize {
    frames
        .iter()
        .filter(|f| black_box(ari_sdk::decode_event(black_box(&f.text))).is_ok())
        .count()
}

fn direct(frames: &[Frame]) -> usize {
    frames
        .iter()
        .filter(|f| (f.direct)(black_box(&f.text)))
        .count()
}

fn value(frames: &[Frame]) -> usize {
    frames
        .iter()
        .filter(|f| {
            black_box(serde_json::from_str::<serde_json::Value>(black_box(
                &f.text,
            )))
            .is_ok()
        })
        .count()
}

fn asterisk_rs(frames: &[Frame]) -> usize {
    frames
        .iter()
        .filter(|f| {
            black_box(serde_json::from_str::<asterisk_rs_ari::AriMessage>(
                black_box(&f.text),
            ))
            .is_ok()
        })
        .count()
}

const PASSES: [(&str, Pass); 4] = [
    ("ari_sdk_decode_event", sdk),
    ("direct_struct", direct),
    ("serde_json_value", value),
    ("asterisk_rs_ari", asterisk_rs),
];

fn bench(c: &mut Criterion, corpus: &Corpus) {
    let mut group = c.benchmark_group("decode_events");
    group.throughput(Throughput::Bytes(corpus.bytes() as u64));
    for (name, pass) in PASSES {
        group.bench_function(name, |b| b.iter(|| pass(&corpus.frames)));
    }
    group.finish();
}

/// Median time of one pass over `frames` per decoder, from interleaved rounds.
fn medians(frames: &[Frame], reps: u32, rounds: usize) -> Vec<f64> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); PASSES.len()];
    for _ in 0..rounds {
        for (i, (_, pass)) in PASSES.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..reps {
                black_box(pass(frames));
            }
            times[i].push(t.elapsed().as_secs_f64() / f64::from(reps));
        }
    }
    times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// Interleaved rounds of every pass; the median time of one corpus pass per decoder.
fn summary(corpus: &Corpus) {
    let frames = &corpus.frames;
    let events = frames.len() as f64;
    let bytes = corpus.bytes() as f64;
    // Calibrate so that one timed batch of the slowest pass takes about 50 ms.
    let started = Instant::now();
    let mut reps = 0u32;
    while started.elapsed() < Duration::from_millis(50) {
        asterisk_rs(frames);
        reps += 1;
    }
    let rounds = 21;
    let median = medians(frames, reps, rounds);
    println!();
    println!(
        "decode summary: {} frames, {} event types, {} bytes (mean {:.0} B/frame); \
         median of {rounds} interleaved rounds x {reps} corpus passes",
        frames.len(),
        corpus.types(),
        corpus.bytes(),
        bytes / events
    );
    println!(
        "{:<22} {:>12} {:>10} {:>14} {:>8}",
        "decoder", "events/s", "MB/s", "ns/event", "decoded"
    );
    for (i, (name, pass)) in PASSES.iter().enumerate() {
        println!(
            "{:<22} {:>12.0} {:>10.1} {:>14.0} {:>4}/{}",
            name,
            events / median[i],
            bytes / median[i] / 1e6,
            median[i] / events * 1e9,
            pass(frames),
            frames.len()
        );
    }
    let speed = |i: usize| 1.0 / median[i];
    println!(
        "ratios of events/s: (a) sdk / (c) Value = {:.2}x; (a) sdk / (d) asterisk-rs-ari = {:.2}x; \
         (d) asterisk-rs-ari / (c) Value = {:.2}x; time (a) sdk / (b) direct struct = {:.3}x",
        speed(0) / speed(2),
        speed(0) / speed(3),
        speed(3) / speed(2),
        median[0] / median[1],
    );
    let (first, later): (Vec<Frame>, Vec<Frame>) =
        frames.iter().cloned().partition(Frame::type_first);
    for (what, subset) in [("`type` first", &first), ("`type` not first", &later)] {
        if subset.is_empty() {
            continue;
        }
        let share = subset.len() as f64 / frames.len() as f64;
        let reps = ((f64::from(reps) / share) as u32).max(1);
        let m = medians(subset, reps, rounds);
        let n = subset.len() as f64;
        println!(
            "frames with {what} ({} of {}): ns/event sdk {:.0}, direct {:.0}, Value {:.0}, asterisk-rs-ari {:.0}; \
             sdk / direct time = {:.3}x, sdk vs Value = {:.2}x, sdk vs asterisk-rs-ari = {:.2}x",
            subset.len(),
            frames.len(),
            m[0] / n * 1e9,
            m[1] / n * 1e9,
            m[2] / n * 1e9,
            m[3] / n * 1e9,
            m[0] / m[1],
            m[2] / m[0],
            m[3] / m[0],
        );
    }
}

fn main() {
    let corpus = corpus();
    let rejected: Vec<&str> = corpus
        .frames
        .iter()
        .filter(|f| serde_json::from_str::<asterisk_rs_ari::AriMessage>(&f.text).is_err())
        .map(|f| f.type_name.as_str())
        .collect();
    if !rejected.is_empty() {
        println!(
            "note: asterisk-rs-ari rejects {} of {} frames (types {:?}); they still count as decoded work",
            rejected.len(),
            corpus.frames.len(),
            {
                let mut t = rejected.clone();
                t.sort_unstable();
                t.dedup();
                t
            }
        );
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &corpus);
    criterion.final_summary();
    if !quick_mode() {
        summary(&corpus);
    }
}
