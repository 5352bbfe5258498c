//! `--redact` (issue 17): every shape of secret in fixtures/hostile/req-40000017.trace.json is
//! hidden in every command and format, only its secret part, and token counts stay numbers.

use crate::common::{Workdir, agentcli, json_of, stdout_of};
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const SESSION: &str = "req-40000017";
const FIXTURE: &str = "hostile/req-40000017.trace.json";

/// Each secret of the fixture (or a part of one that must not survive), and its shape.
const SECRETS: &[(&str, &str)] = &[
    ("SECRET444", "key=value in text"),
    ("eyJzdWIiOiJTRUNSRVQ1NTUifQ", "JWT payload after Bearer"),
    ("SECRETSIG555", "JWT signature"),
    ("SECRET666", "URL user info"),
    ("SECRETPEMBODY777", "PEM private key"),
    ("AAAAB3NzaC1yc2E", "PEM private key"),
    ("SECRETOPENAI888", "OpenAI key"),
    ("SECRETANTHROPIC999", "Anthropic key"),
    ("SECRETGITHUB000", "GitHub token"),
    ("SECRETPAT111", "GitHub fine-grained token"),
    ("SECRETSLACK222", "Slack token"),
    ("SECRETAWS333", "AWS key id"),
    ("SECRETGOOGLE444", "Google API key"),
    ("SECRETSTRIPE555", "Stripe key"),
    ("U0VDUkVUQkFTSUM2NjY", "Basic credential"),
    ("SECRET_KEYRULE_EEE", "state key client_secret"),
    ("SECRET_APIKEY_FFF", "nested state key api_key"),
    ("SECRET_ACCESS_TOK_III", "access_token in a list"),
    ("SECRET_META_GGG", "meta authorization"),
    ("SECRET_METATEXT_JJJ", "token= in a meta value"),
    ("SECRET_INPUT_KKK", "password= in the input state"),
    (
        "NEWLINE_LLL_9f3",
        "token= at the start of a line (after \\n)",
    ),
    ("SECRET_ERRPW_BBB", "password= in error"),
    ("SECRET_ERRKEY_CCC", "api_key= in error"),
    ("SECRET_RESERR_DDD", "token: in agent_result.error"),
    ("SECRETINID", "GitHub token in an event id"),
    ("SECRETAGENT333", "Slack token in an agent name"),
    ("SECRET_HOOK_HHH", "password= in a hook name"),
];

fn workdir() -> Workdir {
    let w = Workdir::with(&[FIXTURE]);
    // A second session for `diff`, the same entries under another id.
    let text = fs::read_to_string(w.path().join(format!("{SESSION}.trace.json"))).unwrap();
    fs::write(
        w.path().join("req-40000018.trace.json"),
        text.replace(SESSION, "req-40000018"),
    )
    .unwrap();
    w
}

/// Fails naming the command and the shape when a secret is in `output`.
fn assert_no_secret(what: &str, output: &str) {
    for (secret, shape) in SECRETS {
        assert!(
            !output.contains(secret),
            "{what}: the {shape} secret {secret} survives:\n{output}"
        );
    }
}

