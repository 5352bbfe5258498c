//! An OTLP/HTTP collector on 127.0.0.1 for the tests, and a decoder of OTLP/JSON documents: both
//! parse with the official OpenTelemetry protobuf definitions (Python packages
//! `opentelemetry-proto` and `protobuf`, which `.ci/run` installs), in `tests/otlp/otlp.py`.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otlp/otlp.py")
}

const MISSING: &str = "python3 with the packages opentelemetry-proto and protobuf is needed \
    (`.ci/run` installs them: python3 -m pip install opentelemetry-proto)";

/// A collector answering on 127.0.0.1; it is stopped when dropped.
pub struct Collector {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Collector {
    /// Starts a collector; `options` as `otlp.py receive` takes them (`--refuse-first N`,
    /// `--status CODE`).
    pub fn start(options: &[&str]) -> Collector {
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("requests.jsonl");
        let mut child = Command::new("python3")
            .arg(script())
            .arg("receive")
            .arg(&out)
            .args(options)
            .stdout(Stdio::piped())
            .spawn()
            .expect(MISSING);
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the collector's port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the collector did not start: {MISSING}")
        });
        Collector {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    /// The base URL to give `--otlp-endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests accepted so far, as the collector decoded them (one object each, with the
    /// request's `path`, `content_type`, `authorization`, `bytes` and `spans`).
    pub fn requests(&self) -> Vec<Value> {
        let Ok(text) = std::fs::read_to_string(&self.out) else {
            return Vec::new();
        };
        text.lines()
            .map(|l| serde_json::from_str(l).expect("a request record"))
            .collect()
    }

    /// Every span accepted so far, checking that each request decoded.
    pub fn spans(&self) -> Vec<Value> {
        let mut spans = Vec::new();
        for request in self.requests() {
            assert_eq!(request["path"], "/v1/traces");
            assert_eq!(request["content_type"], "application/json");
            assert!(
                request.get("error").is_none(),
                "a request did not decode: {}",
                request["error"]
            );
            spans.extend(request["spans"].as_array().expect("spans").iter().cloned());
        }
        spans
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
/// The spans of an OTLP/JSON `ExportTraceServiceRequest`, as the protobuf definitions read it.
pub fn decode(document: &str) -> Vec<Value> {
    let mut child = Command::new("python3")
        .arg(script())
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(MISSING);
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(document.as_bytes())
        .expect("write the document");
    let output = child.wait_with_output().expect("the decoder ran");
    assert!(
        output.status.success(),
        "the protobuf definitions reject the document: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout)
        .expect("decoded spans")
        .as_array()
        .expect("a list of spans")
        .clone()
}
