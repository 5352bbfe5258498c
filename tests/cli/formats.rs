//! `agentcli trace --format json|jsonl|csv|otlp`: every export parsed back (serde_json, the csv
//! crate, the OpenTelemetry protobuf definitions) and compared with the fixture's entries as
//! read straight from the file.

use crate::collector::{Collector, decode};
use crate::common::{Workdir, fixtures, stdout_of};
use crate::export::{SAMPLES, check_trace};
use chrono::DateTime;
use predicates::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

/// The export fixture: unicode, newlines, quotes, commas, formula-like text, secrets, exact
/// numbers, escape sequences, an error on AfterAgentRun, and an event cut off by the file's end.
const TRICKY: &str = "export/req-60000001.trace.json";
const FORMATS: [&str; 4] = ["json", "jsonl", "csv", "otlp"];

/// `trace SESSION --format FORMAT ARGS`: its stdout, checking that nothing else was said.
fn export(w: &Workdir, session: &str, format: &str, args: &[&str]) -> String {
    let mut all = vec!["trace", session, "--format", format];
    all.extend(args);
    let output = w
        .run(&all)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn id_of(fixture: &str) -> &str {
    let name = fixture.rsplit('/').next().unwrap();
    name.strip_suffix(".trace.json").unwrap()
}

/// The fixture's entries as its file holds them, parsed with serde_json alone.
fn entries_of(fixture: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    agentcli::read::read_file::<std::io::Error>(
        &fixtures().join(fixture),
        agentcli::read::Parse::Full,
        |item| {
            let read = item.unwrap_or_else(|p| panic!("{p}"));
            entries.push(serde_json::from_slice(read.bytes).expect("an entry"));
            Ok(())
        },
    )
    .expect("a readable fixture");
    entries
}

/// What the normalised entry of `raw` must hold, worked out from the file's own fields: text
/// fields empty or missing are null; the error is the entry's, else its result's; the state is
/// `state` and `agent_result.output_state` merged, the latter winning, key by key.
fn expected(raw: &Value) -> Map<String, Value> {
    let text = |v: &Value| match v.as_str() {
        Some(s) if !s.is_empty() => json!(s),
        _ => Value::Null,
    };
    let output = &raw["agent_result"]["output_state"];
    let merged = |part: &str| {
        let mut all = Map::new();
        for side in [&raw["state"][part], &output[part]] {
            if let Value::Object(members) = side {
                all.extend(members.clone());
            }
        }
        Value::Object(all)
    };
    let has_state = !raw["state"].is_null() || !output.is_null();
    let state = if has_state {
        json!({ "data": merged("data"), "meta": merged("meta") })
    } else {
        Value::Null
    };
    let error = match text(&raw["error"]) {
        Value::Null => text(&raw["agent_result"]["error"]),
        e => e,
    };
    let mut m = Map::new();
    m.insert("hook".into(), text(&raw["hook"]));
    for key in [
        "agent_id",
        "event_id",
        "session_id",
        "source_agent_id",
        "target_agent_id",
    ] {
        m.insert(key.into(), text(&raw[key]));
    }
    m.insert("next_agent".into(), text(&state["meta"]["route"]));
    m.insert("error".into(), error);
    m.insert("state".into(), state);
    m
}

/// Checks one exported object against the entry it came from.
fn check_entry(exported: &Value, raw: &Value) {
    for (key, want) in expected(raw) {
        assert_eq!(exported[&key], want, "{key} of {raw}");
    }
    let written = raw["timestamp"].as_str().unwrap();
    let ours = exported["timestamp"].as_str().unwrap();
    let (a, b) = (
        DateTime::parse_from_rfc3339(written).unwrap(),
        DateTime::parse_from_rfc3339(ours).unwrap(),
    );
    assert_eq!(a, b, "the same instant");
    assert_eq!(a.offset(), b.offset(), "in the zone it was written in");
    let fraction = ours.split('.').nth(1).expect("a fraction");
    assert_eq!(
        fraction.find(['+', '-', 'Z']),
        Some(9),
        "nanoseconds: {ours}"
    );
    let keys: Vec<&str> = exported
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut schema = vec![
        "agent_id",
        "duration_ms",
        "error",
        "event_id",
        "hook",
        "next_agent",
        "session_id",
        "source_agent_id",
        "state",
        "target_agent_id",
        "timestamp",
    ];
    if raw["type"].as_str().is_some_and(|t| !t.is_empty()) {
        schema.push("type");
        schema.sort();
    }
    assert_eq!(keys, schema, "one schema for every entry");
}

#[test]
fn json_holds_every_entry_of_every_fixture() {
    let w = Workdir::with(&SAMPLES);
    for fixture in SAMPLES {
        let json: Value = serde_json::from_str(&export(&w, id_of(fixture), "json", &[])).unwrap();
        let exported = json.as_array().expect("a JSON array");
        let raw = entries_of(fixture);
        assert_eq!(exported.len(), raw.len(), "{fixture}");
        for (exported, raw) in exported.iter().zip(&raw) {
            check_entry(exported, raw);
        }
    }
}

#[test]
fn text_and_numbers_come_out_exactly_as_written() {
    let w = Workdir::with(&[TRICKY]);
    let out = export(&w, "req-60000001", "json", &[]);
    let json: Value = serde_json::from_str(&out).unwrap();
    let planner = &json[3];
    assert_eq!(planner["hook"], "AfterAgentRun");
    let data = &planner["state"]["data"];
    assert_eq!(
        data["message"],
        "Plan: \"fetch\", then summarise,\nline two — 日本語 🤖 e\u{301}"
    );
    assert_eq!(data["key, \"quoted\""], "comma, and \"quotes\"");
    assert_eq!(data["html"], "<b>bold</b> & co");
    assert_eq!(
        data["attempt"], 2,
        "the output state wins over the input state"
    );
    assert_eq!(planner["state"]["meta"]["correlation_id"], "c-1");
    // Numbers are copied, not re-printed: no rounding, no reformatting.
    assert!(out.contains("\"big\": 12345678901234567890123,"), "{out}");
    assert!(out.contains("2.50,"), "{out}");
    // The escape sequences of the trace stay escapes; the bidi override becomes one.
    assert!(
        out.contains(r#""handled, with \u001b[31mred\u001b[0m and \u202eevil""#),
        "{out}"
    );
    assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'));
    let error = &json[8];
    assert_eq!(error["hook"], "AgentError");
    assert_eq!(
        error["error"],
        "upstream said: \"no\", retry later\nsecond line"
    );
    assert_eq!(
        json.as_array().unwrap().last().unwrap()["hook"],
        "BeforeAgentRun",
        "the file ends mid-event: the last entry is there"
    );
}

#[test]
fn durations_are_given_where_a_run_or_an_event_ends() {
    let w = Workdir::with(&[TRICKY]);
    let json: Value = serde_json::from_str(&export(&w, "req-60000001", "json", &[])).unwrap();
    let durations: Vec<(String, Value)> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["duration_ms"].is_null())
        .map(|e| {
            (
                format!("{} {}", e["hook"].as_str().unwrap(), e["agent_id"]),
                e["duration_ms"].clone(),
            )
        })
        .collect();
    let expected = [
        // From the last BeforeAgentRun, not the first.
        ("AfterAgentRun \"planner\"", json!(250.0)),
        ("AfterEventHandling \"planner\"", json!(250.45)),
        // The writer's first AgentError ends the run; its second, for the same failure, does not.
        ("AgentError \"researcher\"", json!(650.0)),
        ("AfterEventHandling \"researcher\"", json!(650.5)),
        ("AfterAgentRun \"error-handler\"", json!(10.0)),
        ("AfterEventHandling \"error-handler\"", json!(10.3)),
        ("AfterAgentRun \"summarizer\"", json!(500.0)),
        ("AfterEventHandling \"summarizer\"", json!(500.3)),
    ];
    let expected: Vec<(String, Value)> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(durations, expected);
    // A filter selects what is written, not what is timed.
    let ends: Value = serde_json::from_str(&export(
        &w,
        "req-60000001",
        "json",
        &["--filter", "hook=AfterAgentRun"],
    ))
    .unwrap();
    assert_eq!(ends[0]["duration_ms"], 250.0);
}

#[test]
fn json_reads_back_as_a_session_and_exports_the_same() {
    let w = Workdir::with(&[TRICKY, SAMPLES[0]]);
    for session in ["req-60000001", "req-17461590"] {
        let first = export(&w, session, "json", &[]);
        let copy = w.path().join(format!("copy-{session}.trace.json"));
        std::fs::write(&copy, &first).unwrap();
        let again = export(&w, copy.to_str().unwrap(), "json", &[]);
        assert_eq!(first, again, "{session}");
    }
    // And the other commands read it as a session too.
    let listed: Value =
        serde_json::from_str(&stdout_of(w.run(&["list", "-v", "--format", "json"]))).unwrap();
    let copy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session"] == "copy-req-60000001")
        .unwrap();
    assert_eq!(copy["status"], "closed");
    assert_eq!(copy["entries"], 22);
    assert_eq!(copy["problems"], 0);
}

#[test]
fn json_lines_are_the_json_entries_one_per_line() {
    let w = Workdir::with(&SAMPLES);
    for fixture in SAMPLES {
        let session = id_of(fixture);
        let json: Value = serde_json::from_str(&export(&w, session, "json", &[])).unwrap();
        let lines = export(&w, session, "jsonl", &[]);
        let parsed: Vec<Value> = lines
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(&parsed, json.as_array().unwrap(), "{fixture}");
        assert!(lines.ends_with('\n'));
    }
}

#[test]
fn csv_has_the_columns_and_one_row_per_entry() {
    let w = Workdir::with(&SAMPLES);
    for fixture in SAMPLES {
        let session = id_of(fixture);
        let json: Value = serde_json::from_str(&export(&w, session, "json", &[])).unwrap();
        let out = export(&w, session, "csv", &[]);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header,
            [
                "timestamp",
                "hook",
                "agent_id",
                "event_id",
                "session_id",
                "source_agent_id",
                "target_agent_id",
                "next_agent",
                "duration_ms",
                "error",
                "state_keys",
                "state"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let entries = json.as_array().unwrap();
        assert_eq!(rows.len(), entries.len(), "{fixture}");
        for (row, entry) in rows.iter().zip(entries) {
            let cell = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
            for name in &header[..8] {
                assert_eq!(
                    cell(name),
                    entry[name.as_str()].as_str().unwrap_or_default(),
                    "{name}"
                );
            }
            assert_eq!(cell("error"), entry["error"].as_str().unwrap_or_default());
            match entry["duration_ms"].as_f64() {
                Some(ms) => assert_eq!(cell("duration_ms").parse::<f64>().unwrap(), ms),
                None => assert_eq!(cell("duration_ms"), ""),
            }
            match &entry["state"] {
                Value::Null => assert_eq!((cell("state"), cell("state_keys")), ("", "")),
                state => {
                    let parsed: Value = serde_json::from_str(cell("state")).unwrap();
                    assert_eq!(&parsed, state);
                    let keys: Vec<&String> = state["data"].as_object().unwrap().keys().collect();
                    let keys: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
                    assert_eq!(cell("state_keys"), keys.join(";"));
                }
            }
        }
    }
}

#[test]
fn csv_keeps_newlines_quotes_and_commas_inside_cells() {
    let w = Workdir::with(&[TRICKY]);
    let out = export(&w, "req-60000001", "csv", &[]);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 22);
    assert_eq!(
        &rows[8][9],
        "upstream said: \"no\", retry later\nsecond line"
    );
    assert_eq!(
        &rows[3][10],
        "at;attempt;big;formula;html;key, \"quoted\";message;negative;nested;password;plus;tab"
    );
    let state: Value = serde_json::from_str(&rows[3][11]).unwrap();
    assert_eq!(
        state["data"]["formula"],
        "=HYPERLINK(\"http://x\",\"click\")"
    );
    assert!(
        !rows[3][11].contains('\n'),
        "the state is compact JSON on one line"
    );
}

#[test]
fn csv_safe_defuses_cells_a_spreadsheet_would_run() {
    let w = Workdir::with(&[TRICKY]);
    let row = |args: &[&str]| {
        let out = export(&w, "req-60000001", "csv", args);
        csv::Reader::from_reader(out.as_bytes())
            .records()
            .nth(18)
            .unwrap()
            .unwrap()
    };
    let plain = row(&[]);
    assert_eq!(&plain[9], "=2+5 is not a summary");
    assert_eq!(&plain[10], "=sum;summary");
    let safe = row(&["--csv-safe"]);
    assert_eq!(&safe[9], "'=2+5 is not a summary");
    assert_eq!(&safe[10], "'=sum;summary");
    assert_eq!(
        &safe[11], &plain[11],
        "JSON cells start with {{ and stay as they are"
    );
    assert_eq!(&safe[2], "summarizer");
    w.run(&["trace", "req-60000001", "--format", "json", "--csv-safe"])
        .assert()
        .code(2)
        .stderr("agentcli: invalid --csv-safe: it only applies to --format csv\n");
}

#[test]
fn otlp_decodes_with_the_protobuf_definitions_into_the_sessions_spans() {
    let w = Workdir::with(&SAMPLES);
    for fixture in SAMPLES {
        let session = id_of(fixture);
        let spans = decode(&export(&w, session, "otlp", &[]));
        let spans: Vec<&Value> = spans.iter().collect();
        check_trace(&spans, session);
    }
}

#[test]
fn otlp_marks_what_the_file_cut_off_as_incomplete() {
    let w = Workdir::with(&[TRICKY]);
    let spans = decode(&export(&w, "req-60000001", "otlp", &[]));
    let publisher = spans
        .iter()
        .find(|s| s["name"] == "invoke_agent publisher")
        .unwrap();
    assert_eq!(publisher["attributes"]["agentcli.incomplete"], true);
    let summarizer = spans
        .iter()
        .find(|s| s["name"] == "invoke_agent summarizer")
        .unwrap();
    assert_eq!(summarizer["status"]["code"], 2);
    assert_eq!(summarizer["status"]["message"], "=2+5 is not a summary");
    // The publisher's event was created by the summarizer's run (its route).
    let event = spans
        .iter()
        .find(|s| s["name"] == "event publisher")
        .unwrap();
    assert_eq!(event["parent_span_id"], summarizer["span_id"]);
}

/// The old span builder let the first run to route to an agent wait for its event forever,
/// so in a filtered export (here without the entries that open events, whose order says which
/// run each event continues) it took an event of a later request. Spans now link as the flow
/// view does: the runs that ended before one whose event came wait in vain.
#[test]
fn otlp_parents_of_a_filtered_export_are_the_runs_the_events_continue() {
    let w = Workdir::with(&["analysis/known.trace.json"]);
    let spans = decode(&export(
        &w,
        "known",
        "otlp",
        &["--filter", "hook=AfterAgentRun"],
    ));
    let of_event = |name: &str, event: &str| {
        spans
            .iter()
            .find(|s| s["name"] == name && s["attributes"]["agentcli.event.id"] == event)
            .unwrap_or_else(|| panic!("no {name} of {event}"))
    };
    let summary = of_event("event summarizer", "e9-summary");
    let research = of_event("invoke_agent researcher", "e8-research");
    assert_eq!(summary["parent_span_id"], research["span_id"]);
}

#[test]
fn export_sends_exactly_what_otlp_writes() {
    let w = Workdir::with(&SAMPLES);
    let collector = Collector::start();
    w.run(&["export", "--otlp-endpoint", &collector.endpoint()])
        .assert()
        .success();
    let key = |s: &Value| s.to_string();
    let sent: HashSet<String> = collector.spans().iter().map(key).collect();
    let mut written = HashSet::new();
    for fixture in SAMPLES {
        for span in decode(&export(&w, id_of(fixture), "otlp", &[])) {
            assert!(written.insert(key(&span)), "no span twice");
        }
    }
    assert_eq!(sent, written);
}

#[test]
fn every_format_honours_filter_and_redact() {
    let w = Workdir::with(&[TRICKY]);
    for format in FORMATS {
        let plain = export(&w, "req-60000001", format, &[]);
        assert!(
            plain.contains("hunter2") && plain.contains("sk-live-123"),
            "{format}"
        );
        let redacted = export(&w, "req-60000001", format, &["--redact"]);
        assert!(
            !redacted.contains("hunter2") && !redacted.contains("sk-live-123"),
            "{format}: {redacted}"
        );
        assert!(redacted.contains("[REDACTED]"), "{format}");
    }
    let json: Value = serde_json::from_str(&export(
        &w,
        "req-60000001",
        "json",
        &["--filter", "agent=planner", "--redact-key", "correlation"],
    ))
    .unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert!(
        entries
            .iter()
            .all(|e| e["agent_id"] == "planner" || e["target_agent_id"] == "planner")
    );
    assert_eq!(entries[3]["state"]["meta"]["correlation_id"], "[REDACTED]");
    let lines = export(&w, "req-60000001", "jsonl", &["--filter", "error"]);
    assert_eq!(lines.lines().count(), 3);
    let csv = export(&w, "req-60000001", "csv", &["--filter", "hook=AgentError"]);
    assert_eq!(
        csv.lines().count(),
        1 + 2 + 2,
        "header, two rows of two lines"
    );
    let spans = decode(&export(
        &w,
        "req-60000001",
        "otlp",
        &["--filter", "agent=researcher"],
    ));
    let names: HashSet<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        HashSet::from([
            "session req-60000001",
            "event researcher",
            "invoke_agent researcher"
        ])
    );
}

