//! `agentcli list`.

use crate::common::{SAMPLES, Workdir, agentcli, json_of, stdout_of};
use predicates::prelude::*;

#[test]
fn lists_the_samples_newest_first() {
    let w = Workdir::with(&SAMPLES);
    let table = stdout_of(w.run(&["list"]));
    insta::assert_snapshot!(table);
}

#[test]
fn verbose_reads_every_file_whole() {
    let w = Workdir::with(&SAMPLES);
    let table = stdout_of(w.run(&["list", "--verbose", "--width", "200"]));
    insta::assert_snapshot!(table);
}

#[test]
fn json_and_csv_carry_the_tables_fields_with_full_times() {
    let w = Workdir::with(&SAMPLES);
    let json = json_of(w.run(&["list", "-v", "--format", "json"]));
    let first = &json[0];
    assert_eq!(first["session"], "req-17461592");
    assert_eq!(first["started"], "2025-05-02T14:46:15.124752543+05:30");
    assert_eq!(first["modified"], "2025-05-02T10:02:00Z");
    assert_eq!(first["size_bytes"], 13749);
    assert_eq!(first["status"], "open");
    assert_eq!(first["entries"], 39);
    assert_eq!(first["events"], 8);
    assert_eq!(first["errors"], 1);
    assert_eq!(
        first["agents"],
        serde_json::json!(["analyzer", "error-handler", "planner", "researcher"])
    );
    let closed = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session"] == "req-20000001");
    assert_eq!(closed.unwrap()["status"], "closed");

    let csv = stdout_of(w.run(&["list", "-v", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
            "session",
            "path",
            "started",
            "modified",
            "size_bytes",
            "status",
            "entries",
            "events",
            "agents",
            "duration_ms",
            "errors",
            "problems"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][8], "analyzer;error-handler;planner;researcher");
}

#[test]
fn since_and_until_select_on_the_sessions_start() {
    let w = Workdir::with(&SAMPLES);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "json"];
        all.extend(args);
        json_of(w.run(&all))
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["session"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&["--since", "2025-05-02T09:05:00Z"]),
        ["req-17461592", "req-17461591"]
    );
    assert_eq!(ids(&["--until", "2025-05-02T09:05:00Z"]).len(), 3);
    assert_eq!(ids(&["--since", "2025-05-02"]).len(), 5);
    assert_eq!(ids(&["--since", "2025-05-03"]).len(), 0);
    // Relative ages count back from now: these sessions are long past.
    assert_eq!(ids(&["--since", "2h"]).len(), 0);
    w.run(&["list", "--since", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid --since: invalid time 'soon'",
        ));
}

#[test]
fn an_empty_directory_says_where_it_looked() {
    let w = Workdir::with(&[]);
    w.run(&["list", "--format", "json"])
        .assert()
        .success()
        .stdout("[]\n")
        .stderr(
            predicate::str::contains("no trace files in").and(predicate::str::contains(
                "looking for names ending in .trace.json, .trace.jsonl",
            )),
        );
}

#[test]
fn the_directory_comes_from_the_environment_when_not_given() {
    let w = Workdir::with(&SAMPLES[..1]);
    let out = stdout_of(
        agentcli()
            .args(["list", "--format", "csv"])
            .env("AGENTCLI_TRACE_DIR", w.path()),
    );
    assert!(out.contains("req-17461590"), "{out}");
}

#[test]
fn a_missing_directory_is_an_error() {
    agentcli()
        .args(["list", "--dir", "/nonexistent/traces"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read trace directory /nonexistent/traces",
        ));
}

#[test]
fn bad_files_are_listed_and_reported_but_never_stop_the_listing() {
    let w = Workdir::with(&[
        "req-17461590.trace.json",
        "bad/binary.trace.json",
        "bad/wrong-type-and-garbage.trace.json",
    ]);
    std::fs::create_dir(w.path().join("folder.trace.json")).unwrap();
    let assert = w.run(&["list", "-v", "--format", "csv"]).assert().code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(
        out.contains("binary,") && out.contains(",not JSON,"),
        "{out}"
    );
    assert!(err.contains("folder.trace.json: is a directory"), "{err}");
    assert!(
        err.contains("binary.trace.json: not a JSON trace file: it starts with byte 0x00"),
        "{err}"
    );
    assert!(
        err.contains(
            "wrong-type-and-garbage.trace.json:16:16: entry 2: invalid type: integer `42`, expected a string"
        ),
        "{err}"
    );
    assert!(
        err.contains("wrong-type-and-garbage.trace.json:21:1: unexpected 't' between entries"),
        "{err}"
    );
}

