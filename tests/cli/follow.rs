//! `agentcli trace --follow`: the binary run as a child process while the test writes the
//! trace file, as an agent would, in pieces of any size; and `--tail`.

use crate::common::{Workdir, fixtures, stdout_of, table_rows};
use agentcli::text;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for output before it fails: generous, the machine may be loaded.
const PATIENCE: Duration = Duration::from_secs(60);

/// `agentcli ARGS --dir DIR` running, its output lines gathered as they come.
struct Following {
    child: Child,
    stdout: Receiver<(Instant, String)>,
    stderr: Receiver<String>,
    /// The lines seen so far.
    out: Vec<String>,
    err: Vec<String>,
    /// When each line of `out` arrived.
    arrived: Vec<Instant>,
    /// The cells of the table rows in `out`.
    rows: Vec<Vec<String>>,
}

impl Following {
    fn start(dir: &Path, args: &[&str]) -> Following {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentcli"))
            .args(args)
            .arg("--dir")
            .arg(dir)
            .env("TZ", "UTC")
            .env_remove("NO_COLOR")
            .env_remove("AGENTCLI_TRACE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agentcli runs");
        let (out_tx, stdout) = mpsc::channel();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = out_tx.send((Instant::now(), line));
            }
        });
        let (err_tx, stderr) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap()).lines();
        thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = err_tx.send(line);
            }
        });
        Following {
            child,
            stdout,
            stderr,
            out: Vec::new(),
            err: Vec::new(),
            arrived: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Gathers what arrived until `done` holds for it; fails the test after [`PATIENCE`].
    fn wait_until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(self) {
            self.err.extend(self.stderr.try_iter());
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .stdout
                .recv_timeout(left.min(Duration::from_millis(50)))
            {
                Ok(first) => {
                    let waiting: Vec<_> = self.stdout.try_iter().collect();
                    for (at, line) in std::iter::once(first).chain(waiting) {
                        // An entry's row, not the lines its wrapped error goes on to.
                        let entries = table_rows(&line).into_iter();
                        self.rows
                            .extend(entries.filter(|r| r.first().is_some_and(|t| !t.is_empty())));
                        self.arrived.push(at);
                        self.out.push(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) if !left.is_zero() => {}
                Err(_) => panic!(
                    "waited in vain for {what}; stdout ends with {:?}; stderr: {:?}",
                    &self.out[self.out.len().saturating_sub(5)..],
                    self.err
                ),
            }
        }
    }

    /// The agents of the table rows seen so far, in order.
    fn agents(&self) -> Vec<String> {
        self.rows.iter().map(|r| r[2].clone()).collect()
    }

    fn said(&self, text: &str) -> bool {
        self.err.iter().any(|l| l.contains(text))
    }

    /// Ctrl-C: waits for the process to end and gathers the rest of its output.
    fn interrupt(mut self) -> (ExitStatus, Vec<String>, Vec<String>) {
        // The shell's own kill: no program beyond sh needed.
        let killed = Command::new("sh")
            .args(["-c", "kill -INT \"$1\"", "sh", &self.child.id().to_string()])
            .status()
            .expect("sh runs");
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        // The reader threads end when the pipes close.
        self.out.extend(self.stdout.iter().map(|(_, l)| l));
        self.err.extend(self.stderr.iter());
        (
            status,
            std::mem::take(&mut self.out),
            std::mem::take(&mut self.err),
        )
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        // A failed test must not leave the follower running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text every generated entry carries: multi-byte characters to be cut in the middle.
const TEXT: &str = "café 日本 🎉";

/// An entry as AgenticGoKit's writer writes it (two-space indentation, a final newline).
fn entry(agent: &str, n: usize) -> String {
    format!(
        "{{\n  \"timestamp\": \"2025-05-02T14:{:02}:{:02}.{:03}Z\",\n  \"type\": \"\",\n  \"event_id\": \"ev-{n}\",\n  \"session_id\": \"live\",\n  \"agent_id\": \"{agent}\",\n  \"hook\": \"AfterAgentRun\",\n  \"agent_result\": {{\n    \"duration_ms\": 0,\n    \"output_state\": {{\n      \"data\": {{\n        \"text\": \"{TEXT}\"\n      }}\n    }}\n  }}\n}}\n",
        n / 60_000 % 60,
        n / 1000 % 60,
        n % 1000
    )
}

/// What the writer appends for entry `n` of a run: `[` before the first, `,` before the others.
fn framed(agent: &str, n: usize) -> String {
    let open = if n == 0 { "[\n" } else { ",\n" };
    format!("{open}{}", entry(agent, n))
}

/// A small, seeded random number generator (xorshift), so that failures can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Mostly small pieces, sometimes large ones: 1 to 4,096 bytes, log-uniform.
    fn piece(&mut self) -> usize {
        let bits = self.next() % 13;
        1 + (self.next() % (1 << bits)) as usize
    }
}

/// Appends `entries` (agent names `{prefix}{n:05}`, from `from` on) to `path` in random-sized
/// writes, pausing now and then so that the follower sees partial entries; every 250th entry is
/// cut inside a multi-byte character and left so for a moment.
fn write_in_pieces(path: &Path, prefix: &str, entries: std::ops::Range<usize>, seed: u64) {
    let mut file = File::options()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    let mut random = Random(seed);
    let mut writes = 0u64;
    for n in entries {
        let bytes = framed(&format!("{prefix}{n:05}"), n).into_bytes();
        let mut at = 0;
        if n % 250 == 0 {
            // Inside 日 (3 bytes) or 🎉 (4 bytes).
            let char_start = if n % 500 == 0 { "日" } else { "🎉" };
            let cut = find(&bytes, char_start.as_bytes()) + 1 + n % 2;
            file.write_all(&bytes[..cut]).unwrap();
            thread::sleep(Duration::from_millis(15));
            at = cut;
        }
        while at < bytes.len() {
            let end = (at + random.piece()).min(bytes.len());
            file.write_all(&bytes[at..end]).unwrap();
            at = end;
            writes += 1;
            if writes.is_multiple_of(64) {
                thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle")
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("{prefix}{n:05}")).collect()
}

/// The summary line says how many entries were shown, and the exit code is 0.
fn assert_stopped_cleanly(status: ExitStatus, err: &[String], entries: usize) {
    assert!(status.success(), "{status:?}; stderr: {err:?}");
    let last = err.last().expect("a summary line");
    assert!(
        last.starts_with("stopped following after ")
            && last.ends_with(&format!(": {entries} entries shown")),
        "{last}"
    );
}

/// The issue's test: 10,000 entries appended in random pieces (some cutting an entry, some
/// cutting a UTF-8 character) each appear exactly once and in order; then the file is truncated
/// and written again by a "new run", and the follower starts again from its beginning.
fn follow_a_growing_file(watching: &[&str], total: usize) {
    let w = Workdir::with(&[]);
    let path = w.path().join("live.trace.json");
    let existing = 50;
    write_in_pieces(&path, "w", 0..existing, 1);
    let mut args = vec!["trace", "--follow", "live", "--width", "200"];
    args.extend(watching);
    let mut f = Following::start(w.path(), &args);
    f.wait_until("the existing entries", |f| f.rows.len() == existing);
    assert_eq!(f.out[0], "Trace for session live:");

    write_in_pieces(&path, "w", existing..total, 7);
    f.wait_until("every entry", |f| f.rows.len() >= total);
    assert_eq!(f.agents(), names("w", 0..total));
    assert!(
        f.rows
            .iter()
            .all(|r| r[3] == format!("{{text:\"{TEXT}\"}}"))
    );
    // Fixed widths: every line of the table is as wide as the first.
    let width = text::width(&f.out[2]);
    assert!(f.out[2..].iter().all(|l| text::width(l) == width));

    // A new run with the same session id: the file truncated, then written again.
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    write_in_pieces(&path, "r", 0..100, 3);
    f.wait_until("the new run", |f| f.rows.len() >= total + 100);
    let agents = f.agents();
    assert_eq!(agents[..total], names("w", 0..total));
    assert_eq!(agents[total..], names("r", 0..100));
    f.wait_until("the notice", |f| f.said("live.trace.json was truncated or rewritten (a new run?): reading it again from the start"));

    let (status, out, err) = f.interrupt();
    assert_stopped_cleanly(status, &err, total + 100);
    assert_eq!(err.len(), 2, "{err:?}");
    assert!(out.last().unwrap().starts_with('└'), "the table is closed");
}

#[test]
fn every_entry_appears_once_in_order_whatever_the_write_sizes() {
    follow_a_growing_file(&[], 10_000);
}

#[test]
fn polling_sees_the_same() {
    follow_a_growing_file(&["--poll"], 1_000);
}

#[test]
fn a_session_that_does_not_exist_yet_is_waited_for() {
    let w = Workdir::with(&[]);
    let mut f = Following::start(w.path(), &["trace", "-f", "req-1"]);
    f.wait_until("the waiting notice", |f| !f.err.is_empty());
    assert!(
        f.err[0].starts_with("no session 'req-1' in "),
        "{:?}",
        f.err
    );
    assert!(f.err[0].ends_with(" yet: waiting for it; Ctrl-C to stop"));
    assert!(f.out.is_empty());
    fs::copy(
        fixtures().join("req-17461590.trace.json"),
        w.path().join("req-1.trace.json"),
    )
    .unwrap();
    f.wait_until("the session's entries", |f| f.rows.len() == 51);
    assert_eq!(f.out[0], "Trace for session req-1:");
    let (status, _, err) = f.interrupt();
    assert_stopped_cleanly(status, &err, 51);
}

#[test]
fn a_replaced_file_is_read_from_its_start_and_a_deleted_one_waited_for() {
    let w = Workdir::with(&["req-17461591.trace.json"]);
    let path = w.path().join("req-17461591.trace.json");
    let mut f = Following::start(w.path(), &["trace", "--follow", "req-17461591"]);
    f.wait_until("the first file", |f| f.rows.len() == 50);
    // A new file moved over the old one, as a writer that replaces files does.
    let temp = w.path().join("next.tmp");
    fs::copy(fixtures().join("req-17461592.trace.json"), &temp).unwrap();
    fs::rename(&temp, &path).unwrap();
    f.wait_until("the new file", |f| f.rows.len() == 50 + 39);
    f.wait_until("the notice", |f| {
        f.said("req-17461591.trace.json was replaced: reading the new file from the start")
    });
    fs::remove_file(&path).unwrap();
    f.wait_until("the deletion notice", |f| f.said("was deleted"));
    fs::write(&path, format!("[\n{}", entry("again", 0))).unwrap();
    f.wait_until("the file written again", |f| f.rows.len() == 90);
    assert_eq!(f.agents()[89], "again");
    f.wait_until("the notice", |f| {
        f.said("req-17461591.trace.json was written again: reading it from the start")
    });
    let (status, _, err) = f.interrupt();
    assert_stopped_cleanly(status, &err, 90);
}

#[test]
fn tail_shows_the_last_entries_then_the_new_ones() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    let path = w.path().join("req-17461590.trace.json");
    let all = stdout_of(w.run(&["trace", "req-17461590"]));
    // Time, hook and agent (the widths of the other columns differ when following).
    let first_three = |rows: Vec<Vec<String>>| -> Vec<Vec<String>> {
        rows.into_iter().map(|r| r[..3].to_vec()).collect()
    };
    let last_three = first_three(table_rows(&all)[48..].to_vec());
    let mut f = Following::start(
        w.path(),
        &["trace", "req-17461590", "--follow", "--tail", "3"],
    );
    f.wait_until("the last three", |f| f.rows.len() == 3);
    assert_eq!(first_three(table_rows(&f.out.join("\n"))), last_three);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(format!(",\n{}", entry("late", 1)).as_bytes())
        .unwrap();
    f.wait_until("the new entry", |f| f.rows.len() == 4);
    assert_eq!(f.agents()[3], "late");
    let (status, _, err) = f.interrupt();
    assert_stopped_cleanly(status, &err, 4);
}

#[test]
fn tail_without_follow_shows_the_last_matching_entries() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    let out = stdout_of(w.run(&[
        "trace",
        "req-17461590",
        "--tail",
        "2",
        "--filter",
        "hook=AfterAgentRun",
    ]));
    let lines: Vec<String> = out.lines().map(str::to_owned).collect();
    let agents: Vec<String> = table_rows(&out).into_iter().map(|r| r[2].clone()).collect();
    assert_eq!(agents, ["error-handler", "planner"]);
    assert!(lines.last().unwrap().starts_with('└'));
}

#[test]
fn follow_new_switches_to_each_newer_session() {
    let w = Workdir::with(&["req-17461590.trace.json", "req-17461591.trace.json"]);
    let mut f = Following::start(w.path(), &["trace", "--follow-new"]);
    // The newest of the two (the fixtures' modification times are a minute apart).
    f.wait_until("the latest session", |f| f.rows.len() == 50);
    assert_eq!(f.out[0], "Trace for session req-17461591:");
    fs::copy(
        fixtures().join("req-17461592.trace.json"),
        w.path().join("req-17461592.trace.json"),
    )
    .unwrap();
    f.wait_until("the newer session", |f| f.rows.len() == 50 + 39);
    f.wait_until("the notice", |f| {
        f.said("following newer session req-17461592")
    });
    assert!(
        f.out
            .contains(&"Trace for session req-17461592:".to_owned())
    );
    let (status, _, err) = f.interrupt();
    assert!(status.success());
    assert!(
        err.last()
            .unwrap()
            .ends_with(": 89 entries shown from 2 sessions")
    );
}

#[test]
fn ctrl_c_while_waiting_ends_cleanly() {
    let w = Workdir::with(&[]);
    let mut f = Following::start(w.path(), &["trace", "--follow", "latest"]);
    f.wait_until("the waiting notice", |f| f.said("no sessions in "));
    let (status, out, err) = f.interrupt();
    assert!(out.is_empty());
    assert_stopped_cleanly(status, &err, 0);
}

#[test]
fn views_that_read_the_whole_session_refuse_follow_and_tail() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    for args in [
        &["--follow", "--analyze"][..],
        &["--follow", "--format", "mermaid"],
        &["--tail", "3", "--format", "dot"],
    ] {
        let mut all = vec!["trace", "req-17461590"];
        all.extend(args);
        w.run(&all)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicates::str::contains(
                "read the whole session: use them without",
            ));
    }
}

