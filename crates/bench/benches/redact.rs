//! What `--redact` costs per entry, measured with criterion on synthetic traces
//! (`agentcli-synth`): each entry's JSON through `Redactor::redact_entry`, as the reader does
//! before parsing it, per trace profile; with the built-in rules, and with a
//! `--redact-pattern` (which turns off the literal search that spares most entries a look).
//! Beside it, the parse of the same entries, the cost redaction is to stay well under.
//! `cargo bench -p agentcli-bench --bench redact`.

use agentcli::model::TraceEntry;
use agentcli::read::Parse;
use agentcli::read::framer::{FrameEvent, Framer};
use agentcli::redact::Redactor;
use agentcli_synth::{Profile, open_session};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::borrow::Cow;
use std::hint::black_box;

/// The entries of a pretty-printed session of about `bytes` bytes in `profile`.
fn entries(bytes: u64, profile: Profile) -> Vec<Vec<u8>> {
    let session = open_session(bytes, profile, 1);
    let mut framer = Framer::new();
    framer.push(&session);
    let mut entries = Vec::new();
    while let Some(event) = framer.next_event() {
        if let FrameEvent::Entry { range, .. } = event {
            entries.push(framer.bytes(range).to_vec());
        }
    }
    entries
}

/// Redacts each entry; returns how many bytes redaction changed entries to.
fn redact_all(redactor: &Redactor, entries: &[Vec<u8>]) -> usize {
    entries
        .iter()
        .map(|e| match redactor.redact_entry(e) {
            Cow::Borrowed(_) => 0,
            Cow::Owned(changed) => changed.len(),
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    let builtin = Redactor::new::<&str, &str>(&[], &[]).expect("the built-in rules compile");
    let pattern = Redactor::new::<&str, &str>(&[], &[r"cust-[0-9]{6}"]).expect("a valid pattern");
    let mut g = c.benchmark_group("redaction");
    g.sample_size(20);
    for (name, profile) in [
        ("real", Profile::Real),
        ("big", Profile::Big),
        ("light", Profile::Light),
    ] {
        let entries = entries(8_000_000, profile);
        let bytes: usize = entries.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(format!("{name}_parse"), |b| {
            b.iter(|| {
                entries
                    .iter()
                    .filter_map(|e| TraceEntry::parse_with(black_box(e), Parse::Full).ok())
                    .count()
            })
        });
        g.bench_function(format!("{name}_redact"), |b| {
            b.iter(|| redact_all(&builtin, black_box(&entries)))
        });
        g.bench_function(format!("{name}_redact_with_pattern"), |b| {
            b.iter(|| redact_all(&pattern, black_box(&entries)))
        });
    }
    g.finish();
}

criterion_group!(redact, benches);
criterion_main!(redact);
