//! `agentcli trace <session>`: one session's entries, read as a stream and shown in the view
//! asked for (the timeline table by default, `--verbose`, `--debug`, `--analyze`), filtered
//! and redacted; its agent flow (`--flow-only`, `--format mermaid|dot`); or its entries as data
//! (`--format json|jsonl|csv|otlp`). The views that show entries one by one also follow a
//! session as it is written (`--follow`).

use super::{Context, analyze};
use crate::analysis::flow::FlowBuilder;
use crate::cli::{AnalysisFormat, TraceArgs, TraceFormat};
use crate::error::{self, Error};
use crate::export::{ExportFormat, Exporter};
use crate::filter::{Condition, Filter};
use crate::follow::{self, Ended, Follower, Plan, Restart, Stopper, Target, Update, Watching};
use crate::model::TraceEntry;
use crate::read::{EntryView, LastEntries, Parse, ReadSummary, TraceReader};
use crate::redact::Redactor;
use crate::render::Style;
use crate::render::debug::DebugView;
use crate::render::dot::write_digraph;
use crate::render::flow::{LiveFlowView, write_flow};
use crate::render::mermaid::write_sequence_diagram;
use crate::render::table::TimelineView;
use crate::render::verbose::VerboseView;
use crate::report::Reporter;
use crate::session::{self, SessionFile};
use crate::text;
use crate::units;
use anyhow::Context as _;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How the session is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// A view that shows entries as they are read (and can follow a growing file).
    Entries(EntryViewKind),
    /// The performance analysis (`--analyze`).
    Analyze,
    /// The agent flow (`--flow-only`); `verbose`: whole event ids and errors.
    Flow { verbose: bool },
    /// The agent flow as a Mermaid sequence diagram (`--format mermaid`).
    Mermaid,
    /// The agent flow as a Graphviz digraph (`--format dot`).
    Dot,
}

/// The views that show entries one by one, as they are read ([`EntryView`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryViewKind {
    /// The timeline table: one row per entry.
    Table,
    /// Every entry in full (`--verbose`).
    Verbose,
    /// Each entry's JSON as read, and the reader's diagnostics (`--debug`).
    Debug,
    /// The entries normalised, as data (`--format json|jsonl|csv|otlp`).
    Export(ExportFormat),
    /// The agent flow hop by hop, as the session is written (`--follow --flow-only`).
    LiveFlow { verbose: bool },
}

/// Where the entries come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A session file, read to its end.
    File(SessionFile),
    /// A session read as it is written (`--follow`, `--follow-new`).
    Follow(Plan),
}

/// `trace`'s options, validated.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    pub source: Source,
    pub view: View,
    pub filter: Filter,
    pub redactor: Redactor,
    /// Show only the last N of the entries the filter selects (when following: of those
    /// already written).
    pub tail: Option<u64>,
    /// How many slowest events and longest gaps `--analyze` shows.
    pub top: usize,
    /// The metrics `--analyze` reads.
    pub metrics: crate::analysis::MetricOptions,
    /// The `--analyze` report's format.
    pub format: AnalysisFormat,
    /// Draw with ASCII only (`--ascii`, or a locale that is not UTF-8).
    pub ascii: bool,
}

