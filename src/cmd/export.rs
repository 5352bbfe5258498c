//! `agentcli export`: sends sessions to an OTLP/HTTP collector as traces (one per session), then
//! says what was sent: per session, its trace id, entries, spans and failed runs.

use super::{Context, TimeWindow};
use crate::analysis::MetricSelection;
use crate::cli::ExportArgs;
use crate::error::Error;
use crate::export::otlp::http::{CollectorOptions, Sender, Sent, traces_url};
use crate::export::otlp::spans::SessionSpans;
use crate::export::otlp::{STATUS_CODE_ERROR, Span, TraceId};
use crate::export::{Clock, ExportEntry};
use crate::filter::Filter;
use crate::read::TraceReader;
use crate::redact::Redactor;
use crate::render::grid::{Cell, Column, Frame, KEEP, write_table};
use crate::report::Reporter;
use crate::session::SessionFile;
use crate::summary::read_started;
use crate::text;
use crate::units;
use std::io::Write;

/// `export`'s options, validated.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub sessions: Vec<String>,
    pub filter: Filter,
    pub redactor: Redactor,
    pub window: TimeWindow,
    pub collector: CollectorOptions,
    /// The metrics of a run that its span carries.
    pub metrics: MetricSelection,
}

impl ExportOptions {
    pub fn from_args(args: &ExportArgs, ctx: &Context) -> Result<ExportOptions, Error> {
        let usage = |what: &str, message: String| Error::Usage {
            what: what.to_owned(),
            message,
        };
        let url = traces_url(&args.otlp_endpoint).map_err(|m| usage("--otlp-endpoint", m))?;
        let headers = args
            .headers
            .iter()
            .map(|h| match h.split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => {
                    Ok((name.trim().to_owned(), value.trim().to_owned()))
                }
                _ => Err(usage(
                    "--header",
                    format!(
                        "expected NAME=VALUE (Authorization=Bearer ...), got '{}'",
                        text::escape(h, false)
                    ),
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(ExportOptions {
            sessions: args.sessions.clone(),
            filter: Filter::parse_all(&args.filter.filters, ctx.now)?,
            redactor: super::redactor(&args.redact)?,
            window: ctx.time_window(&args.time)?,
            collector: CollectorOptions {
                url,
                headers,
                retries: args.retries,
                service_name: args.service_name.clone(),
            },
            metrics: MetricSelection::from_args(&args.metrics),
        })
    }
}

/// What was sent of one session.
struct Row {
    session: String,
    trace_id: Option<TraceId>,
    entries: u64,
    spans: u64,
    errors: u64,
}

pub fn run(
    args: &ExportArgs,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let opts = ExportOptions::from_args(args, ctx)?;
    let sessions = select(&opts, ctx, report)?;
    if sessions.is_empty() {
        // Why was said on stderr: no trace files, or none in the time range.
        return Ok(());
    }
    let mut sender = Sender::new(opts.collector.clone());
    let mut rows = Vec::new();
    for session in &sessions {
        if let Some(row) = send_session(session, &opts, ctx, &mut sender, report)? {
            rows.push(row);
        }
    }
    sender.flush()?;
    let sent = sender.sent();
    if sent.rejected > 0 {
        report.note(&format!(
            "the collector accepted the requests but dropped {} spans{}",
            sent.rejected,
            match sent.warnings.first() {
                Some(message) => format!(": {message}"),
                None => String::new(),
            }
        ));
    }
    write_summary(&rows, sent, &opts.collector.url, ctx, out)?;
    Ok(())
}

/// The sessions named (or all of the directory's), in the time range asked for.
fn select(
    opts: &ExportOptions,
    ctx: &Context,
    report: &mut Reporter,
) -> Result<Vec<SessionFile>, Error> {
    let sessions = super::sessions(&opts.sessions, ctx, report)?;
    if opts.window.is_unbounded() {
        return Ok(sessions);
    }
    let mut started = Vec::with_capacity(sessions.len());
    for session in sessions {
        match read_started(&session.path) {
            Ok(t) => started.push((session, t)),
            Err(e) => report.unreadable(&session.path, &e),
        }
    }
    opts.window
        .keep_started(&mut started, |(_, t)| *t, ctx, report);
    Ok(started.into_iter().map(|(session, _)| session).collect())
}

/// Reads one session and hands its spans to the sender; `None` when the file cannot be read.
fn send_session(
    session: &SessionFile,
    opts: &ExportOptions,
    ctx: &Context,
    sender: &mut Sender,
    report: &mut Reporter,
) -> Result<Option<Row>, Error> {
    let mut reader = match TraceReader::open_as_of_now(&session.path) {
        Ok(reader) => reader.with_redactor(opts.redactor.clone()),
        Err(e) => {
            report.unreadable(&session.path, &e);
            return Ok(None);
        }
    };
    let mut row = Row {
        session: session.id.clone(),
        trace_id: None,
        entries: 0,
        spans: 0,
        errors: 0,
    };
    let mut clock = Clock::new();
    let mut spans = SessionSpans::new(&session.id).with_metrics(opts.metrics.clone());
    let (mut counted, mut entries) = (Counted::default(), 0);
    let mut emit = |span: &Span| {
        counted.add(span);
        sender.span(span)
    };
    reader.read_to_end(|item| {
        match item {
            Ok(read) => {
                let duration = clock.duration_ms(&read.entry);
                if opts.filter.matches(&read.entry) {
                    entries += 1;
                    let entry = ExportEntry::new(&read.entry, read.index, ctx.style.zone, duration);
                    spans.entry(&entry, &mut emit)?;
                }
            }
            Err(problem) => report.problem(&problem),
        }
        Ok::<_, Error>(())
    })?;
    spans.finish(&mut emit)?;
    row.entries = entries;
    row.trace_id = counted.trace_id;
    row.spans = counted.spans;
    row.errors = counted.errors;
    Ok(Some(row))
}

#[derive(Default)]
struct Counted {
    trace_id: Option<TraceId>,
    spans: u64,
    errors: u64,
}

impl Counted {
    fn add(&mut self, span: &Span) {
        self.trace_id.get_or_insert(span.trace_id);
        self.spans += 1;
        if span
            .status
            .as_ref()
            .is_some_and(|s| s.code == STATUS_CODE_ERROR)
        {
            self.errors += 1;
        }
    }
}

fn write_summary(
    rows: &[Row],
    sent: &Sent,
    url: &str,
    ctx: &Context,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Sent {} to {}:",
        text::plural(rows.len() as u64, "session", "sessions"),
        text::escape(url, false)
    )?;
    const COLUMNS: [Column; 5] = [
        Column::whole("SESSION", KEEP),
        Column::whole("TRACE ID", 1),
        Column::whole("ENTRIES", 3).right(),
        Column::whole("SPANS", 2).right(),
        Column::whole("FAILED RUNS", 4).right(),
    ];
    let cells: Vec<Vec<Cell<'_>>> = rows
        .iter()
        .map(|row| {
            vec![
                Cell::new(text::safe(&row.session)),
                Cell::new(row.trace_id.map_or("-".to_owned(), |id| id.to_string())),
                Cell::new(row.entries.to_string()),
                Cell::new(row.spans.to_string()),
                Cell::new(row.errors.to_string()),
            ]
        })
        .collect();
    write_table(out, &ctx.style, &COLUMNS, Frame::Boxed, &cells)?;
    writeln!(
        out,
        "{} in {} ({})",
        text::plural(sent.spans, "span", "spans"),
        text::plural(sent.requests, "request", "requests"),
        units::bytes(sent.bytes)
    )
}