#[test]
fn json_lines_and_csv_rows_are_written_as_entries_come() {
    for format in ["jsonl", "csv"] {
        let w = Workdir::with(&[]);
        let path = w.path().join("live.trace.json");
        write_in_pieces(&path, "w", 0..2, 5);
        let mut f = Following::start(w.path(), &["trace", "-f", "live", "--format", format]);
        let header = usize::from(format == "csv");
        f.wait_until("the existing entries", |f| f.out.len() == header + 2);
        write_in_pieces(&path, "w", 2..5, 6);
        f.wait_until("the new entries", |f| f.out.len() == header + 5);
        let (status, out, err) = f.interrupt();
        assert_stopped_cleanly(status, &err, 5);
        let agents: Vec<String> = if format == "jsonl" {
            out.iter()
                .map(|line| {
                    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                    assert_eq!(entry["state"]["data"]["text"], TEXT);
                    entry["agent_id"].as_str().unwrap().to_owned()
                })
                .collect()
        } else {
            let text = out.join("\n");
            let mut rows = csv::Reader::from_reader(text.as_bytes());
            let column = rows
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "agent_id")
                .unwrap();
            rows.records()
                .map(|r| r.unwrap()[column].to_owned())
                .collect()
        };
        assert_eq!(agents, names("w", 0..5), "{format}");
    }
    let w = Workdir::with(&["req-17461590.trace.json"]);
    w.run(&["trace", "req-17461590", "-f", "--format", "json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "follow with --format jsonl or csv",
        ));
}

