//! What the fuzz targets feed agentcli and what they check, one function per target.
//!
//! The cargo-fuzz targets (`fuzz_targets/*.rs`) call these under libFuzzer (nightly). The
//! integration tests include this file too (`tests/cli/fuzz_corpus.rs`) and run every file of
//! the committed corpus (`fuzz/corpus/<target>/`) through it, so CI checks the corpus on stable.
//!
//! Each target checks more than "no panic": what reaches a terminal is escaped, problems are one
//! line, chunking never changes what is read, output grows at most linearly with the input,
//! table lines all have the table's width, and our timestamps agree with chrono's.

use agentcli::analysis::diff::DiffReport;
use agentcli::analysis::flow::FlowBuilder;
use agentcli::analysis::{Aggregate, AnalysisOptions, Analyzer, FileInfo, SessionReport};
use agentcli::export::{ExportFormat, Exporter};
use agentcli::filter::{Condition, Filter};
use agentcli::json::{members, raw_text};
use agentcli::model::{Hook, TraceEntry};
use agentcli::read::framer::{FrameEvent, Framer, Shape};
use agentcli::read::{Entry, EntryView, Parse, Problem, TraceReader};
use agentcli::redact::Redactor;
use agentcli::render::Style;
use agentcli::render::analysis as analysis_view;
use agentcli::render::debug::DebugView;
use agentcli::render::diff::write_diff;
use agentcli::render::dot::write_digraph;
use agentcli::render::flow::write_flow;
use agentcli::render::mermaid::write_sequence_diagram;
use agentcli::render::table::TimelineView;
use agentcli::render::verbose::VerboseView;
use agentcli::session::SessionFile;
use agentcli::summary::{FileStatus, summarize_from};
use agentcli::text;
use agentcli::time::{DisplayZone, Timestamp, parse_time_bound};
use agentcli::units;
use chrono::{DateTime, Local, TimeZone};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::io::{self, Cursor, Read, Write};
use std::path::Path;
use std::sync::OnceLock;

/// A target: takes the fuzzer's bytes, panics when a check fails.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const TARGETS: [(&str, Target); 6] = [
    ("reader_whole", reader_whole),
    ("reader_chunked", reader_chunked),
    ("filter_expression", filter_expression),
    ("time_expression", time_expression),
    ("renderers", renderers),
    ("redact", redact),
];

const ZONES: [DisplayZone; 3] = [DisplayZone::Written, DisplayZone::Utc, DisplayZone::Local];

/// The reader: the input read whole, every entry's accessors exercised, the fast entry parser
/// checked against serde_json's, and the `list --verbose` summary of the same input.
pub fn reader_whole(data: &[u8]) {
    let mut reader = open(data.to_vec());
    let mut entries = 0u64;
    let mut last_index = 0;
    while let Some(item) = reader.next_entry() {
        match item {
            Ok(read) => {
                entries += 1;
                assert!(read.index > last_index, "entries are numbered in order");
                last_index = read.index;
                check_entry(&read);
            }
            Err(problem) => check_problem(&problem),
        }
    }
    let summary = reader.summary();
    assert_eq!(summary.entries, entries);
    let stopped = matches!(summary.shape, Shape::NotJson { .. });
    if !summary.compressed && !stopped {
        assert_eq!(summary.bytes, data.len() as u64, "every byte is read");
    }

    parsers_agree(data);

    // `list --verbose` reads without state data, whose strings it does not check: it may count
    // entries that a full read rejects, never fewer.
    let listed = summarize_from(open(data.to_vec()).with_parse(Parse::Light));
    assert!(listed.entries >= entries, "{} < {entries}", listed.entries);
    if let Some(ms) = listed.duration_ms() {
        assert!(ms >= 0.0, "first to last cannot be negative: {ms}");
        units::duration_ms(ms);
    }
    for problem in &listed.problems {
        check_problem(problem);
    }
}

