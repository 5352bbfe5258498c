//! The manual is true: every `$ agentcli ...` example in README.md and docs/*.md runs and prints
//! what the page shows, every relative link leads to a file and heading that exist, every command
//! has its page and every option of `--help` is in the manual, and the README stays a front page.
//!
//! An example is a fenced block whose first line is `$ agentcli ...`: each `$ ` line is a command,
//! the lines after it (up to the next `$ ` line) its output, stdout and stderr as a terminal
//! shows them. A block preceded by a line `<!-- $ agentcli ... -->` is that command's whole
//! output (for blocks a code-hosting site draws, such as `mermaid`). Commands run in `sh`, in a
//! directory holding a copy of `fixtures/` whose files all have one modification time
//! ([`MODIFIED`]), in UTC, with 120 columns, without a locale, as the tests' other commands do.
//! A line `...` in the shown output stands for any number of lines. An output that ends with
//! `^C` is a follower's: it is interrupted once its output has come (see [`check_follow`]). A
//! command piped into `jq` runs without jq (cargo test needs only Rust): every JSON value shown
//! must be found in agentcli's own JSON output (see [`found`]). Examples not run: [`NOT_RUN`].
//!
//! `AGENTCLI_UPDATE_DOCS=1 cargo test --test cli docs` rewrites the shown output of every example
//! that differs with what the command printed (not those with `...`, `jq` or `^C`): review it with
//! `git diff` before committing, as with snapshots.

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The modification time of every fixture copy the examples run on (2025-05-02T09:20:00Z, after
/// the fixtures' sessions): `list` shows it, `latest` goes by it.
const MODIFIED: u64 = 1_746_177_600;

/// How long one example may run: generous, the machine may be loaded.
const PATIENCE: Duration = Duration::from_secs(60);

/// The README's size limit: a front page, not the manual.
const README_MAX_BYTES: usize = 15_000;

/// Examples that are not run, each with why. Each must still match an example, so that the list
/// does not outlive the examples it excuses.
const NOT_RUN: &[(&str, &str)] = &[(
    "agentcli export --dir fixtures --otlp-endpoint http://localhost:4318",
    "needs an OTLP collector listening on port 4318; tests/cli/collector.rs sends to a test collector",
)];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, then docs/*.md in name order.
fn pages() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    let mut pages = vec![root().join("README.md")];
    pages.extend(docs);
    pages
}

fn shown(page: &Path) -> String {
    page.strip_prefix(root())
        .unwrap_or(page)
        .display()
        .to_string()
}

/// One command of the manual and the output it shows.
struct Example {
    /// The page's lines index of the `$ ` line (or of the comment naming the command).
    line: usize,
    command: String,
    /// The lines of the page that show the output (trailing blank lines left out).
    output: std::ops::Range<usize>,
}

/// The examples on a page, in order.
fn examples(lines: &[&str]) -> Vec<Example> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("```") {
            i += 1;
            continue;
        }
        let open = i;
        let close = (open + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .unwrap_or(lines.len());
        let named = open
            .checked_sub(1)
            .and_then(|c| lines[c].strip_prefix("<!-- $ "))
            .and_then(|c| c.strip_suffix(" -->"));
        if let Some(command) = named {
            found.push(Example {
                line: open - 1,
                command: command.to_string(),
                output: open + 1..trim_blank_end(lines, open + 1, close),
            });
        } else if lines
            .get(open + 1)
            .is_some_and(|l| l.starts_with("$ agentcli "))
        {
            let mut j = open + 1;
            while j < close {
                let command = lines[j].strip_prefix("$ ").unwrap_or(lines[j]).to_string();
                let end = (j + 1..close)
                    .find(|&k| lines[k].starts_with("$ "))
                    .unwrap_or(close);
                found.push(Example {
                    line: j,
                    command,
                    output: j + 1..trim_blank_end(lines, j + 1, end),
                });
                j = end;
            }
        }
        i = close + 1;
    }
    found
}

fn trim_blank_end(lines: &[&str], start: usize, mut end: usize) -> usize {
    while end > start && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    end
}

/// A copy of `fixtures/` in a temporary directory, every file modified at [`MODIFIED`].
fn fixture_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).expect("create a fixtures directory");
        for entry in fs::read_dir(from).expect("read fixtures") {
            let entry = entry.expect("a fixtures entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).expect("copy a fixture");
                fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|f| {
                        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(MODIFIED))
                    })
                    .expect("set a modification time");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    copy(&root().join("fixtures"), &dir.path().join("fixtures"));
    dir
}

/// `sh -c SCRIPT` in `dir`, with `agentcli` on the PATH and an environment that does not depend
/// on the machine running the tests, its stdout piped.
fn shell(dir: &Path, script: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_agentcli"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("the binary's directory").to_path_buf()).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .expect("a PATH");
    let mut cmd = Command::new("sh");
    crate::common::machine_independent(&mut cmd)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // Without a locale: Unicode drawing, whatever the machine's (a non-UTF-8 one means ASCII).
    for var in ["LC_ALL", "LC_CTYPE", "LANG"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `command` in [`shell`]; its stdout, and its stderr too when `merge_stderr`, as one text.
fn run(dir: &Path, command: &str, merge_stderr: bool) -> Result<String, String> {
    let script = if merge_stderr {
        format!("{{ {command}\n}} 2>&1")
    } else {
        format!("{command} 2>/dev/null")
    };
    let mut cmd = shell(dir, &script);
    let mut child = cmd.spawn().map_err(|e| format!("cannot run sh: {e}"))?;
    let mut stdout = child.stdout.take().expect("stdout piped");
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < PATIENCE => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {PATIENCE:?}"));
            }
        }
    }
    let out = reader.join().expect("the reader thread");
    String::from_utf8(out).map_err(|e| format!("output is not UTF-8: {e}"))
}

/// A step of the script that writes `traces/req-17461590.trace.json` while an example follows
/// it, from the entries of `fixtures/req-17461590.trace.json` (by index), as the runner writes
/// them: an array left open, entries separated by `\n,\n`.
#[derive(Clone, Copy)]
enum Step {
    /// The file written from its start (created, or rewritten: a new run), with these entries.
    Write(usize, usize),
    /// These entries appended.
    Append(usize, usize),
    /// Waits until this many lines of output hold the text.
    Until(&'static str, usize),
}

/// The examples that follow a session while it is written, and the script that writes it. Other
/// follow examples follow a fixture that does not change.
const WRITTEN_WHILE_FOLLOWED: &[(&str, &[Step])] = &[
    (
        "agentcli trace -f req-17461590 --dir traces --width 100",
        &[
            Step::Until("waiting for it", 1),
            Step::Write(0, 4),
            Step::Until("14:32:15.232 │ After", 1),
            Step::Append(4, 7),
            Step::Until("14:32:15.235 │ Before", 1),
            Step::Write(0, 2),
            Step::Until("14:32:15.124 │ Before", 3),
        ],
    ),
    (
        "agentcli trace -f req-17461590 --flow-only --filter agent=summarizer --dir traces",
        &[
            Step::Until("waiting for it", 1),
            Step::Write(0, 4),
            Step::Append(4, 7),
            Step::Append(7, 51),
            Step::Until("14:32:19.574", 1),
        ],
    ),
];

/// A follow example running: its output lines (stdout and stderr) as they come.
struct Following {
    child: Child,
    lines: Receiver<String>,
    out: Vec<String>,
}

impl Following {
    fn start(dir: &Path, command: &str) -> Result<Following, String> {
        // `exec`: the process interrupted is agentcli itself, as Ctrl-C would.
        let mut child = shell(dir, &format!("exec {command} 2>&1"))
            .spawn()
            .map_err(|e| format!("cannot run sh: {e}"))?;
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Ok(Following {
            child,
            lines,
            out: Vec::new(),
        })
    }

    /// Gathers output until `done` holds for it, or fails after [`PATIENCE`].
    fn until(&mut self, what: &str, done: impl Fn(&[String]) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.out) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.out.push(line),
                Err(_) => {
                    return Err(format!(
                        "waited {PATIENCE:?} for {what}; printed:\n{}",
                        self.out.join("\n")
                    ));
                }
            }
        }
        Ok(())
    }

    /// Ctrl-C; all the output, once the process has ended.
    fn interrupt(mut self) -> Result<Vec<String>, String> {
        // A moment for output that should not come, so that the comparison sees it.
        thread::sleep(Duration::from_millis(300));
        let pid = self.child.id().to_string();
        let killed = Command::new("sh")
            .args(["-c", "kill -INT \"$1\"", "sh", &pid])
            .status()
            .map_err(|e| format!("cannot run kill: {e}"))?;
        if !killed.success() {
            return Err("kill -INT failed: did the follower end by itself?".into());
        }
        let deadline = Instant::now() + PATIENCE;
        while self.child.try_wait().map_err(|e| e.to_string())?.is_none() {
            if Instant::now() > deadline {
                return Err(format!("still running {PATIENCE:?} after Ctrl-C"));
            }
            thread::sleep(Duration::from_millis(20));
        }
        // The reader thread ends when the pipe closes.
        let mut out = std::mem::take(&mut self.out);
        out.extend(self.lines.iter());
        Ok(out)
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        // A failed example must not leave its follower running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stopped following after 1.49s: 3 entries shown` without its time, which varies.
fn without_time(line: &str) -> String {
    match (line.find(" after "), line.find(": ")) {
        (Some(at), Some(colon)) if line.starts_with("stopped following") && at < colon => {
            format!("{} after TIME{}", &line[..at], &line[colon..])
        }
        _ => line.to_string(),
    }
}

/// Runs a follow example (its shown output ends with a `^C` line: the terminal's echo of Ctrl-C,
/// then what agentcli says on stopping). A fixture is followed until the output shown before
/// Ctrl-C has come (the table's bottom line comes at Ctrl-C); a session written while followed
/// is written by its [`WRITTEN_WHILE_FOLLOWED`] script.
fn check_follow(dir: &Path, example: &Example, shown_lines: &[&str]) -> Result<(), String> {
    let (stopped, before) = shown_lines.split_last().expect("a ^C line");
    let script = WRITTEN_WHILE_FOLLOWED
        .iter()
        .find(|(needle, _)| example.command.contains(needle))
        .map(|(_, script)| *script);
    let traces = dir.join("traces");
    if script.is_some() {
        let _ = fs::remove_dir_all(&traces);
        fs::create_dir(&traces).map_err(|e| format!("cannot create traces/: {e}"))?;
    }
    let mut following = Following::start(dir, &example.command)?;
    match script {
        Some(script) => {
            let text = fs::read_to_string(dir.join("fixtures/req-17461590.trace.json"))
                .map_err(|e| e.to_string())?;
            let entries: Vec<&str> = text
                .trim_start_matches(['[', '\n'])
                .trim_end()
                .split("\n,\n")
                .collect();
            let file = traces.join("req-17461590.trace.json");
            for step in script {
                match *step {
                    Step::Write(from, to) => {
                        fs::write(&file, format!("[\n{}", entries[from..to].join("\n,\n")))
                    }
                    Step::Append(from, to) => fs::OpenOptions::new()
                        .append(true)
                        .open(&file)
                        .and_then(|mut f| {
                            std::io::Write::write_all(
                                &mut f,
                                format!("\n,\n{}", entries[from..to].join("\n,\n")).as_bytes(),
                            )
                        }),
                    Step::Until(text, n) => {
                        following.until(&format!("{n} lines with {text:?}"), |out| {
                            out.iter().filter(|l| l.contains(text)).count() >= n
                        })?;
                        Ok(())
                    }
                }
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            }
        }
        None => {
            let at_ctrl_c = before
                .iter()
                .rev()
                .take_while(|l| l.starts_with('└'))
                .count();
            let wanted = before.len() - at_ctrl_c;
            following.until(&format!("{wanted} lines"), |out| out.len() >= wanted)?;
        }
    }
    let out = following.interrupt()?;
    let actual: Vec<String> = out.iter().map(|l| without_time(l)).collect();
    let mut shown: Vec<String> = before.iter().map(|l| l.to_string()).collect();
    shown.push(without_time(stopped.trim_start_matches("^C")));
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    let actual_lines: Vec<&str> = actual.iter().map(String::as_str).collect();
    if matches(&shown, &actual_lines) {
        Ok(())
    } else {
        Err(differs(shown_lines, &out.join("\n")))
    }
}

/// What differs: the first line that does (before any `...`), then both outputs whole.
fn differs(shown: &[&str], printed: &str) -> String {
    let first = shown
        .iter()
        .take_while(|l| **l != "...")
        .zip(printed.lines().chain(std::iter::repeat("(nothing)")))
        .position(|(s, p)| s.trim_end() != p.trim_end())
        .map(|i| {
            format!(
                "line {} of the output: shown `{}`, printed `{}`\n",
                i + 1,
                shown[i],
                printed.lines().nth(i).unwrap_or("(nothing)")
            )
        })
        .unwrap_or_default();
    format!(
        "the output differs. {first}--- shown\n{}\n--- printed\n{printed}",
        shown.join("\n")
    )
}

/// Whether `actual` is what `shown` shows: line by line, trailing spaces aside, a shown `...`
/// line standing for any number of lines.
fn matches(shown: &[&str], actual: &[&str]) -> bool {
    match shown.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a.trim_end() == first.trim_end() && matches(rest, more)),
    }
}

/// Whether the JSON value `shown` (what a jq program printed from agentcli's output) is found in
/// `doc`: it matches `doc` or a value inside it.
fn found(doc: &serde_json::Value, shown: &serde_json::Value) -> bool {
    use serde_json::Value;
    json_matches(doc, shown)
        || match doc {
            Value::Array(items) => items.iter().any(|v| found(v, shown)),
            Value::Object(fields) => fields.values().any(|v| found(v, shown)),
            _ => false,
        }
}

/// Whether `value` matches `shown`: equal scalars (numbers as numbers), arrays of the same length
/// matching item by item, or an object having each shown field, under its name or (for a field
/// jq renamed, like `slowest: .events.slowest[0]`) anywhere inside it.
fn json_matches(value: &serde_json::Value, shown: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (value, shown) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_matches(x, y))
        }
        (Value::Object(a), Value::Object(b)) => b.iter().all(|(key, shown)| {
            a.get(key).is_some_and(|v| json_matches(v, shown)) || found(value, shown)
        }),
        (a, b) => a == b,
    }
}

/// Checks one example; `Ok(Some(text))` is the output to write in its place when updating.
fn check(dir: &Path, example: &Example, lines: &[&str]) -> Result<(), (String, Option<String>)> {
    let shown_lines = &lines[example.output.clone()];
    if shown_lines.last().is_some_and(|l| l.starts_with("^C")) {
        return check_follow(dir, example, shown_lines).map_err(|e| (e, None));
    }
    if let Some((program, _jq)) = example.command.split_once(" | jq ") {
        let out = run(dir, program, false).map_err(|e| (e, None))?;
        let doc: serde_json::Value = serde_json::from_str(&out)
            .map_err(|e| (format!("`{program}` does not print JSON: {e}"), None))?;
        let text = shown_lines.join("\n");
        for value in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
            let value = value.map_err(|e| (format!("the shown output is not JSON: {e}"), None))?;
            if !found(&doc, &value) {
                return Err((format!("not in the output of `{program}`: {value}"), None));
            }
        }
        return Ok(());
    }
    let out = run(dir, &example.command, true).map_err(|e| (e, None))?;
    let actual: Vec<&str> = out.trim_end_matches('\n').lines().collect();
    let actual_end = actual
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    if matches(shown_lines, &actual[..actual_end]) {
        return Ok(());
    }
    let replacement = (!shown_lines.contains(&"...")).then(|| actual[..actual_end].join("\n"));
    Err((differs(shown_lines, out.trim_end()), replacement))
}

#[test]
fn every_example_in_the_manual_prints_what_it_shows() {
    let dir = fixture_copy();
    let update = std::env::var_os("AGENTCLI_UPDATE_DOCS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut excused = HashSet::new();
    let mut ran = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read a page");
        let lines: Vec<&str> = text.lines().collect();
        let mut updates = Vec::new();
        for example in examples(&lines) {
            if let Some(i) = NOT_RUN
                .iter()
                .position(|(needle, _)| example.command.contains(needle))
            {
                excused.insert(i);
                continue;
            }
            ran += 1;
            if let Err((why, replacement)) = check(dir.path(), &example, &lines) {
                match replacement {
                    Some(new) if update => updates.push((example.output.clone(), new)),
                    _ => failures.push(format!(
                        "{}:{}: $ {}\n{why}",
                        shown(&page),
                        example.line + 1,
                        example.command
                    )),
                }
            }
        }
        if !updates.is_empty() {
            let mut new: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            for (range, output) in updates.into_iter().rev() {
                new.splice(range, output.lines().map(str::to_string));
            }
            fs::write(&page, new.join("\n") + "\n").expect("update a page");
        }
    }
    for (i, (needle, why)) in NOT_RUN.iter().enumerate() {
        if !excused.contains(&i) {
            failures.push(format!(
                "NOT_RUN excuses `{needle}` ({why}), but no example has it any more"
            ));
        }
    }
    assert!(
        ran >= 30,
        "only {ran} examples found: is the parser broken?"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} examples fail (AGENTCLI_UPDATE_DOCS=1 rewrites their output):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_readme_is_a_front_page() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
    assert!(
        readme.len() <= README_MAX_BYTES,
        "README.md is {} bytes, over {README_MAX_BYTES}: move the detail to docs/",
        readme.len()
    );
    // The two commands that work on a fresh clone come first.
    let head: String = readme.lines().take(12).collect::<Vec<_>>().join("\n");
    for command in [
        "cargo run --release -- trace req-17461590 --dir fixtures",
        "cargo test",
    ] {
        assert!(
            head.lines().any(|l| l.trim_start().starts_with(command)),
            "the README's first lines do not give `{command}`"
        );
    }
}

/// The GitHub anchors of a page's headings: lower case, punctuation but `-` and `_` dropped,
/// spaces as `-`, a repeated anchor numbered (`-1`, `-2`).
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let Some(title) = line
            .strip_prefix('#')
            .filter(|_| !fenced)
            .map(|t| t.trim_start_matches('#'))
            .and_then(|t| t.strip_prefix(' '))
        else {
            continue;
        };
        let base: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The targets of a page's Markdown links `[text](target)`, outside code, with their line.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans hold no links.
        let prose: String = line
            .split('`')
            .enumerate()
            .map(|(i, part)| if i % 2 == 0 { part } else { "" })
            .collect::<Vec<_>>()
            .join("`");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((n + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_that_exist() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).expect("read a page");
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = if file.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a page's directory").join(file)
            };
            let where_ = format!("{}:{line}: ({target})", shown(&page));
            if !file.exists() {
                broken.push(format!("{where_}: no file {}", file.display()));
                continue;
            }
            if anchor.is_empty() || file.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let target_text = fs::read_to_string(&file).expect("read a linked page");
            if !anchors(&target_text).contains(anchor) {
                broken.push(format!("{where_}: no heading #{anchor}"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_docs_index_links_every_page() {
    let index = fs::read_to_string(root().join("docs/README.md")).expect("docs/README.md");
    let linked: HashSet<String> = links(&index).into_iter().map(|(_, t)| t).collect();
    let missing: Vec<String> = pages()
        .iter()
        .skip(1)
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .filter(|name| {
            name != "README.md" && !linked.iter().any(|t| t.split('#').next() == Some(name))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/README.md does not link {missing:?}"
    );
}

/// The long options (`--name`) in a help text's option lines.
fn long_options(help: &str) -> Vec<String> {
    let mut options = Vec::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') || line.starts_with("- ") {
            continue;
        }
        for word in line.split_whitespace().take(2) {
            if let Some(name) = word.strip_prefix("--") {
                let name: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if !name.is_empty() && name != "help" && name != "version" {
                    options.push(format!("--{name}"));
                }
            }
        }
    }
    options
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agentcli"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .expect("agentcli --help runs");
    assert!(out.status.success(), "agentcli {args:?} --help fails");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

#[test]
fn every_command_has_a_page_and_every_option_is_in_the_manual() {
    let top = help(&[]);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 5, "no commands read from --help:\n{top}");
    let manual: String = pages()
        .iter()
        .map(|p| fs::read_to_string(p).expect("read a page"))
        .collect();
    let mut missing = Vec::new();
    for command in &commands {
        if !root().join("docs").join(format!("{command}.md")).exists() {
            missing.push(format!(
                "docs/{command}.md, the page of `agentcli {command}`"
            ));
        }
        for option in long_options(&help(&[command])) {
            if !manual.contains(&option) {
                missing.push(format!("`{option}` of `agentcli {command}`"));
            }
        }
    }
    for option in long_options(&top) {
        if !manual.contains(&option) {
            missing.push(format!("`{option}` of `agentcli`"));
        }
    }
    assert!(
        missing.is_empty(),
        "not in the manual (README.md, docs/*.md): {missing:#?}"
    );
}