/// Stdout and stderr of a run, whatever its exit code.
fn output_of(mut cmd: assert_cmd::Command) -> String {
    let out = cmd.output().expect("agentcli runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn no_secret_survives_in_any_command_or_format() {
    let w = workdir();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for view in [
        &[][..],
        &["--verbose"],
        &["--debug"],
        &["--flow-only"],
        &["--flow-only", "--verbose"],
        &["--analyze"],
        &["--analyze", "--format", "json"],
        &["--format", "mermaid"],
        &["--format", "dot"],
        &["--format", "json"],
        &["--format", "jsonl"],
        &["--format", "csv"],
        &["--format", "otlp"],
        &["--tail", "3", "--verbose"],
        &["--filter", "error", "--verbose"],
    ] {
        runs.push([&["trace", SESSION, "--width", "400"][..], view].concat());
    }
    runs.push(vec!["analyze"]);
    runs.push(vec!["analyze", "--by-session", "--format", "json"]);
    runs.push(vec!["diff", SESSION, "req-40000018"]);
    runs.push(vec!["diff", SESSION, "req-40000018", "--format", "json"]);
    runs.push(vec!["list", "--verbose", "--width", "400"]);
    runs.push(vec!["list", "--verbose", "--format", "json"]);
    runs.push(vec!["list", "--verbose", "--format", "csv"]);
    for args in runs {
        let shown = output_of(w.run(&args));
        // Without --redact the command shows secrets: there is something to hide.
        assert!(
            SECRETS.iter().any(|(secret, _)| shown.contains(secret)),
            "{args:?} shows no secret without --redact: {shown}"
        );
        let redacted = output_of(w.run(&[&args[..], &["--redact"]].concat()));
        assert_no_secret(&format!("{args:?} --redact"), &redacted);
    }
}

#[test]
fn only_the_secret_part_is_hidden_and_token_counts_stay_numbers() {
    let w = workdir();
    let json = json_of(w.run(&["trace", SESSION, "--format", "json", "--redact"]));
    let run = &json[2]["state"];
    let data = &run["data"];
    assert_eq!(data["note"], "api_key=[REDACTED] rest of the note");
    assert_eq!(
        data["dsn"],
        "connect to https://admin:[REDACTED]@db.internal/x now"
    );
    assert_eq!(data["header"], "Authorization: Bearer [REDACTED]");
    assert_eq!(
        data["pem"],
        "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----"
    );
    assert_eq!(data["keys"], "openai [REDACTED] anthropic [REDACTED]");
    assert_eq!(data["client_secret"], "[REDACTED]");
    assert_eq!(run["meta"]["authorization"], "[REDACTED]");
    // Issue 17, section 2: token counts are not secrets.
    for (key, n) in [
        ("tokens", 2151),
        ("prompt_tokens", 10),
        ("max_tokens", 4096),
        ("tokens_used", 77),
        ("token_count", 12),
    ] {
        assert_eq!(data[key], Value::from(n), "{key}");
    }
    assert_eq!(data["tokenizer"], "cl100k");
    assert_eq!(
        json[4]["error"],
        "db down: password=[REDACTED] api_key=[REDACTED]"
    );
    assert_eq!(json[3]["agent_id"], "agent-[REDACTED]");
}

#[test]
fn redact_key_hides_the_route_and_redact_pattern_adds_rules() {
    let w = workdir();
    let plain = stdout_of(w.run(&["trace", SESSION, "--flow-only", "--redact"]));
    assert!(plain.contains("SECRET_ROUTE_NEXT"), "{plain}");
    assert!(plain.contains("cust-123456") || !plain.contains("cust-"));
    for view in [
        &["--flow-only"][..],
        &["--format", "jsonl"],
        &["--format", "mermaid"],
        &[],
    ] {
        let args = [
            &["trace", SESSION, "--width", "300", "--redact-key", "route"][..],
            view,
        ]
        .concat();
        let shown = stdout_of(w.run(&args));
        assert!(!shown.contains("SECRET_ROUTE_NEXT"), "{args:?}: {shown}");
    }
    let jsonl = stdout_of(w.run(&[
        "trace",
        SESSION,
        "--format",
        "jsonl",
        "--redact-pattern",
        r"cust-\d{6}",
    ]));
    assert!(
        jsonl.contains(r#""customer":"[REDACTED] asked""#),
        "{jsonl}"
    );
    assert_no_secret("--redact-pattern alone", &jsonl);
    agentcli()
        .args(["trace", SESSION, "--redact-pattern", "(unclosed"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "invalid --redact-pattern \"(unclosed\": regex parse error",
        ));
}

#[test]
fn follow_shows_entries_redacted() {
    let w = workdir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcli"))
        .args([
            "trace",
            SESSION,
            "--follow",
            "--verbose",
            "--redact",
            "--dir",
        ])
        .arg(w.path())
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("agentcli starts");
    let stdout = child.stdout.take().expect("stdout");
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let mut shown = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !shown.contains("END_OF_SECRETS") && Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            shown.push_str(&line);
            shown.push('\n');
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(shown.contains("END_OF_SECRETS"), "follow showed: {shown}");
    assert_no_secret("trace --follow --verbose --redact", &shown);
}

/// The body `export --redact` sends: a collector of one request, on 127.0.0.1.
#[test]
fn export_sends_a_redacted_body() {
    let w = workdir();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().unwrap().port();
    let (send, bodies) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            );
            let _ = send.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    let endpoint = format!("http://127.0.0.1:{port}");
    w.run(&["export", SESSION, "--otlp-endpoint", &endpoint, "--redact"])
        .assert()
        .success();
    let body = bodies
        .recv_timeout(Duration::from_secs(30))
        .expect("a request");
    assert!(body.contains("resourceSpans"), "{body}");
    assert!(body.contains("[REDACTED]"), "{body}");
    assert_no_secret("export --redact body", &body);
}
