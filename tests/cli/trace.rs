//! `agentcli trace`: the timeline table, --verbose, --debug, --filter, --redact, and output
//! that is safe for a terminal.

use crate::common::{Workdir, agentcli, stdout_of, table_rows};
use agentcli::text;
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

const SAMPLE: &str = "req-17461590.trace.json";
const HOSTILE: &str = "hostile/req-40000001.trace.json";

/// The rows' values in one column.
fn column(table: &str, index: usize) -> Vec<String> {
    table_rows(table)
        .into_iter()
        .map(|r| r[index].clone())
        .collect()
}

/// `trace` with the given arguments on the sample with an agent error (at width 120 unless
/// the arguments say otherwise).
fn trace(w: &Workdir, args: &[&str]) -> String {
    let mut all = vec!["trace", "req-17461590"];
    all.extend(args);
    if !args.contains(&"--width") {
        all.extend(["--width", "120"]);
    }
    stdout_of(w.run(&all))
}

#[test]
fn the_default_table_is_the_documented_timeline() {
    let w = Workdir::with(&[SAMPLE]);
    let table = trace(&w, &[]);
    insta::assert_snapshot!(table);
    assert!(table.starts_with("Trace for session req-17461590:\n\n┌"));
    assert_eq!(table_rows(&table).len(), 51);
    for line in table.lines().skip(2) {
        assert_eq!(text::width(line), 120, "{line}");
    }
}

#[test]
fn the_table_fits_the_width_state_and_the_hook_name_giving_way_first() {
    let w = Workdir::with(&[SAMPLE]);
    let narrow = trace(&w, &["--width", "90"]);
    for line in narrow.lines().skip(2) {
        assert_eq!(text::width(line), 90, "{line}");
    }
    // The hook's short form; the error message whole, wrapped onto the rows below its own.
    let first = &table_rows(&narrow)[0];
    assert_eq!(first[..3], ["14:32:15.123", "BeforeEvent", "planner"]);
    let error: Vec<String> = column(&narrow, 4)
        .into_iter()
        .skip_while(|e| e == "-")
        .take_while(|e| e != "-")
        .collect();
    assert!(
        error
            .join(" ")
            .starts_with("tool 'web_search' returned invalid JSON"),
        "{error:?}"
    );
    // Given room, nothing is cut and the table is no wider than it needs.
    let wide = trace(&w, &["--width", "200"]);
    assert!(column(&wide, 4).contains(&"tool 'web_search' returned invalid JSON".to_owned()));
    assert!(text::width(wide.lines().nth(2).unwrap()) < 200);
}

#[test]
fn times_are_shown_in_the_zone_written_unless_utc_or_local_is_asked() {
    let w = Workdir::with(&[SAMPLE]);
    assert_eq!(column(&trace(&w, &[]), 0)[0], "14:32:15.123");
    assert_eq!(column(&trace(&w, &["--utc"]), 0)[0], "09:02:15.123");
    // The tests run with TZ=UTC.
    assert_eq!(column(&trace(&w, &["--local"]), 0)[0], "09:02:15.123");
}

#[test]
fn options_go_before_or_after_the_session() {
    let w = Workdir::with(&[SAMPLE]);
    let before = stdout_of(w.run(&["trace", "--verbose", "--filter", "error", "req-17461590"]));
    let after = stdout_of(w.run(&["trace", "req-17461590", "--filter", "error", "-v"]));
    assert_eq!(before, after);
    assert!(before.contains("#39  2025-05-02T14:32:19.574028652+05:30  AgentError  summarizer"));
}

