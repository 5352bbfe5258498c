//! `agentcli export`: sessions sent to a collector on 127.0.0.1 that decodes every request with
//! the OpenTelemetry protobuf definitions (the `opentelemetry-proto` crate's types).

use crate::collector::Collector;
use crate::common::{Workdir, fixtures, stdout_of};
use agentcli::model::Hook;
use agentcli::read::Parse;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub const SAMPLES: [&str; 6] = [
    "req-17461590.trace.json",
    "req-17461591.trace.json",
    "req-17461592.trace.json",
    "req-20000001.trace.json",
    "req-30000001.trace.json",
    "export/req-60000001.trace.json",
];

/// What a session should become, counted from its file independently of the span builder:
/// one session span, one span per event id, one per agent run (an end, or a start never ended;
/// the writer's second `AgentError` for a run is the same run).
pub fn expected_spans(path: &Path) -> (usize, usize) {
    let mut events = HashSet::new();
    let mut open = HashSet::new();
    let mut last_failed: HashMap<(String, String), bool> = HashMap::new();
    let mut runs = 0;
    agentcli::read::read_file::<std::io::Error>(path, Parse::Full, |item| {
        {
            let read = item.unwrap_or_else(|p| panic!("{p}"));
            let e = &read.entry;
            let key = (e.event_id.to_string(), e.agent_id.to_string());
            if !e.event_id.is_empty() {
                events.insert(e.event_id.to_string());
            }
            match e.hook {
                Hook::BeforeAgentRun => {
                    open.insert(key);
                }
                Hook::AfterAgentRun | Hook::AgentError => {
                    let duplicate = !open.remove(&key)
                        && e.hook == Hook::AgentError
                        && last_failed.get(&key) == Some(&true);
                    if !duplicate {
                        runs += 1;
                    }
                    last_failed.insert(key, e.hook == Hook::AgentError);
                }
                _ => {}
            }
        }
        Ok(())
    })
    .expect("a readable fixture");
    (events.len(), runs + open.len())
}

