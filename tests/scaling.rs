//! The regression guard against accidental O(n²) in the read path: reading, summarising and
//! analysing twice the entries must cost at most about twice the work. Work is counted, not
//! timed (a timed test fails on a loaded machine and passes a slow change on a fast one): the
//! allocations and allocated bytes of the whole read, which grow with any per-entry copy of
//! what came before (a buffer re-copied on every chunk, an entry cloned into a growing list, a
//! re-parse of earlier entries), and the entries the reader hands out. A separate test binary:
//! the counting allocator is global to its process.
//!
//! What it does not see: a quadratic loop that allocates nothing (a linear search over all
//! events seen so far, say). `bench/run.sh` and the criterion benches (`crates/bench`) measure
//! time per entry on both trace profiles for that.

use agentcli::analysis::{AnalysisOptions, Analyzer};
use agentcli::read::TraceReader;
use agentcli::summary::summarize_from;
use agentcli_synth::{Profile, open_session};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counts allocations (and their bytes) while `COUNTING` is on, on every thread: the reader
/// parses on threads of its own.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: forwarded as received, to the allocator this one wraps.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, that is from `System`, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        }
        // SAFETY: as `dealloc`; `new_size` is the caller's, checked by `GlobalAlloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One session of about `bytes` in the real-mix profile, as the file logger writes it.
fn session(bytes: u64) -> Vec<u8> {
    open_session(bytes, Profile::Real, 3)
}

/// What reading `input` cost: (entries handed out, allocations, bytes allocated), reading it
/// once for the summary `list --verbose` shows and once through the analysis of `--analyze`.
fn cost(input: Vec<u8>) -> (u64, u64, u64) {
    let input: &'static [u8] = Vec::leak(input);
    ALLOCATIONS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let reader = TraceReader::from_source(Path::new("req-17461590.trace.json"), Cursor::new(input))
        .expect("a reader");
    let summary = summarize_from(reader);
    let mut reader =
        TraceReader::from_source(Path::new("req-17461590.trace.json"), Cursor::new(input))
            .expect("a reader");
    let mut analyzer = Analyzer::new(AnalysisOptions::default());
    let mut entries = 0;
    while let Some(item) = reader.next_entry() {
        if let Ok(e) = item {
            analyzer.add(&e.entry, true);
            entries += 1;
        }
    }
    let analysis = analyzer.finish();
    COUNTING.store(false, Ordering::Relaxed);
    assert_eq!(summary.entries, entries);
    drop(analysis);
    (
        entries,
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

#[test]
fn twice_the_entries_cost_at_most_about_twice_the_work() {
    // One test, so that no other test of this binary allocates while counting.
    let (n, n_allocs, n_bytes) = cost(session(6_000_000));
    let (n2, n2_allocs, n2_bytes) = cost(session(12_000_000));
    assert!(n > 5_000, "{n} entries: too few to see a trend");
    let entries = n2 as f64 / n as f64;
    assert!(
        (1.9..2.1).contains(&entries),
        "twice the bytes should hold twice the entries: {n} then {n2}"
    );
    // Linear work doubles (plus fixed costs, which only lower the ratio); a quadratic term
    // of even 10% at the smaller size pushes it past 2.2 at the larger.
    let limit = 2.2 * entries / 2.0;
    let allocs = n2_allocs as f64 / n_allocs.max(1) as f64;
    let bytes = n2_bytes as f64 / n_bytes.max(1) as f64;
    assert!(
        allocs <= limit,
        "allocations grew {allocs:.2}× for {entries:.2}× the entries ({n_allocs} for {n} \
         entries, {n2_allocs} for {n2}): something per entry grows with the input"
    );
    assert!(
        bytes <= limit,
        "allocated bytes grew {bytes:.2}× for {entries:.2}× the entries ({n_bytes} for {n} \
         entries, {n2_bytes} for {n2}): something per entry grows with the input"
    );
}
