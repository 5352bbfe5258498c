//! The commands: each turns its clap arguments into typed options once, then runs on the
//! library and writes its data to `out` and its diagnostics to `err`.

pub mod analyze;
pub mod completions;
pub mod diff;
pub mod export;
pub mod list;
pub mod trace;
pub mod view;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, RedactArgs, TimeRange};
use crate::error::{Error, shown};
use crate::redact::Redactor;
use crate::render::Style;
use crate::report::Reporter;
use crate::session::{SUFFIXES, SessionFile, discover, resolve};
use crate::time::{DisplayZone, Timestamp, parse_time_bound};
use chrono::{DateTime, Local};
use std::io::Write;
use std::path::PathBuf;

/// Every session of the trace directory. Files that cannot be read are reported, and a
/// directory without sessions gets a note saying where agentcli looked and for what names.
pub(crate) fn all_sessions(
    ctx: &Context,
    report: &mut Reporter,
) -> Result<Vec<SessionFile>, Error> {
    let found = discover(&ctx.dir)?;
    for bad in &found.unreadable {
        report.unreadable(&bad.path, &bad.error);
    }
    if found.sessions.is_empty() {
        report.note(&format!(
            "no trace files in {} (looking for names ending in {}); \
             choose the directory with --dir or AGENTCLI_TRACE_DIR",
            shown(&ctx.dir),
            SUFFIXES.join(", ")
        ));
    }
    Ok(found.sessions)
}

/// The redactor the redaction flags ask for (off without them).
pub(crate) fn redactor(args: &RedactArgs) -> Result<Redactor, Error> {
    Redactor::from_flags(args.redact, &args.redact_keys, &args.redact_patterns).map_err(|e| {
        Error::Usage {
            what: format!(
                "--redact-pattern {}",
                crate::text::quote_for_message(&e.pattern)
            ),
            message: e.message,
        }
    })
}

/// The sessions a command is given: those `named` (ids, prefixes, paths, `latest`; each file
/// once, in the order named), or every session of the trace directory when none is.
pub(crate) fn sessions(
    named: &[String],
    ctx: &Context,
    report: &mut Reporter,
) -> Result<Vec<SessionFile>, Error> {
    if named.is_empty() {
        return all_sessions(ctx, report);
    }
    let mut sessions: Vec<SessionFile> = Vec::new();
    for arg in named {
        let s = resolve(arg, &ctx.dir)?;
        if !sessions.iter().any(|known| known.path == s.path) {
            sessions.push(s);
        }
    }
    Ok(sessions)
}

/// A report as one JSON document, indented, ending with a newline.
pub(crate) fn write_json_document(
    out: &mut dyn Write,
    document: &impl serde::Serialize,
) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    writeln!(out)?;
    Ok(())
}

/// `--since` and `--until`, parsed: the window `[since, until)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl TimeWindow {
    /// Whether neither bound is given: the window holds every time.
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether `t` is in the window (at or after `since`, before `until`).
    pub fn contains(&self, t: Timestamp) -> bool {
        self.since.is_none_or(|since| t >= since) && self.until.is_none_or(|until| t < until)
    }

    /// Keeps the sessions that started in the window (those whose start is unknown are not
    /// kept, unless the window is unbounded), and notes on stderr when none of them did.
    pub(crate) fn keep_started<T>(
        &self,
        sessions: &mut Vec<T>,
        started: impl Fn(&T) -> Option<Timestamp>,
        ctx: &Context,
        report: &mut Reporter,
    ) {
        if self.is_unbounded() {
            return;
        }
        let total = sessions.len();
        sessions.retain(|s| started(s).is_some_and(|t| self.contains(t)));
        if sessions.is_empty() && total > 0 {
            report.note(&format!(
                "none of the {total} sessions in {} started in the time range given",
                shown(&ctx.dir)
            ));
        }
    }
}

/// Table width when the output is not a terminal and `--width` is not given.
pub const DEFAULT_WIDTH: usize = 120;

/// Settings decided once, in `main`, and passed down as plain values.
#[derive(Debug, Clone)]
pub struct Context {
    /// The trace directory.
    pub dir: PathBuf,
    /// Stdout is a terminal: data formats that cannot escape text themselves (CSV) make what
    /// could drive it visible.
    pub terminal: bool,
    /// How terminal output looks: width (--width, else the terminal's, else
    /// [`DEFAULT_WIDTH`]), colour (--color, NO_COLOR, TERM and whether stdout is a terminal),
    /// zone (--utc, --local) and ASCII (the locale).
    pub style: Style,
    /// "Now", for relative times (`--since 2h`).
    pub now: DateTime<Local>,
}

