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

/// A figure of a diff's metric (`{a, b, change, relative, changed}`): agent `agent`'s, or the
/// total's when `agent` is `None`.
fn diff_metric<'v>(diff: &'v Value, agent: Option<&str>, name: &str) -> &'v Value {
    let metrics = match agent {
        Some(agent) => diff["agents"]
            .as_array()
            .and_then(|agents| agents.iter().find(|a| a["agent"] == agent))
            .map(|a| &a["metrics"]),
        None => Some(&diff["metrics"]),
    };
    metrics
        .and_then(Value::as_array)
        .and_then(|m| m.iter().find(|m| m["metric"] == name))
        .unwrap_or_else(|| panic!("no metric {name} of {agent:?} in {diff}"))
}

#[test]
fn diff_json_carries_each_metric_per_agent_and_in_total() {
    // B's researcher reports 3226 tokens for A's 2151, and a cost of "0.09" for "0.05".
    let w = Workdir::with(&[A, B]);
    let d = json_of(w.run(&["diff", "metrics-a", "metrics-b", "--format", "json"]));
    assert_eq!(d["changed"], true);
    let researcher = diff_metric(&d, Some("researcher"), "tokens_used");
    assert_eq!(researcher["total"]["a"], 2151.0);
    assert_eq!(researcher["total"]["b"], 3226.0);
    assert_eq!(researcher["total"]["change"], 1075.0);
    assert_eq!(researcher["total"]["changed"], true);
    let relative = researcher["total"]["relative"].as_f64().unwrap_or_default();
    assert!((relative - 1075.0 / 2151.0).abs() < 1e-12, "{relative}");
    assert_eq!(researcher["runs"]["a"], 1, "its second run reports none");
    let planner = diff_metric(&d, Some("planner"), "tokens_used");
    assert_eq!(planner["total"]["changed"], false);
    assert_eq!(planner["mean"]["b"], 1000.0);
    // The writer's "n/a" is counted, in both.
    let writer = diff_metric(&d, Some("writer"), "tokens_used");
    assert_eq!(writer["not_a_number"]["a"], 1);
    assert_eq!(writer["not_a_number"]["b"], 1);
    let total = diff_metric(&d, None, "tokens_used");
    assert_eq!(total["total"]["a"], 5151.0);
    assert_eq!(total["total"]["b"], 6226.0);
    assert_eq!(total["runs"]["b"], 4);
    let cost = diff_metric(&d, Some("researcher"), "cost_usd");
    assert!((cost["total"]["b"].as_f64().unwrap_or_default() - 0.09).abs() < 1e-12);
    // The writer reports no usage: no figure in either session, not 0.
    assert!(
        d["agents"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["agent"] == "writer"))
            .and_then(|w| w["metrics"].as_array())
            .is_some_and(|m| m.iter().all(|m| m["metric"] != "usage.input_tokens")),
        "{d}"
    );
    // A session compared with itself: every metric figure unchanged.
    let same = json_of(w.run(&["diff", "metrics-a", "metrics-a", "--format", "json"]));
    assert_eq!(same["changed"], false);
    assert_eq!(
        diff_metric(&same, None, "cost_usd")["total"]["changed"],
        false
    );
}