impl TraceOptions {
    /// Checks the arguments once: the filter parses, the options go together, and the session
    /// exists (or, when following, is one that can be waited for).
    pub fn from_args(args: &TraceArgs, ctx: &Context) -> Result<TraceOptions, Error> {
        let filter = Filter::parse_all(&args.filter.filters, ctx.now)?;
        let redactor = super::redactor(&args.redact)?;
        let picture = matches!(args.format, TraceFormat::Mermaid | TraceFormat::Dot);
        if picture && args.analyze {
            return Err(usage(
                "--format",
                "mermaid and dot draw the agent flow; the --analyze report is a table or json",
            ));
        }
        if picture && args.debug {
            return Err(usage(
                "--debug",
                "it shows entries, and --format mermaid and dot draw the agent flow; use one \
                 or the other",
            ));
        }
        if args.csv_safe && args.format != TraceFormat::Csv {
            return Err(usage("--csv-safe", "it only applies to --format csv"));
        }
        let export = match args.format {
            TraceFormat::Json => Some(ExportFormat::Json),
            TraceFormat::Jsonl => Some(ExportFormat::JsonLines),
            TraceFormat::Csv => Some(ExportFormat::Csv {
                formula_safe: args.csv_safe,
            }),
            TraceFormat::Otlp => Some(ExportFormat::Otlp),
            TraceFormat::Table | TraceFormat::Mermaid | TraceFormat::Dot => None,
        };
        if args.analyze && export.is_some() && args.format != TraceFormat::Json {
            return Err(usage("--format", "the --analyze report is a table or json"));
        }
        if export.is_some() && !args.analyze && (args.verbose || args.debug || args.flow_only) {
            return Err(usage(
                "--format",
                "--verbose, --debug and --flow-only are views of their own; an export always \
                 holds every field of every entry",
            ));
        }
        let view = match (args.format, export) {
            _ if args.analyze => View::Analyze,
            (_, Some(format)) => View::Entries(EntryViewKind::Export(format)),
            (TraceFormat::Mermaid, _) => View::Mermaid,
            (TraceFormat::Dot, _) => View::Dot,
            _ if args.flow_only => View::Flow {
                verbose: args.verbose,
            },
            _ if args.debug => View::Entries(EntryViewKind::Debug),
            _ if args.verbose => View::Entries(EntryViewKind::Verbose),
            _ => View::Entries(EntryViewKind::Table),
        };
        let follow = args.follow || args.follow_new;
        let view = match view {
            View::Flow { verbose } if follow => View::Entries(EntryViewKind::LiveFlow { verbose }),
            view => view,
        };
        if args.flow_only && args.tail.is_some() {
            return Err(usage(
                "--tail",
                "the agent flow follows the routing through every entry; use --filter to \
                 choose runs",
            ));
        }
        let document = matches!(export, Some(ExportFormat::Json | ExportFormat::Otlp));
        if follow && document && !args.analyze {
            return Err(usage(
                "--follow",
                "--format json and otlp write one document when the session is read; follow \
                 with --format jsonl or csv, which write each entry as it comes",
            ));
        }
        // The other views read the whole session before they show anything.
        let refused = if follow {
            Some(("--follow", "it shows entries as they are written"))
        } else if args.tail.is_some() {
            Some(("--tail", "it chooses the entries shown"))
        } else {
            None
        };
        if let (false, Some((flag, what))) = (matches!(view, View::Entries(_)), refused) {
            return Err(usage(
                flag,
                &format!(
                    "{what}, and --analyze and --format mermaid|dot read the whole session: \
                     use them without {flag}"
                ),
            ));
        }
        let session = args.session.as_deref().unwrap_or("latest");
        let source = if follow {
            let watching = if args.poll {
                Watching::Poll
            } else {
                Watching::Notify
            };
            Source::Follow(Plan::new(session, &ctx.dir, args.follow_new, watching)?)
        } else {
            Source::File(session::resolve(session, &ctx.dir)?)
        };
        Ok(TraceOptions {
            source,
            view,
            filter,
            redactor,
            tail: args.tail,
            top: args.top,
            metrics: args.metric.options(),
            format: if args.format == TraceFormat::Json {
                AnalysisFormat::Json
            } else {
                AnalysisFormat::Table
            },
            ascii: args.ascii,
        })
    }
}

pub fn run(
    args: &TraceArgs,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let opts = TraceOptions::from_args(args, ctx)?;
    let style = ctx.style.with_ascii(opts.ascii);
    match (&opts.source, opts.view) {
        (Source::Follow(plan), View::Entries(kind)) => follow(&opts, plan, kind, ctx, out, report),
        (Source::File(session), View::Entries(kind)) => {
            show(&opts, session, kind, ctx, out, report)
        }
        (Source::File(session), View::Analyze) => {
            let analysis = analyze::SessionOptions {
                top: opts.top,
                format: opts.format,
                filter: (!opts.filter.is_empty()).then(|| opts.filter.to_string()),
                metrics: opts.metrics.clone(),
                redactor: opts.redactor.clone(),
            };
            let select = |e: &TraceEntry<'_>| opts.filter.matches(e);
            analyze::session(session, &analysis, select, ctx, out, report)
        }
        (Source::File(session), View::Flow { .. } | View::Mermaid | View::Dot) => {
            run_flow(&opts, session, style, out, report)
        }
        // Refused by `from_args`: these views read the whole session.
        (Source::Follow(_), _) => {
            Err(usage("--follow", "the view asked for reads the whole session").into())
        }
    }
}