/// What the terminal (if stdout is one) and the environment say, as `main` finds them.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// Stdout is a terminal.
    pub terminal: bool,
    /// Stdout's terminal width, when stdout is a terminal.
    pub terminal_width: Option<usize>,
    pub no_color: bool,
    pub dumb_terminal: bool,
    /// The locale's character set is not UTF-8 (see [`locale_is_ascii`]).
    pub ascii_locale: bool,
}

/// Whether the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`) names a character set other
/// than UTF-8 (`C`, `POSIX`, `en_US.ISO-8859-1`): then only ASCII is safe to draw with. No
/// locale at all counts as UTF-8, as nearly every terminal is.
pub fn locale_is_ascii(var: impl Fn(&str) -> Option<String>) -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .into_iter()
        .find_map(|name| var(name).filter(|value| !value.is_empty()));
    locale.is_some_and(|locale| {
        let locale = locale.to_ascii_lowercase();
        !(locale.contains("utf-8") || locale.contains("utf8"))
    })
}

impl Context {
    pub fn new(global: &GlobalArgs, env: &Environment) -> Context {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                env.terminal_width.is_some() && !env.no_color && !env.dumb_terminal
            }
        };
        let zone = if global.utc {
            DisplayZone::Utc
        } else if global.local {
            DisplayZone::Local
        } else {
            DisplayZone::Written
        };
        Context {
            dir: global.dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            terminal: env.terminal,
            style: Style {
                width: global
                    .width
                    .map(usize::from)
                    .or(env.terminal_width)
                    .unwrap_or(DEFAULT_WIDTH),
                color,
                zone,
                ascii: env.ascii_locale,
            },
            now: Local::now(),
        }
    }
}

impl Context {
    /// `--since` and `--until`, relative to now: the one place they are parsed.
    pub fn time_window(&self, range: &TimeRange) -> Result<TimeWindow, Error> {
        let bound = |flag: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| parse_time_bound(v, self.now))
                .transpose()
                .map_err(|message| Error::Usage {
                    what: flag.to_owned(),
                    message,
                })
        };
        Ok(TimeWindow {
            since: bound("--since", &range.since)?,
            until: bound("--until", &range.until)?,
        })
    }
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Some input was skipped as malformed (and reported).
    InputSkipped,
    /// A `diff --fail-on` condition holds (whether or not input was skipped).
    ConditionHeld,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::InputSkipped => 1,
            Outcome::ConditionHeld => 3,
        }
    }
}

/// Runs the command the user asked for.
pub fn run(
    cli: &Cli,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut report = Reporter::new(err);
    let mut held = false;
    match &cli.command {
        Command::List(args) => list::run(args, ctx, out, &mut report)?,
        Command::Trace(args) => trace::run(args, ctx, out, &mut report)?,
        Command::Analyze(args) => analyze::run(args, ctx, out, &mut report)?,
        Command::Diff(args) => held = diff::run(args, ctx, out, &mut report)?,
        Command::Export(args) => export::run(args, ctx, out, &mut report)?,
        Command::View(args) => view::run(args, ctx, out, &mut report)?,
        Command::Completions { shell } => completions::run(*shell, out)?,
    }
    report.finish();
    Ok(if held {
        Outcome::ConditionHeld
    } else if report.had_problems() {
        Outcome::InputSkipped
    } else {
        Outcome::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_locale_that_names_another_charset_means_ascii() {
        let locale = |vars: &'static [(&'static str, &'static str)]| {
            locale_is_ascii(|name| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            })
        };
        assert!(!locale(&[]));
        assert!(!locale(&[("LANG", "en_US.UTF-8")]));
        assert!(!locale(&[("LANG", "C.utf8")]));
        assert!(locale(&[("LANG", "C")]));
        assert!(locale(&[("LC_ALL", "POSIX"), ("LANG", "en_US.UTF-8")]));
        assert!(!locale(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.UTF-8"),
            ("LANG", "C")
        ]));
        assert!(locale(&[("LANG", "en_US.ISO-8859-1")]));
    }
}
