//! `agentcli trace --flow-only`, and the flow's pictures: `--format mermaid` and `--format dot`.

use crate::common::{SAMPLES, Workdir, stdout_of};
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// The command with a UTF-8 locale, whatever the machine's.
fn utf8(mut cmd: Command) -> Command {
    cmd.env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE");
    cmd
}

/// The flow view of a fixture's session.
fn flow(fixture: &str, extra: &[&str]) -> String {
    let w = Workdir::with(&[fixture]);
    let session = session_of(fixture);
    let mut args = vec!["trace", "--flow-only"];
    args.extend(extra);
    args.push(&session);
    stdout_of(utf8(w.run(&args)))
}

fn session_of(fixture: &str) -> String {
    let name = Path::new(fixture).file_name().unwrap().to_string_lossy();
    name.split(".trace.").next().unwrap().to_owned()
}

/// The line after `title` in a flow view.
fn line_after<'a>(view: &'a str, title: &str) -> &'a str {
    let mut lines = view.lines();
    lines.by_ref().find(|l| *l == title).expect(title);
    lines.next().unwrap_or("")
}

/// The numbered lines of the sequence diagram, without their numbers.
fn sequence(view: &str) -> Vec<&str> {
    view.lines()
        .skip_while(|l| *l != "Sequence diagram:")
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_once(". ").unwrap().1)
        .collect()
}

/// The table's rows, as their cells.
fn rows(view: &str) -> Vec<Vec<&str>> {
    view.lines()
        .skip_while(|l| !l.starts_with("TIME"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect()
}

#[test]
fn the_documentations_example_comes_out_as_documented() {
    let view = flow("flow/req-17461596.trace.json", &[]);
    assert_eq!(
        view,
        "\
Agent request flow for session req-17461596:

TIME           AGENT        NEXT         HOOK            EVENT ID
14:32:15.123   planner      summarizer   AfterAgentRun   req-17461596…
14:32:15.167   summarizer   (end)        AfterAgentRun   req-17461596…

Sequence diagram:
----------------
1. planner → summarizer
2. summarizer → (end)

Condensed route:
planner → summarizer
"
    );
}

/// The condensed route of every sample, checked by hand against each file's routing
/// metadata (output_state meta `route`, and the runner's failure events):
/// - 17461590: planner → researcher → analyzer → summarizer, which ends the first request;
///   in the second, summarizer fails and its failure goes to error-handler (which routes back
///   to planner, already on the route).
/// - 17461591: the same four agents; the researcher's requeue adds nothing.
/// - 17461592: researcher requeues, then analyzer fails (rate limit) and error-handler takes
///   the failure; the file ends while analyzer runs again.
/// - 20000001 and 30000001: planner → researcher → analyzer → summarizer, four times over.
#[test]
fn every_samples_condensed_route_is_what_its_routing_metadata_says() {
    let routes: Vec<String> = SAMPLES
        .iter()
        .map(|s| line_after(&flow(s, &[]), "Condensed route:").to_owned())
        .collect();
    assert_eq!(
        routes,
        [
            "planner → researcher → analyzer → summarizer → error-handler",
            "planner → researcher → analyzer → summarizer",
            "planner → researcher → analyzer → error-handler",
            "planner → researcher → analyzer → summarizer",
            "planner → researcher → analyzer → summarizer",
        ]
    );
}

#[test]
fn one_hop_per_agent_run_whatever_the_writers_duplicates() {
    // 51 entries: 10 events, each with two BeforeAgentRun; one with two AgentError.
    let view = flow("req-17461590.trace.json", &["--width", "200"]);
    let rows = rows(&view);
    assert_eq!(rows.len(), 10);
    let errors: Vec<_> = rows.iter().filter(|r| r[3] == "AgentError").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0][..5],
        [
            "14:32:19.574",
            "summarizer",
            "error-handler",
            "AgentError",
            "eca61503…"
        ]
    );
    assert_eq!(
        errors[0][5],
        "error: tool 'web_search' returned invalid JSON"
    );
    // No AfterEventHandling hops, so no event is a requeue.
    assert!(!view.contains("AfterEventHandling"));
    assert!(!view.contains("requeue"));
}

