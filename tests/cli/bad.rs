//! Damaged input, one kind at a time (`fixtures/bad/`, and damage made in the test's own
//! directory where a file cannot hold it): the exact messages and exit code of `trace` and
//! `list --verbose`, and the good entries around the damage still shown.

use crate::common::{Workdir, fixtures};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// How a run ended: its exit code, stdout, and stderr with the trace directory written `[DIR]`.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(w: &Workdir, args: &[&str]) -> Run {
    let output = w.run(args).output().expect("the binary runs");
    let dir = w.path().to_str().expect("a UTF-8 temporary path");
    Run {
        code: output.status.code().expect("an exit code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
        stderr: String::from_utf8_lossy(&output.stderr).replace(dir, "[DIR]"),
    }
}

/// The AGENT column of a timeline table.
fn agents(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| l.starts_with('│'))
        .skip(1)
        .map(|l| l.split('│').nth(3).unwrap_or_default().trim().to_owned())
        .collect()
}

/// What `trace` and `list --verbose` must say about one damaged file.
struct Expect<'a> {
    /// The problems reported on stderr, in order (`[DIR]` for the trace directory).
    problems: &'a [&'a str],
    /// The agents of the entries still shown, in order.
    shown: &'a [&'a str],
    /// `list`'s STATUS for the file.
    status: &'a str,
}

/// Checks `trace` and `list --verbose` on a copy of `fixtures/bad/<name>`.
fn check(name: &str, expect: Expect<'_>) {
    let w = Workdir::with(&[&format!("bad/{name}")]);
    let id = name.split(".trace").next().unwrap();
    let code = if expect.problems.is_empty() { 0 } else { 1 };
    let problems: String = expect.problems.iter().map(|p| format!("{p}\n")).collect();

    let trace = run(&w, &["trace", id, "--utc"]);
    let note = if expect.shown.is_empty() {
        format!("no entries in session {id}\n")
    } else {
        String::new()
    };
    assert_eq!(trace.stderr, problems + &note, "trace {name}");
    assert_eq!(trace.code, code, "trace {name}");
    assert_eq!(agents(&trace.stdout), expect.shown, "trace {name}");

    let list = run(&w, &["list", "--verbose", "--format", "json"]);
    assert_eq!(trace.stderr.replace(&note, ""), list.stderr, "list {name}");
    assert_eq!(list.code, code, "list {name}");
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let row = &listed[0];
    assert_eq!(row["status"], expect.status, "list {name}");
    assert_eq!(row["entries"], expect.shown.len(), "list {name}");
    assert_eq!(row["problems"], expect.problems.len(), "list {name}");
    let mut named: Vec<&str> = expect.shown.to_vec();
    named.sort_unstable();
    named.dedup();
    named.retain(|a| !a.is_empty() && *a != "-");
    assert_eq!(row["agents"], serde_json::json!(named), "list {name}");
}

