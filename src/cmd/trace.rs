//! `agentcli trace <session>`: one session's entries, read as a stream and shown in the view
//! asked for (the timeline table by default, `--verbose`, `--debug`, `--analyze`), filtered
//! and redacted; its agent flow (`--flow-only`, `--format mermaid|dot`); or its entries as data
//! (`--format json|jsonl|csv|otlp`).

use super::{Context, analyze};
use crate::analysis::flow::FlowBuilder;
use crate::cli::{AnalysisFormat, TraceArgs, TraceFormat};
use crate::error::Error;
use crate::export::Exporter;
use crate::filter::{Condition, Filter};
use crate::model::TraceEntry;
use crate::read::{ReadSummary, TraceReader};
use crate::redact::Redactor;
use crate::render::debug::DebugView;
use crate::render::dot::write_digraph;
use crate::render::flow::{FlowStyle, write_flow};
use crate::render::mermaid::write_sequence_diagram;
use crate::render::table::TimelineView;
use crate::render::verbose::VerboseView;
use crate::render::{EntryView, ExportFormat, Settings};
use crate::report::Reporter;
use crate::session::{self, SessionFile};
use crate::text;
use std::collections::BTreeSet;
use std::io::Write;

/// How the session is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The timeline table: one row per entry.
    Table,
    /// Every entry in full (`--verbose`).
    Verbose,
    /// Each entry's JSON as read, and the reader's diagnostics (`--debug`).
    Debug,
    /// The performance analysis (`--analyze`).
    Analyze,
    /// The agent flow (`--flow-only`); `verbose`: whole event ids and errors.
    Flow { verbose: bool },
    /// The agent flow as a Mermaid sequence diagram (`--format mermaid`).
    Mermaid,
    /// The agent flow as a Graphviz digraph (`--format dot`).
    Dot,
    /// The entries normalised, as data (`--format json|jsonl|csv|otlp`).
    Export(ExportFormat),
}

/// `trace`'s options, validated.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    pub session: SessionFile,
    pub view: View,
    pub filter: Filter,
    pub redactor: Redactor,
    /// How many slowest events and longest gaps `--analyze` shows.
    pub top: usize,
    /// The `--analyze` report's format.
    pub format: AnalysisFormat,
    /// Draw with ASCII only (`--ascii`, or a locale that is not UTF-8).
    pub ascii: bool,
}