/// Sets a file's modification time to `minute` minutes after 2025-05-02T10:00:00Z.
fn set_modified(path: &std::path::Path, minute: u64) {
    let t = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(1_746_180_000 + 60 * minute);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .expect("set modification time");
}

/// `trace latest` used to be the last modified session, and `list` goes by start: one rule now.
#[test]
fn latest_is_the_first_session_list_shows_ties_included() {
    // req-17461592 started last; req-17461590 was modified last.
    let w = Workdir::with(&["req-17461592.trace.json", "req-17461590.trace.json"]);
    let first_listed = || {
        let json = json_of(w.run(&["list", "--format", "json"]));
        json[0]["session"].as_str().unwrap().to_owned()
    };
    let latest = |command: &[&str]| {
        let mut args = command.to_vec();
        args.push("latest");
        let out = stdout_of(w.run(&args));
        out.lines().next().unwrap_or_default().to_owned()
    };
    assert_eq!(first_listed(), "req-17461592");
    assert_eq!(latest(&["trace"]), "Trace for session req-17461592:");

    // Two more files of the same start, modified together and later: the first id wins.
    let fixture = crate::common::fixtures().join("req-17461592.trace.json");
    for id in ["tie-b", "tie-a"] {
        let path = w.path().join(format!("{id}.trace.json"));
        std::fs::copy(&fixture, &path).unwrap();
        set_modified(&path, 30);
    }
    assert_eq!(first_listed(), "tie-a");
    assert_eq!(latest(&["trace"]), "Trace for session tie-a:");
    let analysis = json_of(w.run(&["analyze", "latest", "--format", "json", "--by-session"]));
    assert_eq!(analysis["sessions"][0]["session"], "tie-a", "{analysis}");

    // A file with no entry yet comes last, however recent.
    let empty = w.path().join("empty.trace.json");
    std::fs::write(&empty, "").unwrap();
    set_modified(&empty, 90);
    assert_eq!(first_listed(), "tie-a");
    assert_eq!(latest(&["trace"]), "Trace for session tie-a:");
}

#[test]
fn help_states_the_order_and_that_latest_is_its_first() {
    let help = stdout_of(agentcli().args(["list", "--help"]));
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains(
            "newest first: by their start (the time of their first entry), the latest first, \
             and those whose start cannot be read (no entry yet, or not a trace) last; sessions \
             that started at the same time, or have no start, go by their file's modification \
             time, newest first; then by id, then by file name. The first is the one `latest` \
             names."
        ),
        "{help}"
    );
    let trace = stdout_of(agentcli().args(["trace", "--help"]));
    let trace = trace.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        trace.contains("is the one `list` shows first: sessions go by their start"),
        "{trace}"
    );
}

/// `list` and `export` choose sessions by start with one time window, and say the same when
/// none started in it (export then sends nothing, so no collector is needed).
#[test]
fn list_and_export_say_the_same_when_no_session_started_in_the_range() {
    let w = Workdir::with(&SAMPLES);
    let note = format!(
        "none of the 5 sessions in {} started in the time range given\n",
        w.path().display()
    );
    w.run(&["list", "--since", "2025-05-03"])
        .assert()
        .success()
        .stdout("")
        .stderr(note.clone());
    w.run(&[
        "export",
        "--otlp-endpoint",
        "http://127.0.0.1:9",
        "--until",
        "2025-05-01",
    ])
    .assert()
    .success()
    .stdout("")
    .stderr(note);
    w.run(&[
        "export",
        "--otlp-endpoint",
        "http://127.0.0.1:9",
        "--since",
        "soon",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("invalid --since"));
}