/// Spans grouped by trace id.
fn by_trace(spans: &[Value]) -> HashMap<String, Vec<&Value>> {
    let mut traces: HashMap<String, Vec<&Value>> = HashMap::new();
    for span in spans {
        traces
            .entry(span["trace_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(span);
    }
    traces
}

/// Checks a trace's shape: one root (the session), every other span's parent in the trace, and
/// the counts of event and run spans. Returns the spans by name for closer looks.
pub fn check_trace(spans: &[&Value], session: &str) {
    let path = fixtures().join(SAMPLES.iter().find(|s| s.contains(session)).unwrap());
    let (events, runs) = expected_spans(&path);
    let ids: HashSet<&str> = spans
        .iter()
        .map(|s| s["span_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), spans.len(), "{session}: span ids are unique");
    let roots: Vec<_> = spans.iter().filter(|s| s["parent_span_id"] == "").collect();
    assert_eq!(roots.len(), 1, "{session}: one root");
    assert_eq!(roots[0]["name"], format!("session {session}"));
    assert_eq!(roots[0]["attributes"]["gen_ai.conversation.id"], session);
    for span in spans {
        let parent = span["parent_span_id"].as_str().unwrap();
        assert!(parent.is_empty() || ids.contains(parent), "{span}");
        assert!(span["start"].as_u64() <= span["end"].as_u64(), "{span}");
        assert_eq!(span["kind"], 1, "SPAN_KIND_INTERNAL");
    }
    let named = |prefix: &str| {
        spans
            .iter()
            .filter(|s| s["name"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(named("event"), events, "{session}: event spans");
    assert_eq!(named("invoke_agent"), runs, "{session}: run spans");
    assert_eq!(spans.len(), 1 + events + runs, "{session}: no other spans");
}

#[test]
fn every_session_arrives_whole_and_once() {
    let w = Workdir::with(&SAMPLES);
    let collector = Collector::start();
    let summary = stdout_of(w.run(&["export", "--otlp-endpoint", &collector.endpoint()]));
    let spans = collector.spans();
    let traces = by_trace(&spans);
    assert_eq!(traces.len(), SAMPLES.len());
    for spans in traces.values() {
        let root = spans
            .iter()
            .find(|s| s["parent_span_id"] == "")
            .expect("a root span");
        let session = root["attributes"]["agentcli.session.id"].as_str().unwrap();
        check_trace(spans, session);
        // The summary names the trace and counts its spans.
        let row = summary
            .lines()
            .find(|l| l.contains(session))
            .unwrap_or_else(|| panic!("{session} in {summary}"));
        assert!(row.contains(root["trace_id"].as_str().unwrap()), "{row}");
        assert!(row.contains(&format!(" {} ", spans.len())), "{row}");
    }
    for span in &spans {
        assert_eq!(span["resource"]["service.name"], "agenticgokit");
        assert_eq!(span["scope"], "agentcli");
    }
    assert!(
        summary.starts_with(&format!(
            "Sent 6 sessions to {}/v1/traces:\n",
            collector.endpoint()
        )),
        "{summary}"
    );
    assert!(
        summary.ends_with(&format!("{} spans in 1 request (", spans.len()))
            || summary.contains(&format!("\n{} spans in 1 request (", spans.len())),
        "{summary}"
    );
}

#[test]
fn spans_follow_the_route_and_keep_the_times_and_errors_of_the_file() {
    let w = Workdir::with(&["export/req-60000001.trace.json"]);
    let collector = Collector::start();
    w.run(&["export", "--otlp-endpoint", &collector.endpoint()])
        .assert()
        .success();
    let spans = collector.spans();
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no span {name}"))
    };
    let nanos = |t: &str| {
        agentcli::time::Timestamp::parse_rfc3339(t)
            .unwrap()
            .unix_nanos as u64
    };
    let session = find("session req-60000001");
    let planner_event = find("event planner");
    let planner = find("invoke_agent planner");
    let researcher_event = find("event researcher");
    let researcher = find("invoke_agent researcher");
    let handler_event = find("event error-handler");
    let handler = find("invoke_agent error-handler");
    // The tree: session > event > run > (the event it routed to) > run > ...
    assert_eq!(planner_event["parent_span_id"], session["span_id"]);
    assert_eq!(planner["parent_span_id"], planner_event["span_id"]);
    assert_eq!(researcher_event["parent_span_id"], planner["span_id"]);
    assert_eq!(researcher["parent_span_id"], researcher_event["span_id"]);
    assert_eq!(handler_event["parent_span_id"], researcher["span_id"]);
    assert_eq!(handler["parent_span_id"], handler_event["span_id"]);
    // Times: an event from BeforeEventHandling to AfterEventHandling, a run from its last
    // BeforeAgentRun to its end, the session from its first entry to its last.
    assert_eq!(session["start"], nanos("2025-05-02T14:32:15.1+05:30"));
    assert_eq!(session["end"], nanos("2025-05-02T14:32:16.5211+05:30"));
    assert_eq!(planner_event["start"], nanos("2025-05-02T14:32:15.1+05:30"));
    assert_eq!(
        planner_event["end"],
        nanos("2025-05-02T14:32:15.35045+05:30")
    );
    assert_eq!(planner["start"], nanos("2025-05-02T14:32:15.10027+05:30"));
    assert_eq!(planner["end"], nanos("2025-05-02T14:32:15.35027+05:30"));
    assert_eq!(researcher["start"], nanos("2025-05-02T14:32:15.3513+05:30"));
    assert_eq!(researcher["end"], nanos("2025-05-02T14:32:16.0013+05:30"));
    // Attributes: GenAI conventions, then agentcli's.
    let a = &planner["attributes"];
    assert_eq!(a["gen_ai.operation.name"], "invoke_agent");
    assert_eq!(a["gen_ai.agent.name"], "planner");
    assert_eq!(a["gen_ai.conversation.id"], "req-60000001");
    assert_eq!(a["agentcli.event.id"], "req-60000001-planner");
    assert_eq!(a["agentcli.next_agent"], "researcher");
    assert_eq!(a["agentcli.duration_ms"], 250.0);
    let data: Value = serde_json::from_str(a["agentcli.state.data"].as_str().unwrap()).unwrap();
    assert_eq!(data["key, \"quoted\""], "comma, and \"quotes\"");
    assert_eq!(data["html"], "<b>bold</b> & co");
    assert_eq!(planner["status"]["code"], 0);
    // A failed run: ERROR status with the message, error.type, and an exception event; the
    // writer's second AgentError adds no span.
    assert_eq!(researcher["status"]["code"], 2, "STATUS_CODE_ERROR");
    let message = "upstream said: \"no\", retry later\nsecond line";
    assert_eq!(researcher["status"]["message"], message);
    assert_eq!(researcher["attributes"]["error.type"], "agent_error");
    assert_eq!(researcher["events"][0]["name"], "exception");
    assert_eq!(
        researcher["events"][0]["attributes"]["exception.message"],
        message
    );
    assert_eq!(
        spans
            .iter()
            .filter(|s| s["name"] == "invoke_agent researcher")
            .count(),
        1
    );
}

#[test]
fn a_collector_that_asks_to_wait_gets_each_request_again_and_nothing_twice() {
    let w = Workdir::with(&SAMPLES[..2]);
    let collector = Collector::refusing_first(2);
    w.run(&[
        "export",
        "--otlp-endpoint",
        &collector.endpoint(),
        "--retries",
        "2",
    ])
    .assert()
    .success();
    let spans = collector.spans();
    assert_eq!(collector.request_count(), 1);
    for (session, spans) in by_trace(&spans) {
        let root = spans.iter().find(|s| s["parent_span_id"] == "").unwrap();
        let id = root["attributes"]["agentcli.session.id"].as_str().unwrap();
        assert!(!session.is_empty());
        check_trace(&spans, id);
    }
}

#[test]
fn a_collector_that_refuses_is_a_clear_error() {
    let w = Workdir::with(&SAMPLES[..1]);
    let collector = Collector::refusing_all(400);
    w.run(&["export", "--otlp-endpoint", &collector.endpoint()])
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "agentcli: cannot send spans to {}/v1/traces: the collector refused the spans: \
             HTTP 400 Bad Request: spans not welcome here\n",
            collector.endpoint()
        ));
}

#[test]
fn a_collector_that_is_not_there_is_tried_a_bounded_number_of_times() {
    let w = Workdir::with(&SAMPLES[..1]);
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    w.run(&["export", "--otlp-endpoint", &url, "--retries", "1"])
        .assert()
        .code(2)
        .stderr(format!(
            "agentcli: cannot send spans to {url}/v1/traces: connection refused: \
             is a collector listening there? (tried 2 times)\n"
        ));
}

#[test]
fn a_large_session_goes_in_several_bounded_requests() {
    let w = Workdir::with(&[]);
    let mut file = String::from("[\n");
    let events = 1500;
    for i in 0..events {
        for (j, hook) in [
            "BeforeEventHandling",
            "BeforeAgentRun",
            "AfterAgentRun",
            "AfterEventHandling",
        ]
        .iter()
        .enumerate()
        {
            if i + j > 0 {
                file.push_str(",\n");
            }
            file.push_str(&format!(
                r#"{{"timestamp":"2025-05-02T10:{:02}:{:02}.{:03}{}Z","event_id":"e{i}","session_id":"big","agent_id":"a","hook":"{hook}"}}"#,
                i / 600,
                i / 10 % 60,
                i % 10 * 100,
                j
            ));
        }
    }
    std::fs::write(w.path().join("big.trace.json"), file).unwrap();
    let collector = Collector::start();
    let summary = stdout_of(w.run(&["export", "--otlp-endpoint", &collector.endpoint()]));
    collector.with_requests(|requests| {
        assert_eq!(requests.len(), 2, "{summary}");
        for request in requests {
            assert!(request.spans.as_ref().unwrap().len() <= 2048);
            assert!(request.bytes <= 2 << 20);
        }
    });
    let spans = collector.spans();
    assert_eq!(spans.len(), 1 + 2 * events);
    let ids: HashSet<&str> = spans
        .iter()
        .map(|s| s["span_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), spans.len());
    assert!(summary.contains("3001 spans in 2 requests"), "{summary}");
}

#[test]
fn since_selects_sessions_and_headers_go_with_every_request() {
    let w = Workdir::with(&SAMPLES);
    let collector = Collector::start();
    let summary = stdout_of(w.run(&[
        "export",
        "--otlp-endpoint",
        &format!("{}/v1/traces", collector.endpoint()),
        "--since",
        "2025-05-02T09:05:00Z",
        "--header",
        "Authorization=Bearer t0k3n",
        "--service-name",
        "research-crew",
    ]));
    assert!(summary.starts_with("Sent 2 sessions"), "{summary}");
    collector.with_requests(|requests| {
        assert_eq!(requests[0].authorization.as_deref(), Some("Bearer t0k3n"))
    });
    let spans = collector.spans();
    assert_eq!(by_trace(&spans).len(), 2);
    assert_eq!(spans[0]["resource"]["service.name"], "research-crew");
}

#[test]
fn named_sessions_only() {
    let w = Workdir::with(&SAMPLES);
    let collector = Collector::start();
    let path = w.path().join("req-17461590.trace.json");
    let summary = stdout_of(w.run(&[
        "export",
        "--otlp-endpoint",
        &collector.endpoint(),
        "req-17461590",
        path.to_str().unwrap(),
        "req-17461591",
    ]));
    assert!(
        summary.starts_with("Sent 2 sessions"),
        "an id and the path of its file are one session, sent once: {summary}"
    );
}

#[test]
fn bad_endpoints_and_headers_are_usage_errors() {
    let w = Workdir::with(&SAMPLES[..1]);
    w.run(&["export", "--otlp-endpoint", "localhost:4318"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid --otlp-endpoint: 'localhost:4318' is not a URL",
        ));
    w.run(&[
        "export",
        "--otlp-endpoint",
        "http://127.0.0.1:9",
        "--header",
        "no-equals",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        "invalid --header: expected NAME=VALUE",
    ));
    w.run(&["export"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--otlp-endpoint <URL>"));
}