#[test]
fn sessions_are_found_by_prefix_path_or_latest() {
    let w = Workdir::with(&[SAMPLE, "req-20000001.trace.json"]);
    let rows_of = |session: &str| table_rows(&stdout_of(w.run(&["trace", session]))).len();
    assert_eq!(rows_of("req-2"), 70);
    assert_eq!(rows_of("latest"), 70);
    let path = w.path().join(SAMPLE);
    assert_eq!(rows_of(path.to_str().unwrap()), 51);
    w.run(&["trace", "req-9"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no session 'req-9' in"));
}

#[test]
fn verbose_shows_every_field_and_the_whole_state() {
    let w = Workdir::with(&[SAMPLE, "req-30000001.trace.json"]);
    let failure = trace(
        &w,
        &["--verbose", "--filter", "event=eca61503", "--width", "100"],
    );
    insta::assert_snapshot!("verbose_failed_event", failure);
    let full = stdout_of(w.run(&["trace", "req-30000001", "-v", "--width", "100"]));
    // Nothing is cut: the 5,000-character values are all there, wrapped.
    let xs: usize = full
        .split(|c: char| c != 'x')
        .filter(|run| run.len() > 1)
        .map(str::len)
        .sum();
    assert_eq!(xs, 2 * 5000);
    assert!(!full.contains('…'));
    assert!(full.lines().all(|l| text::width(l) <= 100));
    // Line breaks in values are kept, indented under the value; other controls are escaped.
    assert!(full.contains("    note      newlines\n              in\n              the\n              value\\r\n              and\\ttabs\n"));
}

#[test]
fn debug_shows_each_entry_as_read_and_what_the_reader_found() {
    let w = Workdir::with(&[
        "req-17461592.trace.json",
        "bad/wrong-type-and-garbage.trace.json",
    ]);
    let dir = w.path().to_str().unwrap().to_owned();
    let cut = stdout_of(w.run(&[
        "trace",
        "req-17461592",
        "--debug",
        "--filter",
        "event=req-84945514",
    ]));
    insta::assert_snapshot!("debug_cut_file", cut.replace(&dir, "[DIR]"));

    let damaged = w
        .run(&["trace", "wrong-type-and-garbage", "--debug"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "wrong-type-and-garbage.trace.json:16:16: entry 2: invalid type: integer `42`",
        ));
    let out = String::from_utf8(damaged.get_output().stdout.clone()).unwrap();
    let diagnostics = &out[out.find("Reader diagnostics:").unwrap()..];
    insta::assert_snapshot!("debug_damaged_file", diagnostics.replace(&dir, "[DIR]"));
}

#[test]
fn debug_names_every_input_shape() {
    let w = Workdir::with(&[
        "shapes/lines.trace.jsonl.gz",
        "shapes/one-line.trace.json",
        "shapes/empty.trace.json",
    ]);
    let shape = |session: &str| {
        let out = stdout_of(w.run(&["trace", session, "--debug"]));
        let line = out.lines().find(|l| l.starts_with("  shape")).unwrap();
        line.trim_start_matches("  shape").trim().to_owned()
    };
    assert_eq!(
        shape("lines"),
        "gzip-compressed JSON Lines: one entry after another, no enclosing array"
    );
    assert_eq!(shape("one-line"), "JSON array, closed with `]`");
    assert_eq!(shape("empty"), "empty: no entries yet");
}

#[test]
fn each_filter_key_selects_its_entries() {
    let w = Workdir::with(&[SAMPLE]);
    let count = |exprs: &[&str]| {
        let mut args = Vec::new();
        for e in exprs {
            args.extend(["--filter", e]);
        }
        table_rows(&trace(&w, &args)).len()
    };
    assert_eq!(count(&[]), 51);
    // The agent: on BeforeEventHandling, the agent the event is for.
    let planner = trace(&w, &["--filter", "agent=planner"]);
    assert_eq!(table_rows(&planner).len(), 15);
    assert!(column(&planner, 2).iter().all(|a| a == "planner"));
    assert_eq!(count(&["hook=AgentError"]), 2);
    assert_eq!(count(&["hook=agenterror"]), 2);
    assert_eq!(count(&["hook=HookAgentError"]), 2);
    assert_eq!(count(&["event=req-88000918-planner"]), 5);
    assert_eq!(count(&["event=eca61503"]), 6);
    assert_eq!(count(&["type="]), 51);
    assert_eq!(count(&["error"]), 2);
    assert_eq!(count(&["error=*invalid JSON"]), 2);
    assert_eq!(count(&["meta.route=researcher"]), 3);
    assert_eq!(count(&["meta.session_id=req-17461590"]), 9);
    assert_eq!(count(&["since=2025-05-02T09:02:19.5Z"]), 13);
    assert_eq!(count(&["until=2025-05-02T09:02:15.5Z"]), 8);
    assert_eq!(count(&["since=2025-05-02T14:32:19.5+05:30"]), 13);
}

#[test]
fn filters_combine_and_take_globs() {
    let w = Workdir::with(&[SAMPLE]);
    let table = trace(&w, &["--filter", "agent=*er", "--filter", "hook=After*Run"]);
    assert_eq!(
        column(&table, 2),
        [
            "planner",
            "researcher",
            "analyzer",
            "summarizer",
            "planner",
            "researcher",
            "analyzer",
            "error-handler",
            "planner"
        ]
    );
    let table = trace(
        &w,
        &["--filter", "agent=research*", "--filter", "event=543bcd04"],
    );
    assert_eq!(table_rows(&table).len(), 5);
    // A prefix may end in a wildcard of its own.
    let table = trace(&w, &["--filter", "event=eca6*", "--filter", "error"]);
    assert_eq!(table_rows(&table).len(), 2);
    let table = trace(
        &w,
        &[
            "--filter",
            "since=2025-05-02T09:02:16Z",
            "--filter",
            "until=2025-05-02T09:02:17Z",
            "--filter",
            "hook=?fterAgentRun",
        ],
    );
    assert_eq!(
        column(&table, 0),
        ["14:32:16.189", "14:32:16.385", "14:32:16.494"]
    );
}

#[test]
fn a_bad_filter_is_a_usage_error_that_lists_the_valid_keys() {
    let w = Workdir::with(&[SAMPLE]);
    w.run(&["trace", "req-17461590", "--filter", "agnet=planner"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "agentcli: invalid --filter \"agnet=planner\": unknown key 'agnet' (did you mean \
             'agent'?); valid keys: agent, hook, event, type, error, meta.KEY, since, until (as \
             KEY=VALUE, or a bare `error`)\n",
        );
    for (expr, message) in [
        ("agent", "'agent' needs a value: write agent=VALUE"),
        ("meta.=x", "'meta.' needs a key"),
        ("since=soon", "invalid time 'soon'"),
        ("agent=[oops", "bad wildcard pattern"),
    ] {
        w.run(&["trace", "req-17461590", "--filter", expr])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn when_nothing_matches_it_says_so_and_lists_the_agents() {
    let w = Workdir::with(&[SAMPLE, "shapes/empty.trace.json"]);
    w.run(&["trace", "req-17461590", "--filter", "agent=nobody"])
        .assert()
        .success()
        .stdout("")
        .stderr(
            "no entries for agent 'nobody' in session req-17461590; agents here: analyzer, \
             error-handler, planner, researcher, summarizer\n",
        );
    w.run(&[
        "trace",
        "req-17461590",
        "--filter",
        "hook=AgentError",
        "--filter",
        "agent=planner",
        "-v",
    ])
    .assert()
    .success()
    .stdout("")
    .stderr(predicate::str::contains(
        "no entries for hook 'AgentError' and agent 'planner' in session req-17461590; \
             agents here: analyzer, error-handler, planner, researcher, summarizer; hooks here: \
             AfterAgentRun, AfterEventHandling, AgentError, BeforeAgentRun, BeforeEventHandling",
    ));
    w.run(&["trace", "empty"])
        .assert()
        .success()
        .stdout("")
        .stderr("no entries in session empty\n");
}

#[test]
fn damaged_entries_are_reported_and_the_rest_shown() {
    let w = Workdir::with(&["bad/wrong-type-and-garbage.trace.json"]);
    let assert = w.run(&["trace", "wrong-type-and-garbage"]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert_eq!(table_rows(&out).len(), 3);
    assert!(
        String::from_utf8_lossy(&assert.get_output().stderr)
            .contains(":21:1: unexpected 't' between entries")
    );
}

/// Bytes that would drive a terminal: ESC, BEL, the C1 CSI, and the right-to-left override.
fn has_raw_controls(s: &str) -> bool {
    s.contains(['\x1b', '\x07', '\u{9b}', '\u{202e}'])
}

#[test]
fn escape_sequences_and_bidi_overrides_are_made_visible_in_every_view() {
    let w = Workdir::with(&[HOSTILE]);
    for args in [
        &["--width", "400"][..],
        &["--verbose"],
        &["--debug"],
        &["--verbose", "--redact"],
    ] {
        let mut all = vec!["trace", "req-40000001"];
        all.extend(args);
        let out = stdout_of(w.run(&all));
        assert!(!has_raw_controls(&out), "{args:?}: {out}");
        assert!(out.contains("\\u202e"), "{args:?}");
    }
    let table = stdout_of(w.run(&["trace", "req-40000001", "--width", "400"]));
    insta::assert_snapshot!("hostile_table", table);
    let verbose = stdout_of(w.run(&["trace", "req-40000001", "-v", "--width", "100"]));
    assert!(
        verbose.contains(
            "    message      \\x1b[31mred\\x1b[0m text \\x1b]0;pwned\\x07 and a title\n"
        )
    );
    // An error's line break is kept in the verbose view, and becomes \n in the table.
    assert!(verbose.contains("  error     upstream said: \\x1b[1;31mFATAL\\x1b[0m\n            retry later \\u202e(tsal)\n"));
    assert!(table.contains("upstream said: \\x1b[1;31mFATAL\\x1b[0m\\nretry later \\u202e(tsal)"));
}

#[test]
fn wide_characters_keep_the_table_aligned() {
    let w = Workdir::with(&[HOSTILE, "req-30000001.trace.json"]);
    for (session, width) in [
        ("req-40000001", "80"),
        ("req-40000001", "133"),
        ("req-30000001", "97"),
        ("req-30000001", "150"),
    ] {
        let table = stdout_of(w.run(&["trace", session, "--width", width]));
        for line in table.lines().skip(2) {
            assert_eq!(text::width(line), width.parse::<usize>().unwrap(), "{line}");
        }
    }
    let table = stdout_of(w.run(&["trace", "req-40000001", "--width", "80"]));
    assert!(column(&table, 2).contains(&"分析者".to_owned()));
}

#[test]
fn redaction_hides_secret_values_in_every_view() {
    let w = Workdir::with(&[HOSTILE]);
    let secrets = [
        "sk-live-1234567890abcdef",
        "hunter2",
        "Bearer eyJ",
        "tok-abc",
    ];
    for view in [&["--width", "400"][..], &["-v"], &["--debug"]] {
        let mut args = vec!["trace", "req-40000001"];
        args.extend(view);
        let plain = stdout_of(w.run(&args));
        // The table's summary shows state data, not meta.
        let shown = if view[0] == "--width" {
            &secrets[..3]
        } else {
            &secrets[..]
        };
        assert!(shown.iter().all(|s| plain.contains(s)), "{view:?}");
        args.push("--redact");
        let redacted = stdout_of(w.run(&args));
        for secret in secrets {
            assert!(!redacted.contains(secret), "{view:?} shows {secret}");
        }
        assert!(redacted.contains("[REDACTED]"));
        // What is not secret is untouched.
        assert!(redacted.contains("ann"), "{view:?}");
    }
    let verbose = stdout_of(w.run(&["trace", "req-40000001", "-v", "--redact"]));
    assert!(verbose.contains("    api_key      [REDACTED]\n"));
    assert!(verbose.contains("                   \"password\": \"[REDACTED]\",\n"));
    assert!(verbose.contains("    session_token   [REDACTED]\n"));
    // --redact-key adds a name, and alone turns redaction on.
    let more = stdout_of(w.run(&["trace", "req-40000001", "-v", "--redact-key", "CORRELATION"]));
    assert!(!more.contains("corr-42") && !more.contains("hunter2"));
    assert!(more.contains("    correlation_id  [REDACTED]\n"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let w = Workdir::with(&[SAMPLE]);
    let plain = trace(&w, &[]);
    assert!(!plain.contains('\x1b'));
    let plain = trace(&w, &["--width", "200"]);
    let coloured = trace(&w, &["--color", "always", "--width", "200"]);
    assert!(coloured.contains("\x1b[31;1mAgentError\x1b[0m"));
    assert!(coloured.contains("\x1b[31mtool 'web_search' returned invalid JSON\x1b[0m"));
    // Colour codes take no room: stripped, the table is the same.
    let stripped = coloured
        .replace("\x1b[31;1m", "")
        .replace("\x1b[31m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[34m", "")
        .replace("\x1b[36m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
    let no_color = stdout_of(
        w.run(&["trace", "req-17461590", "--color", "auto"])
            .env("NO_COLOR", "1"),
    );
    assert!(!no_color.contains('\x1b'));
}

/// Writes a trace of `n` entries in the writer's shape (pretty-printed, unclosed).
fn write_big_trace(path: &std::path::Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"[\n").unwrap();
    for i in 0..n {
        if i > 0 {
            out.write_all(b",\n").unwrap();
        }
        let (secs, nanos) = (i / 1000, i % 1000 * 1_000_000);
        write!(
            out,
            "{{\n  \"timestamp\": \"2025-05-02T14:{:02}:{:02}.{nanos:09}+05:30\",\n  \"type\": \"\",\n  \
             \"event_id\": \"req-{i}-planner\",\n  \"session_id\": \"big\",\n  \"agent_id\": \"agent-{}\",\n  \
             \"hook\": \"AfterAgentRun\",\n  \"agent_result\": {{\n    \"duration_ms\": 0,\n    \
             \"output_state\": {{\n      \"data\": {{\n        \"message\": \"step {i}\"\n      }}\n    }}\n  }}\n}}\n",
            secs / 60 % 60,
            secs % 60,
            i % 7
        )
        .unwrap();
    }
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let w = Workdir::with(&[]);
    write_big_trace(&w.path().join("big.trace.json"), 20_000);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentcli"))
        .args(["trace", "big", "--dir"])
        .arg(w.path())
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let head: Vec<String> = lines.by_ref().take(6).map(Result::unwrap).collect();
    assert_eq!(head[0], "Trace for session big:");
    assert!(
        head[5].starts_with("│ 14:00:00.000 │ AfterAgentRun "),
        "{}",
        head[5]
    );
    drop(lines);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn a_long_trace_streams_with_widths_decided_up_front() {
    let w = Workdir::with(&[]);
    write_big_trace(&w.path().join("big.trace.json"), 3_000);
    let table = stdout_of(w.run(&["trace", "big", "--width", "110"]));
    // More rows than the look-ahead: widths fixed on the first rows (room kept for rows not
    // seen yet), every row the same width, within the width.
    assert_eq!(table_rows(&table).len(), 3_000);
    let first = text::width(table.lines().nth(2).unwrap());
    assert!(first <= 110 && first > 100, "{first}");
    for line in table.lines().skip(2) {
        assert_eq!(text::width(line), first, "{line}");
    }
    let filtered = stdout_of(w.run(&[
        "trace",
        "big",
        "--filter",
        "event=req-2999-",
        "--width",
        "110",
    ]));
    assert_eq!(column(&filtered, 2), ["agent-3"]);
}

#[test]
fn agentcli_reads_compressed_and_json_lines_sessions_too() {
    let w = Workdir::with(&["shapes/archived.trace.json.gz", "shapes/lines.trace.jsonl"]);
    assert_eq!(
        table_rows(&stdout_of(w.run(&["trace", "archived"]))).len(),
        70
    );
    assert_eq!(table_rows(&stdout_of(w.run(&["trace", "lines"]))).len(), 3);
    agentcli()
        .args(["trace", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("meta.KEY=VALUE"));
}

/// `--filter agent==planner` used to show the entries of an agent named `=planner` (none),
/// silently; `!=` is the opposite of `=`.
#[test]
fn filter_double_equals_is_refused_and_not_equals_negates() {
    let w = Workdir::with(&[SAMPLE]);
    w.run(&["trace", "req-17461590", "--filter", "agent==planner"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "'==' is not an operator: write agent=planner, or agent!=planner for the opposite",
        ));
    let agents = |filter: &str| {
        let out = stdout_of(w.run(&["trace", "req-17461590", "--filter", filter]));
        table_rows(&out)
            .into_iter()
            .map(|r| r[2].clone())
            .collect::<Vec<_>>()
    };
    let all = agents("agent=*");
    let planner = agents("agent=planner");
    let others = agents("agent!=planner");
    assert!(!planner.is_empty() && !others.is_empty());
    assert!(others.iter().all(|a| a != "planner"), "{others:?}");
    assert_eq!(planner.len() + others.len(), all.len());
    w.run(&["trace", "req-17461590", "--filter", "since!=2h"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'since' cannot be negated"));
}