fn usage(what: &str, message: &str) -> Error {
    Error::Usage {
        what: what.to_owned(),
        message: message.to_owned(),
    }
}

/// An entry view, writing to `out`.
fn open_view<'v>(
    kind: EntryViewKind,
    opts: &'v TraceOptions,
    session: &SessionFile,
    ctx: &Context,
    out: &'v mut dyn Write,
) -> Box<dyn EntryView + 'v> {
    let id = &session.id;
    let style = ctx.style.with_ascii(opts.ascii);
    match kind {
        EntryViewKind::Table => Box::new(TimelineView::new(out, id, style)),
        EntryViewKind::Verbose => Box::new(VerboseView::new(out, id, style)),
        EntryViewKind::Debug => Box::new(DebugView::new(out, session)),
        EntryViewKind::LiveFlow { verbose } => Box::new(LiveFlowView::new(out, id, style, verbose)),
        EntryViewKind::Export(format) => {
            Box::new(Exporter::new(format, id, ctx.style.zone, ctx.terminal, out))
        }
    }
}

/// The session file read to its end.
fn show(
    opts: &TraceOptions,
    session: &SessionFile,
    kind: EntryViewKind,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let mut view = open_view(kind, opts, session, ctx, out);
    let path = &session.path;
    let mut reader = TraceReader::open(path)
        .map_err(|e| Error::read(path, e))?
        .with_redactor(opts.redactor.clone());
    let mut unmatched = Unmatched::default();
    let mut last = opts.tail.map(LastEntries::new);
    let mut shown = 0u64;
    let summary = reader.read_to_end(|item| {
        match item {
            Ok(read) if opts.filter.matches(&read.entry) => {
                shown += 1;
                match &mut last {
                    Some(last) => last.push(&read),
                    None => view.entry(&read)?,
                }
            }
            Ok(read) => {
                if shown == 0 {
                    unmatched.remember(&read.entry);
                }
                if last.is_none() {
                    view.filtered_out(&read)?;
                }
            }
            Err(problem) => {
                report.problem(&problem);
                view.problem(&problem)?;
            }
        }
        Ok::<_, io::Error>(())
    })?;
    if let Some(last) = &mut last {
        last.drain(|read| view.entry(read))?;
    }
    view.finish(&summary)?;
    if shown == 0 {
        report.note(&nothing_shown(opts, session, &summary, &unmatched));
    }
    Ok(())
}

/// `--follow`: the session's entries as they are written, session after session with
/// `--follow-new`, until Ctrl-C; then a summary on stderr.
fn follow(
    opts: &TraceOptions,
    plan: &Plan,
    kind: EntryViewKind,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut follower = Follower::new(plan.clone())?.with_redactor(opts.redactor.clone());
    let mut monitor = plan.monitor();
    if let Some(why) = monitor.unavailable() {
        report.note(&format!(
            "file-system notifications are unavailable ({why}): looking for changes every {} ms",
            follow::POLL_INTERVAL.as_millis()
        ));
    }
    catch_interrupt(monitor.stopper())?;
    let mut tail = opts.tail.map(LastEntries::new);
    let (mut shown, mut sessions) = (0u64, 0u64);
    loop {
        let mut on_wait = |plan: &Plan| report.note(&waiting(plan, &ctx.dir));
        let Some(session) = follower.next_session(&mut monitor, &mut on_wait)? else {
            break;
        };
        if sessions > 0 {
            out.flush()?;
            report.note(&format!(
                "following newer session {} ({})",
                text::escape(&session.id, false),
                plan.shown(&session.path)
            ));
        }
        sessions += 1;
        let mut view = open_view(kind, opts, &session, ctx, &mut *out);
        let mut live = Live {
            plan,
            view: &mut *view,
            filter: &opts.filter,
            tail: tail.take(),
            shown: 0,
        };
        let ended = follower.follow(&mut monitor, &mut |update| live.update(update, report))?;
        shown += live.shown;
        if let Some(summary) = follower.summary() {
            view.finish(&summary)?;
        }
        if ended != Ended::Newer {
            break;
        }
    }
    out.flush()?;
    let elapsed = units::duration_ms(started.elapsed().as_secs_f64() * 1000.0);
    let entries = if shown == 1 { "entry" } else { "entries" };
    let from = if sessions > 1 {
        format!(" from {sessions} sessions")
    } else {
        String::new()
    };
    report.note(&format!(
        "stopped following after {elapsed}: {shown} {entries} shown{from}"
    ));
    Ok(())
}