#[test]
fn diff_text_shows_each_metric_change_with_its_mark_and_percentage() {
    let w = Workdir::with(&[A, B]);
    let out = stdout_of(w.run(&["diff", "metrics-a", "metrics-b"]));
    assert!(out.contains("Metrics (totals the runs reported)"), "{out}");
    let rows = table_rows(&out);
    let row = |metric: &str, agent: &str, out: &str| {
        table_rows(out)
            .into_iter()
            .find(|r| r.len() == 5 && r[0] == metric && r[1] == agent)
            .unwrap_or_else(|| panic!("no row {metric} {agent} in {out}"))
    };
    assert_eq!(
        row("tokens_used", "researcher", &out),
        [
            "tokens_used",
            "researcher",
            "2151",
            "3226",
            "▲ +1075 (+50.0%)"
        ]
    );
    assert_eq!(
        row("tokens_used", "(all agents)", &out),
        [
            "tokens_used",
            "(all agents)",
            "5151",
            "6226",
            "▲ +1075 (+20.9%)"
        ]
    );
    assert_eq!(
        row("cost_usd", "researcher", &out),
        ["cost_usd", "researcher", "0.05", "0.09", "▲ +0.04 (+80.0%)"]
    );
    assert_eq!(row("tokens_used", "planner", &out)[4], "", "unchanged");
    assert!(!rows.is_empty());
    // The other way round, a fall; with --ascii, no marks.
    let back = stdout_of(w.run(&["diff", "metrics-b", "metrics-a"]));
    assert_eq!(
        row("tokens_used", "(all agents)", &back)[4],
        "▼ -1075 (-17.3%)"
    );
    let ascii = stdout_of(w.run(&["diff", "metrics-b", "metrics-a", "--ascii"]));
    assert_eq!(
        row("tokens_used", "(all agents)", &ascii)[4],
        "-1075 (-17.3%)"
    );
    // --metric none: no metrics table.
    let none = stdout_of(w.run(&["diff", "metrics-a", "metrics-b", "--metric", "none"]));
    assert!(!none.contains("Metrics"), "{none}");
}

/// `--fail-on` on metric figures, each with its exit codes for `diff A B`, `diff B A` and
/// `diff A A`. Unscoped, a condition is on every agent (it holds when it holds for one);
/// `session:` is the total over all agents.
const METRIC_CONDITIONS: [(&str, [i32; 3]); 14] = [
    // The researcher's tokens rise 50%, the total's 20.9% (+1075).
    ("metric.tokens_used>+10%", [3, 0, 0]),
    ("metric.tokens_used>+60%", [0, 0, 0]),
    ("session:metric.tokens_used>+10%", [3, 0, 0]),
    ("session:metric.tokens_used>+25%", [0, 0, 0]),
    ("session:metric.tokens_used>+1000", [3, 0, 0]),
    ("session:metric.tokens_used>+1100", [0, 0, 0]),
    ("session:metric.tokens_used<-1000", [0, 3, 0]),
    ("metric.tokens_used<-30%", [0, 3, 0]),
    // B's figure, unsigned: the researcher's cost is 0.09 in B, 0.05 in A.
    ("agent=researcher:metric.cost_usd>0.05", [3, 0, 0]),
    ("agent=research*:metric.cost_usd>=0.09", [3, 0, 0]),
    ("agent=planner:metric.tokens_used>=2000", [3, 3, 3]),
    ("agent=planner:metric.tokens_used>+0%", [0, 0, 0]),
    // A metric an agent does not report never holds, whatever the threshold.
    ("agent=writer:metric.usage.input_tokens>=0", [0, 0, 0]),
    // Not read without --metric (it is no token, cost or usage field): never holds.
    ("metric.retrieved_docs>=0", [0, 0, 0]),
];

#[test]
fn diff_fail_on_takes_metric_figures() {
    let w = Workdir::with(&[A, B]);
    for (condition, codes) in METRIC_CONDITIONS {
        for ((a, b), code) in [
            ("metrics-a", "metrics-b"),
            ("metrics-b", "metrics-a"),
            ("metrics-a", "metrics-a"),
        ]
        .into_iter()
        .zip(codes)
        {
            let out = w
                .run(&["diff", a, b, "--fail-on", condition])
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(code),
                "diff {a} {b} --fail-on '{condition}'\n{stderr}"
            );
            let verdict = if code == 3 { "holds" } else { "does not hold" };
            assert!(
                stderr.starts_with(&format!("--fail-on '{condition}' {verdict}")),
                "{a} {b} '{condition}': {stderr}"
            );
        }
    }
}

