//! The analysis checked figure by figure on fixtures whose durations are known by
//! construction (fixtures/analysis/README.md gives their timelines).

// Rows of figures are compared as tuples, which is what makes them readable.
#![allow(clippy::type_complexity)]

use super::*;
use crate::read::Parse;
use crate::read::read_file;
use crate::time::DisplayZone;
use std::path::Path;

fn analyse_with(
    name: &str,
    opts: AnalysisOptions,
    select: impl Fn(&crate::model::TraceEntry) -> bool,
) -> SessionReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/analysis")
        .join(name);
    let mut analyzer = Analyzer::new(opts);
    let summary = read_file::<std::io::Error>(&path, Parse::Full, |item| {
        let e = item.unwrap_or_else(|p| panic!("{p}"));
        analyzer.add(&e.entry, select(&e.entry));
        Ok(())
    })
    .expect("fixture readable");
    let file = FileInfo {
        path: name.to_owned(),
        status: "test".to_owned(),
        entries_skipped: summary.skipped,
        ends_mid_entry: summary.tail.is_some(),
    };
    SessionReport::new(name, file, None, &analyzer.finish(), DisplayZone::Utc)
}

fn analyse(name: &str) -> SessionReport {
    analyse_with(name, AnalysisOptions::default(), |_| true)
}

fn agent<'r>(r: &'r SessionReport, name: &str) -> &'r AgentReport {
    r.agents
        .iter()
        .find(|a| a.agent == name)
        .unwrap_or_else(|| panic!("no agent {name}"))
}

/// Equal within floating-point noise (figures are sums of exact nanoseconds).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// Within the quantile error bound stated in `--help`.
fn within_bound(estimate: Option<f64>, exact: f64) -> bool {
    estimate.is_some_and(|e| {
        (e - exact).abs()
            <= exact * durations::QUANTILE_RELATIVE_ERROR + durations::QUANTILE_ABSOLUTE_ERROR_MS
    })
}

#[track_caller]
fn check_durations(d: &DurationSummary, values: &[f64]) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1];
    assert_eq!(d.count, values.len() as u64);
    assert!(close(d.total_ms, values.iter().sum()), "{d:?}");
    assert!(close(d.min_ms.unwrap(), sorted[0]), "{d:?}");
    assert!(close(d.max_ms.unwrap(), *sorted.last().unwrap()), "{d:?}");
    assert!(close(
        d.mean_ms.unwrap(),
        values.iter().sum::<f64>() / values.len() as f64
    ));
    for (q, estimate) in [(0.5, d.p50_ms), (0.95, d.p95_ms), (0.99, d.p99_ms)] {
        assert!(
            within_bound(estimate, rank(q)),
            "q={q}: {estimate:?} vs {}",
            rank(q)
        );
    }
}

