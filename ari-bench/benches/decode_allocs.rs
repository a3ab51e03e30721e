//! Heap allocations per event, for each decoder of `decode.rs`, counted by a wrapping
//! global allocator (in a binary of its own so the counter never slows the timed benches).
//!
//! The difference between `ari_sdk_decode_event` and `direct_struct` is what the typed
//! dispatch allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use ari_bench::{Frame, corpus};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count(frames: &[Frame], decode: impl Fn(&Frame)) -> (f64, f64) {
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    for frame in frames {
        decode(frame);
    }
    let n = frames.len() as f64;
    (
        (ALLOCATIONS.load(Ordering::Relaxed) - a0) as f64 / n,
        (BYTES.load(Ordering::Relaxed) - b0) as f64 / n,
    )
}

fn main() {
    let corpus = corpus();
    let frames = &corpus.frames;
    type Decode = fn(&Frame);
    let decoders: [(&str, Decode); 4] = [
        ("ari_sdk_decode_event", |f| {
            black_box(ari_sdk::decode_event(&f.text).ok());
        }),
        ("direct_struct", |f| {
            black_box((f.direct)(&f.text));
        }),
        ("serde_json_value", |f| {
            black_box(serde_json::from_str::<serde_json::Value>(&f.text).ok());
        }),
        ("asterisk_rs_ari", |f| {
            black_box(serde_json::from_str::<asterisk_rs_ari::AriMessage>(&f.text).ok());
        }),
    ];
    println!(
        "allocations per event over {} frames ({} types)",
        frames.len(),
        corpus.types()
    );
    println!("{:<22} {:>12} {:>12}", "decoder", "allocs", "bytes");
    let mut per = Vec::new();
    for (name, decode) in decoders {
        let (allocs, bytes) = count(frames, decode);
        per.push(allocs);
        println!("{name:<22} {allocs:>12.2} {bytes:>12.0}");
    }
    println!(
        "typed dispatch allocates {:.2} per event beyond decoding into the known struct \
         (1 is the `Box` of the `Event` variant)",
        per[0] - per[1]
    );
    let (first, later): (Vec<Frame>, Vec<Frame>) =
        frames.iter().cloned().partition(Frame::type_first);
    for (what, subset) in [("`type` first", &first), ("`type` not first", &later)] {
        let (sdk, _) = count(subset, decoders[0].1);
        let (direct, _) = count(subset, decoders[1].1);
        println!(
            "frames with {what} ({}): sdk {sdk:.2} allocs/event, direct {direct:.2}, dispatch {:.2}",
            subset.len(),
            sdk - direct
        );
    }
}