#[test]
fn a_failure_branches_to_the_error_handler_and_back() {
    let view = flow("flow/flow-error-branch.trace.json", &[]);
    insta::assert_snapshot!(view);
    assert_eq!(
        sequence(&view),
        [
            "planner → researcher",
            "researcher → error-handler  [error]",
            "error-handler → planner",
            "planner → researcher",
            "researcher → summarizer",
            "summarizer → (end)",
        ]
    );
    // The chain without repeats: planner, researcher, error-handler, (planner, researcher,)
    // summarizer.
    assert_eq!(
        line_after(&view, "Condensed route:"),
        "planner → researcher → error-handler → summarizer"
    );
}

#[test]
fn self_routes_are_requeues_and_retries() {
    let view = flow("flow/flow-requeue.trace.json", &[]);
    insta::assert_snapshot!("requeue", view);
    assert_eq!(
        sequence(&view)[1..3],
        [
            "researcher → researcher  [requeue]",
            "researcher → researcher  [requeue]"
        ]
    );
    assert_eq!(
        line_after(&view, "Condensed route:"),
        "planner → researcher → analyzer"
    );

    let view = flow("flow/flow-retry.trace.json", &[]);
    insta::assert_snapshot!("retry", view);
    assert_eq!(sequence(&view)[1], "coder → coder  [retry]");
    let retry = &rows(&view)[1];
    assert_eq!(retry[5], "retry: tests failed: 2 of 14");
}

#[test]
fn interleaved_requests_get_their_own_sequences() {
    let view = flow("flow/flow-interleaved.trace.json", &[]);
    insta::assert_snapshot!(view);
    let requests: Vec<&str> = view
        .lines()
        .skip_while(|l| *l != "Per-event sequences:")
        .filter(|l| !l.is_empty())
        .skip(2)
        .collect();
    assert_eq!(
        requests,
        [
            "[req-50000001] 14:50:15.080",
            "  planner → researcher",
            "  researcher → summarizer",
            "  summarizer → (end)",
            "[req-50000002] 14:50:15.110",
            "  planner → writer",
            "  writer → (end)",
        ]
    );
}

#[test]
fn a_file_cut_mid_event_shows_the_run_in_progress() {
    let w = Workdir::with(&["flow/flow-unclosed.trace.json"]);
    let out = utf8(w.run(&["trace", "--flow-only", "flow-unclosed"]))
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let view = String::from_utf8(out).unwrap();
    insta::assert_snapshot!(view);
    assert_eq!(
        sequence(&view),
        [
            "planner → researcher",
            "researcher → analyzer",
            "analyzer → (unfinished)"
        ]
    );
    assert_eq!(rows(&view)[2][3], "BeforeAgentRun");
    assert_eq!(
        line_after(&view, "Condensed route:"),
        "planner → researcher → analyzer"
    );
}

#[test]
fn the_filter_chooses_hops() {
    let view = flow("req-17461590.trace.json", &["--filter", "agent=researcher"]);
    let rows = rows(&view);
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r[1] == "researcher" && r[2] == "analyzer")
    );
    // The route is that of the requests the filter chose, whole, as `--analyze` tallies it.
    assert_eq!(
        line_after(&view, "Condensed route:"),
        "planner → researcher → analyzer → summarizer → error-handler"
    );

    let view = flow("req-17461592.trace.json", &["--filter", "error"]);
    assert_eq!(sequence(&view), ["analyzer → error-handler  [error]"]);

    let view = flow(
        "req-17461590.trace.json",
        &[
            "--filter",
            "agent=planner",
            "--filter",
            "since=2025-05-02T09:02:17Z",
        ],
    );
    assert_eq!(sequence(&view), ["planner → researcher"]);

    let w = Workdir::with(&["req-17461590.trace.json"]);
    let args = [
        "trace",
        "--flow-only",
        "--filter",
        "agent=nobody",
        "req-17461590",
    ];
    utf8(w.run(&args)).assert().success().stdout("").stderr(
        "no entries for agent 'nobody' in session req-17461590; \
         agents here: analyzer, error-handler, planner, researcher, summarizer\n",
    );
    // Entries match, but none is an agent run's.
    let args = [
        "trace",
        "--flow-only",
        "--filter",
        "hook=AfterEventHandling",
        "req-17461590",
    ];
    utf8(w.run(&args))
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::starts_with(
            "no agent runs for hook 'AfterEventHandling' in session req-17461590",
        ));
}