#[test]
fn a_metric_condition_says_what_moved_and_why_it_could_not_hold() {
    let w = Workdir::with(&[A, B]);
    let out = w
        .run(&[
            "diff",
            "metrics-a",
            "metrics-b",
            "--fail-on",
            "session:metric.tokens_used>+10%",
            "--fail-on",
            "metric.cost_usd>+50%",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--fail-on 'session:metric.tokens_used>+10%' holds:\n  session: \
             metric.tokens_used from 5151 to 6226 (+1075, +20.9%)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "--fail-on 'metric.cost_usd>+50%' holds:\n  agent researcher: metric.cost_usd \
             from 0.05 to 0.09 (+0.04, +80.0%)"
        ),
        "{stderr}"
    );
    // A metric no run reported: the note says so, and which metrics were read.
    let d = json_of(w.run(&[
        "diff",
        "metrics-a",
        "metrics-b",
        "--format",
        "json",
        "--fail-on",
        "metric.retrieved_docs>0",
    ]));
    assert_eq!(d["fail_on"][0]["holds"], false);
    let note = d["fail_on"][0]["note"].as_str().unwrap_or_default();
    assert!(
        note.starts_with("no run of either session reported metric 'retrieved_docs'")
            && note.contains("metrics read: cost_usd, tokens_used"),
        "{note}"
    );
    // Named with --metric, a metric a condition is on is read for it too.
    w.run(&[
        "diff",
        "metrics-a",
        "metrics-b",
        "--metric",
        "tokens_used",
        "--fail-on",
        "agent=researcher:metric.retrieved_docs>=8",
    ])
    .assert()
    .code(3);
}

#[test]
fn malformed_metric_conditions_are_usage_errors() {
    let w = Workdir::with(&[A, B]);
    for (condition, message) in [
        ("metric.>1", "'metric.' needs a path"),
        ("metric.cost_usd>5ms", "a reported number is plain"),
        ("metric.cost_usd>5%", "a reported number is plain"),
        (
            "events:metric.cost_usd>1",
            "events has no 'metric.cost_usd'",
        ),
    ] {
        w.run(&["diff", "metrics-a", "metrics-b", "--fail-on", condition])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "invalid --fail-on \"{condition}\""
            )))
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn list_verbose_shows_a_column_per_metric_asked_for() {
    let w = Workdir::with(&[A, B, "req-17461590.trace.json"]);
    let out = stdout_of(w.run(&[
        "list",
        "-v",
        "--metric",
        "tokens_used",
        "--metric",
        "usage.input_tokens",
        "--width",
        "300",
    ]));
    let rows = table_rows(&out);
    let header = rows.first().unwrap_or_else(|| panic!("{out}"));
    let at = |name: &str| {
        header
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no {name} in {out}"))
    };
    let (tokens, input) = (at("TOKENS_USED"), at("USAGE.INPUT_TOKENS"));
    let row = |session: &str| {
        rows.iter()
            .find(|r| r[0] == session)
            .unwrap_or_else(|| panic!("no {session} in {out}"))
    };
    // "1000" counts, "n/a" does not; the sample reports neither.
    assert_eq!(row("metrics-a")[tokens], "5151");
    assert_eq!(row("metrics-b")[tokens], "6226");
    assert_eq!(row("metrics-b")[input], "4200");
    assert_eq!(row("req-17461590")[tokens], "-");
    // Without --metric, no metric column: the state data is not read.
    let plain = stdout_of(w.run(&["list", "-v", "--width", "300"]));
    assert!(!plain.contains("TOKENS"), "{plain}");
    let json = json_of(w.run(&["list", "-v", "--format", "json"]));
    assert!(json[0].get("metrics").is_none(), "{json}");
}

#[test]
fn list_metrics_in_json_and_csv() {
    let w = Workdir::with(&[A, "req-17461590.trace.json"]);
    let json = json_of(w.run(&[
        "list",
        "-v",
        "--format",
        "json",
        "--metric",
        "cost_usd",
        "--metric",
        "retrieved_docs",
    ]));
    let session = |id: &str| {
        json.as_array()
            .and_then(|s| s.iter().find(|s| s["session"] == id))
            .unwrap_or_else(|| panic!("no {id} in {json}"))
    };
    let a = &session("metrics-a")["metrics"];
    assert!(
        (a["cost_usd"].as_f64().unwrap_or_default() - 0.12).abs() < 1e-9,
        "{a}"
    );
    assert_eq!(a["retrieved_docs"], 8.0);
    assert_eq!(session("req-17461590")["metrics"]["cost_usd"], Value::Null);
    let csv = stdout_of(w.run(&["list", "-v", "--format", "csv", "--metric", "tokens_used"]));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.ends_with(",problems,tokens_used")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("metrics-a,") && l.ends_with(",5151")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("req-17461590,") && l.ends_with(',')),
        "{csv}"
    );
    // The column comes with --verbose, which reads each file whole.
    w.run(&["list", "--metric", "tokens_used"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--verbose"));
}

/// The run spans of agent `agent` in decoded OTLP spans, in the order they started.
fn run_spans<'s>(spans: &'s [Value], agent: &str) -> Vec<&'s serde_json::Map<String, Value>> {
    let mut runs: Vec<&Value> = spans
        .iter()
        .filter(|s| s["name"] == format!("invoke_agent {agent}"))
        .collect();
    runs.sort_by_key(|s| s["start"].as_u64());
    runs.iter()
        .filter_map(|s| s["attributes"].as_object())
        .collect()
}

