//! Metrics (issue 19): the numbers runs report (tokens, cost), in `trace --analyze` and
//! `analyze`, as tables and as JSON, on fixtures/metrics/ (numbers, numeric strings, a missing
//! value and a non-number).

use crate::common::{Workdir, json_of, stdout_of, table_rows};
use serde_json::Value;

const A: &str = "metrics/metrics-a.trace.json";
const B: &str = "metrics/metrics-b.trace.json";

/// The metric `name` of agent `agent` in a report's JSON.
fn agent_metric<'v>(report: &'v Value, agent: &str, name: &str) -> &'v Value {
    report["agents"]
        .as_array()
        .and_then(|agents| agents.iter().find(|a| a["agent"] == agent))
        .and_then(|a| a["metrics"].as_array())
        .and_then(|m| m.iter().find(|m| m["metric"] == name))
        .unwrap_or_else(|| panic!("no metric {name} for {agent} in {report}"))
}

fn session_metric<'v>(report: &'v Value, name: &str) -> &'v Value {
    report["metrics"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["metric"] == name))
        .unwrap_or_else(|| panic!("no session metric {name} in {report}"))
}

#[test]
fn trace_analyze_counts_numbers_and_numeric_strings_and_names_non_numbers() {
    let w = Workdir::with(&[A]);
    let r = json_of(w.run(&["trace", "metrics-a", "--analyze", "--format", "json"]));
    // The writer's tokens_used: 1200 and 800 for the planner; "1000" (a string) and "n/a" for
    // the writer; the researcher's second run reports none.
    let planner = agent_metric(&r, "planner", "tokens_used");
    assert_eq!(planner["runs"], 2);
    assert_eq!(planner["total"], 2000.0);
    assert_eq!(planner["mean"], 1000.0);
    assert_eq!(planner["p50"], 800.0);
    assert_eq!(planner["p95"], 1200.0);
    assert_eq!(planner["max"], 1200.0);
    let writer = agent_metric(&r, "writer", "tokens_used");
    assert_eq!(writer["runs"], 1);
    assert_eq!(writer["total"], 1000.0);
    assert_eq!(writer["not_a_number"], 1);
    assert_eq!(agent_metric(&r, "researcher", "tokens_used")["runs"], 1);
    let total = session_metric(&r, "tokens_used");
    assert_eq!(total["total"], 5151.0);
    assert_eq!(total["runs"], 4);
    assert_eq!(total["not_a_number"], 1);
    // cost_usd "0.05" is a string.
    assert_eq!(agent_metric(&r, "researcher", "cost_usd")["total"], 0.05);
    // Nested usage members come in by the default rule; retrieved_docs does not.
    assert_eq!(session_metric(&r, "usage.output_tokens")["total"], 851.0);
    assert!(
        !r.to_string().contains("retrieved_docs"),
        "retrieved_docs is not a default metric"
    );
}

#[test]
fn the_text_report_has_a_metrics_table() {
    let w = Workdir::with(&[A]);
    let out = stdout_of(w.run(&["trace", "metrics-a", "--analyze", "--metric", "tokens_used"]));
    assert!(out.contains("Metrics (numbers the runs reported)"), "{out}");
    let rows = table_rows(&out);
    let row = |agent: &str| {
        rows.iter()
            .find(|r| r.first().is_some_and(|c| c == "tokens_used") && r[1] == agent)
            .unwrap_or_else(|| panic!("no row for {agent} in {out}"))
            .clone()
    };
    assert_eq!(
        row("planner"),
        [
            "tokens_used",
            "planner",
            "2",
            "2000",
            "1000",
            "800",
            "1200",
            "1200",
            "0"
        ]
    );
    assert_eq!(row("writer")[8], "1", "the writer's n/a is not a number");
    assert_eq!(row("(all agents)")[3], "5151");
    assert!(
        !out.contains("cost_usd"),
        "only the metric asked for: {out}"
    );
}

#[test]
fn a_named_path_reaches_nested_fields_and_retrieved_docs() {
    let w = Workdir::with(&[A]);
    let r = json_of(w.run(&[
        "trace",
        "metrics-a",
        "--analyze",
        "--format",
        "json",
        "--metric",
        "usage.input_tokens",
        "--metric",
        "retrieved_docs",
    ]));
    assert_eq!(session_metric(&r, "usage.input_tokens")["total"], 3300.0);
    assert_eq!(
        agent_metric(&r, "researcher", "retrieved_docs")["total"],
        8.0
    );
    assert_eq!(r["metrics"].as_array().map(Vec::len), Some(2));
}

#[test]
fn metric_none_turns_metrics_off() {
    let w = Workdir::with(&[A]);
    let r = json_of(w.run(&[
        "trace",
        "metrics-a",
        "--analyze",
        "--format",
        "json",
        "--metric",
        "none",
    ]));
    assert_eq!(r["metrics"], Value::Array(vec![]));
    let out = stdout_of(w.run(&["trace", "metrics-a", "--analyze", "--metric", "none"]));
    assert!(!out.contains("Metrics"), "{out}");
}

#[test]
fn metric_delta_counts_the_increase_of_a_running_total() {
    // The planner's tokens_used goes 1200 then 800: lower, so the 800 counts whole; the
    // researcher's single 2151 counts whole.
    let w = Workdir::with(&[A]);
    let r = json_of(w.run(&[
        "trace",
        "metrics-a",
        "--analyze",
        "--format",
        "json",
        "--metric",
        "usage.input_tokens",
        "--metric-delta",
    ]));
    assert_eq!(
        agent_metric(&r, "planner", "usage.input_tokens")["total"],
        1500.0
    );
    let w = Workdir::with(&[B]);
    let r = json_of(w.run(&[
        "trace",
        "metrics-b",
        "--analyze",
        "--format",
        "json",
        "--metric",
        "cost_usd",
        "--metric-delta",
    ]));
    // The writer's cost goes 0.02 then 0.03: counted as 0.02 and 0.01.
    let writer = agent_metric(&r, "writer", "cost_usd");
    assert!(
        (writer["total"].as_f64().unwrap_or_default() - 0.03).abs() < 1e-9,
        "{writer}"
    );
}

#[test]
fn analyze_totals_metrics_across_sessions() {
    let w = Workdir::with(&[A, B]);
    let r = json_of(w.run(&["analyze", "--format", "json"]));
    // 2151 + 3226 (2151 * 1.5, truncated) for the researcher.
    assert_eq!(
        agent_metric(&r, "researcher", "tokens_used")["total"],
        5377.0
    );
    assert_eq!(session_metric(&r, "tokens_used")["not_a_number"], 2);
    let out = stdout_of(w.run(&["analyze", "--metric", "cost_usd"]));
    assert!(out.contains("Metrics (numbers the runs reported)"), "{out}");
    let rows = table_rows(&out);
    let all = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "cost_usd") && r[1] == "(all agents)")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(all[3], "0.28");
}