#[test]
fn every_figure_of_a_session_known_by_construction() {
    let r = analyse("known.trace.json");
    let s = &r.summary;
    assert_eq!(s.first.unwrap().to_string(), "2025-05-02T10:00:00Z");
    assert_eq!(s.last.unwrap().to_string(), "2025-05-02T10:00:04.850Z");
    assert!(close(s.span_ms, 4850.0));
    assert_eq!((s.entries, s.events, s.runs, s.errors), (46, 9, 9, 2));
    assert!(close(s.error_rate.unwrap(), 2.0 / 9.0));
    assert!(close(s.events_per_second.unwrap(), 9.0 / 4.85));
    assert!(close(s.runs_per_second.unwrap(), 9.0 / 4.85));
    assert!(close(s.idle_ms, 935.0), "{}", s.idle_ms);
    assert!(close(s.busy_ms, 3915.0));
    assert_eq!((s.retries, s.requeues), (1, 1));

    let names: Vec<&str> = r.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(
        names,
        ["error-handler", "planner", "researcher", "summarizer"]
    );

    let planner = agent(&r, "planner");
    assert_eq!((planner.runs, planner.errors), (2, 0));
    check_durations(&planner.durations, &[100.0, 200.0]);
    assert_eq!(planner.durations.buckets.counts(), [0, 0, 0, 2, 0, 0, 0]);
    // The second run reported 50 ms where its hooks say 200 ms: the hooks are used, and the
    // disagreement is reported.
    let src = &planner.sources;
    assert_eq!(
        (src.timestamps, src.reported, src.compared, src.disagreeing),
        (2, 0, 1, 1)
    );
    assert!(close(src.max_difference_ms, 150.0));
    assert!(close(planner.share_of_session.unwrap(), 300.0 / 4850.0));

    let researcher = agent(&r, "researcher");
    assert_eq!((researcher.runs, researcher.errors), (4, 1));
    assert!(close(researcher.error_rate.unwrap(), 0.25));
    check_durations(&researcher.durations, &[1000.0, 500.0, 5.0, 2000.0]);
    assert_eq!(researcher.durations.buckets.counts(), [1, 0, 0, 0, 1, 2, 0]);
    assert_eq!((researcher.retries, researcher.requeues), (1, 1));

    let summarizer = agent(&r, "summarizer");
    assert_eq!((summarizer.runs, summarizer.errors), (2, 1));
    check_durations(&summarizer.durations, &[50.0, 10.0]);
    assert_eq!(summarizer.durations.buckets.counts(), [0, 1, 1, 0, 0, 0, 0]);

    let handler = agent(&r, "error-handler");
    check_durations(&handler.durations, &[5.0]);
    assert_eq!(
        (handler.sources.compared, handler.sources.disagreeing),
        (1, 0)
    );

    let b = r.bottleneck.as_ref().unwrap();
    assert_eq!(b.agent, "researcher");
    assert!(close(b.total_ms, 3505.0));
    assert!(close(b.share_of_agent_time.unwrap(), 3505.0 / 3870.0));

    // Events: BeforeEventHandling to AfterEventHandling.
    check_durations(
        &r.events.latency,
        &[120.0, 1020.0, 70.0, 25.0, 220.0, 520.0, 25.0, 2020.0, 30.0],
    );
    let slowest: Vec<(&str, f64, Option<&str>, Option<&str>, bool)> = r
        .events
        .slowest
        .iter()
        .map(|e| {
            (
                e.event_id.as_str(),
                e.latency_ms,
                e.agent.as_deref(),
                e.route.as_deref(),
                e.error,
            )
        })
        .collect();
    assert_eq!(
        slowest,
        [
            (
                "e8-research",
                2020.0,
                Some("researcher"),
                Some("summarizer"),
                false
            ),
            (
                "e2-research",
                1020.0,
                Some("researcher"),
                Some("summarizer"),
                false
            ),
            (
                "e6-research",
                520.0,
                Some("researcher"),
                Some("researcher"),
                false
            ),
            (
                "req-2-planner",
                220.0,
                Some("planner"),
                Some("researcher"),
                false
            ),
            (
                "req-1-planner",
                120.0,
                Some("planner"),
                Some("researcher"),
                false
            ),
        ]
    );

    // Requests and the critical path of the slowest.
    assert_eq!((r.requests.completed, r.requests.unfinished), (2, 0));
    check_durations(&r.requests.latency, &[1260.0, 2845.0]);
    let path = r.critical_path.as_ref().unwrap();
    assert_eq!(path.root_event, "req-2-planner");
    assert!(path.complete);
    assert!(close(path.total_ms, 2845.0));
    let hops: Vec<(&str, f64, f64, bool, Next, Option<&str>)> = path
        .hops
        .iter()
        .map(|h| {
            (
                h.agent.as_str(),
                h.wait_ms.unwrap(),
                h.run_ms.unwrap(),
                h.error,
                h.next,
                h.next_agent.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        hops,
        [
            ("planner", 15.0, 200.0, false, Next::Ran, Some("researcher")),
            (
                "researcher",
                30.0,
                500.0,
                false,
                Next::Ran,
                Some("researcher")
            ),
            ("researcher", 30.0, 5.0, true, Next::Ran, Some("researcher")),
            (
                "researcher",
                25.0,
                2000.0,
                false,
                Next::Ran,
                Some("summarizer")
            ),
            ("summarizer", 30.0, 10.0, false, Next::End, None),
        ]
    );

    // Errors by message; the writer's second AgentError is not a second error.
    assert_eq!(r.errors.total, 2);
    let groups: Vec<(&str, u64, Vec<(&str, u64)>)> = r
        .errors
        .groups
        .iter()
        .map(|g| {
            (
                g.message.as_str(),
                g.count,
                g.agents
                    .iter()
                    .map(|a| (a.agent.as_str(), a.count))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("rate limit exceeded (429)", 1, vec![("summarizer", 1)]),
            ("timeout", 1, vec![("researcher", 1)]),
        ]
    );
    assert_eq!(
        (r.pairing.duplicate_starts, r.pairing.duplicate_ends),
        (9, 1)
    );
    assert_eq!(
        (
            r.pairing.runs_without_start,
            r.pairing.runs_in_progress,
            r.pairing.runs_abandoned
        ),
        (0, 0, 0)
    );

    // Idle gaps: no run open, from a run's first BeforeAgentRun to its end.
    assert_eq!(r.gaps.count, 10);
    let gaps: Vec<(f64, Option<&str>, Option<&str>)> = r
        .gaps
        .longest
        .iter()
        .map(|g| (g.ms, g.after.as_deref(), g.before.as_deref()))
        .collect();
    assert_eq!(
        gaps,
        [
            (750.0, Some("error-handler"), Some("planner")),
            (25.0, Some("planner"), Some("researcher")),
            (25.0, Some("researcher"), Some("summarizer")),
            (25.0, Some("summarizer"), Some("error-handler")),
            (25.0, Some("planner"), Some("researcher")),
        ]
    );

    assert_eq!(r.timeline.runs_total, 9);
    assert!(!r.timeline.slowest_only);
    let first = &r.timeline.runs[0];
    assert_eq!(
        (first.agent.as_str(), first.duration_ms),
        ("planner", 100.0)
    );
}

#[test]
fn a_long_session_keeps_the_slowest_runs_for_the_timeline() {
    let opts = AnalysisOptions {
        top: 2,
        timeline_runs: 3,
    };
    let r = analyse_with("known.trace.json", opts, |_| true);
    assert_eq!(r.timeline.runs_total, 9);
    assert!(r.timeline.slowest_only);
    let kept: Vec<f64> = r.timeline.runs.iter().map(|t| t.duration_ms).collect();
    assert_eq!(
        kept,
        [1000.0, 500.0, 2000.0],
        "the three slowest, by start time"
    );
    assert_eq!(r.events.slowest.len(), 2);
    assert_eq!(r.gaps.longest.len(), 2);
}

#[test]
fn a_selection_counts_what_its_entries_complete() {
    let r = analyse_with("known.trace.json", AnalysisOptions::default(), |e| {
        e.agent_id == "researcher"
    });
    let names: Vec<&str> = r.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(names, ["researcher"]);
    assert_eq!(
        (r.summary.runs, r.summary.errors, r.summary.events),
        (4, 1, 4)
    );
    check_durations(
        &agent(&r, "researcher").durations,
        &[1000.0, 500.0, 5.0, 2000.0],
    );
    // Requests with a selected hop; pairing saw every entry, and counts the selected ones.
    assert_eq!(r.requests.completed, 2);
    assert_eq!(r.pairing.duplicate_starts, 4);
}

#[test]
fn an_unclosed_file_reports_the_run_in_progress() {
    let r = analyse("unclosed.trace.json");
    assert!(r.file.ends_mid_entry);
    // Two events: one handled, one not (the one count `list -v` shows too).
    assert_eq!((r.summary.runs, r.summary.events), (1, 2));
    assert_eq!((r.events.handled, r.events.in_progress), (1, 1));
    assert_eq!(r.pairing.runs_in_progress, 1);
    assert_eq!(agent(&r, "researcher").in_progress, 1);
    assert_eq!(agent(&r, "researcher").runs, 0);
    let open = &r.in_progress[0];
    assert_eq!(
        (open.agent.as_str(), open.event_id.as_str()),
        ("researcher", "e2-research")
    );
    assert_eq!(open.started.to_string(), "2025-05-02T10:00:00.130Z");
    assert_eq!(open.elapsed_ms, Some(0.0));
    // The request is cut off: the slowest unfinished one is shown, marked so.
    assert_eq!((r.requests.completed, r.requests.unfinished), (0, 1));
    let path = r.critical_path.as_ref().unwrap();
    assert!(!path.complete);
    // Its last hop is the researcher's run, unfinished: where the request was.
    assert_eq!(path.hops.len(), 2);
    assert_eq!(path.hops[0].next, Next::Ran);
    assert_eq!(path.hops[0].next_agent.as_deref(), Some("researcher"));
    assert_eq!(path.hops[1].agent, "researcher");
    assert_eq!(
        (path.hops[1].next, path.hops[1].run_ms),
        (Next::Unfinished, None)
    );
    let last = r.timeline.runs.last().unwrap();
    assert!(last.in_progress);
}

#[test]
fn unpaired_and_odd_entries_are_counted_not_dropped() {
    let r = analyse("edge.trace.jsonl");
    // An end without a start uses the agent's own figure.
    let loader = agent(&r, "loader");
    assert_eq!(
        (loader.runs, loader.without_start, loader.sources.reported),
        (1, 1, 1)
    );
    check_durations(&loader.durations, &[40.0]);
    // A sampling logger's entry is a whole run with its duration.
    let sampler = agent(&r, "sampler");
    assert_eq!(
        (
            sampler.runs,
            sampler.sources.reported,
            sampler.without_start
        ),
        (1, 1, 0)
    );
    check_durations(&sampler.durations, &[25.0]);
    // A run whose event was handled without its end: abandoned.
    let crasher = agent(&r, "crasher");
    assert_eq!(
        (crasher.runs, crasher.abandoned, crasher.in_progress),
        (0, 1, 0)
    );
    // An end before its start: counted, its duration not used.
    let skewed = agent(&r, "skewed");
    assert_eq!(
        (skewed.runs, skewed.clock_skew, skewed.durations.count),
        (1, 1, 0)
    );
    assert_eq!(r.pairing.runs_abandoned, 1);
    assert_eq!(r.pairing.runs_clock_skew, 1);
}

#[test]
fn the_report_survives_a_round_trip_through_json() {
    let r = analyse("known.trace.json");
    let json = serde_json::to_string(&r).unwrap();
    let back: SessionReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn sessions_merge_into_the_same_figures_in_any_order() {
    let analyse_raw = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/analysis")
            .join(name);
        let mut analyzer = Analyzer::new(AnalysisOptions::default());
        read_file::<std::io::Error>(&path, Parse::Full, |item| {
            if let Ok(e) = item {
                analyzer.add(&e.entry, true);
            }
            Ok(())
        })
        .unwrap();
        analyzer.finish()
    };
    let known = analyse_raw("known.trace.json");
    let edge = analyse_raw("edge.trace.jsonl");
    let mut one = Aggregate::new(true);
    one.add("known", &known);
    one.add("edge", &edge);
    let mut left = Aggregate::new(true);
    left.add("edge", &edge);
    let mut right = Aggregate::new(true);
    right.add("known", &known);
    right.merge(left);
    let (a, b) = (
        one.report(None, DisplayZone::Utc),
        right.report(None, DisplayZone::Utc),
    );
    assert_eq!(a, b);
    assert_eq!(a.summary.sessions, 2);
    assert_eq!(a.summary.runs, 9 + 3);
    let rows = a.sessions.as_ref().unwrap();
    let known_row = rows.iter().find(|r| r.session == "known").unwrap();
    assert_eq!(known_row.slowest_agent.as_deref(), Some("researcher"));
    assert!(within_bound(known_row.slowest_agent_p95_ms, 2000.0));
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(200))]

    /// Whatever order hooks come in, every start and end is accounted for exactly once, and
    /// every run has a duration from one source or is counted without one.
    #[test]
    fn every_entry_is_accounted_for(
        steps in proptest::collection::vec((0usize..5, 0u8..4, 0u8..3, -5i64..200), 0..120),
    ) {
        const HOOKS: [&str; 5] = [
            "BeforeEventHandling", "BeforeAgentRun", "AfterAgentRun", "AgentError", "AfterEventHandling",
        ];
        let mut analyzer = Analyzer::new(AnalysisOptions { top: 3, timeline_runs: 4 });
        let mut at = 1_746_180_000_000i64;
        let (mut starts, mut ends) = (0u64, 0u64);
        for (hook, event, agent, step) in steps {
            at += step;
            let json = format!(
                r#"{{"timestamp":{at},"event_id":"e{event}","agent_id":"a{agent}","source_agent_id":"a{}","hook":"{}","agent_result":{{"output_state":{{"meta":{{"route":"a{}"}}}}}}}}"#,
                (agent + 1) % 3, HOOKS[hook], (agent + event) % 3
            );
            let entry = crate::model::TraceEntry::parse(json.as_bytes()).unwrap();
            starts += u64::from(hook == 1);
            ends += u64::from(hook == 2 || hook == 3);
            analyzer.add(&entry, true);
        }
        let a = analyzer.finish();
        let r = SessionReport::new("p", FileInfo {
            path: String::new(), status: String::new(), entries_skipped: 0, ends_mid_entry: false,
        }, None, &a, DisplayZone::Utc);
        let p = &r.pairing;
        proptest::prop_assert_eq!(r.summary.runs + p.duplicate_ends, ends);
        proptest::prop_assert_eq!(
            p.duplicate_starts + (r.summary.runs - p.runs_without_start) + p.runs_in_progress + p.runs_abandoned,
            starts
        );
        for agent in &r.agents {
            let s = &agent.sources;
            proptest::prop_assert_eq!(s.timestamps + s.reported + s.missing, agent.runs);
            proptest::prop_assert_eq!(agent.durations.count, s.timestamps + s.reported);
            proptest::prop_assert!(agent.errors <= agent.runs);
        }
        proptest::prop_assert!(r.summary.idle_ms <= r.summary.span_ms + 1e-9);
        proptest::prop_assert!(r.timeline.runs.len() <= 4);
        proptest::prop_assert!(r.events.slowest.len() <= 3);
    }
}

/// Feeds JSON Lines to an analyzer, every entry selected.
fn analyse_lines(lines: &[String]) -> SessionReport {
    let mut analyzer = Analyzer::new(AnalysisOptions::default());
    for line in lines {
        analyzer.add(
            &crate::model::TraceEntry::parse(line.as_bytes()).unwrap(),
            true,
        );
    }
    let file = FileInfo {
        path: String::new(),
        status: String::new(),
        entries_skipped: 0,
        ends_mid_entry: false,
    };
    SessionReport::new("lines", file, None, &analyzer.finish(), DisplayZone::Utc)
}

/// One event handled by one agent run, `ms` after the epoch of the test, as JSON Lines.
fn hop(
    event: &str,
    agent: &str,
    source: &str,
    start_ms: i64,
    run_ms: i64,
    route: &str,
    error: bool,
) -> Vec<String> {
    let t = |ms: i64| 1_746_180_000_000 + ms;
    let end_hook = if error { "AgentError" } else { "AfterAgentRun" };
    let meta = if route.is_empty() {
        String::new()
    } else {
        format!(r#","agent_result":{{"output_state":{{"meta":{{"route":"{route}"}}}}}}"#)
    };
    vec![
        format!(
            r#"{{"timestamp":{},"event_id":"{event}","hook":"BeforeEventHandling","target_agent_id":"{agent}","source_agent_id":"{source}"}}"#,
            t(start_ms)
        ),
        format!(
            r#"{{"timestamp":{},"event_id":"{event}","agent_id":"{agent}","hook":"BeforeAgentRun","source_agent_id":"{source}"}}"#,
            t(start_ms + 1)
        ),
        format!(
            r#"{{"timestamp":{},"event_id":"{event}","agent_id":"{agent}","hook":"{end_hook}","error":"{}"{meta}}}"#,
            t(start_ms + 1 + run_ms),
            if error { "boom" } else { "" }
        ),
        format!(
            r#"{{"timestamp":{},"event_id":"{event}","agent_id":"{agent}","hook":"AfterEventHandling"}}"#,
            t(start_ms + 2 + run_ms)
        ),
    ]
}

/// A failure whose error handler never runs must not capture the next request's hops
/// (found measuring a 1 GB trace: the stale chain took every later request's second hop).
#[test]
fn a_failure_without_an_error_handler_does_not_capture_later_requests() {
    let mut lines = Vec::new();
    lines.extend(hop("r1", "planner", "", 0, 10, "researcher", true));
    lines.extend(hop("r2", "planner", "", 100, 10, "researcher", false));
    lines.extend(hop("r2b", "researcher", "planner", 200, 500, "", false));
    lines.extend(hop("r3", "planner", "", 1000, 10, "researcher", false));
    lines.extend(hop("r3b", "researcher", "planner", 1100, 50, "", false));
    let r = analyse_lines(&lines);
    assert_eq!((r.requests.completed, r.requests.unfinished), (2, 1));
    let path = r.critical_path.unwrap();
    assert_eq!(path.root_event, "r2");
    let agents: Vec<&str> = path.hops.iter().map(|h| h.agent.as_str()).collect();
    assert_eq!(agents, ["planner", "researcher"]);
    // r2: 100 to 701 ms; r3: 1000 to 1151 ms.
    let latency = &r.requests.latency;
    assert!(within_bound(latency.p50_ms, 151.0), "{latency:?}");
    assert!(within_bound(latency.max_ms, 601.0), "{latency:?}");
}

/// Failure events are taken in the order the runner queued them: a request queued before a
/// failure's event (req r2 here) runs first, so when two runs of one agent have failed, the
/// first failure event is the first failure's. (The analysis once took the most recent
/// failure, which swapped these two requests' error handlers, and disagreed with the flow.)
#[test]
fn failure_events_continue_the_failures_in_the_order_they_happened() {
    let mut lines = Vec::new();
    lines.extend(hop("r1", "planner", "", 0, 10, "", true));
    lines.extend(hop("r2", "planner", "", 100, 10, "", true));
    lines.extend(hop("f1", ERROR_HANDLER, "planner", 200, 5, "", false));
    lines.extend(hop("f2", ERROR_HANDLER, "planner", 300, 500, "", false));
    let r = analyse_lines(&lines);
    assert_eq!((r.requests.completed, r.requests.unfinished), (2, 0));
    let path = r.critical_path.unwrap();
    let events: Vec<&str> = path.hops.iter().map(|h| h.event_id.as_str()).collect();
    assert_eq!((path.root_event.as_str(), events), ("r2", vec!["r2", "f2"]));
    assert_eq!(
        (path.hops[0].next, path.hops[0].next_agent.as_deref()),
        (Next::Ran, Some(ERROR_HANDLER))
    );
    // r1: 0 to 206 ms; r2: 100 to 801 ms.
    let latency = &r.requests.latency;
    assert!(within_bound(latency.min_ms, 206.0), "{latency:?}");
    assert!(within_bound(latency.max_ms, 701.0), "{latency:?}");
}

/// One event's runs pair as the flow view pairs them: a run entry that names no agent is the
/// event's target's, and when the event is handled, every run of it still open is abandoned
/// (not only the handling agent's: the analysis once left the others in progress).
#[test]
fn an_events_runs_pair_by_agent_and_end_with_the_event() {
    let t = |ms: i64| 1_746_180_000_000 + ms;
    let lines: Vec<String> = [
        format!(r#"{{"timestamp":{},"event_id":"e","hook":"BeforeEventHandling","target_agent_id":"lead"}}"#, t(0)),
        format!(r#"{{"timestamp":{},"event_id":"e","hook":"BeforeAgentRun","target_agent_id":"lead"}}"#, t(1)),
        format!(r#"{{"timestamp":{},"event_id":"e","hook":"AfterAgentRun","target_agent_id":"lead"}}"#, t(11)),
        format!(r#"{{"timestamp":{},"event_id":"e","agent_id":"helper","hook":"BeforeAgentRun"}}"#, t(12)),
        format!(r#"{{"timestamp":{},"event_id":"e","agent_id":"writer","hook":"BeforeAgentRun"}}"#, t(13)),
        format!(r#"{{"timestamp":{},"event_id":"e","agent_id":"writer","hook":"AfterEventHandling"}}"#, t(20)),
    ]
    .into();
    let r = analyse_lines(&lines);
    let names: Vec<&str> = r.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(names, ["helper", "lead", "writer"]);
    let lead = agent(&r, "lead");
    assert_eq!((lead.runs, lead.without_start), (1, 0));
    assert!(within_bound(lead.durations.max_ms, 10.0), "{lead:?}");
    assert_eq!(
        (agent(&r, "helper").abandoned, agent(&r, "writer").abandoned),
        (1, 1)
    );
    assert_eq!(
        (r.pairing.runs_abandoned, r.pairing.runs_in_progress),
        (2, 0)
    );
}

/// A request whose run waits in vain (a failure no error handler took) is cut off as soon as a
/// later request's event shows it, so the route ids listed are those of the first requests, in
/// the order they started (the analysis once finished such a request only after 16 more runs of
/// its agent had waited, and listed a later request in its place).
#[test]
fn the_route_ids_listed_are_the_first_requests() {
    let mut lines = Vec::new();
    for k in 0..1001 {
        let t = 10 * k;
        let (event, next) = (format!("r{k}"), format!("r{k}b"));
        if k == 999 {
            lines.extend(hop(&event, "planner", "", t, 1, "", true));
            continue;
        }
        lines.extend(hop(&event, "planner", "", t, 1, "researcher", false));
        lines.extend(hop(&next, "researcher", "planner", t + 4, 1, "", false));
    }
    let r = analyse_lines(&lines);
    assert_eq!((r.requests.completed, r.requests.unfinished), (1000, 1));
    let mut listed: Vec<&str> = r
        .routes
        .requests
        .iter()
        .flat_map(|q| q.ids.iter().map(String::as_str))
        .collect();
    listed.sort_by_key(|id| id[1..].parse::<u32>().unwrap_or(u32::MAX));
    let first: Vec<String> = (0..1000).map(|k| format!("r{k}")).collect();
    assert_eq!(listed, first);
    assert_eq!(r.routes.ids_not_kept, 1);
}