#[test]
fn flow_only_shows_each_hop_once_its_next_is_known() {
    let w = Workdir::with(&[]);
    let path = w.path().join("req-17461590.trace.json");
    let trace = fs::read(fixtures().join("req-17461590.trace.json")).unwrap();
    let mut f = Following::start(w.path(), &["trace", "-f", "req-17461590", "--flow-only"]);
    f.wait_until("the waiting notice", |f| !f.err.is_empty());
    let hops = |f: &Following| f.out.iter().filter(|l| l.starts_with("14:32:")).count();
    // Up to the summarizer's failure: its hop waits for the error handler's event.
    let failed = find(&trace, b"\"hook\": \"AgentError\"");
    let handled = failed + find(&trace[failed..], b"\"target_agent_id\": \"error-handler\"");
    fs::write(&path, &trace[..handled]).unwrap();
    f.wait_until("the hops before the failure", |f| hops(f) == 7);
    assert!(f.out[2].starts_with("TIME "), "{:?}", f.out);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&trace[handled..])
        .unwrap();
    f.wait_until("every hop", |f| hops(f) == 10);
    let failure = f.out.iter().find(|l| l.contains("AgentError")).unwrap();
    assert!(
        failure.contains(" summarizer ") && failure.contains(" error-handler "),
        "{failure}"
    );
    let (status, out, err) = f.interrupt();
    assert_stopped_cleanly(status, &err, 51);
    // At the end, the rest of the flow view, as `trace --flow-only` shows it.
    let whole = stdout_of(w.run(&["trace", "req-17461590", "--flow-only"]));
    let from_sequence = |text: &str| text[text.find("Sequence diagram:").unwrap()..].to_owned();
    assert_eq!(
        from_sequence(&(out.join("\n") + "\n")),
        from_sequence(&whole)
    );
}