/// Ctrl-C (or SIGTERM, SIGHUP) stops the follower, which completes the output and says what
/// it showed; a second Ctrl-C ends the process at once (when stdout is blocked, say).
fn catch_interrupt(stopper: Stopper) -> anyhow::Result<()> {
    let stopping = AtomicBool::new(false);
    ctrlc::set_handler(move || {
        if stopping.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        stopper.stop();
    })
    .context("cannot catch Ctrl-C to stop following")
}

/// A followed session's updates on their way to the view: entries filtered, the last N of
/// those already written held back for `--tail`, changes to the file said on stderr.
struct Live<'a> {
    plan: &'a Plan,
    view: &'a mut dyn EntryView,
    filter: &'a Filter,
    /// The entries already written, while they are being read, with `--tail`.
    tail: Option<LastEntries>,
    shown: u64,
}

impl Live<'_> {
    fn update(&mut self, update: Update<'_>, report: &mut Reporter) -> io::Result<ControlFlow<()>> {
        match update {
            Update::Entry(read) if self.filter.matches(&read.entry) => match &mut self.tail {
                Some(tail) => tail.push(read),
                None => {
                    self.shown += 1;
                    self.view.entry(read)?;
                }
            },
            Update::Entry(read) => {
                if self.tail.is_none() {
                    self.view.filtered_out(read)?;
                }
            }
            Update::Problem(problem) => {
                report.problem(problem);
                self.view.problem(problem)?;
            }
            Update::CaughtUp => {
                if let Some(mut tail) = self.tail.take() {
                    tail.drain(|read| {
                        self.shown += 1;
                        self.view.entry(read)
                    })?;
                }
                self.view.caught_up()?;
            }
            Update::Restarted { path, cause } => {
                // What was shown before is on screen before the notice.
                self.view.caught_up()?;
                let path = self.plan.shown(path);
                report.note(&match cause {
                    Restart::Truncated => format!(
                        "{path} was truncated or rewritten (a new run?): reading it again from the start"
                    ),
                    Restart::Replaced => {
                        format!("{path} was replaced: reading the new file from the start")
                    }
                    Restart::Recreated => {
                        format!("{path} was written again: reading it from the start")
                    }
                });
            }
            Update::Deleted { path } => {
                self.view.caught_up()?;
                report.note(&format!(
                    "{} was deleted: waiting for it to be written again",
                    self.plan.shown(path)
                ));
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// The notice for a session that has no file yet.
fn waiting(plan: &Plan, dir: &Path) -> String {
    let mut note = match &plan.target {
        Target::Latest => format!("no sessions in {} yet: waiting for one", error::shown(dir)),
        Target::Session { paths, .. } if paths.len() == 1 => format!(
            "{} does not exist yet: waiting for it",
            plan.shown(&paths[0])
        ),
        Target::Session { id, .. } => format!(
            "no session '{}' in {} yet: waiting for it",
            text::escape(id, false),
            error::shown(dir)
        ),
    };
    if !plan.suggestions.is_empty() {
        let like: Vec<_> = plan
            .suggestions
            .iter()
            .map(|id| text::escape(id, false))
            .collect();
        note.push_str(&format!(" (did you mean {}?)", like.join(", ")));
    }
    note.push_str("; Ctrl-C to stop");
    note
}

/// The agent flow views: every entry is read to follow the routing; the filter chooses the
/// hops shown. The flow is drawn once the whole file is read (the sequence and the pictures
/// need every hop), from the hops alone: see `analysis::flow` for what that costs.
fn run_flow(
    opts: &TraceOptions,
    session: &SessionFile,
    style: Style,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let path = &session.path;
    // The flow and the filter need no state data: it is skipped unread.
    let mut reader = TraceReader::open(path)
        .map_err(|e| Error::read(path, e))?
        .with_parse(Parse::Light)
        .with_redactor(opts.redactor.clone());
    let mut builder = FlowBuilder::new();
    let mut unmatched = Unmatched::default();
    let mut shown = 0u64;
    let Ok(summary) = reader.read_to_end(|item| {
        match item {
            Ok(read) => {
                let keep = opts.filter.matches(&read.entry);
                if keep {
                    shown += 1;
                } else if shown == 0 {
                    unmatched.remember(&read.entry);
                }
                builder.push(&read.entry, keep);
            }
            Err(problem) => report.problem(&problem),
        }
        Ok::<_, Infallible>(())
    });
    let flow = builder.finish();
    let id = &session.id;
    match opts.view {
        View::Mermaid => write_sequence_diagram(out, id, &flow)?,
        View::Dot => write_digraph(out, id, &flow)?,
        View::Flow { verbose } if !flow.is_empty() => {
            write_flow(out, id, &flow, &style, verbose)?;
        }
        _ => {}
    }
    if shown == 0 {
        report.note(&nothing_shown(opts, session, &summary, &unmatched));
    } else if flow.is_empty() {
        report.note(&no_runs(opts, session));
    }
    Ok(())
}

/// The note for a flow with no hops although entries were read: no run finished or began.
fn no_runs(opts: &TraceOptions, session: &SessionFile) -> String {
    let id = text::escape(&session.id, false);
    if opts.filter.is_empty() {
        format!("no agent runs in session {id}")
    } else {
        format!(
            "no agent runs for {} in session {id} (a run is read from its AfterAgentRun or \
             AgentError entry)",
            opts.filter
        )
    }
}

/// What the entries left out by the filter held, to help a user whose filter matched nothing.
#[derive(Debug, Default)]
struct Unmatched {
    agents: BTreeSet<String>,
    hooks: BTreeSet<String>,
}

impl Unmatched {
    /// Distinct names kept, at most: enough to list, bounded whatever the file.
    const LIMIT: usize = 1000;

    fn remember(&mut self, e: &TraceEntry<'_>) {
        let agent = e.agent();
        if !agent.is_empty() && self.agents.len() < Self::LIMIT && !self.agents.contains(agent) {
            self.agents.insert(agent.to_owned());
        }
        let hook = e.hook.as_str();
        if self.hooks.len() < Self::LIMIT && !self.hooks.contains(hook) {
            self.hooks.insert(hook.to_owned());
        }
    }
}

/// The note for a run that showed nothing: why, and what there is instead.
fn nothing_shown(
    opts: &TraceOptions,
    session: &SessionFile,
    summary: &ReadSummary,
    unmatched: &Unmatched,
) -> String {
    let id = text::escape(&session.id, false);
    if summary.entries == 0 {
        let why = if summary.skipped > 0 {
            format!("; {} skipped as damaged", summary.skipped)
        } else if summary.tail.is_some() {
            "; the first is still being written".to_owned()
        } else {
            String::new()
        };
        return format!("no entries in session {id}{why}");
    }
    let mut note = format!("no entries for {} in session {id}", opts.filter);
    note.push_str(&format!("; agents here: {}", listed(&unmatched.agents)));
    let about_hooks = opts
        .filter
        .conditions()
        .iter()
        .any(|c| matches!(c.unnegated(), Condition::Hook(_)));
    if about_hooks {
        note.push_str(&format!("; hooks here: {}", listed(&unmatched.hooks)));
    }
    note
}

/// Names for a message: the first few, and how many more; `none` when there are none.
fn listed(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    error::listed(names.iter().map(String::as_str), 12)
}