impl TraceOptions {
    /// Checks the arguments once: the filter parses, the options go together, and the session
    /// exists.
    pub fn from_args(args: &TraceArgs, ctx: &Context) -> Result<TraceOptions, Error> {
        let filter = Filter::parse_all(&args.filters, ctx.now)?;
        let redactor = Redactor::from_flags(args.redact, &args.redact_keys);
        let usage = |what: &str, message: &str| Error::Usage {
            what: what.to_owned(),
            message: message.to_owned(),
        };
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
            (_, Some(format)) => View::Export(format),
            (TraceFormat::Mermaid, _) => View::Mermaid,
            (TraceFormat::Dot, _) => View::Dot,
            _ if args.flow_only => View::Flow {
                verbose: args.verbose,
            },
            _ if args.debug => View::Debug,
            _ if args.verbose => View::Verbose,
            _ => View::Table,
        };
        Ok(TraceOptions {
            session: session::resolve(&args.session, &ctx.dir)?,
            view,
            filter,
            redactor,
            top: args.top,
            format: if args.format == TraceFormat::Json {
                AnalysisFormat::Json
            } else {
                AnalysisFormat::Table
            },
            ascii: args.ascii || ctx.ascii,
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
    let settings = Settings {
        width: ctx.width,
        color: ctx.color,
        zone: ctx.zone,
    };
    let id = &opts.session.id;
    let mut view: Box<dyn EntryView> = match opts.view {
        View::Table => Box::new(TimelineView::new(out, id, settings, &opts.redactor)),
        View::Verbose => Box::new(VerboseView::new(out, id, settings, &opts.redactor)),
        View::Debug => Box::new(DebugView::new(out, &opts.session, &opts.redactor)),
        View::Analyze => {
            let analysis = analyze::SessionOptions {
                top: opts.top,
                format: opts.format,
                filter: (!opts.filter.is_empty()).then(|| opts.filter.to_string()),
            };
            let select = |e: &TraceEntry<'_>| opts.filter.matches(e);
            return analyze::session(&opts.session, &analysis, select, ctx, out, report);
        }
        View::Flow { .. } | View::Mermaid | View::Dot => {
            return run_flow(&opts, settings, out, report);
        }
        View::Export(format) => Box::new(Exporter::new(
            format,
            id,
            ctx.zone,
            ctx.terminal,
            &opts.redactor,
            out,
        )),
    };
    let path = &opts.session.path;
    let mut reader = TraceReader::open(path).map_err(|e| Error::read(path, e))?;
    let mut unmatched = Unmatched::default();
    let mut shown = 0u64;
    while let Some(item) = reader.next_entry() {
        match item {
            Ok(read) if opts.filter.matches(&read.entry) => {
                shown += 1;
                view.entry(&read)?;
            }
            Ok(read) => {
                if shown == 0 {
                    unmatched.remember(&read.entry);
                }
                view.filtered_out(&read)?;
            }
            Err(problem) => {
                report.problem(&problem);
                view.problem(&problem)?;
            }
        }
    }
    let summary = reader.summary();
    view.finish(&summary)?;
    if shown == 0 {
        report.note(&nothing_shown(&opts, &summary, &unmatched));
    }
    Ok(())
}

/// The agent flow views: every entry is read to follow the routing; the filter chooses the
/// hops shown. The flow is drawn once the whole file is read (the sequence and the pictures
/// need every hop), from the hops alone: see `analysis::flow` for what that costs.
fn run_flow(
    opts: &TraceOptions,
    settings: Settings,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let path = &opts.session.path;
    let mut reader = TraceReader::open(path).map_err(|e| Error::read(path, e))?;
    let mut builder = FlowBuilder::new();
    let mut unmatched = Unmatched::default();
    let mut shown = 0u64;
    while let Some(item) = reader.next_entry() {
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
    }
    let flow = builder.finish();
    let id = &opts.session.id;
    match opts.view {
        View::Mermaid => write_sequence_diagram(out, id, &flow)?,
        View::Dot => write_digraph(out, id, &flow)?,
        View::Flow { verbose } if !flow.is_empty() => {
            let style = FlowStyle {
                settings,
                ascii: opts.ascii,
                verbose,
            };
            write_flow(out, id, &flow, &style)?;
        }
        _ => {}
    }
    if shown == 0 {
        report.note(&nothing_shown(opts, &reader.summary(), &unmatched));
    } else if flow.is_empty() {
        report.note(&no_runs(opts));
    }
    Ok(())
}

/// The note for a flow with no hops although entries were read: no run finished or began.
fn no_runs(opts: &TraceOptions) -> String {
    let id = text::escape(&opts.session.id, false);
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
fn nothing_shown(opts: &TraceOptions, summary: &ReadSummary, unmatched: &Unmatched) -> String {
    let id = text::escape(&opts.session.id, false);
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
        .any(|c| matches!(c, Condition::Hook(_)));
    if about_hooks {
        note.push_str(&format!("; hooks here: {}", listed(&unmatched.hooks)));
    }
    note
}

/// Names for a message: escaped, the first few, and how many more.
fn listed(names: &BTreeSet<String>) -> String {
    const SHOWN: usize = 12;
    if names.is_empty() {
        return "none".to_owned();
    }
    let mut out: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| text::escape(n, false).into_owned())
        .collect();
    if names.len() > SHOWN {
        out.push(format!("and {} more", names.len() - SHOWN));
    }
    out.join(", ")
}
