//! The external checkers: the programs whose reading of agentcli's output is the standard that
//! the default tests model in Rust. Graphviz's `dot` draws every `--format dot` output, with the
//! texts the DOT tests read; Mermaid's own parser reads every `--format mermaid` output; Python's
//! official `opentelemetry-proto` decodes every `--format otlp` output and every request `export`
//! sends, into the spans the OTLP tests decode.
//!
//! `cargo test` leaves them out (they are ignored); run them with
//! `cargo test --test cli external:: -- --ignored`. A checker whose program is missing is skipped
//! with one line on stderr naming what to install; with `AGENTCLI_EXTERNAL_CHECKS=required` (as
//! `.ci/run` runs them) it fails instead.

use crate::collector::decode;
use crate::common::{Workdir, agentcli, fixtures, stdout_of};
use crate::export::SAMPLES;
use crate::flow::drawn_texts;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// A program the checks need, and how to get it.
struct Checker {
    name: &'static str,
    install: &'static str,
}

const GRAPHVIZ: Checker = Checker {
    name: "Graphviz's dot",
    install: "install the Debian package graphviz",
};

const MERMAID: Checker = Checker {
    name: "Mermaid's parser",
    install: "install Node.js and npm (Debian packages nodejs, npm), \
        then run `npm install --prefix tests/mermaid`",
};

const PYTHON: Checker = Checker {
    name: "Python's opentelemetry-proto",
    install: "run `python3 -m pip install opentelemetry-proto`",
};

/// The checkers already said to be skipped: one line each, however many tests need them.
static SKIPPED: Mutex<Vec<&str>> = Mutex::new(Vec::new());

impl Checker {
    /// Whether the checks can run, given what `probe` found: a missing program is a line on
    /// stderr and `false`, or, when the checkers are required, a failure.
    fn ready(&self, probe: Result<(), String>) -> bool {
        let Err(why) = probe else {
            return true;
        };
        if required() {
            panic!(
                "{} is required (AGENTCLI_EXTERNAL_CHECKS=required), but {why}: {}",
                self.name, self.install
            );
        }
        let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
        if !skipped.contains(&self.name) {
            skipped.push(self.name);
            // Straight to the process's stderr: a passing test's prints are captured.
            let line = format!("skipped: {} ({why}): {}\n", self.name, self.install);
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        false
    }
}

/// Whether a missing checker is a failure (`AGENTCLI_EXTERNAL_CHECKS=required`).
fn required() -> bool {
    match std::env::var("AGENTCLI_EXTERNAL_CHECKS") {
        Ok(value) if value == "required" => true,
        Ok(value) if value.is_empty() => false,
        Ok(other) => {
            panic!("AGENTCLI_EXTERNAL_CHECKS={other}: the one value it takes is `required`")
        }
        Err(_) => false,
    }
}

/// Runs `program args`; Ok when it ran and succeeded, else what went wrong.
fn probe(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("no `{program}` on PATH"),
            _ => format!("`{program}` cannot run: {e}"),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs `program args` with `input` on stdin: its stdout, or what it said when it failed.
fn pipe(program: &str, args: &[&str], input: &str) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A writer thread, so that a program answering before it has read everything cannot block us.
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the program ran");
    let _ = writer.join();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{program} wrote no UTF-8: {e}"))
}

/// Every trace file among the fixtures, in order.
fn trace_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("the fixtures directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.to_string_lossy().contains(".trace.") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&fixtures(), &mut found);
    found.sort();
    found
}

/// `agentcli trace --format FORMAT` of every fixture, named by its path under `fixtures/` (a
/// damaged file's too: its problems are reported on stderr and the exit code is 1, but what
/// could be read is drawn or exported all the same).
fn every_output(format: &str) -> Vec<(String, String)> {
    let root = fixtures();
    let outputs: Vec<(String, String)> = trace_fixtures()
        .into_iter()
        .filter_map(|path| {
            let output = agentcli()
                .env("LANG", "C.UTF-8")
                .env_remove("LC_ALL")
                .env_remove("LC_CTYPE")
                .args(["trace", "--format", format])
                .arg(&path)
                .output()
                .expect("agentcli ran");
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let text = String::from_utf8(output.stdout).expect("UTF-8");
            (!text.is_empty()).then_some((name, text))
        })
        .collect();
    assert!(outputs.len() >= 40, "{} outputs", outputs.len());
    outputs
}

/// The text of every `<text>` element of an SVG, XML entities decoded.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let start = t.find('>').expect("a <text> element") + 1;
            let end = t.find("</text>").expect("an end of <text>");
            xml_text(&t[start..end])
        })
        .collect()
}

/// XML character data with its entities decoded.
fn xml_text(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').expect("an entity's end") + amp;
        let entity = &rest[amp + 1..semi];
        let c = match entity {
            "quot" => '"',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => entity
                        .strip_prefix('#')
                        .expect("a character reference")
                        .parse(),
                };
                char::from_u32(code.expect("a character code")).expect("a character")
            }
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
#[ignore = "external checker: cargo test --test cli external:: -- --ignored"]
fn graphviz_draws_every_dot_output_with_the_texts_the_tests_read() {
    if !GRAPHVIZ.ready(probe("dot", &["-V"])) {
        return;
    }
    for (fixture, dot) in every_output("dot") {
        let svg = pipe("dot", &["-Tsvg"], &dot)
            .unwrap_or_else(|e| panic!("{fixture}: Graphviz rejects the DOT: {e}\n{dot}"));
        let mut drawn = svg_texts(&svg);
        let mut read = drawn_texts(&dot);
        drawn.sort();
        read.sort();
        assert_eq!(drawn, read, "{fixture}: what Graphviz draws\n{dot}");
    }
}

