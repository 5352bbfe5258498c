//! `agentcli trace --analyze`: the performance analysis of one session.

use crate::common::{KNOWN, Workdir, json_of, stdout_of};
use agentcli::analysis::SessionReport;
use predicates::prelude::*;

#[test]
fn a_session_known_by_construction_as_tables_and_a_waterfall() {
    let w = Workdir::with(&KNOWN);
    insta::assert_snapshot!(stdout_of(w.run(&["trace", "--analyze", "known"])));
}

#[test]
fn a_sample_as_the_seed_documentation_runs_it() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    insta::assert_snapshot!(stdout_of(w.run(&["trace", "--analyze", "req-17461590"])));
}

#[test]
fn json_is_the_whole_report_and_parses_back() {
    let w = Workdir::with(&KNOWN);
    let json = json_of(w.run(&[
        "trace",
        "--analyze",
        "known",
        "--format",
        "json",
        "--top",
        "2",
    ]));
    assert_eq!(json["schema"], "agentcli.analysis/1");
    assert_eq!(json["session"], "known");
    assert_eq!(json["file"]["status"], "closed");
    let s = &json["summary"];
    assert_eq!(
        (
            s["runs"].as_u64(),
            s["errors"].as_u64(),
            s["events"].as_u64()
        ),
        (Some(9), Some(2), Some(9))
    );
    assert_eq!(s["span_ms"].as_f64(), Some(4850.0));
    assert_eq!(s["first"], "2025-05-02T10:00:00Z");
    // --top bounds the lists, not the counts.
    assert_eq!(json["events"]["slowest"].as_array().unwrap().len(), 2);
    assert_eq!(json["events"]["slowest"][0]["event_id"], "e8-research");
    assert_eq!(
        json["events"]["slowest"][0]["latency_ms"].as_f64(),
        Some(2020.0)
    );
    assert_eq!(json["gaps"]["longest"].as_array().unwrap().len(), 2);
    assert_eq!(json["gaps"]["count"], 10);
    assert_eq!(json["bottleneck"]["agent"], "researcher");
    let hops: Vec<(&str, &str)> = json["critical_path"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["agent"].as_str().unwrap(), h["next"].as_str().unwrap()))
        .collect();
    assert_eq!(
        hops,
        [
            ("planner", "ran"),
            ("researcher", "ran"),
            ("researcher", "ran"),
            ("researcher", "ran"),
            ("summarizer", "end")
        ]
    );
    let planner = json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "planner")
        .unwrap();
    assert_eq!(planner["sources"]["disagreeing"], 1);
    assert_eq!(planner["durations"]["buckets"]["100-500ms"], 2);
    let typed: SessionReport = serde_json::from_value(json).unwrap();
    assert_eq!(typed.pairing.duplicate_ends, 1);
}

#[test]
fn times_follow_utc() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    let json = json_of(w.run(&[
        "trace",
        "--analyze",
        "req-17461590",
        "--format",
        "json",
        "--utc",
    ]));
    assert_eq!(json["summary"]["first"], "2025-05-02T09:02:15.123997595Z");
}

#[test]
fn an_unclosed_file_shows_the_run_in_progress() {
    let w = Workdir::with(&KNOWN);
    let out = stdout_of(w.run(&["trace", "--analyze", "unclosed"]));
    assert!(
        out.contains("(open: no closing ']'); its last entry is cut off"),
        "{out}"
    );
    assert!(
        out.contains("- run in progress at the end of the trace: researcher (event e2-research, started 10:00:00.130)"),
        "{out}"
    );
    // The critical path ends with the researcher's run, begun and unfinished.
    assert!(
        out.lines()
            .any(|l| l.contains("│ 2 │ researcher") && l.contains("(unfinished)")),
        "{out}"
    );
    // The waterfall draws the run in progress, marked.
    let last = out.lines().last().unwrap();
    assert!(last.contains("researcher") && last.ends_with('…'), "{last}");
}

#[test]
fn a_time_window_narrows_the_waterfall() {
    let w = Workdir::with(&KNOWN);
    let out = stdout_of(w.run(&[
        "trace",
        "--analyze",
        "known",
        "--filter",
        "since=2025-05-02T10:00:02Z",
        "--filter",
        "until=2025-05-02T10:00:03Z",
    ]));
    assert!(
        out.contains("filter: since 2025-05-02T10:00:02Z and until 2025-05-02T10:00:03Z"),
        "{out}"
    );
    let waterfall = out.split("Waterfall: ").nth(1).expect("a waterfall");
    assert!(waterfall.starts_with("3 runs"), "{waterfall}");
    assert_eq!(waterfall.matches('✗').count(), 1, "{waterfall}");
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let w = Workdir::with(&KNOWN);
    w.run(&["trace", "--analyze", "known", "--filter", "agent=writer"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No agent runs."))
        .stderr(predicate::str::contains(
            "no entry of session known matches agent 'writer'",
        ));
}

#[test]
fn analysis_options_need_analyze() {
    let w = Workdir::with(&KNOWN);
    w.run(&["trace", "known", "--top", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--analyze"));
    // Without --analyze, --format json is the entries' export; with it, the report's formats.
    w.run(&["trace", "known", "--analyze", "--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid --format: the --analyze report is a table or json",
        ));
    w.run(&["trace", "known", "--analyze", "--verbose"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn colour_only_when_asked_and_never_in_json() {
    let w = Workdir::with(&KNOWN);
    let plain = stdout_of(w.run(&["trace", "--analyze", "known"]));
    assert!(!plain.contains('\x1b'));
    let coloured = stdout_of(w.run(&["trace", "--analyze", "known", "--color", "always"]));
    assert!(coloured.contains("\x1b[31m"), "failed runs in red");
    let json = stdout_of(w.run(&[
        "trace",
        "--analyze",
        "known",
        "--color",
        "always",
        "--format",
        "json",
    ]));
    assert!(!json.contains('\x1b'));
}