#[test]
fn ascii_arrows_on_request_or_when_the_locale_is_not_utf8() {
    let view = flow("flow/req-17461596.trace.json", &["--ascii"]);
    assert!(view.contains("1. planner -> summarizer"), "{view}");
    assert!(view.contains("req-17461596...\n"), "{view}");
    assert!(view.is_ascii());

    let w = Workdir::with(&["flow/req-17461596.trace.json"]);
    let args = ["trace", "--flow-only", "req-17461596"];
    let c_locale = stdout_of(utf8(w.run(&args)).env("LANG", "C"));
    assert_eq!(c_locale, view);
    let chosen = stdout_of(
        utf8(w.run(&args))
            .env("LANG", "C")
            .env("LC_ALL", "en_US.UTF-8"),
    );
    assert!(chosen.contains("planner → summarizer"));
}

#[test]
fn verbose_shows_whole_event_ids() {
    // Given room, a verbose note is on one line (narrower, it wraps: tests/cli/widths.rs).
    let view = flow("req-17461590.trace.json", &["--verbose", "--width", "200"]);
    assert_eq!(rows(&view)[1][4], "543bcd04-365e-52e7-c873-83f4b1429de1");
    assert_eq!(
        rows(&view)[7][5],
        "error: tool 'web_search' returned invalid JSON"
    );
}