#[test]
fn poll_needs_follow() {
    let w = Workdir::with(&["req-17461590.trace.json"]);
    w.run(&["trace", "req-17461590", "--poll"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--follow"));
}

/// The delay from a write that completes an entry to its row on the follower's stdout, over
/// 1,000 entries written one at a time: run with
/// `cargo test --release --test cli -- --ignored --nocapture follow_latency`.
#[test]
#[ignore = "a measurement, not a test: run it by name"]
fn follow_latency() {
    for watching in [&[][..], &["--poll"][..]] {
        let w = Workdir::with(&[]);
        let path = w.path().join("live.trace.json");
        write_in_pieces(&path, "w", 0..1, 1);
        let mut args = vec!["trace", "--follow", "live", "--width", "200"];
        args.extend(watching);
        let mut f = Following::start(w.path(), &args);
        f.wait_until("the first entry", |f| f.rows.len() == 1);
        let mut file = File::options().append(true).open(&path).unwrap();
        let mut written = Vec::new();
        let count = 1000;
        for n in 1..=count {
            let bytes = framed(&format!("w{n:05}"), n).into_bytes();
            // The entry in two writes, the second completing it: the delay counts from it.
            file.write_all(&bytes[..bytes.len() / 2]).unwrap();
            thread::sleep(Duration::from_millis(2));
            file.write_all(&bytes[bytes.len() / 2..]).unwrap();
            written.push(Instant::now());
            thread::sleep(Duration::from_millis(3 + (n % 7) as u64));
        }
        f.wait_until("every entry", |f| f.rows.len() == count + 1);
        let first_row = f.out.iter().position(|l| l.contains("w00001")).unwrap();
        let mut delays: Vec<Duration> = f.arrived[first_row..]
            .iter()
            .zip(&written)
            .map(|(out, wrote)| out.saturating_duration_since(*wrote))
            .collect();
        delays.sort();
        let at = |q: f64| delays[((delays.len() - 1) as f64 * q) as usize];
        println!(
            "{:>8}: {} entries, delay median {:?}, p90 {:?}, p99 {:?}, worst {:?}",
            if watching.is_empty() {
                "notify"
            } else {
                "--poll"
            },
            delays.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
        f.interrupt();
    }
}

/// `--follow latest` picks the session `trace latest` and `list` put first: the last to start,
/// not the last modified (as it used to).
#[test]
fn follow_latest_is_the_session_list_shows_first() {
    // req-17461592 started last; req-17461590 was modified last.
    let w = Workdir::with(&["req-17461592.trace.json", "req-17461590.trace.json"]);
    let listed = stdout_of(w.run(&["list", "--format", "csv"]));
    assert!(
        listed.lines().nth(1).unwrap().starts_with("req-17461592,"),
        "{listed}"
    );
    let mut f = Following::start(w.path(), &["trace", "--follow", "latest"]);
    f.wait_until("the latest session", |f| !f.out.is_empty());
    assert_eq!(f.out[0], "Trace for session req-17461592:");
    let (status, _, _) = f.interrupt();
    assert!(status.success());
}
