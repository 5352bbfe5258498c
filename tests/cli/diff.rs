//! `agentcli diff A B`: the comparison of two sessions, and `--fail-on` exit codes. The
//! fixtures in fixtures/diff/ each differ from `baseline` in one known way (their README).

use crate::common::{Workdir, agentcli, json_keys, json_of, stdout_of};
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;

const DIFF: [&str; 5] = [
    "diff/baseline.trace.json",
    "diff/same.trace.jsonl",
    "diff/slower.trace.json.gz",
    "diff/new-error.trace.json",
    "diff/rerouted.trace.json",
];

/// The histogram's error on a quantile near `ms`: 0.1% or 1 µs, for each of two estimates.
fn close(estimate: f64, truth: f64) -> bool {
    (estimate - truth).abs() <= 2.0 * (truth.abs() * 0.001 + 0.001)
}

fn diff_json(w: &Workdir, b: &str) -> Value {
    json_of(w.run(&["diff", "baseline", b, "--format", "json"]))
}

fn agent<'j>(json: &'j Value, name: &str) -> &'j Value {
    json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == name)
        .unwrap_or_else(|| panic!("no agent {name} in {json}"))
}

/// Every figure object (`a`, `b`, `change`, `changed`) in the document, with its path.
fn figures<'j>(value: &'j Value, path: String, out: &mut Vec<(String, &'j Value)>) {
    match value {
        Value::Object(map) if map.contains_key("change") && map.contains_key("changed") => {
            out.push((path, value))
        }
        Value::Object(map) => {
            for (k, v) in map {
                figures(v, format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                figures(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The `--fail-on` forms of the issue, and more of the grammar, each with the exit code it
/// gives against `baseline` for each fixture: same, slower, new-error, rerouted.
const CONDITIONS: [(&str, [i32; 4]); 23] = [
    ("p95>+20%", [0, 3, 0, 0]),
    ("errors>0", [0, 0, 3, 0]),
    ("route-changed", [0, 0, 3, 3]),
    ("agent=researcher:p95>+500ms", [0, 3, 0, 0]),
    ("agent=researcher:p95>+700ms", [0, 0, 0, 0]),
    ("agent=research*:p50>=+0.5s", [0, 3, 0, 0]),
    ("p95>+100%", [0, 0, 0, 0]),
    ("p95<-20%", [0, 0, 0, 3]),
    ("new-errors", [0, 0, 3, 0]),
    ("errors>+0", [0, 0, 3, 0]),
    ("session:errors>1", [0, 0, 0, 0]),
    ("error-rate>10%", [0, 0, 3, 0]),
    ("error-rate>+12pp", [0, 0, 3, 0]),
    ("session:error-rate>+12pp", [0, 0, 0, 0]),
    ("agent=analyzer:errors>0", [0, 0, 3, 0]),
    ("agent=planner:errors>0", [0, 0, 0, 0]),
    ("session:duration>+1s", [0, 3, 0, 0]),
    ("session:duration>=3s", [0, 3, 0, 0]),
    ("runs>+0", [0, 0, 3, 3]),
    ("requests:p95>+30%", [0, 3, 0, 0]),
    ("requests:count<2", [0, 0, 0, 0]),
    ("events:count>+0", [0, 0, 3, 0]),
    ("events:p95>1s", [0, 3, 0, 0]),
];

#[test]
fn each_fail_on_form_gives_its_exit_code() {
    let w = Workdir::with(&DIFF);
    for (condition, codes) in CONDITIONS {
        for (b, code) in ["same", "slower", "new-error", "rerouted"]
            .iter()
            .zip(codes)
        {
            let out = w
                .run(&["diff", "baseline", b, "--fail-on", condition])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(code),
                "diff baseline {b} --fail-on '{condition}'\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let verdict = if code == 3 { "holds" } else { "does not hold" };
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.starts_with(&format!("--fail-on '{condition}' {verdict}")),
                "{b} '{condition}': {stderr}"
            );
        }
    }
}

#[test]
fn identical_sessions_report_no_change_and_exit_0() {
    // `same` is `baseline` an hour later with every event id new, as JSON Lines.
    let w = Workdir::with(&DIFF);
    let all: Vec<&str> = CONDITIONS
        .iter()
        .flat_map(|(c, _)| ["--fail-on", c])
        .collect();
    let mut args = vec!["diff", "baseline", "same"];
    args.extend(&all);
    let out = stdout_of(w.run(&args));
    assert!(
        out.ends_with("No differences: the same figures, hand-overs, routes and errors.\n"),
        "{out}"
    );
    assert!(!out.contains('▲') && !out.contains('▼'), "{out}");
    args.extend(["--format", "json"]);
    let json = json_of(w.run(&args));
    assert_eq!(json["changed"], false);
    let mut found = Vec::new();
    figures(&json, String::new(), &mut found);
    assert!(found.len() > 40, "{}", found.len());
    for (path, figure) in found {
        assert_eq!(figure["changed"], false, "{path}: {figure}");
        assert_eq!(figure["a"], figure["b"], "{path}: {figure}");
    }
    assert_eq!(json["routes"]["changed"], false);
    assert_eq!(
        json["requests"]["ids"]["compared"], false,
        "ids made afresh"
    );
    assert!(
        json["fail_on"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["holds"] == false)
    );
    // A session compared with itself, too.
    let json = json_of(w.run(&["diff", "baseline", "baseline", "--format", "json"]));
    assert_eq!(json["changed"], false);
    assert_eq!(json["requests"]["ids"]["compared"], true);
}

#[test]
fn a_slower_agent() {
    let w = Workdir::with(&DIFF);
    let json = diff_json(&w, "slower");
    assert_eq!(json["changed"], true);
    assert_eq!(json["b"]["file"]["status"], "closed");
    let r = agent(&json, "researcher");
    assert_eq!(r["present"], "both");
    assert_eq!(
        (r["runs"]["a"].as_u64(), r["runs"]["b"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(r["runs"]["changed"], false);
    // Both runs 600 ms longer: 512.923805 and 670.292611 ms became 1112.923805 and 1270.292611.
    let p95 = &r["p95_ms"];
    assert_eq!(p95["a"].as_f64(), Some(670.292611));
    assert_eq!(p95["b"].as_f64(), Some(1270.292611));
    assert!(close(p95["change"].as_f64().unwrap(), 600.0), "{p95}");
    assert!(
        close(p95["relative"].as_f64().unwrap(), 600.0 / 670.292611),
        "{p95}"
    );
    let p50 = &r["p50_ms"];
    assert!(close(p50["a"].as_f64().unwrap(), 512.923805), "{p50}");
    assert!(close(p50["b"].as_f64().unwrap(), 1112.923805), "{p50}");
    assert!(close(p50["change"].as_f64().unwrap(), 600.0), "{p50}");
    assert_eq!(r["max_ms"]["b"].as_f64(), Some(1270.292611));
    assert!(close(r["total_ms"]["change"].as_f64().unwrap(), 1200.0));
    // Nothing else changed: the other agents, the routes, the errors.
    for other in ["planner", "analyzer", "summarizer"] {
        let a = agent(&json, other);
        for figure in ["runs", "errors", "p50_ms", "p95_ms", "max_ms"] {
            assert_eq!(a[figure]["changed"], false, "{other} {figure}");
        }
    }
    assert_eq!(json["routes"]["changed"], false);
    assert!(json["errors"]["messages"].as_array().unwrap().is_empty());
    let d = &json["session"]["duration_ms"];
    assert_eq!(
        (d["a"].as_f64(), d["b"].as_f64()),
        (Some(2848.49418), Some(4048.49418))
    );
    assert!((d["change"].as_f64().unwrap() - 1200.0).abs() < 1e-6);
    assert_eq!(json["session"]["runs"]["changed"], false);
    assert_eq!(json["requests"]["ids"]["compared"], true);
    assert!(
        json["requests"]["ids"]["rerouted"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_new_error() {
    let w = Workdir::with(&DIFF);
    let json = diff_json(&w, "new-error");
    assert_eq!(json["b"]["file"]["ends_mid_entry"], true);
    let e = &json["errors"];
    assert_eq!(
        (e["total"]["a"].as_u64(), e["total"]["b"].as_u64()),
        (Some(0), Some(1))
    );
    let messages = e["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["message"], "context deadline exceeded");
    assert_eq!(messages[0]["present"], "only_b");
    assert_eq!(messages[0]["count"]["b"], 1);
    assert_eq!(messages[0]["agents"], serde_json::json!(["analyzer"]));
    let analyzer = agent(&json, "analyzer");
    assert_eq!(analyzer["errors"]["change"], 1);
    assert_eq!(analyzer["runs"]["changed"], false);
    assert_eq!(analyzer["error_rate"]["b"].as_f64(), Some(0.5));
    let handler = agent(&json, "error-handler");
    assert_eq!(handler["present"], "only_b");
    assert_eq!(handler["p50_ms"]["a"], Value::Null);
    assert!(close(handler["p50_ms"]["b"].as_f64().unwrap(), 9.0));
    let s = &json["session"];
    assert_eq!(
        (s["runs"]["a"].as_u64(), s["runs"]["b"].as_u64()),
        (Some(8), Some(9))
    );
    assert_eq!(s["errors"]["relative"], Value::Null, "from 0");
    assert!((s["error_rate"]["b"].as_f64().unwrap() - 1.0 / 9.0).abs() < 1e-12);
    // The failure went to the error handler, which handed over to the summarizer.
    let hops = hops_only_in(&json, "only_b");
    assert_eq!(
        hops,
        [
            "analyzer -> error-handler (failure)",
            "error-handler -> summarizer (route)"
        ]
    );
    assert_eq!(
        json["routes"]["condensed"]["b"],
        serde_json::json!([
            "planner",
            "researcher",
            "analyzer",
            "summarizer",
            "error-handler"
        ])
    );
    // The cut last entry is not damage: exit 0 without conditions.
    w.run(&["diff", "baseline", "new-error"]).assert().code(0);
}

/// `FROM -> TO (KIND)` of the hops present in one session only.
fn hops_only_in(json: &Value, present: &str) -> Vec<String> {
    json["routes"]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["present"] == present)
        .map(|h| {
            format!(
                "{} -> {} ({})",
                h["from"].as_str().unwrap(),
                h["to"].as_str().unwrap_or("(end)"),
                h["kind"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_changed_route() {
    let w = Workdir::with(&DIFF);
    let json = diff_json(&w, "rerouted");
    let routes = &json["routes"];
    assert_eq!(routes["changed"], true);
    assert_eq!(
        routes["condensed"]["a"],
        serde_json::json!(["planner", "researcher", "analyzer", "summarizer"])
    );
    assert_eq!(
        routes["condensed"]["b"],
        serde_json::json!([
            "planner",
            "researcher",
            "analyzer",
            "summarizer",
            "reviewer"
        ])
    );
    assert_eq!(
        hops_only_in(&json, "only_b"),
        [
            "researcher -> reviewer (route)",
            "reviewer -> summarizer (route)"
        ]
    );
    assert!(hops_only_in(&json, "only_a").is_empty());
    let counts: Vec<(String, u64, u64)> = routes["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                format!(
                    "{}>{}",
                    h["from"].as_str().unwrap(),
                    h["to"].as_str().unwrap_or("")
                ),
                h["count"]["a"].as_u64().unwrap(),
                h["count"]["b"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        counts.contains(&("researcher>analyzer".into(), 2, 1)),
        "{counts:?}"
    );
    assert!(counts.contains(&("summarizer>".into(), 2, 2)), "{counts:?}");
    let by_route: Vec<(String, u64, u64)> = json["requests"]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["agents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" "),
                r["count"]["a"].as_u64().unwrap(),
                r["count"]["b"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_route,
        [
            ("planner researcher analyzer summarizer".to_owned(), 2, 1),
            ("planner researcher reviewer summarizer".to_owned(), 0, 1)
        ]
    );
    // The application's request ids match across the sessions: the rerouted one is named.
    let ids = &json["requests"]["ids"];
    assert_eq!(ids["compared"], true);
    assert!(ids["only_in_a"].as_array().unwrap().is_empty());
    let rerouted = ids["rerouted"].as_array().unwrap();
    assert_eq!(rerouted.len(), 1);
    assert_eq!(rerouted[0]["id"], "req-28849372");
    assert_eq!(
        rerouted[0]["b"][0]["agents"],
        serde_json::json!(["planner", "researcher", "reviewer", "summarizer"])
    );
    assert_eq!(rerouted[0]["b"][0]["end"], "end");
    let reviewer = agent(&json, "reviewer");
    assert_eq!(reviewer["present"], "only_b");
    assert_eq!(reviewer["runs"]["b"], 1);
    assert_eq!(agent(&json, "analyzer")["runs"]["change"], -1);
    // The same durations, run by other agents: the session's figures did not move.
    assert_eq!(json["session"]["duration_ms"]["changed"], false);
    assert_eq!(json["events"]["p95_ms"]["changed"], false);
}

#[test]
fn the_table_as_a_user_sees_it() {
    let w = Workdir::with(&DIFF);
    insta::assert_snapshot!("slower", stdout_of(w.run(&["diff", "baseline", "slower"])));
    insta::assert_snapshot!(
        "rerouted",
        stdout_of(w.run(&["diff", "baseline", "rerouted"]))
    );
    insta::assert_snapshot!(
        "new_error_ascii",
        stdout_of(w.run(&["diff", "baseline", "new-error", "--ascii"]))
    );
}

#[test]
fn ascii_colour_and_json() {
    let w = Workdir::with(&DIFF);
    let ascii = stdout_of(w.run(&["diff", "baseline", "slower", "--ascii"]));
    assert!(ascii.contains("513ms -> 1.11s +600ms (+117.0%)"), "{ascii}");
    assert!(!ascii.contains('▲') && !ascii.contains('→'), "{ascii}");
    let plain = stdout_of(w.run(&["diff", "baseline", "slower"]));
    assert!(
        plain.contains("513ms → 1.11s ▲ +600ms (+117.0%)"),
        "{plain}"
    );
    assert!(!plain.contains('\x1b'));
    let coloured = stdout_of(w.run(&["diff", "baseline", "slower", "--color", "always"]));
    assert!(
        coloured.contains("\x1b[31m670ms → 1.27s ▲ +600ms (+89.5%)\x1b[0m"),
        "a rise in time is red: {coloured}"
    );
    let faster = stdout_of(w.run(&["diff", "slower", "baseline", "--color", "always"]));
    assert!(
        faster.contains("\x1b[32m1.27s → 670ms ▼ -600ms (-47.2%)\x1b[0m"),
        "{faster}"
    );
    let json = stdout_of(w.run(&[
        "diff", "baseline", "slower", "--color", "always", "--format", "json",
    ]));
    assert!(!json.contains('\x1b'));
}

#[test]
fn sessions_by_prefix_path_and_latest() {
    let w = Workdir::with(&DIFF);
    // `same` started last (an hour after the others): it is the latest, as `list` shows it
    // first, although `rerouted` was modified last.
    let json = json_of(w.run(&["diff", "base", "latest", "--format", "json"]));
    assert_eq!(json["a"]["session"], "baseline");
    assert_eq!(json["b"]["session"], "same");
    let path = w.path().join("slower.trace.json.gz");
    let json = json_of(w.run(&[
        "diff",
        "baseline",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(json["b"]["session"], "slower");
    w.run(&["diff", "baseline", "nothing-like-it"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no session 'nothing-like-it'"));
}

#[test]
fn malformed_conditions_are_usage_errors() {
    let w = Workdir::with(&DIFF);
    for (condition, message) in [
        ("p95", "no operator"),
        ("p95>", "expected a number"),
        ("p95>+20", "a duration takes a unit"),
        ("p95>20%", "a duration takes a unit"),
        ("errors>1s", "a count is a plain number"),
        ("error-rate>5", "an error rate is a percentage"),
        ("latency>1s", "unknown metric 'latency'"),
        ("p59>1s", "did you mean 'p50'?"),
        (
            "count>1",
            "'count' needs a scope: events:count or requests:count",
        ),
        ("session:p50>1s", "the session has no 'p50'"),
        ("agents=planner:p95>1s", "unknown scope 'agents=planner'"),
        ("agent=:p95>1s", "'agent=' needs a name"),
        ("p95>+inf%", "expected a number"),
    ] {
        w.run(&["diff", "baseline", "same", "--fail-on", condition])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "invalid --fail-on \"{condition}\""
            )))
            .stderr(predicate::str::contains(message));
    }
}

/// Issue 17, section 4: a CI gate on healthy runs (`agent=error-handler:runs>0`) passes when
/// neither session has the agent, as any figure a session lacks never holds; a wildcard that
/// matches nothing too. Why, only with --verbose.
#[test]
fn a_condition_on_an_agent_neither_session_has_does_not_hold() {
    let w = Workdir::with(&["diff/baseline.trace.json", "diff/same.trace.jsonl"]);
    for condition in ["agent=error-handler:runs>0", "agent=error-*:errors>0"] {
        let quiet = w
            .run(&["diff", "baseline", "same", "--fail-on", condition])
            .assert()
            .code(0)
            .stderr(predicate::str::contains(format!(
                "--fail-on '{condition}' does not hold"
            )))
            .get_output()
            .stderr
            .clone();
        assert!(
            !String::from_utf8_lossy(&quiet).contains("in either session"),
            "the note is for --verbose"
        );
        w.run(&[
            "diff",
            "baseline",
            "same",
            "--verbose",
            "--fail-on",
            condition,
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "in either session, so it does not hold; agents: analyzer, planner, researcher, \
                 summarizer",
        ));
        let json = json_of(w.run(&[
            "diff",
            "baseline",
            "same",
            "--format",
            "json",
            "--fail-on",
            condition,
        ]));
        assert_eq!(json["fail_on"][0]["holds"], false);
        assert!(
            json["fail_on"][0]["note"]
                .as_str()
                .unwrap()
                .starts_with("no agent '")
        );
    }
}

#[test]
fn a_condition_that_holds_outranks_skipped_input() {
    let w = Workdir::with(&[
        "diff/baseline.trace.json",
        "bad/wrong-type-and-garbage.trace.json",
    ]);
    w.run(&["diff", "baseline", "wrong-type-and-garbage"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("entry 2: invalid type"));
    w.run(&[
        "diff",
        "baseline",
        "wrong-type-and-garbage",
        "--fail-on",
        "route-changed",
    ])
    .assert()
    .code(3);
}

#[test]
fn help_documents_the_conditions_and_exit_code_3() {
    let help = stdout_of(agentcli().args(["diff", "--help"]));
    for text in [
        "agent=NAME",
        "route-changed",
        "new-errors",
        "+20%, -10%",
        "3  diff: a --fail-on condition holds",
    ] {
        assert!(help.contains(text), "{text} not in\n{help}");
    }
    let top = stdout_of(agentcli().arg("--help"));
    assert!(top.contains("3  diff: a --fail-on condition holds"));
}

/// Exit code 3 is `diff`'s: the top-level help lists every code, each command those it gives.
#[test]
fn each_help_lists_the_exit_codes_its_command_gives() {
    let codes = |args: &[&str]| {
        let help = stdout_of(agentcli().args(args));
        let listed = help
            .split_once("Exit codes:\n")
            .unwrap_or_else(|| panic!("no exit codes in {args:?} --help:\n{help}"))
            .1;
        listed
            .lines()
            .filter_map(|line| line.trim_start().split_once("  "))
            .filter_map(|(code, _)| code.parse::<u8>().ok())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&["--help"]), [0, 1, 2, 3]);
    assert_eq!(codes(&["-h"]), [0, 1, 2, 3]);
    assert_eq!(codes(&["diff", "--help"]), [0, 1, 2, 3]);
    for command in ["list", "trace", "analyze", "export"] {
        assert_eq!(codes(&[command, "--help"]), [0, 1, 2], "{command} --help");
    }
}

/// Typed as shown, an example with `>` or `<` must not redirect: `--fail-on errors>0` would
/// write a file named `0`.
#[test]
fn help_examples_with_a_comparison_are_quoted_for_the_shell() {
    for command in ["diff", "trace", "analyze", "list", "export"] {
        for flag in ["-h", "--help"] {
            let help = stdout_of(agentcli().args([command, flag]));
            for word in help.split_whitespace() {
                assert!(
                    word.starts_with('\'') || !is_comparison(word),
                    "{command} {flag}: {word} is not quoted in\n{help}"
                );
            }
        }
    }
    let help = stdout_of(agentcli().args(["diff", "--help"]));
    assert!(help.contains("--fail-on 'errors>0'"), "{help}");
}

/// Whether `word` holds a comparison as `--fail-on` takes it: `errors>0`, `p95>=+20%` (not an
/// arrow, `->`, nor a placeholder, `<SHELL>`).
fn is_comparison(word: &str) -> bool {
    let Some(at) = word.find(['<', '>']) else {
        return false;
    };
    let before = word[..at].chars().last();
    let after = word[at + 1..]
        .trim_start_matches(['=', '+', '-'])
        .chars()
        .next();
    before.is_some_and(|c| c.is_ascii_alphanumeric()) && after.is_some_and(|c| c.is_ascii_digit())
}

fn undocumented(doc: &str, found: &BTreeSet<String>) -> Vec<String> {
    let doc = std::fs::read_to_string(crate::common::fixtures().join("../docs").join(doc))
        .expect("the document");
    found
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .cloned()
        .collect()
}

#[test]
fn every_json_field_is_documented() {
    let w = Workdir::with(&DIFF);
    let mut found = BTreeSet::new();
    for b in ["same", "slower", "new-error", "rerouted"] {
        let out = w
            .run(&[
                "diff",
                "baseline",
                b,
                "--format",
                "json",
                "--fail-on",
                "p95>+20%",
                "--fail-on",
                "route-changed",
            ])
            .output()
            .unwrap();
        json_keys(&serde_json::from_slice(&out.stdout).unwrap(), &mut found);
    }
    let missing = undocumented("diff-json.md", &found);
    assert!(missing.is_empty(), "not in docs/diff-json.md: {missing:?}");
}

#[test]
fn the_session_reports_routes_are_documented() {
    let w = Workdir::with(&DIFF);
    let mut found = BTreeSet::new();
    let json = json_of(w.run(&["trace", "--analyze", "new-error", "--format", "json"]));
    json_keys(&json["routes"], &mut found);
    found.insert("routes".to_owned());
    let missing = undocumented("analysis-json.md", &found);
    assert!(
        missing.is_empty(),
        "not in docs/analysis-json.md: {missing:?}"
    );
    assert_eq!(
        json["routes"]["requests"][1]["agents"],
        serde_json::json!([
            "planner",
            "researcher",
            "analyzer",
            "error-handler",
            "summarizer"
        ])
    );
    assert_eq!(
        json["routes"]["requests"][1]["ids"],
        serde_json::json!(["req-28849372"])
    );
}