#[test]
fn hostile_names_and_errors_are_escaped_and_cut_by_width() {
    let view = flow("flow/flow-hostile.trace.json", &["--width", "80"]);
    insta::assert_snapshot!(view);
    assert!(!view.contains('\x1b'));
    // Cut in the table; whole, and still escaped, with --verbose (on one line, given room).
    let verbose = flow(
        "flow/flow-hostile.trace.json",
        &["--verbose", "--width", "300"],
    );
    assert!(!verbose.contains('\x1b'));
    assert!(
        verbose.contains("error: bad\\x1b[31m red\\nline; #1 <x>\n"),
        "{verbose}"
    );
    for line in view.lines().filter(|l| l.starts_with("09:")) {
        assert!(agentcli::text::width(line) <= 80, "{line}");
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let plain = flow("req-17461592.trace.json", &[]);
    assert!(!plain.contains('\x1b'));
    let coloured = flow("req-17461592.trace.json", &["--color", "always"]);
    let error = coloured.lines().find(|l| l.contains("AgentError")).unwrap();
    assert!(error.contains("\x1b[31merror-handler\x1b[0m"), "{error}");
    assert!(
        error.contains("\x1b[31merror: rate limit exceeded (429)\x1b[0m"),
        "{error}"
    );
}

/// A fixture's session drawn as `--format FORMAT` (`mermaid` or `dot`).
fn diagram(fixture: &str, format: &str) -> String {
    let w = Workdir::with(&[fixture]);
    let session = session_of(fixture);
    stdout_of(utf8(w.run(&["trace", "--format", format, &session])))
}

#[test]
fn mermaid_is_a_sequence_diagram_with_one_message_per_hop() {
    let text = diagram("req-17461590.trace.json", "mermaid");
    insta::assert_snapshot!(text);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let mut participants = Vec::new();
    let (mut messages, mut notes) = (0, 0);
    for line in lines {
        let line = line.strip_prefix("    ").expect("indented");
        if let Some(p) = line.strip_prefix("participant ") {
            let (id, name) = p.split_once(" as ").unwrap();
            assert_eq!(id, format!("A{}", participants.len() + 1));
            participants.push(name);
        } else if line.starts_with("Note ") {
            notes += 1;
        } else if !line.starts_with("%%") {
            let (arrow, label) = line.split_once(": ").unwrap();
            let (from, to) = arrow.split_once(">>").unwrap();
            let from = from.trim_end_matches('-');
            for id in [from, to] {
                let n: usize = id.strip_prefix('A').unwrap().parse().unwrap();
                assert!((1..=participants.len()).contains(&n), "{line}");
            }
            assert!(!label.is_empty());
            messages += 1;
        }
    }
    // In order of first appearance.
    assert_eq!(
        participants,
        [
            "planner",
            "researcher",
            "analyzer",
            "summarizer",
            "error-handler"
        ]
    );
    // 10 hops: 9 hand-overs and one end; the error a note of its own.
    assert_eq!((messages, notes), (9, 2));
    assert!(text.contains("    A4-->>A5: failure (req-58266368)\n"));
}

/// The lines of text Graphviz draws for a `--format dot` document, in the order written: each
/// node's label and each edge's, a line each, as graphviz-rust's parser of the DOT language
/// reads the document and as Graphviz interprets label escapes. (The external suite checks these
/// are the texts of the SVG that Graphviz's own `dot` draws.)
pub fn drawn_texts(dot: &str) -> Vec<String> {
    use graphviz_rust::dot_structures::{EdgeTy, Graph, GraphAttributes, Id, Stmt, Vertex};
    let graph = graphviz_rust::parse(dot).unwrap_or_else(|e| panic!("not DOT: {e}\n{dot}"));
    let Graph::DiGraph { stmts, .. } = graph else {
        panic!("not a digraph:\n{dot}")
    };
    let text = |id: &Id| match id {
        Id::Plain(s) => s.clone(),
        Id::Escaped(s) => s[1..s.len() - 1].to_owned(),
        other => panic!("an id agentcli does not write: {other:?}"),
    };
    let label = |attributes: &[graphviz_rust::dot_structures::Attribute]| {
        attributes
            .iter()
            .rev()
            .find(|a| text(&a.0) == "label")
            .map(|a| text(&a.1))
    };
    // Graphviz draws every node once, with the label of its last statement, `\N` (its name)
    // when none has one; the defaults of a `node [...]` statement apply to the nodes after it.
    let mut nodes: Vec<(String, Option<String>)> = Vec::new();
    let mut node_default: Option<String> = None;
    let mut edges = Vec::new();
    fn declare(nodes: &mut Vec<(String, Option<String>)>, id: String, label: Option<String>) {
        match nodes.iter_mut().find(|(n, _)| *n == id) {
            Some(node) => node.1 = label.or(node.1.take()),
            None => nodes.push((id, label)),
        }
    }
    for stmt in &stmts {
        match stmt {
            Stmt::Node(node) => {
                let own = label(&node.attributes).or(node_default.clone());
                declare(&mut nodes, text(&node.id.0), own);
            }
            Stmt::Edge(edge) => {
                let EdgeTy::Pair(Vertex::N(from), Vertex::N(to)) = &edge.ty else {
                    panic!("an edge agentcli does not write: {edge:?}")
                };
                for end in [from, to] {
                    if !nodes.iter().any(|(n, _)| *n == text(&end.0)) {
                        declare(&mut nodes, text(&end.0), node_default.clone());
                    }
                }
                edges.extend(label(&edge.attributes));
            }
            Stmt::GAttribute(GraphAttributes::Node(defaults)) => {
                node_default = label(defaults).or(node_default.take());
            }
            Stmt::GAttribute(GraphAttributes::Edge(defaults)) if label(defaults).is_some() => {
                panic!("edge label defaults are not modelled here:\n{dot}")
            }
            Stmt::Attribute(_) | Stmt::GAttribute(_) => {}
            Stmt::Subgraph(_) => panic!("a subgraph agentcli does not write:\n{dot}"),
        }
    }
    let mut texts = Vec::new();
    for (name, label) in &nodes {
        texts.extend(label_lines(label.as_deref().unwrap_or("\\N"), Some(name)));
    }
    for label in &edges {
        texts.extend(label_lines(label, None));
    }
    texts
}

/// The lines Graphviz draws for a label as written between quotes: `\"` is a quote, `\\` a
/// backslash, `\n`, `\l` and `\r` end a line, `\N` is the node's name, any other `\c` is `c`.
fn label_lines(label: &str, node: Option<&str>) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut chars = label.chars();
    while let Some(c) = chars.next() {
        let line = lines.last_mut().unwrap();
        if c != '\\' {
            line.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'l' | 'r') => lines.push(String::new()),
            Some('N') => line.push_str(node.expect("\\N in an edge label")),
            Some(c @ ('G' | 'E' | 'T' | 'H' | 'L')) => panic!("\\{c} is not modelled here"),
            Some('\n') => {}
            Some(c) => line.push(c),
            None => line.push('\\'),
        }
    }
    // A line break ends the line before it; it starts no line of its own.
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[test]
fn dot_is_a_digraph_that_graphviz_draws() {
    let text = diagram("req-17461590.trace.json", "dot");
    insta::assert_snapshot!(text);
    let texts = drawn_texts(&text);
    for agent in [
        "planner",
        "researcher",
        "analyzer",
        "summarizer",
        "error-handler",
        "(end)",
    ] {
        assert!(texts.iter().any(|t| t == agent), "{agent} in {texts:?}");
    }
    // Edge labels: hop counts, and the error count on its own line.
    assert_eq!(texts.iter().filter(|t| *t == "3").count(), 1);
    assert_eq!(texts.iter().filter(|t| *t == "2").count(), 2);
    assert!(texts.iter().any(|t| t == "1 error"));

    for fixture in [
        "flow/flow-unclosed.trace.json",
        "flow/flow-interleaved.trace.json",
    ] {
        drawn_texts(&diagram(fixture, "dot"));
    }
    // An agent's edge to itself counts requeues, and retries (in red).
    let texts = drawn_texts(&diagram("req-17461592.trace.json", "dot"));
    assert!(texts.iter().any(|t| t == "1 requeue"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "(unfinished)"), "{texts:?}");
    let retry = diagram("flow/flow-retry.trace.json", "dot");
    assert!(retry.contains("    a2 -> a2 [label=\"1 retry\", color=red, fontcolor=red];\n"));
    drawn_texts(&retry);
    let texts = drawn_texts(&diagram("flow/flow-hostile.trace.json", "dot"));
    assert!(
        texts.iter().any(|t| t == "evil\"agent\\N;#<b>%%{init}%%"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "日本語エージェント"));
}

