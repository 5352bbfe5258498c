//! `agentcli analyze`: the per-agent analysis across sessions.

use crate::common::{KNOWN, SAMPLES, Workdir, agentcli, json_keys, json_of, stdout_of};
use agentcli::analysis::AggregateReport;
use predicates::prelude::*;
use std::collections::BTreeSet;

fn close(a: &serde_json::Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-6)
}

/// Within the bound `--help` states: 0.1% or 1 µs.
fn within_bound(a: &serde_json::Value, exact: f64) -> bool {
    a.as_f64()
        .is_some_and(|a| (a - exact).abs() <= exact * 0.001 + 0.001)
}

#[test]
fn the_samples_as_a_table() {
    let w = Workdir::with(&SAMPLES);
    insta::assert_snapshot!(stdout_of(w.run(&["analyze", "--by-session"])));
}

#[test]
fn figures_merge_across_sessions_known_by_construction() {
    let w = Workdir::with(&KNOWN);
    let json = json_of(w.run(&["analyze", "--format", "json", "--by-session"]));
    let s = &json["summary"];
    assert_eq!(s["sessions"], 3);
    // known: 9 runs (2 errors); unclosed: 1; edge: loader, sampler, skewed.
    assert_eq!(
        (s["runs"].as_u64(), s["errors"].as_u64()),
        (Some(13), Some(2))
    );
    assert_eq!(s["runs_in_progress"], 1);
    assert_eq!(s["runs_without_start"], 1);
    assert_eq!(
        (s["duplicate_starts"].as_u64(), s["duplicate_ends"].as_u64()),
        (Some(11), Some(1))
    );
    let agent = |name: &str| {
        json["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent"] == name)
            .unwrap_or_else(|| panic!("no agent {name}"))
            .clone()
    };
    // planner: 100 and 200 ms in known, 100 ms in unclosed.
    let planner = agent("planner");
    assert_eq!(planner["runs"], 3);
    let d = &planner["durations"];
    assert!(
        close(&d["total_ms"], 400.0) && close(&d["min_ms"], 100.0) && close(&d["max_ms"], 200.0)
    );
    assert!(within_bound(&d["p50_ms"], 100.0) && within_bound(&d["p95_ms"], 200.0));
    assert_eq!(d["buckets"]["100-500ms"], 3);
    let researcher = agent("researcher");
    assert_eq!(
        (
            researcher["runs"].as_u64(),
            researcher["in_progress"].as_u64()
        ),
        (Some(4), Some(1))
    );
    assert!(within_bound(&researcher["durations"]["p50_ms"], 500.0));
    assert!(within_bound(&researcher["durations"]["p99_ms"], 2000.0));
    assert_eq!(agent("crasher")["abandoned"], 1);
    assert_eq!(agent("skewed")["clock_skew"], 1);

    let rows = json["sessions"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["session"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["edge", "known", "unclosed"], "by start time, then id");
    let known = &rows[1];
    assert!(close(&known["span_ms"], 4850.0));
    assert_eq!(
        (
            known["events"].as_u64(),
            known["runs"].as_u64(),
            known["errors"].as_u64()
        ),
        (Some(9), Some(9), Some(2))
    );
    assert_eq!(known["slowest_agent"], "researcher");
    assert!(within_bound(&known["slowest_agent_p95_ms"], 2000.0));

    // Parsed back into the documented types.
    let typed: AggregateReport = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(typed.schema, "agentcli.analysis/1");
    assert_eq!(typed.errors.groups.len(), 2);
}

#[test]
fn a_time_window_counts_runs_that_end_in_it() {
    let w = Workdir::with(&KNOWN);
    // known's second request runs from 10:00:02 on; unclosed and edge end before.
    let json = json_of(w.run(&[
        "analyze",
        "--format",
        "json",
        "--since",
        "2025-05-02T10:00:01.5Z",
        "--until",
        "2025-05-02T10:00:04.81Z",
    ]));
    assert_eq!(
        json["filter"],
        "since 2025-05-02T10:00:01.500Z and until 2025-05-02T10:00:04.810Z"
    );
    assert_eq!(json["summary"]["sessions"], 1);
    // planner 200, researcher 500, 5 (error) and 2000 end in the window; summarizer's 10 ms
    // run ends at 4.845, after it.
    assert_eq!(json["summary"]["runs"], 4);
    assert_eq!(json["summary"]["errors"], 1);
    let names: Vec<&str> = json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["planner", "researcher"]);

    let none = w
        .run(&["analyze", "--until", "2020-01-01"])
        .assert()
        .success();
    none.stderr(predicate::str::contains(
        "no entry of the 3 sessions matches until 2020-01-01T00:00:00Z",
    ));
}

#[test]
fn the_filter_of_trace_selects_what_is_counted() {
    let w = Workdir::with(&KNOWN);
    let json = json_of(w.run(&[
        "analyze",
        "--format",
        "json",
        "--filter",
        "agent=research*",
        "--since",
        "2025-05-02T10:00:02Z",
    ]));
    assert_eq!(
        json["filter"],
        "agent 'research*' and since 2025-05-02T10:00:02Z"
    );
    let agents = json["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["agent"], "researcher");
    assert_eq!(agents[0]["runs"], 3);
    assert_eq!(agents[0]["errors"], 1);
    let json = json_of(w.run(&["analyze", "--format", "json", "--filter", "error"]));
    assert_eq!(
        (
            json["summary"]["runs"].as_u64(),
            json["summary"]["errors"].as_u64()
        ),
        (Some(2), Some(2))
    );
    w.run(&["analyze", "--filter", "colour=blue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--filter"));
}

#[test]
fn named_sessions_only() {
    let w = Workdir::with(&KNOWN);
    let json = json_of(w.run(&["analyze", "kno", "--format", "json"]));
    assert_eq!(json["summary"]["sessions"], 1);
    assert_eq!(json["summary"]["runs"], 9);
    w.run(&["analyze", "nothing-like-it"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no session 'nothing-like-it'"));
}

#[test]
fn damaged_input_is_reported_and_the_rest_analysed() {
    let w = Workdir::with(&[
        "bad/wrong-type-and-garbage.trace.json",
        "analysis/known.trace.json",
    ]);
    let out = w.run(&["analyze", "--format", "json"]).assert().code(1);
    let out = out.stderr(predicate::str::contains("entry 2: invalid type"));
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["summary"]["sessions"], 2);
}

#[test]
fn help_states_the_quantile_error_bound() {
    let help = stdout_of(agentcli().args(["analyze", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("each is within 0.1% (or 1 µs) of the exact nearest-rank value"),
        "{help}"
    );
}

#[test]
fn every_json_field_is_documented() {
    let doc = std::fs::read_to_string(crate::common::fixtures().join("../docs/analysis-json.md"))
        .expect("docs/analysis-json.md");
    let w = Workdir::with(&KNOWN);
    let mut found = BTreeSet::new();
    json_keys(
        &json_of(w.run(&["analyze", "--format", "json", "--by-session"])),
        &mut found,
    );
    let missing: Vec<&String> = found
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "not in docs/analysis-json.md: {missing:?}"
    );
}

#[test]
fn an_empty_directory_says_where_it_looked() {
    let w = Workdir::with(&[]);
    w.run(&["analyze"]).assert().success().stderr(
        predicate::str::contains("no trace files in").and(predicate::str::contains(
            "looking for names ending in .trace.json, .trace.jsonl",
        )),
    );
}