/// The `tail` line of `trace --debug`: what the reader says of an entry cut at the end.
fn debug_tail(name: &str) -> String {
    let w = Workdir::with(&[&format!("bad/{name}")]);
    let id = name.split(".trace").next().unwrap();
    let out = run(&w, &["trace", id, "--debug"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{name}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("  tail"))
        .unwrap();
    line.trim_start_matches("  tail").trim().to_owned()
}

#[test]
fn an_empty_file() {
    check(
        "empty.trace.json",
        Expect {
            problems: &[],
            shown: &[],
            status: "empty",
        },
    );
}

#[test]
fn only_the_opening_bracket() {
    check(
        "only-bracket.trace.json",
        Expect {
            problems: &[],
            shown: &[],
            status: "open",
        },
    );
}

/// A file cut at its end is a writer still writing (or one that crashed): not an error. The
/// entries before are shown; `--debug` says where the cut entry starts.
#[test]
fn cut_mid_string_mid_number_mid_escape_and_mid_utf8() {
    for (name, agents) in [
        ("cut-mid-string.trace.json", ["planner", "planner"]),
        ("cut-mid-number.trace.json", ["planner", "planner"]),
        ("cut-mid-escape.trace.jsonl", ["planner", "planner"]),
        ("cut-mid-utf8.trace.jsonl", ["planner", "planner"]),
    ] {
        check(
            name,
            Expect {
                problems: &[],
                shown: &agents,
                status: "open",
            },
        );
    }
    assert_eq!(
        debug_tail("cut-mid-string.trace.json"),
        "entry 3 at line 22, column 1 is incomplete (186 bytes): still being written, or cut \
         off; not shown"
    );
    assert_eq!(
        debug_tail("cut-mid-number.trace.json"),
        "entry 3 at line 22, column 1 is incomplete (164 bytes): still being written, or cut \
         off; not shown"
    );
    assert_eq!(
        debug_tail("cut-mid-escape.trace.jsonl"),
        "entry 3 at line 3, column 1 is incomplete (97 bytes): still being written, or cut off; \
         not shown"
    );
    assert_eq!(
        debug_tail("cut-mid-utf8.trace.jsonl"),
        "entry 3 at line 3, column 1 is incomplete (97 bytes): still being written, or cut off; \
         not shown"
    );
}

#[test]
fn cut_then_appended_by_a_new_writer() {
    check(
        "cut-then-appended.trace.json",
        Expect {
            problems: &[
                "[DIR]/cut-then-appended.trace.json:12:1: entry 2: incomplete entry (144 bytes): \
                 cut off where the next entry starts; skipped",
            ],
            shown: &["planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
}

#[test]
fn a_garbage_entry_between_good_ones() {
    check(
        "garbage-entry.trace.json",
        Expect {
            problems: &["[DIR]/garbage-entry.trace.json:12:3: entry 2: key must be a string"],
            shown: &["planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
}

#[test]
fn binary_junk() {
    check(
        "binary.trace.json",
        Expect {
            problems: &[
                "[DIR]/binary.trace.json: not a JSON trace file: it starts with byte 0x00 where \
                 `[` or `{` was expected",
            ],
            shown: &[],
            status: "not JSON",
        },
    );
    check(
        "binary-junk.trace.json",
        Expect {
            problems: &[
                "[DIR]/binary-junk.trace.json:22:1: unexpected byte 0x00 between entries; \
                 skipped to the next entry",
            ],
            shown: &["planner", "planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
}

/// Issue 17, section 3: an entry with invalid UTF-8 in one string is kept, the bad bytes
/// shown as U+FFFD, and reported once, at the first bad byte; in every format.
#[test]
fn invalid_utf8_inside_a_string_is_shown_as_replacement_characters() {
    let problem = "[DIR]/invalid-utf8.trace.json:19:17: entry 2: invalid UTF-8 in a string; \
                   shown as U+FFFD\n";
    check(
        "invalid-utf8.trace.json",
        Expect {
            problems: &[problem.trim_end()],
            shown: &["planner", "planner", "analyzer"],
            status: "open",
        },
    );
    let w = Workdir::with(&["bad/invalid-utf8.trace.json"]);
    let shown = "bad \u{FFFD}\u{FFFD} bytes from a tool";
    for args in [
        &["--verbose"][..],
        &["--format", "json"],
        &["--format", "jsonl"],
        &["--format", "csv"],
        &["--format", "jsonl", "--redact"],
        &["--analyze", "--format", "json"],
    ] {
        let out = run(&w, &[&["trace", "invalid-utf8"][..], args].concat());
        assert_eq!((out.code, out.stderr.as_str()), (1, problem), "{args:?}");
        assert!(out.stdout.contains(shown), "{args:?}: {}", out.stdout);
    }
    let out = run(&w, &["trace", "invalid-utf8", "--format", "json"]);
    let entries: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(entries.as_array().map(Vec::len), Some(3));
    assert_eq!(entries[1]["error"], shown);
    assert_eq!(entries[1]["event_id"], "req-2-planner");
}

/// The same, on the reader's threads (a file of 8 MiB or more), with a secret in the damaged
/// string: the secret is redacted and the damage still reported.
#[test]
fn invalid_utf8_on_the_reader_threads_and_under_redact() {
    let w = Workdir::with(&[]);
    let entry = |n: usize, error: &[u8]| {
        let mut e = format!(
            "{{\n  \"timestamp\": \"2025-05-02T14:32:15Z\",\n  \"agent_id\": \"a{n}\",\n  \
             \"state\": {{\"data\": {{\"pad\": \"{}\"}}}},\n  \"error\": \"",
            "x".repeat(2000)
        )
        .into_bytes();
        e.extend_from_slice(error);
        e.extend_from_slice(b"\"\n}");
        e
    };
    let mut file = b"[\n".to_vec();
    for n in 0..5000 {
        if n > 0 {
            file.extend_from_slice(b"\n,\n");
        }
        let error: &[u8] = match n {
            2500 => b"bad \xff api_key=SECRET77 tail",
            4000 => b"bad \xc3",
            _ => b"fine",
        };
        file.extend(entry(n, error));
    }
    file.extend_from_slice(b"\n]\n");
    assert!(file.len() > 8 << 20);
    std::fs::write(w.path().join("big.trace.json"), &file).unwrap();
    // Seven lines an entry with the `,` between, from line 2; the error on the fifth.
    let line = |n: u64| 2 + 7 * n + 4;
    let problems = format!(
        "[DIR]/big.trace.json:{}:17: entry 2501: invalid UTF-8 in a string; shown as U+FFFD\n\
         [DIR]/big.trace.json:{}:17: entry 4001: invalid UTF-8 in a string; shown as U+FFFD\n",
        line(2500),
        line(4000)
    );
    for redact in [false, true] {
        let mut args = vec!["trace", "big", "--format", "jsonl"];
        args.extend(redact.then_some("--redact"));
        let out = run(&w, &args);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (1, problems.as_str()),
            "{redact}"
        );
        let rows: Vec<serde_json::Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 5000);
        let secret = if redact { "[REDACTED]" } else { "SECRET77" };
        assert_eq!(
            rows[2500]["error"],
            format!("bad \u{FFFD} api_key={secret} tail")
        );
        assert_eq!(rows[4000]["error"], "bad \u{FFFD}");
        assert_eq!(rows[4001]["error"], "fine");
    }
}

/// 100,000 levels of nesting: in the state (shown, indented 32 levels deep then on one line),
/// in a typed field (an error), and in an unknown field (ignored). In every view, nothing
/// overflows the stack and no output grows with the square of the depth.
#[test]
fn nesting_100000_levels_deep() {
    check(
        "deep-nesting.trace.json",
        Expect {
            problems: &[
                "[DIR]/deep-nesting.trace.json:29:15: entry 3: invalid type: sequence, expected \
                 a string",
            ],
            shown: &["planner", "planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
    let w = Workdir::with(&["bad/deep-nesting.trace.json"]);
    let views: [&[&str]; 12] = [
        &["--verbose"],
        &["--debug"],
        &["--format", "json"],
        &["--format", "jsonl"],
        &["--format", "csv"],
        &["--format", "otlp"],
        &["--analyze"],
        &["--analyze", "--format", "json"],
        &["--flow-only"],
        &["--format", "mermaid"],
        &["--format", "dot"],
        &[],
    ];
    for view in views {
        for redact in [&[][..], &["--redact"]] {
            let mut args = vec!["trace", "deep-nesting"];
            args.extend(view);
            args.extend(redact);
            let out = run(&w, &args);
            assert_eq!(out.code, 1, "{args:?}");
            // About the input's size at most (it is 800 KB): nothing grows with depth squared.
            assert!(
                out.stdout.len() < 1_000_000,
                "{args:?}: {}",
                out.stdout.len()
            );
            // The views that show state values show the innermost one.
            let whole = ["--verbose", "--debug", "json", "jsonl", "csv", "otlp"];
            if view.iter().any(|v| whole.contains(v)) && !view.contains(&"--analyze") {
                assert!(out.stdout.contains("bottom"), "{args:?}");
            }
        }
    }
}

#[test]
fn duplicate_keys() {
    // A duplicate entry field is an error; in state data the first value is shown.
    check(
        "duplicate-keys.trace.json",
        Expect {
            problems: &[
                "[DIR]/duplicate-keys.trace.json:19:12: entry 2: duplicate field `agent_id`",
            ],
            shown: &["planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
    let w = Workdir::with(&["bad/duplicate-keys.trace.json"]);
    let out = run(
        &w,
        &[
            "trace",
            "duplicate-keys",
            "-v",
            "--filter",
            "hook=AfterAgentRun",
        ],
    );
    assert!(
        out.stdout
            .contains("  data\n    message  first\n  meta\n    route  summarizer\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn numbers_out_of_range() {
    check(
        "numbers-out-of-range.trace.json",
        Expect {
            problems: &[
                "[DIR]/numbers-out-of-range.trace.json:20:24: entry 2: number out of range",
                "[DIR]/numbers-out-of-range.trace.json:26:19: entry 3: invalid timestamp \
                 1000000000000000000000000000000: out of range",
                "[DIR]/numbers-out-of-range.trace.json:38:20: entry 4: number out of range",
            ],
            shown: &["planner", "analyzer", "analyzer"],
            status: "open",
        },
    );
    // In state data, numbers are kept as written, whatever their size.
    let w = Workdir::with(&["bad/numbers-out-of-range.trace.json"]);
    let out = run(&w, &["trace", "numbers-out-of-range", "--width", "150"]);
    assert!(
        out.stdout
            .contains("{huge:1e999, long:123456789012345678901234567890}")
    );
}

#[test]
fn timestamps_in_other_formats_are_read() {
    let shown = [
        "no-zone",
        "space",
        "lower-case",
        "offset-without-colon",
        "epoch-seconds",
        "epoch-fraction",
        "epoch-millis",
        "epoch-micros",
        "epoch-nanos",
    ];
    check(
        "timestamps-other-formats.trace.json",
        Expect {
            problems: &[],
            shown: &shown,
            status: "open",
        },
    );
    let w = Workdir::with(&["bad/timestamps-other-formats.trace.json"]);
    let table = run(&w, &["trace", "timestamps-other-formats", "--utc"]).stdout;
    let times: Vec<String> = table
        .lines()
        .filter(|l| l.starts_with('│'))
        .skip(1)
        .map(|l| l.split('│').nth(1).unwrap().trim().to_owned())
        .collect();
    assert_eq!(
        times,
        [
            "09:02:15.100",
            "09:02:15.200",
            "09:02:15.300",
            "09:02:15.400",
            "09:02:15.000",
            "09:02:15.600",
            "09:02:15.700",
            "09:02:15.800",
            "09:02:15.900"
        ]
    );
}

#[test]
fn invalid_timestamps() {
    let expected = "expected RFC 3339, like 2025-05-02T14:32:15.123+05:30";
    check(
        "timestamps-invalid.trace.json",
        Expect {
            problems: &[
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:13:26: entry 2: invalid timestamp \"yesterday\": {expected}"
                ),
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:20:37: entry 3: invalid timestamp \"2025-13-01T00:00:00Z\": {expected}"
                ),
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:27:37: entry 4: invalid timestamp \"2025-02-29T12:00:00Z\": {expected}"
                ),
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:34:33: entry 5: invalid timestamp \"2025-05-02T14:32\": {expected}"
                ),
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:41:27: entry 6: invalid timestamp \"2025-05-02\": {expected}"
                ),
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:48:27: entry 7: invalid timestamp \"1746176535\": {expected}"
                ),
                "[DIR]/timestamps-invalid.trace.json:55:17: entry 8: invalid timestamp -5: out of range",
                "[DIR]/timestamps-invalid.trace.json:62:19: entry 9: invalid type: null, expected an RFC 3339 timestamp",
                &format!(
                    "[DIR]/timestamps-invalid.trace.json:69:17: entry 10: invalid timestamp \"\": {expected}"
                ),
                "[DIR]/timestamps-invalid.trace.json:79:1: entry 11: missing field `timestamp`",
            ],
            shown: &["planner", "analyzer"],
            status: "open",
        },
    );
}

#[test]
fn a_gzip_stream_cut_short() {
    let w = Workdir::with(&["bad/cut-short.trace.json.gz"]);
    let message = "[DIR]/cut-short.trace.json.gz: gzip stream is cut short; showing what it held\n";
    let trace = run(&w, &["trace", "cut-short"]);
    assert_eq!((trace.code, trace.stderr.as_str()), (1, message));
    let shown = agents(&trace.stdout);
    assert_eq!(shown.len(), 25);
    assert_eq!(shown[..2], ["planner", "planner"]);
    let list = run(&w, &["list", "-v", "--format", "json"]);
    assert_eq!((list.code, list.stderr.as_str()), (1, message));
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["entries"], 25);
}

/// A session with good entries around a 50 MB string value (made here, not committed):
/// shown, shortened in the table, counted by `list`. Entries up to 256 MiB are read.
#[test]
fn a_50_mb_string_value() {
    let w = Workdir::with(&[]);
    let good = |t: &str, agent: &str| {
        format!(
            "{{\n  \"timestamp\": \"{t}\",\n  \"agent_id\": \"{agent}\",\n  \"hook\": \"BeforeAgentRun\"\n}}\n"
        )
    };
    let mut file = fs::File::create(w.path().join("huge.trace.json")).unwrap();
    write!(file, "[\n{},\n", good("2025-05-02T14:32:11Z", "planner")).unwrap();
    file.write_all(b"{\n  \"timestamp\": \"2025-05-02T14:32:12Z\",\n  \"agent_id\": \"writer\",\n  \"hook\": \"AfterAgentRun\",\n  \"state\": {\"data\": {\"essay\": \"").unwrap();
    let words = "lorem ipsum ".repeat(1 << 16);
    for _ in 0..(50_000_000 / words.len() + 1) {
        file.write_all(words.as_bytes()).unwrap();
    }
    write!(
        file,
        "\"}}}}\n}},\n{}",
        good("2025-05-02T14:32:13Z", "analyzer")
    )
    .unwrap();
    drop(file);

    let trace = run(&w, &["trace", "huge"]);
    assert_eq!((trace.code, trace.stderr.as_str()), (0, ""));
    assert_eq!(agents(&trace.stdout), ["planner", "writer", "analyzer"]);
    let state = trace
        .stdout
        .lines()
        .nth(6)
        .unwrap()
        .split('│')
        .nth(4)
        .unwrap()
        .trim();
    assert!(
        state.starts_with("{essay:\"lorem ipsum lorem") && state.ends_with("…\"}"),
        "{state}"
    );
    let list = run(&w, &["list", "-v", "--format", "json"]);
    assert_eq!((list.code, list.stderr.as_str()), (0, ""));
    let listed: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(listed[0]["entries"], 3);
}

#[test]
fn a_directory_named_like_a_trace() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    fs::create_dir(w.path().join("x.trace.json")).unwrap();
    let list = run(&w, &["list", "-v", "--format", "csv"]);
    assert_eq!(list.code, 1);
    assert_eq!(list.stderr, "[DIR]/x.trace.json: is a directory\n");
    assert_eq!(
        list.stdout.lines().count(),
        2,
        "the header and the good session"
    );
    let trace = run(&w, &["trace", "x"]);
    assert_eq!(trace.code, 2);
    assert_eq!(
        trace.stderr,
        "agentcli: cannot read [DIR]/x.trace.json: is a directory\n"
    );
    let by_path = w.path().join("x.trace.json");
    let trace = run(&w, &["trace", by_path.to_str().unwrap()]);
    assert_eq!(trace.code, 2);
    assert_eq!(
        trace.stderr,
        "agentcli: cannot read [DIR]/x.trace.json: is a directory\n"
    );
}

/// A file the user may not read. Root reads any file whatever its mode, so when the tests run
/// as root, agentcli is run as `nobody` (uid 65534) to see what a user without the right sees.
#[test]
fn a_file_without_read_permission() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    let secret = w.path().join("secret.trace.json");
    fs::copy(fixtures().join("req-17461590.trace.json"), &secret).unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = fs::File::open(&secret).is_ok();
    if privileged {
        // `nobody` must be able to enter the directory and read the other file.
        fs::set_permissions(w.path(), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let as_user = |args: &[&str]| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentcli"));
        cmd.args(args).arg("--dir").arg(w.path()).env("TZ", "UTC");
        if privileged {
            std::os::unix::process::CommandExt::uid(&mut cmd, 65534);
            std::os::unix::process::CommandExt::gid(&mut cmd, 65534);
        }
        cmd
    };
    // Where root may not switch users, or `nobody` cannot reach the binary, this cannot be
    // seen: said on stderr rather than passed in silence.
    if !as_user(&["--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED a_file_without_read_permission: cannot run agentcli as nobody here");
        return;
    }
    let run_as_user = |args: &[&str]| {
        let output = as_user(args).output().expect("the binary runs");
        let dir = w.path().to_str().unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8_lossy(&output.stderr).replace(dir, "[DIR]"),
        )
    };
    let (code, stdout, stderr) = run_as_user(&["list", "-v", "--format", "csv"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            1,
            "[DIR]/secret.trace.json: Permission denied (os error 13)\n"
        )
    );
    assert!(
        stdout.contains("\nsecret,") && stdout.contains(",unreadable,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nreq-17461590,") && stdout.contains(",open,51,"),
        "{stdout}"
    );
    let (code, _, stderr) = run_as_user(&["trace", "secret"]);
    assert_eq!(
        (code, stderr.as_str()),
        (
            2,
            "agentcli: cannot read [DIR]/secret.trace.json: Permission denied (os error 13)\n"
        )
    );
}

#[test]
fn a_symlink_loop() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    std::os::unix::fs::symlink("b.trace.json", w.path().join("a.trace.json")).unwrap();
    std::os::unix::fs::symlink("a.trace.json", w.path().join("b.trace.json")).unwrap();
    std::os::unix::fs::symlink("gone.trace.json", w.path().join("dangling.trace.json")).unwrap();
    let list = run(&w, &["list", "-v", "--format", "csv"]);
    assert_eq!(list.code, 1);
    assert_eq!(
        list.stderr,
        "[DIR]/a.trace.json: Too many levels of symbolic links (os error 40)\n\
         [DIR]/b.trace.json: Too many levels of symbolic links (os error 40)\n\
         [DIR]/dangling.trace.json: No such file or directory (os error 2)\n"
    );
    assert_eq!(
        list.stdout.lines().count(),
        2,
        "the header and the good session"
    );
    let trace = run(&w, &["trace", "a"]);
    assert_eq!(
        (trace.code, trace.stderr.as_str()),
        (
            2,
            "agentcli: cannot read [DIR]/a.trace.json: Too many levels of symbolic links (os \
             error 40)\n"
        )
    );
    let trace = run(&w, &["trace", "req-17461590"]);
    assert_eq!(trace.code, 0);
}

/// Files that change or disappear while `list --verbose` and `analyze` read them: every run
/// ends, with exit code 0 or 1, its output complete, and no panic. One file is appended to
/// without pause, faster than a whole-file command reads it: each command reads it as far as
/// it reached when opened.
#[test]
fn list_verbose_and_analyze_survive_files_changing_and_disappearing() {
    let w = Workdir::with(&[]);
    let sample = fs::read(fixtures().join("req-17461590.trace.json")).unwrap();
    let names: Vec<String> = (0..40).map(|i| format!("s{i:02}.trace.json")).collect();
    for name in &names {
        fs::write(w.path().join(name), &sample).unwrap();
    }
    let growing = w.path().join("growing.trace.json");
    fs::write(&growing, &sample).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| churn(w.path(), &names, &sample, &stop));
        scope.spawn(|| grow(&growing, &sample, &stop));
        for turn in 0..12 {
            let (args, starts) = if turn % 2 == 0 {
                (
                    &["list", "-v", "--format", "csv"][..],
                    "session,path,started,",
                )
            } else {
                (&["analyze", "--format", "json"][..], "{")
            };
            let out = run(&w, args);
            assert!(matches!(out.code, 0 | 1), "{args:?}: {}", out.stderr);
            assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
            assert!(out.stdout.starts_with(starts), "{args:?}: {}", out.stdout);
            if args[0] == "analyze" {
                serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap();
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

/// Appends to `path` without pause, and starts it again past 64 MB, until told to stop.
fn grow(path: &Path, sample: &[u8], stop: &std::sync::atomic::AtomicBool) {
    let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
    let mut written = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if written > 64 << 20 {
            file.set_len(0).unwrap();
            file.write_all(&sample[..1]).unwrap();
            written = 0;
        }
        file.write_all(b",\n").unwrap();
        file.write_all(&sample[1..]).unwrap();
        written += sample.len();
    }
}

/// Deletes, truncates, rewrites, appends to and replaces files until told to stop, a file every
/// 200 µs; each file goes through every change in turn.
fn churn(dir: &Path, names: &[String], sample: &[u8], stop: &std::sync::atomic::AtomicBool) {
    let mut turn = 0usize;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let path = dir.join(&names[turn % names.len()]);
        std::thread::sleep(std::time::Duration::from_micros(200));
        let _ = match (turn + turn / names.len()) % 5 {
            0 => fs::remove_file(&path),
            1 => fs::write(&path, &sample[..turn * 97 % sample.len()]),
            2 => fs::write(&path, sample),
            3 => fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&sample[1..])),
            _ => {
                let fresh = dir.join(format!("{}.new", names[turn % names.len()]));
                fs::write(&fresh, sample).and_then(|()| fs::rename(&fresh, &path))
            }
        };
        turn += 1;
    }
}

#[test]
fn one_line_arrays_with_elements_that_are_not_objects() {
    let w = Workdir::with(&[]);
    let e = |agent: &str| {
        format!(
            r#"{{"timestamp":"2025-05-02T14:32:11Z","agent_id":"{agent}","hook":"BeforeAgentRun"}}"#
        )
    };
    let files = [
        ("nested", format!("[[1,2],{},{}]", e("a"), e("b"))),
        (
            "scalars",
            format!("[{},1,{},null,{}]", e("a"), e("b"), e("c")),
        ),
    ];
    for (name, text) in &files {
        fs::write(w.path().join(format!("{name}.trace.json")), text).unwrap();
    }
    let nested = run(&w, &["trace", "nested", "--utc"]);
    assert_eq!(
        nested.stderr,
        "[DIR]/nested.trace.json:1:2: entry 1: not an object\n"
    );
    assert_eq!(
        (nested.code, agents(&nested.stdout)),
        (1, vec!["a".to_owned(), "b".to_owned()])
    );
    let scalars = run(&w, &["trace", "scalars", "--utc"]);
    assert_eq!(
        scalars.stderr,
        "[DIR]/scalars.trace.json:1:78: entry 2: not an object\n\
         [DIR]/scalars.trace.json:1:156: entry 4: not an object\n"
    );
    assert_eq!(agents(&scalars.stdout), ["a", "b", "c"]);
    // The array is read to its end: `--debug` calls it closed.
    let debug = run(&w, &["trace", "nested", "--debug"]);
    assert!(
        debug.stdout.contains("JSON array, closed with `]`"),
        "{}",
        debug.stdout
    );
}