/// The metric attributes of a span, with their values.
fn metric_attributes(attributes: &serde_json::Map<String, Value>) -> Vec<(String, Value)> {
    attributes
        .iter()
        .filter(|(k, _)| k.starts_with("agentcli.metric.") || k.starts_with("gen_ai.usage."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn otlp_run_spans_carry_their_metrics_with_genai_names_for_tokens() {
    let w = Workdir::with(&[A]);
    let document = stdout_of(w.run(&["trace", "metrics-a", "--format", "otlp"]));
    // Decoded by the OpenTelemetry protobuf definitions.
    let spans = crate::collector::decode(&document);
    let planner = run_spans(&spans, "planner");
    assert_eq!(planner.len(), 2);
    assert_eq!(
        metric_attributes(planner[0]),
        [
            (
                "agentcli.metric.cost_usd".to_owned(),
                serde_json::json!(0.012)
            ),
            (
                "agentcli.metric.tokens_used".to_owned(),
                serde_json::json!(1200.0)
            ),
            // usage.input_tokens and usage.output_tokens: integers, as the conventions say.
            (
                "gen_ai.usage.input_tokens".to_owned(),
                serde_json::json!(900)
            ),
            (
                "gen_ai.usage.output_tokens".to_owned(),
                serde_json::json!(300)
            ),
        ]
    );
    let writer = run_spans(&spans, "writer");
    // "1000" counts; "n/a" is left out, the cost stays.
    assert_eq!(writer[0]["agentcli.metric.tokens_used"], 1000.0);
    assert_eq!(
        metric_attributes(writer[1]),
        [(
            "agentcli.metric.cost_usd".to_owned(),
            serde_json::json!(0.03)
        )]
    );
    // The researcher's second run reports no metric: no attribute at all.
    let researcher = run_spans(&spans, "researcher");
    assert_eq!(researcher[0]["agentcli.metric.cost_usd"], 0.05, "a string");
    assert!(metric_attributes(researcher[1]).is_empty());
    // Events and the session carry none.
    for span in spans.iter().filter(|s| {
        !s["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("invoke_agent"))
    }) {
        let attributes = span["attributes"].as_object().map(metric_attributes);
        assert_eq!(attributes, Some(vec![]), "{span}");
    }
}

#[test]
fn export_sends_the_metrics_asked_for_as_span_attributes() {
    let w = Workdir::with(&[A]);
    let collector = crate::collector::Collector::start();
    w.run(&[
        "export",
        "metrics-a",
        "--otlp-endpoint",
        &collector.endpoint(),
        "--metric",
        "usage.output_tokens",
        "--metric",
        "retrieved_docs",
    ])
    .assert()
    .success();
    let spans = collector.spans();
    let researcher = run_spans(&spans, "researcher");
    assert_eq!(
        metric_attributes(researcher[0]),
        [
            (
                "agentcli.metric.retrieved_docs".to_owned(),
                serde_json::json!(3.0)
            ),
            (
                "gen_ai.usage.output_tokens".to_owned(),
                serde_json::json!(351)
            ),
        ]
    );
    let none = crate::collector::Collector::start();
    w.run(&[
        "export",
        "metrics-a",
        "--otlp-endpoint",
        &none.endpoint(),
        "--metric",
        "none",
    ])
    .assert()
    .success();
    let spans = none.spans();
    assert!(!spans.is_empty());
    assert!(
        spans
            .iter()
            .filter_map(|s| s["attributes"].as_object())
            .all(|a| metric_attributes(a).is_empty())
    );
}