/// The reader fed in pieces: the first byte chooses between pieces of arbitrary sizes, read on
/// the caller's thread or on background threads (which must read exactly as the whole input
/// does on the caller's), and a gzip stream of the input cut short (which must read as a prefix
/// of the whole stream's entries).
pub fn reader_chunked(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let (sizes, input) = rest.split_at(rest.len().min(4));
        let sizes: Vec<usize> = sizes.iter().map(|&b| usize::from(b % 97) + 1).collect();
        let threads = mode & 2 != 0;
        let chunk = usize::from(mode >> 2) + 1;
        let whole = transcript(Cursor::new(input.to_vec()), input.len().max(1), false);
        let pieces = Pieces {
            bytes: input.to_vec(),
            at: 0,
            sizes: if sizes.is_empty() { vec![1] } else { sizes },
            turn: 0,
        };
        let in_pieces = transcript(pieces, chunk, threads);
        let gzip_stopped = |t: &Vec<String>| {
            t.iter()
                .any(|l| GZIP_STOPPED.iter().any(|message| l.contains(message)))
        };
        if gzip_stopped(&whole) || gzip_stopped(&in_pieces) {
            // flate2 drops what a read decompressed when the same read meets the damage or
            // the cut, so how much of such a stream is shown depends on how its bytes arrived:
            // one reading's entries must be a prefix of the other's.
            let (a, b) = (entry_lines(&whole), entry_lines(&in_pieces));
            assert!(
                a.starts_with(&b) || b.starts_with(&a),
                "chunking (threads: {threads}) changed the entries of a damaged gzip stream"
            );
        } else {
            assert_eq!(
                whole, in_pieces,
                "chunking (threads: {threads}) changed what was read"
            );
        }
    } else {
        let (cut, input) = rest.split_at(rest.len().min(2));
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(input).expect("writing to memory");
        let gz = encoder.finish().expect("writing to memory");
        let cut = cut.iter().fold(0usize, |n, &b| n << 8 | usize::from(b)) % (gz.len() + 1);
        let full = entries_of(gz.clone());
        if !input.starts_with(&[0x1f, 0x8b]) {
            assert_eq!(
                full,
                entries_of(input.to_vec()),
                "gzip changed what was read"
            );
        }
        let part = entries_of(gz[..cut].to_vec());
        assert!(
            full.starts_with(&part),
            "a gzip stream cut short reads as a prefix of the whole"
        );
    }
}

/// The filter language: an expression (up to a NUL byte), then a trace whose entries it is
/// matched against, with a few fixed entries.
pub fn filter_expression(data: &[u8]) {
    let (expr, trace) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    // Command-line arguments reach the filter as strings.
    let Ok(expr) = std::str::from_utf8(expr) else {
        return;
    };
    let condition = match Condition::parse(expr, now()) {
        Ok(c) => c,
        Err(e) => {
            check_message(&e.to_string());
            return;
        }
    };
    check_message(&condition.to_string());
    let filter = Filter::new(vec![condition.clone()]);
    check_message(&filter.to_string());
    for json in FIXED_ENTRIES {
        let entry = TraceEntry::parse(json.as_bytes()).expect("a fixed entry parses");
        assert_eq!(filter.matches(&entry), condition.matches(&entry));
    }
    let mut reader = open(trace.to_vec());
    while let Some(item) = reader.next_entry() {
        if let Ok(read) = item {
            assert_eq!(filter.matches(&read.entry), condition.matches(&read.entry));
        }
    }
}

/// Time expressions (`--since`, `since=`) and trace timestamps: anything parsed can be shown in
/// every zone and read back, and agrees with chrono where chrono reads RFC 3339 too.
pub fn time_expression(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_time_bound(s, now()) {
        Ok(t) => show(t),
        Err(message) => check_message(&message),
    }
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        show(t);
        if let Ok(theirs) = DateTime::parse_from_rfc3339(s)
            && let Some(nanos) = theirs.timestamp_nanos_opt()
            && !t.is_go_zero()
        {
            assert_eq!(
                (t.unix_nanos, t.offset_secs),
                (nanos, theirs.offset().local_minus_utc()),
                "{s:?}"
            );
        }
    }
    if let Ok(n) = s.trim().parse::<f64>()
        && let Some(t) = Timestamp::from_epoch_number(n)
    {
        show(t);
    }
}

