//! `agentcli view` in a real terminal: tmux runs it in a detached session of 80×24, keys are
//! sent with `send-keys`, and the screen is read with `capture-pane`, as a user would see it.
//!
//! These tests need tmux (the Debian package tmux). Without it each says so in one line on
//! stderr and passes; with `AGENTCLI_EXTERNAL_CHECKS=required` (as `.ci/run` sets for the
//! external checkers) a missing tmux is a failure.

use crate::common::{Workdir, machine_independent};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a screen is waited for before the test fails (the machine may be busy).
const PATIENCE: Duration = Duration::from_secs(20);

/// Whether tmux can be run; if not, a line on stderr (once per test) or, when required, a panic.
fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let required = std::env::var("AGENTCLI_EXTERNAL_CHECKS").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "tmux is required (AGENTCLI_EXTERNAL_CHECKS=required), but it is not installed: \
         install the Debian package tmux"
    );
    let _ = std::io::stderr().write_all(
        b"skipped: the view's tmux tests (tmux not found): install the Debian package tmux\n",
    );
    false
}

/// A tmux server of its own (its own socket), running one command in an 80×24 window.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `script` (a shell command line) in a detached session of 80×24.
    fn start(script: &str) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "agentcli-view-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let tmux = Tmux { socket };
        let mut cmd = tmux.command();
        cmd.args(["new-session", "-d", "-x", "80", "-y", "24", script]);
        machine_independent(&mut cmd);
        // A UTF-8 locale, a terminal that tmux emulates, and no colour taste of the machine's.
        cmd.env("LANG", "C.UTF-8").env("TERM", "xterm-256color");
        let out = cmd.output().expect("tmux runs");
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("tmux runs")
    }

    /// Sends keys as tmux names them (`Enter`, `Tab`, `C-c`) or as literal text (`-l`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        self.run(&args);
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "0", "-l", text]);
    }

    /// The screen's text.
    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "0"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen holds `what`, and returns it; fails with the screen if it never does.
    fn wait_for(&self, what: &str) -> String {
        self.wait_until(what, |s| s.contains(what))
    }

    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the screen never showed {what:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The shell command that runs the viewer, then says how it exited and whether the terminal is
/// back in its normal (canonical, echoing) mode.
fn viewer(args: &str, dir: &Path) -> String {
    format!(
        "'{}' view --dir '{}' {args}; echo \"exit=$?\"; \
         echo \"tty: $(stty -a | tr ' ' '\\n' | grep -xE -e -?icanon -e -?echo | tr '\\n' ' ')\"; \
         sleep 60",
        env!("CARGO_BIN_EXE_agentcli"),
        dir.display()
    )
}

#[test]
fn view_opens_a_session_searches_switches_tabs_and_quits_in_a_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = Workdir::with(&[
        "req-17461590.trace.json",
        "req-17461591.trace.json",
        "req-17461592.trace.json",
    ]);
    let tmux = Tmux::start(&viewer("", dir.path()));

    let sessions = tmux.wait_for("3 of 3 sessions");
    assert!(sessions.contains("SESSION"), "{sessions}");
    assert!(sessions.contains("req-17461592"), "{sessions}");
    // Every session summarised: its error count shows.
    tmux.wait_until("the sessions' entries", |s| {
        s.contains(" 39 ") && s.contains(" 51 ")
    });

    // Narrow to one session, open it.
    tmux.text("/1592");
    tmux.wait_for("narrow: 1592");
    tmux.keys(&["Enter", "Enter"]);
    let timeline = tmux.wait_for("[Timeline]");
    assert!(timeline.contains("req-17461592"), "{timeline}");
    assert!(timeline.contains("BeforeEventHandling"), "{timeline}");
    assert!(
        timeline.contains("entry 1 · 1 of 39 shown · event req-84945514-planner"),
        "{timeline}"
    );

    // Search for the failure: the selection moves to it, its whole event id below.
    tmux.text("/rate limit");
    let searching = tmux.wait_for("search: rate limit");
    assert!(searching.contains("rate limit…"), "{searching}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("entry 19 · 19 of 39 shown · event 4389eab4-facb-106b-ef08-ae6f9df9a2a8");
    // n finds the writer's second AgentError of the same failure.
    tmux.keys(&["n"]);
    tmux.wait_for("entry 20 · 20 of 39 shown");
    tmux.keys(&["N"]);
    tmux.wait_for("entry 19 · 19 of 39 shown");

    // The entry in full.
    tmux.keys(&["Enter"]);
    let entry = tmux.wait_for("entry 19 of session req-17461592");
    assert!(
        entry.contains("\"error\": \"rate limit exceeded (429)\""),
        "{entry}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("[Timeline]");

    // The other tabs.
    tmux.keys(&["Tab"]);
    let waterfall = tmux.wait_for("[Waterfall]");
    let waterfall = if waterfall.contains('█') {
        waterfall
    } else {
        tmux.wait_for("█")
    };
    assert!(
        waterfall
            .lines()
            .any(|l| l.starts_with("analyzer") && l.contains('!')),
        "{waterfall}"
    );
    tmux.keys(&["Tab"]);
    let flow = tmux.wait_for("Agent request flow for session req-17461592");
    assert!(flow.contains("[Flow]"), "{flow}");
    assert!(
        flow.contains("analyzer → error-handler  [error]") || flow.contains("error: ra"),
        "{flow}"
    );

    // Help, then quit: the terminal is itself again.
    tmux.keys(&["?"]);
    tmux.wait_for("any key closes");
    tmux.keys(&["Escape"]);
    tmux.wait_until("the help closed", |s| !s.contains("any key closes"));
    tmux.keys(&["q"]);
    let after = tmux.wait_for("tty:");
    assert!(after.contains("exit=0\ntty: icanon echo"), "{after}");
    assert!(
        !after.contains("[Flow]"),
        "the viewer's screen is left: {after}"
    );
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = Workdir::with(&["req-17461590.trace.json"]);
    let tmux = Tmux::start(&viewer("req-17461590", dir.path()));
    tmux.wait_for("[Timeline]");
    tmux.keys(&["C-c"]);
    let after = tmux.wait_for("tty:");
    assert!(after.contains("exit=0\ntty: icanon echo"), "{after}");
}

#[test]
fn following_shows_entries_as_they_are_appended() {
    if !tmux_available() {
        return;
    }
    let dir = Workdir::with(&[]);
    let path = dir.path().join("live.trace.jsonl");
    let line = |n: u32| {
        format!(
            "{{\"timestamp\":\"2025-05-02T14:32:{n:02}Z\",\"hook\":\"BeforeAgentRun\",\"agent_id\":\"agent-{n}\",\"event_id\":\"ev-{n}\"}}\n"
        )
    };
    std::fs::write(&path, line(1) + &line(2)).unwrap();
    let tmux = Tmux::start(&viewer("live", dir.path()));
    tmux.wait_for("1 of 2 shown");
    tmux.keys(&["F"]);
    tmux.wait_for("following");
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    // One entry written in two pieces: it shows once, complete.
    let third = line(3);
    let (head, tail) = third.split_at(30);
    file.write_all(head.as_bytes()).unwrap();
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    file.write_all(tail.as_bytes()).unwrap();
    for n in 4..=30 {
        file.write_all(line(n).as_bytes()).unwrap();
    }
    file.flush().unwrap();
    // The view stuck to the bottom: the last entry is selected and on screen.
    let screen = tmux.wait_for("30 of 30 shown · event ev-30");
    assert!(screen.contains("agent-30"), "{screen}");
    let rows: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|a| a.starts_with("agent-"))
        .collect();
    let expected: Vec<String> = (30 - rows.len() as u32 + 1..=30)
        .map(|n| format!("agent-{n}"))
        .collect();
    assert_eq!(rows, expected, "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("exit=0");
}
