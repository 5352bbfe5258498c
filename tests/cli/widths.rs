//! Every terminal view fits the width asked (40, 80 and 200 columns) without breaking a token:
//! no line is wider than asked, and every session id, agent name and session duration of the
//! input appears whole somewhere in the output (issue 15).

use crate::common::{Workdir, json_of, stdout_of};
use std::collections::{BTreeMap, BTreeSet};
use unicode_width::UnicodeWidthStr;

/// The fixtures: the samples and the flow shapes (retries, requeues, an error branch,
/// interleaved requests, an unclosed file). `flow-hostile` is left out: its names are escape
/// sequences, shown escaped, so they never appear as written.
const FIXTURES: [&str; 11] = [
    "req-17461590.trace.json",
    "req-17461591.trace.json",
    "req-17461592.trace.json",
    "req-20000001.trace.json",
    "req-30000001.trace.json",
    "flow/req-17461596.trace.json",
    "flow/flow-error-branch.trace.json",
    "flow/flow-interleaved.trace.json",
    "flow/flow-requeue.trace.json",
    "flow/flow-retry.trace.json",
    "flow/flow-unclosed.trace.json",
];

const WIDTHS: [usize; 3] = [40, 80, 200];

/// What the input holds, per session: its agents and its duration as tables show it.
struct Input {
    agents: BTreeMap<String, BTreeSet<String>>,
    durations: BTreeMap<String, String>,
}

impl Input {
    /// The sessions and their agents from `list --format json`; the durations from the
    /// DURATION column of `list -v` at a width where nothing gives way.
    fn read(w: &Workdir) -> Input {
        let json = json_of(w.run(&["list", "-v", "--format", "json"]));
        let mut agents = BTreeMap::new();
        for session in json.as_array().expect("a list") {
            let names = session["agents"]
                .as_array()
                .expect("agents")
                .iter()
                .map(|a| a.as_str().expect("a name").to_owned())
                .collect();
            agents.insert(
                session["session"].as_str().expect("an id").to_owned(),
                names,
            );
        }
        let table = stdout_of(w.run(&["list", "-v", "--width", "400"]));
        let cells = |line: &str| -> Vec<String> {
            line.split('│').map(|c| c.trim().to_owned()).collect()
        };
        let header = cells(table.lines().nth(1).expect("a header"));
        let column = |name: &str| header.iter().position(|c| c == name).expect(name);
        let (id, duration) = (column("SESSION"), column("DURATION"));
        let durations: BTreeMap<String, String> = table
            .lines()
            .skip(3)
            .map(cells)
            .filter(|row| row.len() == header.len())
            .map(|row| (row[id].clone(), row[duration].clone()))
            .collect();
        assert_eq!(durations.len(), FIXTURES.len(), "{table}");
        Input { agents, durations }
    }

    fn ids(&self) -> Vec<String> {
        self.agents.keys().cloned().collect()
    }

    fn all_agents(&self) -> Vec<String> {
        let all: BTreeSet<&String> = self.agents.values().flatten().collect();
        all.into_iter().cloned().collect()
    }

    /// Every session id, agent name and session duration: what a view of all sessions shows.
    fn everything(&self) -> Vec<String> {
        let mut tokens = self.ids();
        tokens.extend(self.all_agents());
        tokens.extend(self.durations.values().cloned());
        tokens
    }
}

/// Runs `args` at each width and checks the output: no line wider than the width, and each of
/// `tokens` whole somewhere in it.
fn check(w: &Workdir, args: &[&str], tokens: &[String]) {
    for width in WIDTHS {
        let width_arg = width.to_string();
        let mut full = args.to_vec();
        full.extend(["--width", &width_arg, "--color", "never"]);
        let out = stdout_of(w.run(&full));
        assert!(!out.is_empty(), "{full:?}: no output");
        for line in out.lines() {
            assert!(
                line.width() <= width,
                "{full:?}: a line {} columns wide:\n{line}\n\n{out}",
                line.width()
            );
        }
        for token in tokens {
            let whole = out.lines().any(|line| {
                line.match_indices(token.as_str()).any(|(at, _)| {
                    let before = line[..at].chars().next_back();
                    let after = line[at + token.len()..].chars().next();
                    let part = |c: Option<char>| {
                        c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
                    };
                    !part(before) && !part(after)
                })
            });
            assert!(whole, "{full:?}: `{token}` is not whole in:\n{out}");
        }
    }
}

#[test]
fn list_views_fit_every_width() {
    let w = Workdir::with(&FIXTURES);
    let input = Input::read(&w);
    check(&w, &["list"], &input.ids());
    check(&w, &["list", "-v"], &input.everything());
    // Columns asked for (issue 19): the samples' `tokens`, and a path none reports.
    let metrics = ["--metric", "tokens", "--metric", "usage.total_tokens"];
    check(
        &w,
        &[&["list", "-v"][..], &metrics].concat(),
        &input.everything(),
    );
}

#[test]
fn trace_views_fit_every_width() {
    let w = Workdir::with(&FIXTURES);
    let input = Input::read(&w);
    for (id, agents) in &input.agents {
        let mut tokens = vec![id.clone()];
        tokens.extend(agents.iter().cloned());
        for view in [
            &[][..],
            &["--verbose"],
            &["--flow-only"],
            &["--flow-only", "-v"],
        ] {
            let mut args = vec!["trace", id.as_str()];
            args.extend(view);
            check(&w, &args, &tokens);
        }
        tokens.push(input.durations[id].clone());
        check(&w, &["trace", id, "--analyze"], &tokens);
    }
}

#[test]
fn analyze_views_fit_every_width() {
    let w = Workdir::with(&FIXTURES);
    let input = Input::read(&w);
    check(&w, &["analyze"], &input.all_agents());
    check(&w, &["analyze", "--by-session"], &input.everything());
}

#[test]
fn diff_fits_every_width() {
    let w = Workdir::with(&FIXTURES);
    let input = Input::read(&w);
    let ids = input.ids();
    for pair in ids.windows(2) {
        let mut tokens = pair.to_vec();
        for id in pair {
            tokens.extend(input.agents[id].iter().cloned());
        }
        check(&w, &["diff", &pair[0], &pair[1]], &tokens);
    }
}
