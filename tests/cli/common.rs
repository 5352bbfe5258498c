//! What the integration tests share: a temporary trace directory holding copies of fixtures,
//! the binary run in it, the fixture sets, and readers of its output (tables, JSON).

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tempfile::TempDir;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A temporary trace directory.
pub struct Workdir {
    dir: TempDir,
}

impl Workdir {
    /// Copies the named fixtures (paths under `fixtures/`) in, with modification times one
    /// minute apart from 2025-05-02T10:00:00Z in the order given, so listings are stable.
    pub fn with(names: &[&str]) -> Workdir {
        let w = Workdir {
            dir: tempfile::tempdir().expect("temporary directory"),
        };
        for (i, name) in names.iter().enumerate() {
            let from = fixtures().join(name);
            let to = w
                .path()
                .join(Path::new(name).file_name().expect("a file name"));
            fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
            w.set_modified(&to, i as u64);
        }
        w
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn set_modified(&self, path: &Path, minute: u64) {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_746_180_000 + 60 * minute);
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(t))
            .expect("set modification time");
    }

    /// `agentcli ARGS --dir <this directory>`, in UTC, without colour from the environment.
    pub fn run(&self, args: &[&str]) -> Command {
        let mut cmd = agentcli();
        cmd.args(args).arg("--dir").arg(self.path());
        cmd
    }
}

/// The binary, with an environment that does not depend on the machine running the tests.
pub fn agentcli() -> Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agentcli"));
    machine_independent(&mut cmd);
    Command::from_std(cmd)
}

/// Sets an environment that does not depend on the machine running the tests: UTC, 120 columns,
/// no colour, trace directory or OpenTelemetry settings from the environment, no proxy.
pub fn machine_independent(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env("TZ", "UTC")
        .env_remove("NO_COLOR")
        .env_remove("AGENTCLI_TRACE_DIR")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_SERVICE_NAME")
        .env("COLUMNS", "120");
    // The tests' collectors are on 127.0.0.1: never go through a proxy to reach them.
    for proxy in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        cmd.env_remove(proxy);
    }
    cmd
}

/// Stdout of a successful run, as text.
pub fn stdout_of(mut cmd: impl std::borrow::BorrowMut<Command>) -> String {
    let cmd = cmd.borrow_mut();
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("UTF-8 output")
}

/// Parses JSON output.
pub fn json_of(cmd: impl std::borrow::BorrowMut<Command>) -> serde_json::Value {
    serde_json::from_str(&stdout_of(cmd)).expect("JSON output")
}

/// The five sample sessions of the seed documentation's examples.
pub const SAMPLES: [&str; 5] = [
    "req-17461590.trace.json",
    "req-17461591.trace.json",
    "req-17461592.trace.json",
    "req-20000001.trace.json",
    "req-30000001.trace.json",
];

/// The analysis fixtures: a session whose durations are known by construction, an unclosed
/// file, and a JSON Lines file of edge cases.
pub const KNOWN: [&str; 3] = [
    "analysis/known.trace.json",
    "analysis/unclosed.trace.json",
    "analysis/edge.trace.jsonl",
];

/// The cells of the rows of a timeline table in `text`, its header (`TIMESTAMP │ HOOK │ ...`)
/// left out.
pub fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split('│')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.first().is_none_or(|c| c != "TIMESTAMP"))
        .collect()
}

/// Every key of a JSON document, at any depth.
pub fn json_keys(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                json_keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_keys(v, out)),
        _ => {}
    }
}