#[test]
#[ignore = "external checker: cargo test --test cli external:: -- --ignored"]
fn mermaid_reads_every_mermaid_output_as_written() {
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mermaid");
    let installed = probe("node", &["--version"]).and_then(|()| {
        if checker.join("node_modules/mermaid").is_dir() {
            Ok(())
        } else {
            Err("no tests/mermaid/node_modules/mermaid".to_owned())
        }
    });
    if !MERMAID.ready(installed) {
        return;
    }
    let outputs = every_output("mermaid");
    let texts: Vec<&str> = outputs.iter().map(|(_, text)| text.as_str()).collect();
    let script = checker.join("check.mjs");
    let input = serde_json::to_string(&texts).expect("JSON");
    let read = pipe("node", &[script.to_str().expect("a UTF-8 path")], &input)
        .unwrap_or_else(|e| panic!("Mermaid's parser did not run: {e}"));
    let read: Vec<Value> = serde_json::from_str(&read).expect("the checker's JSON");
    assert_eq!(read.len(), outputs.len());
    for ((fixture, text), parsed) in outputs.iter().zip(&read) {
        assert!(
            parsed.get("error").is_none(),
            "{fixture}: Mermaid's parser rejects the diagram: {}\n{text}",
            parsed["error"]
        );
        assert_eq!(parsed["type"], "sequence", "{fixture}");
        // Each line is one participant, or one message or note (but the header and comments).
        let lines: Vec<&str> = text.lines().skip(1).map(str::trim).collect();
        let participants = lines
            .iter()
            .filter(|l| l.starts_with("participant "))
            .count();
        let messages = lines
            .iter()
            .filter(|l| !l.starts_with("participant ") && !l.starts_with("%%"))
            .count();
        assert_eq!(
            parsed["participants"]
                .as_array()
                .expect("participants")
                .len(),
            participants,
            "{fixture}"
        );
        assert_eq!(
            parsed["messages"].as_array().expect("messages").len(),
            messages,
            "{fixture}"
        );
    }
    let (_, hostile) = outputs
        .iter()
        .zip(&read)
        .find(|((fixture, _), _)| fixture.ends_with("flow-hostile.trace.json"))
        .expect("the hostile flow");
    assert_eq!(
        hostile["participants"],
        serde_json::json!([
            ["A1", "planner"],
            ["A2", "evil\"agent\\N;#<b>%%{init}%%"],
            ["A3", "日本語エージェント"],
            ["A4", "end"],
        ])
    );
    let messages = hostile["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 5);
    assert_eq!(
        messages[3],
        serde_json::json!(["A4", "A4", "error: bad\\x1b[31m red\\nline; #1 <x>", "note"])
    );
}

fn python_ready() -> bool {
    PYTHON.ready(probe(
        "python3",
        &["-c", "import google.protobuf, opentelemetry.proto"],
    ))
}

fn otlp_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otlp/otlp.py")
}

#[test]
#[ignore = "external checker: cargo test --test cli external:: -- --ignored"]
fn python_opentelemetry_proto_decodes_every_otlp_output_as_the_tests_do() {
    if !python_ready() {
        return;
    }
    let script = otlp_script();
    let script = script.to_str().expect("a UTF-8 path");
    for (fixture, otlp) in every_output("otlp") {
        let python = pipe("python3", &[script, "decode"], &otlp)
            .unwrap_or_else(|e| panic!("{fixture}: the protobuf definitions reject it: {e}"));
        let python: Value = serde_json::from_str(&python).expect("the decoder's JSON");
        assert_eq!(python, Value::Array(decode(&otlp)), "{fixture}");
    }
}

/// Python's collector (`otlp.py receive`), stopped when dropped.
struct PythonCollector {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for PythonCollector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "external checker: cargo test --test cli external:: -- --ignored"]
fn python_opentelemetry_proto_decodes_what_export_sends_as_the_tests_do() {
    if !python_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("requests.jsonl");
    let mut child = Command::new("python3")
        .arg(otlp_script())
        .arg("receive")
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the collector's port");
    let collector = PythonCollector {
        port: line.trim().parse().expect("the collector's port"),
        child,
        out,
        _dir: dir,
    };
    let w = Workdir::with(&SAMPLES);
    let endpoint = format!("http://127.0.0.1:{}", collector.port);
    stdout_of(w.run(&["export", "--otlp-endpoint", &endpoint]));
    let records = std::fs::read_to_string(&collector.out).expect("the collector's records");
    let mut sent = HashSet::new();
    for record in records.lines() {
        let record: Value = serde_json::from_str(record).expect("a record");
        assert_eq!(record["path"], "/v1/traces");
        assert_eq!(record["content_type"], "application/json");
        assert!(record.get("error").is_none(), "{}", record["error"]);
        for span in record["spans"].as_array().expect("spans") {
            assert!(sent.insert(span.to_string()), "no span twice");
        }
    }
    let mut written = HashSet::new();
    for fixture in SAMPLES {
        let session = Path::new(fixture).file_name().expect("a file name");
        let session = session.to_string_lossy();
        let session = session.split(".trace.").next().expect("a session id");
        let otlp = stdout_of(w.run(&["trace", session, "--format", "otlp"]));
        written.extend(decode(&otlp).iter().map(Value::to_string));
    }
    assert_eq!(sent, written);
}