/// Every renderer over the entries of a trace: the views of `trace` (table, `--verbose`,
/// `--debug`), the exports (JSON, JSON Lines, CSV, OTLP), the flow (table, Mermaid, dot), the
/// analysis (`--analyze`, `analyze`, as tables and JSON) and `diff`. The first two bytes choose
/// the width, the zone, colour, ASCII, verbosity and redaction.
pub fn renderers(data: &[u8]) {
    let Some((&[width, flags], input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (ascii, verbose) = (flags & 16 != 0, flags & 32 != 0);
    let settings = Style {
        width: 20 + 2 * usize::from(width),
        color: flags & 4 != 0,
        zone: ZONES[usize::from(flags % 3)],
        ascii,
    };
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    let redactor = if flags & 8 != 0 {
        REDACTOR
            .get_or_init(|| Redactor::new(&["message"], &[r"\d{3}-\d{4}"]).expect("valid patterns"))
            .clone()
    } else {
        Redactor::off()
    };
    let session = SessionFile {
        id: "fuzz".to_owned(),
        path: "fuzz.trace.json".into(),
        size: input.len() as u64,
        modified: None,
    };
    let bound = 128 * input.len() + (64 << 10);
    let check = |name: &str, out: Vec<u8>, terminal: bool| -> String {
        let out = String::from_utf8(out).unwrap_or_else(|e| panic!("{name} writes UTF-8: {e}"));
        assert!(
            out.len() <= bound,
            "{name}: {} bytes of output for {} bytes of input",
            out.len(),
            input.len()
        );
        if terminal {
            let plain = if settings.color {
                Cow::Owned(strip_colour(&out))
            } else {
                Cow::Borrowed(out.as_str())
            };
            assert_terminal_safe(&plain, name);
        }
        out
    };

    for view in [
        "table", "verbose", "debug", "json", "jsonl", "csv", "csv-safe", "otlp",
    ] {
        let mut out = Vec::new();
        {
            let format = match view {
                "json" => ExportFormat::Json,
                "jsonl" => ExportFormat::JsonLines,
                "csv" => ExportFormat::Csv {
                    formula_safe: false,
                },
                "csv-safe" => ExportFormat::Csv { formula_safe: true },
                _ => ExportFormat::Otlp,
            };
            let mut shown: Box<dyn EntryView> = match view {
                "table" => Box::new(TimelineView::new(&mut out, "fuzz", settings)),
                "verbose" => Box::new(VerboseView::new(&mut out, "fuzz", settings)),
                "debug" => Box::new(DebugView::new(&mut out, &session)),
                _ => Box::new(Exporter::new(
                    format,
                    "fuzz",
                    settings.zone,
                    settings.color,
                    &mut out,
                )),
            };
            let mut reader = open(input.to_vec()).with_redactor(redactor.clone());
            while let Some(item) = reader.next_entry() {
                match item {
                    Ok(read) => shown.entry(&read).expect("writing to memory"),
                    Err(problem) => shown.problem(&problem).expect("writing to memory"),
                }
            }
            shown.finish(&reader.summary()).expect("writing to memory");
        }
        let human = matches!(view, "table" | "verbose" | "debug");
        let out = check(view, out, human || settings.color);
        match view {
            "table" if !settings.color => {
                // A box is square and no line is wider than asked (a width too narrow for the
                // kept columns draws each row as a block instead).
                let widths: Vec<usize> = out.lines().skip(2).map(text::width).collect();
                let boxed = out.lines().nth(2).is_some_and(|l| l.starts_with('┌'));
                assert!(
                    widths.iter().all(|&w| w <= settings.width)
                        && (!boxed || widths.windows(2).all(|w| w[0] == w[1])),
                    "table lines too wide or uneven: {widths:?}\n{out}"
                );
            }
            // JSON by the grammar (RFC 8259): state strings are copied as written, and a lone
            // surrogate escape (`\ud83e`) in the input stays one, which strict decoders refuse.
            "json" | "otlp" => {
                serde_json::from_str::<IgnoredAny>(&out)
                    .unwrap_or_else(|e| panic!("{view} is not JSON: {e}\n{out}"));
            }
            "jsonl" => {
                for line in out.lines() {
                    serde_json::from_str::<IgnoredAny>(line)
                        .unwrap_or_else(|e| panic!("jsonl: a line is not JSON: {e}\n{line}"));
                }
            }
            "csv" | "csv-safe" => {
                let mut rows = csv::Reader::from_reader(out.as_bytes());
                let columns = rows.headers().expect("a CSV header").len();
                for row in rows.records() {
                    let row = row.unwrap_or_else(|e| panic!("{view}: not CSV: {e}\n{out}"));
                    assert_eq!(row.len(), columns, "{view}: a row of another width");
                }
            }
            _ => {}
        }
    }

    let mut flow = FlowBuilder::new();
    let mut analyzer = Analyzer::new(AnalysisOptions {
        top: 5,
        timeline_runs: 60,
    });
    let mut reader = open(input.to_vec());
    while let Some(item) = reader.next_entry() {
        if let Ok(read) = item {
            flow.push(&read.entry, true);
            analyzer.add(&read.entry, true);
        }
    }
    let summary = reader.summary();
    let flow = flow.finish();
    let mut out = Vec::new();
    write_flow(&mut out, "fuzz", &flow, &settings, verbose).expect("writing to memory");
    check("flow", out, true);
    let mut out = Vec::new();
    write_sequence_diagram(&mut out, "fuzz", &flow).expect("writing to memory");
    check("mermaid", out, true);
    let mut out = Vec::new();
    write_digraph(&mut out, "fuzz", &flow).expect("writing to memory");
    check("dot", out, true);

    let analysis = analyzer.finish();
    let info = FileInfo {
        path: "fuzz.trace.json".to_owned(),
        status: FileStatus::from_shape(summary.shape).to_string(),
        entries_skipped: summary.skipped,
        ends_mid_entry: summary.tail.is_some(),
    };
    let report = SessionReport::new("fuzz", info, None, &analysis, settings.zone);
    let mut out = Vec::new();
    analysis_view::session(&report, &settings, true, &mut out).expect("writing to memory");
    check("analysis", out, true);
    let json = serde_json::to_string(&report).expect("a report serializes");
    serde_json::from_str::<serde_json::Value>(&json).expect("the report is JSON");

    let mut across = Aggregate::new(true);
    across.add("fuzz", &analysis);
    let mut out = Vec::new();
    analysis_view::aggregate(&across.report(None, settings.zone), &settings, &mut out)
        .expect("writing to memory");
    check("aggregate", out, true);

    let diff = DiffReport::new(&report, &report);
    let mut out = Vec::new();
    write_diff(&diff, &settings, &mut out).expect("writing to memory");
    check("diff", out, true);
}

/// "Now" for relative times: fixed, so that a failing input fails again.
fn now() -> DateTime<Local> {
    Local
        .timestamp_opt(1_768_046_400, 0)
        .single()
        .expect("a plain instant")
}

/// Redaction (`--redact`): of any text, and of any JSON as the reader redacts each entry.
/// Redacting twice is redacting once; valid JSON stays valid, with the same structure, every
/// number unchanged and every changed string holding `[REDACTED]`; a secret of each built-in
/// shape planted in the text does not survive.
pub fn redact(data: &[u8]) {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    // Compiled once: compiling the rules for each input would take most of the fuzzer's time.
    static REDACTORS: OnceLock<[Redactor; 3]> = OnceLock::new();
    let redactors = REDACTORS.get_or_init(|| {
        [
            Redactor::new::<&str, &str>(&[], &[]).expect("the built-in rules compile"),
            Redactor::new(&["note"], &[r"cust-[0-9]{3,}"]).expect("valid patterns"),
            // Patterns that match inside `[REDACTED]`, and inside what built-in rules match.
            Redactor::new(&["note"], &[r"[A-Z]{2}|\w{3}", r"D\]|e[a-z]*"]).expect("valid patterns"),
        ]
    });
    let redactor = &redactors[usize::from(flags % 3)];
    let once = redactor.redact_entry(input);
    let twice = redactor.redact_entry(&once);
    assert_eq!(&*twice, &*once, "redaction is idempotent on JSON");
    if let Ok(before) = serde_json::from_slice::<serde_json::Value>(input) {
        let after: serde_json::Value = serde_json::from_slice(&once).unwrap_or_else(|e| {
            panic!(
                "redacted JSON is JSON: {e}\n{}",
                String::from_utf8_lossy(&once)
            )
        });
        same_but_redacted(&before, &after);
    }
    let text = String::from_utf8_lossy(input);
    let once = redactor.redact_text(&text);
    assert_eq!(
        redactor.redact_text(&once),
        once,
        "redaction is idempotent on text"
    );
    // A line of its own: what the text ends with cannot make the secrets part of it.
    let planted =
        format!("{text}\npassword=SECRET_PW1 https://u:SECRET_URL2@h/ AKIAABCDEFGHIJKLMNOP");
    let redacted = redactor.redact_text(&planted);
    for secret in ["SECRET_PW1", "SECRET_URL2", "AKIAABCDEFGHIJKLMNOP"] {
        assert!(
            redacted.matches(secret).count() <= text.matches(secret).count(),
            "{secret} survives in {redacted:?}"
        );
    }
}

/// `after` is `before` with some values replaced: the same structure, numbers, booleans and
/// nulls; a string or container either the same or replaced by one holding `[REDACTED]`.
fn same_but_redacted(before: &serde_json::Value, after: &serde_json::Value) {
    use serde_json::Value;
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            // Keys are text too: two that a user pattern redacts alike are one key to a
            // parser (the fuzzer found `"tokens"` and `"note"` both `[REDACTED]…` under
            // `\w{3}`), and the members no longer pair up.
            if a.len() != b.len() {
                assert!(
                    a.len() > b.len() && b.keys().any(|k| k.contains("[REDACTED]")),
                    "members kept: {a:?} became {b:?}"
                );
                return;
            }
            // Members are paired by key (a map is sorted by key): a key redacted is paired with
            // none, as its place among the others may have moved.
            for (kb, vb) in b {
                match a.get(kb) {
                    Some(va) => same_but_redacted(va, vb),
                    None => assert!(kb.contains("[REDACTED]"), "key {kb:?} is new"),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "elements kept");
            a.iter().zip(b).for_each(|(x, y)| same_but_redacted(x, y));
        }
        (Value::Number(_) | Value::Bool(_) | Value::Null, _) => {
            assert_eq!(before, after, "scalars are never redacted")
        }
        (_, Value::String(s)) if before != after => {
            assert!(s.contains("[REDACTED]"), "{before} became {after}")
        }
        _ => assert_eq!(before, after),
    }
}

fn open(bytes: Vec<u8>) -> TraceReader {
    TraceReader::from_source(Path::new("fuzz.trace.json"), Cursor::new(bytes))
        .expect("reading memory cannot fail")
}

/// The fast path of entry parsing (`read::scan`) reads each entry exactly as serde_json's
/// derive does (or leaves it to it, errors included); `Parse::Light` reads what `Parse::Full`
/// does but state data.
fn parsers_agree(data: &[u8]) {
    let mut framer = Framer::new();
    framer.push(data);
    while let Some(event) = framer.next_event() {
        let FrameEvent::Entry { range, .. } = event else {
            continue;
        };
        let bytes = framer.bytes(range);
        let full = TraceEntry::parse_with(bytes, Parse::Full);
        match (&full, TraceEntry::parse_with_serde(bytes)) {
            (Ok(fast), Ok(mut reference)) => {
                // The hook a `type` implies is filled in after parsing, by either path.
                if reference.hook == Hook::Missing {
                    reference.hook = fast.hook.clone();
                }
                assert_eq!(format!("{fast:?}"), format!("{reference:?}"));
            }
            (Err(fast), Err(reference)) => assert_eq!(fast.to_string(), reference.to_string()),
            (fast, reference) => panic!("fast path: {fast:?}\nserde_json: {reference:?}"),
        }
        if let Ok(mut full) = full {
            let light = TraceEntry::parse_with(bytes, Parse::Light);
            let light = light.unwrap_or_else(|e| panic!("Light fails where Full reads: {e}"));
            for state in [
                full.state.as_mut(),
                full.agent_result
                    .as_mut()
                    .and_then(|r| r.output_state.as_mut()),
            ]
            .into_iter()
            .flatten()
            {
                state.data = None;
            }
            assert_eq!(format!("{light:?}"), format!("{full:?}"));
        }
    }
}

/// The accessors every view and command uses, on one entry.
fn check_entry(read: &Entry<'_>) {
    assert!(read.bytes.starts_with(b"{") && read.bytes.ends_with(b"}"));
    assert!(read.at.line >= 1 && read.at.column >= 1);
    let e = &read.entry;
    let _ = (e.agent(), e.error_message(), e.route(), e.meta("route"));
    let _ = e.reported_duration_ms().map(units::duration_ms);
    for merged in [e.merged_data(), e.merged_meta()] {
        for (_, value) in merged.into_iter().flatten() {
            let _ = raw_text(value);
            let _ = members(value);
        }
    }
    let result_times = e
        .agent_result
        .iter()
        .flat_map(|r| [r.start_time, r.end_time])
        .flatten();
    for t in std::iter::once(e.timestamp).chain(result_times) {
        for zone in ZONES {
            let _ = (t.rfc3339(zone), t.date_time(zone), t.clock_millis(zone));
        }
    }
    check_message(&text::escape(e.hook.as_str(), false));
}

/// A problem is one line, safe for a terminal.
fn check_problem(problem: &Problem) {
    check_message(&problem.to_string());
}

/// A message is one line, safe for a terminal.
fn check_message(message: &str) {
    assert!(
        !message.contains('\n'),
        "a message on several lines: {message:?}"
    );
    assert_terminal_safe(message, "message");
}

fn assert_terminal_safe(s: &str, what: &str) {
    assert!(
        matches!(text::escape(s, true), Cow::Borrowed(_)),
        "{what}: raw control characters reach the terminal: {s:?}"
    );
}

/// `s` without the colour sequences (`ESC [ ... m`) the views write when asked to.
fn strip_colour(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(|c: char| !(c.is_ascii_digit() || c == ';')) {
            Some(j) if after[j..].starts_with('m') => rest = &after[j + 1..],
            // Not a colour sequence: kept, so that the safety check sees it.
            _ => {
                out.push_str("\x1b[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An instant shown every way agentcli shows one; RFC 3339 output reads back as the same instant.
fn show(t: Timestamp) {
    for zone in ZONES {
        let written = t.rfc3339(zone);
        let _ = (t.date_time(zone), t.clock_millis(zone));
        // An i64 of nanoseconds reaches back to 1677-09-21T00:12:43.145224192Z; the first second
        // of that range (and Go's zero time, kept as its first instant) cannot be read back.
        if t.unix_nanos > i64::MIN + 1_000_000_000 {
            let back = Timestamp::parse_rfc3339(&written).map(|b| b.unix_nanos);
            assert_eq!(back, Some(t.unix_nanos), "{written}");
        }
    }
}

/// Everything a reader reports, in order: entries as their place and bytes, and problems.
fn transcript(source: impl Read + Send + 'static, chunk: usize, threads: bool) -> Vec<String> {
    let mut reader = TraceReader::from_source(Path::new("t"), source)
        .expect("reading memory cannot fail")
        .with_chunk_size(chunk)
        .with_threads(threads);
    let mut out = Vec::new();
    while let Some(item) = reader.next_entry() {
        out.push(match item {
            Ok(e) => format!(
                "{}:{}:{} {}",
                e.index,
                e.at.line,
                e.at.column,
                String::from_utf8_lossy(e.bytes)
            ),
            Err(p) => p.to_string(),
        });
    }
    let mut summary = reader.summary();
    if let Shape::NotJson { .. } = summary.shape {
        // Reading stops at the first bytes of a file that is not JSON: how much was read by
        // then depends on the chunk size.
        summary.bytes = 0;
    }
    out.push(format!("{summary:?}"));
    out
}

/// What the reader says of a gzip stream that is corrupt or cut short.
const GZIP_STOPPED: [&str; 2] = ["cannot decompress", "gzip stream is cut short"];

/// A transcript's entries (its problems and summary left out).
fn entry_lines(transcript: &[String]) -> Vec<&String> {
    transcript
        .iter()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

/// The bytes of every entry read (problems left out).
fn entries_of(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    let mut reader = open(bytes);
    let mut out = Vec::new();
    while let Some(item) = reader.next_entry() {
        if let Ok(read) = item {
            out.push(read.bytes.to_vec());
        }
    }
    out
}

/// A source that hands out its bytes in pieces of the given sizes (cycled).
struct Pieces {
    bytes: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = size.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Entries the filter target always matches against: a routed run, a failure, and hostile
/// names (wide characters, escape sequences).
const FIXED_ENTRIES: [&str; 3] = [
    r#"{"timestamp":"2025-05-02T14:32:15.5+05:30","type":"","event_id":"req-88000918-planner",
        "agent_id":"researcher","hook":"AfterAgentRun","state":{"meta":{"correlation_id":"abc"}},
        "agent_result":{"output_state":{"data":{},"meta":{"route":"analyzer"}}}}"#,
    r#"{"timestamp":"2025-05-02T14:32:19Z","event_id":"eca61503-2dc7","agent_id":"summarizer",
        "hook":"AgentError","agent_result":{"error":"rate limit (429)"}}"#,
    r#"{"timestamp":"0001-01-01T00:00:00Z","event_id":"7d3f\u001b[2J","agent_id":"分析者",
        "hook":"Hook\u001b[5mBlink","error":"upstream \u202e(tsal)","type":"agent_end"}"#,
];