/// The reading of labels follows Graphviz's: escapes, line breaks, and a node's own name.
#[test]
fn dot_labels_read_as_graphviz_reads_them() {
    let texts = drawn_texts(
        "digraph \"g\" {\n    node [shape=box];\n    a [label=\"x\\\"y\\\\N\\nz\"];\n    b;\n    \
         c [label=\"\\N!\"];\n    a -> b [label=\"1\\n2 errors\\l\"];\n    b -> d;\n}\n",
    );
    assert_eq!(
        texts,
        ["x\"y\\N", "z", "b", "c!", "d", "1", "2 errors"].map(String::from)
    );
    assert!(std::panic::catch_unwind(|| drawn_texts("digraph { a -> }")).is_err());
}

#[test]
fn an_empty_session_has_no_flow() {
    let w = Workdir::with(&["shapes/empty.trace.json"]);
    w.run(&["trace", "--flow-only", "empty"])
        .assert()
        .success()
        .stdout("")
        .stderr("no entries in session empty\n");
    // The pictures stay valid documents.
    let dot = stdout_of(w.run(&["trace", "--format", "dot", "empty"]));
    assert_eq!(drawn_texts(&dot), Vec::<String>::new());
    let mermaid = stdout_of(w.run(&["trace", "--format", "mermaid", "empty"]));
    assert!(mermaid.starts_with("sequenceDiagram\n"));
}

#[test]
fn pictures_do_not_mix_with_the_entry_views() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    w.run(&["trace", "--format", "dot", "--analyze", "req-17461590"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid --format: mermaid and dot draw the agent flow",
        ));
    w.run(&["trace", "--format", "mermaid", "--debug", "req-17461590"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid --debug"));
    w.run(&["trace", "--flow-only", "--analyze", "req-17461590"])
        .assert()
        .code(2);
    // --verbose only changes the flow view's detail.
    let view = stdout_of(w.run(&[
        "trace",
        "--flow-only",
        "-v",
        "--format",
        "table",
        "req-17461590",
    ]));
    assert!(view.starts_with("Agent request flow for session req-17461590:\n"));
}
