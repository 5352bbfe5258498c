//! The reader's hot path, measured with criterion on synthetic traces (`agentcli-synth`):
//! framing alone, entry parsing alone, the two together as commands use them, and the whole-file
//! summary `list --verbose` computes; then the whole read per trace profile (big entries, the
//! real mix, light state), whose throughput is in entries as well as bytes, since the cost of
//! reading is per entry. `cargo bench -p agentcli-bench`.

use agentcli::model::TraceEntry;
use agentcli::read::framer::{FrameEvent, Framer};
use agentcli::read::{Parse, TraceReader};
use agentcli::redact::Redactor;
use agentcli::summary::summarize;
use agentcli_synth::{Profile, open_session};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;

/// A pretty-printed session as the writer writes it, in the big-entry profile.
fn pretty(bytes: u64) -> Vec<u8> {
    profiled(bytes, Profile::Big)
}

/// A pretty-printed session with output states of `profile`.
fn profiled(bytes: u64, profile: Profile) -> Vec<u8> {
    open_session(bytes, profile, 1)
}

/// The same entries as JSON Lines.
fn lines(pretty: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for range in entry_ranges(pretty) {
        let value: serde_json::Value = serde_json::from_slice(&pretty[range]).expect("an entry");
        serde_json::to_writer(&mut out, &value).expect("write to memory");
        out.push(b'\n');
    }
    out
}

fn entry_ranges(input: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut framer = Framer::new();
    framer.push(input);
    let mut ranges = Vec::new();
    while let Some(event) = framer.next_event() {
        if let FrameEvent::Entry { range, .. } = event {
            ranges.push(range);
        }
    }
    ranges
}

/// Frames `input` as a reader does, in 256 KiB chunks; returns the number of entries.
fn frame(input: &[u8]) -> u64 {
    let mut framer = Framer::new();
    let mut entries = 0;
    for chunk in input.chunks(agentcli::read::DEFAULT_CHUNK) {
        framer.push(chunk);
        while let Some(event) = framer.next_event() {
            entries += u64::from(matches!(event, FrameEvent::Entry { .. }));
        }
    }
    entries
}

fn read_all(input: &'static [u8], how: Parse) -> u64 {
    let source = Cursor::new(input);
    let mut reader = TraceReader::from_source(Path::new("bench"), source)
        .expect("a reader")
        .with_parse(how);
    let mut hooks = 0;
    while let Some(item) = reader.next_entry() {
        if let Ok(e) = item {
            hooks += e.entry.hook.as_str().len() as u64;
        }
    }
    hooks
}

fn benches(c: &mut Criterion) {
    // Leaked: a reader's source is 'static, and copying the input per iteration would be measured.
    let pretty: &'static [u8] = Vec::leak(pretty(16_000_000));
    let lines: &'static [u8] = Vec::leak(lines(pretty));
    let ranges = entry_ranges(pretty);

    let mut g = c.benchmark_group("framing");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(pretty.len() as u64));
    g.bench_function("pretty", |b| b.iter(|| frame(black_box(pretty))));
    g.throughput(Throughput::Bytes(lines.len() as u64));
    g.bench_function("json_lines", |b| b.iter(|| frame(black_box(lines))));
    g.finish();

    let mut g = c.benchmark_group("parsing");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(pretty.len() as u64));
    for (name, how) in [("full", Parse::Full), ("light", Parse::Light)] {
        g.bench_function(format!("entries_{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for range in &ranges {
                    if let Ok(e) = TraceEntry::parse_with(&pretty[range.clone()], how) {
                        n += e.agent_id.len();
                    }
                }
                n
            })
        });
    }
    g.bench_function("entries_light_and_routes", |b| {
        b.iter(|| {
            let mut n = 0;
            for range in &ranges {
                if let Ok(e) = TraceEntry::parse_with(&pretty[range.clone()], Parse::Light) {
                    n += e.route().map_or(0, |r| r.len());
                }
            }
            n
        })
    });
    g.bench_function("serde_derive", |b| {
        b.iter(|| {
            let mut n = 0;
            for range in &ranges {
                if let Ok(e) = serde_json::from_slice::<TraceEntry>(&pretty[range.clone()]) {
                    n += e.agent_id.len();
                }
            }
            n
        })
    });
    g.finish();

    let mut g = c.benchmark_group("reader");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(pretty.len() as u64));
    g.bench_function("pretty_full", |b| {
        b.iter(|| read_all(black_box(pretty), Parse::Full))
    });
    g.bench_function("pretty_light", |b| {
        b.iter(|| read_all(black_box(pretty), Parse::Light))
    });
    g.throughput(Throughput::Bytes(lines.len() as u64));
    g.bench_function("json_lines_full", |b| {
        b.iter(|| read_all(black_box(lines), Parse::Full))
    });
    g.finish();

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("req-17461590.trace.json");
    std::fs::write(&path, pretty).expect("write the trace");
    let mut g = c.benchmark_group("summary");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(pretty.len() as u64));
    g.bench_function("whole_file", |b| {
        b.iter(|| {
            summarize(&path, &Redactor::off())
                .expect("a summary")
                .entries
        })
    });
    g.finish();

    // The whole read per profile, in entries per second (criterion's "elements").
    for (name, profile) in [
        ("big", Profile::Big),
        ("real", Profile::Real),
        ("light", Profile::Light),
    ] {
        let input: &'static [u8] = Vec::leak(profiled(16_000_000, profile));
        let entries = entry_ranges(input).len() as u64;
        let mut g = c.benchmark_group(format!("profile_{name}"));
        g.sample_size(20);
        g.throughput(Throughput::Elements(entries));
        g.bench_function("entries_light", |b| {
            b.iter(|| read_all(black_box(input), Parse::Light))
        });
        g.bench_function("entries_full", |b| {
            b.iter(|| read_all(black_box(input), Parse::Full))
        });
        g.finish();
    }
}

criterion_group!(reader, benches);
criterion_main!(reader);