#[test]
fn exports_are_never_coloured_and_say_nothing_but_data() {
    let w = Workdir::with(&[TRICKY]);
    for format in FORMATS {
        let out = export(&w, "req-60000001", format, &["--color", "always"]);
        assert!(!out.contains('\u{1b}'), "{format}");
        assert_eq!(out, export(&w, "req-60000001", format, &[]), "{format}");
    }
    w.run(&["trace", "req-60000001", "--format", "csv", "--verbose"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--verbose, --debug and --flow-only are views of their own",
        ));
}

#[test]
fn an_empty_session_is_an_empty_export() {
    let w = Workdir::with(&["shapes/empty.trace.json"]);
    let run = |format: &str| {
        let output = w
            .run(&["trace", "empty", "--format", format])
            .assert()
            .success()
            .get_output()
            .clone();
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(run("json"), "[]\n");
    assert_eq!(run("jsonl"), "");
    assert_eq!(
        run("csv"),
        "timestamp,hook,agent_id,event_id,session_id,source_agent_id,target_agent_id,\
         next_agent,duration_ms,error,state_keys,state\n"
    );
    assert!(decode(&run("otlp")).is_empty());
}

#[test]
fn a_closed_pipe_ends_an_export_quietly() {
    let w = Workdir::with(&SAMPLES[..1]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agentcli"))
        .args(["trace", "req-17461590", "--format", "jsonl", "--dir"])
        .arg(w.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn csv_on_a_terminal_shows_escape_sequences_instead_of_running_them() {
    let w = Workdir::with(&["hostile/req-40000001.trace.json"]);
    let command = format!(
        "{} trace req-40000001 --format csv --dir {}",
        env!("CARGO_BIN_EXE_agentcli"),
        w.path().display()
    );
    // script(1) runs the command on a pseudo-terminal.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("script(1), from util-linux");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains(r"evil\x1b[2J\x1b[Hagent"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown}");
    // Into a file or a pipe, the cells are the trace's text exactly.
    let piped = export(&w, "req-40000001", "csv", &[]);
    assert!(piped.contains("evil\u{1b}[2J\u{1b}[Hagent"), "{piped}");
}
