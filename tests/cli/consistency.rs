//! Every view tells one story: on every fixture session and on generated sessions with
//! unfinished runs, retries and requeues, the route, the hop count, the event count and the
//! error count are the same in `trace --flow-only`, `trace --analyze` (text and JSON),
//! `analyze`, `diff`, Mermaid, DOT, OTLP and `list -v` (issue 15: the flow view and the
//! analysis used to disagree on the route of a session whose last run never finished).

use crate::common::{Workdir, fixtures};
use agentcli_synth::{self as synth, Ending, Rng, SessionSpec};
use serde_json::Value;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

/// What one view says about a session; `None` where the view does not show it.
#[derive(Debug, Default)]
struct Story {
    route: Option<Vec<String>>,
    hops: Option<u64>,
    events: Option<u64>,
    errors: Option<u64>,
}

/// What the analysis's JSON says besides the story, to check the views that count otherwise.
#[derive(Debug, Default)]
struct Extra {
    /// Agent runs ended, runs started and not ended, and runs started and never ended
    /// although their event was handled.
    runs: u64,
    runs_in_progress: u64,
    runs_abandoned: u64,
    /// Hand-over kinds seen (`route`, `retry`, `unfinished`...).
    kinds: Vec<String>,
}

/// Runs `args` on the directory holding the session; its stdout when it ran to the end (exit
/// code 0, or 1: damaged input was skipped and reported).
fn output(dir: &Workdir, args: &[&str]) -> Option<String> {
    let out = dir.run(args).output().expect("the binary runs");
    matches!(out.status.code(), Some(0 | 1))
        .then(|| String::from_utf8(out.stdout).expect("UTF-8 output"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON output")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The first number in `s`.
fn number(s: &str) -> u64 {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in {s:?}"))
}

/// The number written just before `word` in `line` (`44 entries · 8 events` -> 8).
fn count_before(line: &str, words: &[&str]) -> Option<u64> {
    line.split(" · ")
        .flat_map(|part| part.split(", "))
        .find_map(|part| {
            let (n, rest) = part.trim().split_once(' ')?;
            let word = rest.split([' ', '(']).next()?;
            words.contains(&word).then(|| n.parse().ok())?
        })
}

/// `trace S --flow-only`: the condensed route, one numbered line per hop, and the hops marked
/// as errors (a retry is a run that failed).
fn flow_text(text: &str) -> Story {
    let lines: Vec<&str> = text.lines().collect();
    let route = lines
        .iter()
        .position(|l| *l == "Condensed route:")
        .map(|i| {
            let line = lines.get(i + 1).copied().unwrap_or("");
            line.split(" → ")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
    let sequence: Vec<&str> = lines
        .iter()
        .skip_while(|l| **l != "Sequence diagram:")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    let errors = sequence
        .iter()
        .filter(|l| l.ends_with("[error]") || l.ends_with("[retry]"))
        .count();
    Story {
        route: Some(route.unwrap_or_default()),
        hops: Some(sequence.len() as u64),
        events: None,
        errors: Some(errors as u64),
    }
}

/// The routes report of the analysis's JSON (`routes`, or one side of `diff`'s).
fn hops_of(routes: &Value) -> u64 {
    let counted: u64 = routes["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| h["count"].as_u64().expect("count"))
        .sum();
    counted + routes["hops_not_counted"].as_u64().unwrap_or(0)
}

/// `trace S --analyze --format json`.
fn analysis_json(v: &Value) -> (Story, Extra) {
    let agents = v["agents"].as_array().expect("agents");
    let extra = Extra {
        runs: v["summary"]["runs"].as_u64().expect("runs"),
        runs_in_progress: agents
            .iter()
            .map(|a| a["in_progress"].as_u64().expect("in_progress"))
            .sum(),
        runs_abandoned: agents
            .iter()
            .map(|a| a["abandoned"].as_u64().expect("abandoned"))
            .sum(),
        kinds: v["routes"]["hops"]
            .as_array()
            .expect("hops")
            .iter()
            .map(|h| h["kind"].as_str().expect("kind").to_owned())
            .collect(),
    };
    let story = Story {
        route: Some(strings(&v["routes"]["condensed"])),
        hops: Some(hops_of(&v["routes"])),
        events: v["summary"]["events"].as_u64(),
        errors: v["summary"]["errors"].as_u64(),
    };
    (story, extra)
}

/// `trace S --analyze`: the summary line's counts and the `Route:` line (none when no request
/// reached an agent, as `--flow-only`'s condensed route is then empty).
fn analysis_text(text: &str) -> Story {
    let summary = text.lines().nth(1).unwrap_or("");
    let route = text
        .lines()
        .find_map(|l| l.strip_prefix("Route: "))
        .map(|r| r.split(" → ").map(str::to_owned).collect());
    Story {
        route: Some(route.unwrap_or_default()),
        hops: None,
        events: count_before(summary, &["event", "events"]),
        errors: count_before(summary, &["error", "errors"]),
    }
}

/// `analyze --format json` over a directory holding the one session.
fn aggregate_json(v: &Value) -> Story {
    Story {
        events: v["summary"]["events"].as_u64(),
        errors: v["summary"]["errors"].as_u64(),
        ..Story::default()
    }
}

/// `diff S S --format json`: side A.
fn diff_json(v: &Value) -> Story {
    Story {
        route: Some(strings(&v["routes"]["condensed"]["a"])),
        hops: Some(
            v["routes"]["hops"]
                .as_array()
                .expect("hops")
                .iter()
                .map(|h| h["count"]["a"].as_u64().expect("count"))
                .sum(),
        ),
        events: v["session"]["events"]["a"].as_u64(),
        errors: v["session"]["errors"]["a"].as_u64(),
    }
}

/// `--format mermaid`: a message or an end note per hop, an error note per failed run.
fn mermaid(text: &str) -> Story {
    let hops = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("Note right of")
                || (l.starts_with('A') && (l.contains("->>A") || l.contains("-->>A")))
        })
        .count();
    let errors = text
        .lines()
        .filter(|l| l.trim().starts_with("Note over") && l.contains(": error: "))
        .count();
    Story {
        hops: Some(hops as u64),
        errors: Some(errors as u64),
        ..Story::default()
    }
}

/// `--format dot`: each edge's label counts its hops (an agent's edge to itself: requeues,
/// then retries) and the failed ones.
fn dot(text: &str) -> Story {
    let (mut hops, mut errors) = (0, 0);
    for line in text.lines().map(str::trim) {
        let Some((ends, attributes)) = line.split_once(" [label=\"") else {
            continue;
        };
        let Some((from, to)) = ends.split_once(" -> ") else {
            continue;
        };
        let label = attributes.split('"').next().unwrap_or("");
        for part in label.split("\\n") {
            let n = number(part);
            if from == to {
                hops += n;
                errors += if part.contains("retr") { n } else { 0 };
            } else if part.contains("error") {
                errors += n;
            } else {
                hops += n;
            }
        }
    }
    Story {
        hops: Some(hops),
        errors: Some(errors),
        ..Story::default()
    }
}

/// `--format otlp`: the agent-run spans, and those with an error status.
fn otlp(v: &Value) -> (u64, u64) {
    let mut runs = 0;
    let mut errors = 0;
    for resource in v["resourceSpans"].as_array().expect("resourceSpans") {
        for scope in resource["scopeSpans"].as_array().expect("scopeSpans") {
            for span in scope["spans"].as_array().expect("spans") {
                if span["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("invoke_agent "))
                {
                    runs += 1;
                    errors += u64::from(span["status"]["code"].as_u64() == Some(2));
                }
            }
        }
    }
    (runs, errors)
}

/// `list -v`: the EVENTS and ERRORS cells of the session's row.
fn list_verbose(text: &str, session: &str) -> Story {
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.trim_matches('│').split('│').map(str::trim).collect())
        .collect();
    let header = rows.first().expect("a header");
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let row = rows
        .iter()
        .find(|r| r.first() == Some(&session))
        .unwrap_or_else(|| panic!("no row for {session} in\n{text}"));
    Story {
        events: row[column("EVENTS")].parse().ok(),
        errors: row[column("ERRORS")].parse().ok(),
        ..Story::default()
    }
}

/// Every view of session `id` in `dir`, by name.
fn views(dir: &Workdir, id: &str) -> (Vec<(&'static str, Story)>, Extra, (u64, u64)) {
    let wide = ["--width", "250"];
    let run = |args: &[&str]| {
        let args: Vec<&str> = args.iter().chain(&wide).copied().collect();
        output(dir, &args).unwrap_or_else(|| panic!("{id}: agentcli {args:?} failed"))
    };
    let (analysis, extra) =
        analysis_json(&json(&run(&["trace", id, "--analyze", "--format", "json"])));
    let views = vec![
        ("trace --analyze --format json", analysis),
        (
            "trace --flow-only",
            flow_text(&run(&["trace", id, "--flow-only"])),
        ),
        (
            "trace --analyze",
            analysis_text(&run(&["trace", id, "--analyze"])),
        ),
        (
            "analyze --format json",
            aggregate_json(&json(&run(&["analyze", "--format", "json"]))),
        ),
        (
            "diff S S --format json",
            diff_json(&json(&run(&["diff", id, id, "--format", "json"]))),
        ),
        (
            "trace --format mermaid",
            mermaid(&run(&["trace", id, "--format", "mermaid"])),
        ),
        (
            "trace --format dot",
            dot(&run(&["trace", id, "--format", "dot"])),
        ),
        ("list -v", list_verbose(&run(&["list", "-v"]), id)),
    ];
    let (span_runs, span_errors) = otlp(&json(&run(&["trace", id, "--format", "otlp"])));
    // A sampling logger's entry is a whole run to the analysis, and no span (spans are made
    // of hooks).
    // The fields come before `state`, whose nesting may be deeper than serde_json reads.
    let sampled = run(&["trace", id, "--format", "jsonl"])
        .lines()
        .map(|l| json(&format!("{}}}", l.split(",\"state\":").next().unwrap_or(l))))
        .filter(|e| e["hook"].is_null() && e["duration_ms"].is_number())
        .filter(|e| e["agent_id"].as_str().is_some_and(|a| !a.is_empty()))
        .count() as u64;
    (views, extra, (span_runs + sampled, span_errors))
}

/// Asserts that every view that shows `what` shows the same as the first that does.
fn agree<T: PartialEq + Debug>(
    id: &str,
    what: &str,
    views: &[(&str, Story)],
    get: impl Fn(&Story) -> Option<&T>,
) {
    let mut shown = views.iter().filter_map(|(name, s)| Some((name, get(s)?)));
    let Some((first_name, first)) = shown.next() else {
        return;
    };
    for (name, value) in shown {
        assert_eq!(
            value, first,
            "session {id}: {what} is {value:?} in `{name}` but {first:?} in `{first_name}`"
        );
    }
}

/// Runs every view of the session file `file` and checks they agree; gives back what the
/// analysis's JSON said about runs and hand-overs.
fn check(file: &Path) -> Extra {
    let name = file.file_name().and_then(|n| n.to_str()).expect("a name");
    let id = name.split(".trace.json").next().expect("a session id");
    let dir = Workdir::with(&[]);
    fs::copy(file, dir.path().join(name)).expect("copy the session");
    let (views, extra, (span_runs, span_errors)) = views(&dir, id);
    agree(id, "the route", &views, |s| s.route.as_ref());
    agree(id, "the hop count", &views, |s| s.hops.as_ref());
    agree(id, "the event count", &views, |s| s.events.as_ref());
    agree(id, "the error count", &views, |s| s.errors.as_ref());
    let errors = views[0].1.errors.expect("the analysis counts errors");
    assert_eq!(
        (span_runs, span_errors),
        (
            extra.runs + extra.runs_in_progress + extra.runs_abandoned,
            errors
        ),
        "session {id}: OTLP run spans (and sampled runs) and failed ones, against the \
         analysis's runs (ended, in progress and abandoned) and errors"
    );
    extra
}

/// Every session file under `dir` and its subdirectories.
fn sessions_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a fixture directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            sessions_under(&path, found);
        } else if name.contains(".trace.json") {
            found.push(path);
        }
    }
}

#[test]
fn every_view_of_every_fixture_tells_the_same_story() {
    let mut files = Vec::new();
    sessions_under(&fixtures(), &mut files);
    assert!(files.len() > 40, "{files:?}");
    for file in files {
        // The agent of no name, the empty file and the file that is not JSON are among them.
        check(&file);
    }
}

#[test]
fn every_view_of_generated_sessions_tells_the_same_story() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut kinds = Vec::new();
    let mut unfinished_runs = 0;
    // Sizes that stop the writer at every place of a request: mid-run, mid-event, after a
    // failure, inside the error handler's run.
    for (n, target_bytes) in [3_000, 9_000, 20_000, 41_000, 77_000, 130_000, 260_000]
        .into_iter()
        .enumerate()
    {
        for (seed, ending) in [(1, Ending::Open), (2, Ending::Cut), (3, Ending::Closed)] {
            let spec = SessionSpec {
                id: format!("gen-{n}-{seed}"),
                target_bytes,
                ending,
                start_unix_nanos: synth::EPOCH_UNIX_NANOS,
                offset_secs: synth::ZONES[n % synth::ZONES.len()],
                with_state: false,
            };
            let path = dir.path().join(format!("{}.trace.json", spec.id));
            let mut bytes = Vec::new();
            let mut rng = Rng::fork(seed, n as u64);
            synth::write_session(&mut bytes, &mut rng, &spec).expect("generated");
            fs::write(&path, bytes).expect("written");
            let extra = check(&path);
            unfinished_runs += extra.runs_in_progress;
            kinds.extend(extra.kinds);
        }
    }
    // The sessions hold what the test is for.
    assert!(unfinished_runs > 0, "no session ends inside a run");
    for kind in ["retry", "requeue", "failure", "unfinished"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} among {kinds:?}");
    }
}

#[test]
fn a_run_that_never_finished_is_the_last_hop_of_its_route() {
    // fixtures/req-17461590 cut inside the error handler's run: its two BeforeAgentRun
    // entries are written, its AfterAgentRun is not.
    let whole = fs::read_to_string(fixtures().join("req-17461590.trace.json")).expect("fixture");
    let cut = whole
        .match_indices("\n{")
        .map(|(at, _)| at)
        .nth(44)
        .expect("45 entries");
    let dir = Workdir::with(&[]);
    fs::write(dir.path().join("S.trace.json"), &whole[..cut]).expect("written");
    let (views, _, _) = views(&dir, "S");
    let route = [
        "planner",
        "researcher",
        "analyzer",
        "summarizer",
        "error-handler",
    ];
    for (name, story) in &views {
        if let Some(shown) = &story.route {
            assert_eq!(shown, &route, "the route in `{name}`");
        }
    }
    let story = &views[0].1;
    assert_eq!(
        (story.hops, story.events, story.errors),
        (Some(9), Some(9), Some(1))
    );
    check(&dir.path().join("S.trace.json"));
}
