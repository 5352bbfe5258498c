//! `agentcli list`: the sessions of the trace directory, newest first, as a table, JSON or CSV;
//! with `--verbose`, what each file holds, and the totals of the metrics asked for.

use super::{Context, TimeWindow};
use crate::analysis::{MetricOptions, MetricSelection};
use crate::cli::{ListArgs, ListFormat};
use crate::error::Error;
use crate::redact::Redactor;
use crate::render::grid::{Cell, Column, Frame, KEEP, write_rows};
use crate::report::Reporter;
use crate::session::{SessionFile, newest_first};
use crate::summary::{Head, Summary, read_head, summarize_with_metrics};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use chrono::{DateTime, Local};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// `list`'s options, validated.
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub verbose: bool,
    pub window: TimeWindow,
    pub format: ListFormat,
    /// What `--verbose`'s agent names are redacted with.
    pub redactor: Redactor,
    /// The metrics whose session totals `--verbose` shows, in the order asked (`--metric`).
    pub metrics: Vec<String>,
}

impl ListOptions {
    pub fn from_args(args: &ListArgs, ctx: &Context) -> Result<ListOptions, Error> {
        Ok(ListOptions {
            verbose: args.verbose,
            window: ctx.time_window(&args.time)?,
            format: args.format,
            redactor: super::redactor(&args.redact)?,
            metrics: match MetricSelection::from_args(&args.metrics) {
                MetricSelection::Paths(paths) => paths.to_vec(),
                MetricSelection::Auto | MetricSelection::Off => Vec::new(),
            },
        })
    }

    /// How the summaries read metrics: only those asked for, so that a plain `list -v` skips
    /// the state data unread.
    fn metric_options(&self) -> MetricOptions {
        if self.metrics.is_empty() {
            return MetricOptions::off();
        }
        MetricOptions {
            selection: MetricSelection::Paths(self.metrics.clone().into()),
            delta: false,
        }
    }
}

/// One session as listed.
struct Listed {
    session: SessionFile,
    head: Result<Head, String>,
    summary: Option<Result<Summary, String>>,
}

impl Listed {
    fn started(&self) -> Option<Timestamp> {
        self.head.as_ref().ok()?.started
    }

    fn status(&self) -> String {
        match &self.head {
            Ok(head) => head.status.to_string(),
            Err(_) => "unreadable".to_owned(),
        }
    }
}

pub fn run(
    args: &ListArgs,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let opts = ListOptions::from_args(args, ctx)?;
    let sessions = super::all_sessions(ctx, report)?;
    let metrics = opts.metric_options();
    let mut listed: Vec<Listed> = sessions
        .into_par_iter()
        .map(|session| {
            let head = read_head(&session.path).map_err(|e| e.to_string());
            let summary = (opts.verbose && head.is_ok()).then(|| {
                summarize_with_metrics(&session.path, &opts.redactor, &metrics)
                    .map_err(|e| e.to_string())
            });
            Listed {
                session,
                head,
                summary,
            }
        })
        .collect();
    report_problems(&listed, report);

    opts.window
        .keep_started(&mut listed, Listed::started, ctx, report);
    listed.sort_by(|a, b| newest_first((&a.session, a.started()), (&b.session, b.started())));

    match opts.format {
        // An empty table says nothing the note on stderr did not; data formats stay parseable.
        ListFormat::Table if listed.is_empty() => {}
        ListFormat::Table => write_table(&listed, &opts, ctx, out)?,
        ListFormat::Json => write_json(&listed, &opts, ctx, out)?,
        ListFormat::Csv => write_csv(&listed, &opts, ctx, out)?,
    }
    Ok(())
}

fn report_problems(listed: &[Listed], report: &mut Reporter) {
    for l in listed {
        match &l.head {
            Err(e) => report.unreadable(&l.session.path, e),
            Ok(head) => match &l.summary {
                Some(Ok(summary)) => {
                    for problem in &summary.problems {
                        report.problem(problem);
                    }
                }
                Some(Err(e)) => report.unreadable(&l.session.path, e),
                None => {
                    if let Some(problem) = &head.problem {
                        report.problem(problem);
                    }
                }
            },
        }
    }
}

/// Modification times are the machine's: shown in its zone unless UTC is asked for.
fn modified(session: &SessionFile, zone: DisplayZone) -> Option<DateTime<chrono::FixedOffset>> {
    let local: DateTime<Local> = session.modified?.into();
    Some(match zone {
        DisplayZone::Utc => local.with_timezone(&chrono::Utc).fixed_offset(),
        _ => local.fixed_offset(),
    })
}

fn write_table(
    listed: &[Listed],
    opts: &ListOptions,
    ctx: &Context,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut columns = if opts.verbose {
        COLUMNS.to_vec()
    } else {
        COLUMNS[..5].to_vec()
    };
    columns.extend(opts.metrics.iter().map(|path| metric_column(path)));
    write_rows(out, &ctx.style, &columns, Frame::Boxed, listed, |l| {
        table_row(l, opts, ctx)
    })
}

/// A metric's column: its path in capitals (`tokens_used` is TOKENS_USED), worth more than the
/// file's own figures when space runs out, as it was asked for.
fn metric_column(path: &str) -> Column {
    let header = text::safe(&path.to_uppercase());
    // Headers are static, as for every table; the few a command line names are kept for the
    // run (one small string per --metric, once per process).
    let header: &'static str = Box::leak(header.into_boxed_str());
    Column::whole(header, 8).right()
}

/// A session's total of `metric`: `None` when no run reported a number for it.
fn metric_total(summary: &Summary, metric: &str) -> Option<f64> {
    summary
        .metrics
        .get(metric)
        .filter(|m| m.runs > 0)
        .map(|m| m.total)
}

/// The table's columns, the last five with `--verbose`. When space runs out the modification
/// time gives way first, then the size, the status and the counts; times fall back to minutes.
const COLUMNS: [Column; 10] = [
    Column::whole("SESSION", KEEP),
    Column::whole("STARTED", 6),
    Column::whole("MODIFIED", 1),
    Column::whole("SIZE", 2).right(),
    Column::whole("STATUS", 3),
    Column::whole("ENTRIES", 4).right(),
    Column::whole("EVENTS", 5).right(),
    Column::wrap("AGENTS", KEEP, 12, 6),
    Column::whole("DURATION", KEEP).right(),
    Column::whole("ERRORS", 7).right(),
];

/// A time cell: `2025-05-02 14:32:15 +05:30`, shortened to `2025-05-02 14:32`.
fn time_cell(time: Option<String>) -> Cell<'static> {
    match time {
        Some(time) => {
            let short = time.get(..16).unwrap_or_default().to_owned();
            Cell::new(time).short(short)
        }
        None => Cell::new("-"),
    }
}

/// One session's cells in the table.
fn table_row(l: &Listed, opts: &ListOptions, ctx: &Context) -> Vec<Cell<'static>> {
    let zone = ctx.style.zone;
    let mut row = vec![
        Cell::new(text::safe(&l.session.id)),
        time_cell(l.started().map(|t| t.date_time(zone))),
        time_cell(modified(&l.session, zone).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())),
        Cell::new(units::bytes(l.session.size)),
        Cell::new(l.status()),
    ];
    if let Some(Ok(s)) = &l.summary {
        row.extend([
            Cell::new(s.entries.to_string()),
            Cell::new(s.events.to_string()),
            Cell::new(text::safe(&agents(s).join(", "))),
            Cell::new(s.duration_ms().map_or("-".into(), units::duration_ms)),
            Cell::new(s.errors.to_string()),
        ]);
        for metric in &opts.metrics {
            let total = metric_total(s, metric);
            row.push(Cell::new(total.map_or("-".to_owned(), units::number)));
        }
    } else if opts.verbose {
        row.extend(["-"; 5].map(Cell::new));
        row.extend(opts.metrics.iter().map(|_| Cell::new("-")));
    }
    row
}

fn agents(summary: &Summary) -> Vec<&str> {
    summary.agents.iter().map(String::as_str).collect()
}

/// One session in `--format json` and `--format csv`: the table's fields, times in full.
#[derive(Serialize)]
struct Record<'a> {
    session: &'a str,
    path: String,
    started: Option<String>,
    modified: Option<String>,
    size_bytes: u64,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agents: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<u64>,
    /// The totals of the metrics asked for, by path; null where no run reported a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<BTreeMap<&'a str, Option<f64>>>,
}

fn record<'a>(l: &'a Listed, opts: &'a ListOptions, ctx: &Context) -> Record<'a> {
    let summary = l.summary.as_ref().and_then(|s| s.as_ref().ok());
    let metrics = summary.filter(|_| !opts.metrics.is_empty()).map(|s| {
        opts.metrics
            .iter()
            .map(|m| (m.as_str(), metric_total(s, m)))
            .collect()
    });
    Record {
        session: &l.session.id,
        path: l.session.path.to_string_lossy().into_owned(),
        started: l.started().map(|t| t.rfc3339(ctx.style.zone)),
        modified: modified(&l.session, ctx.style.zone)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        size_bytes: l.session.size,
        status: l.status(),
        entries: summary.map(|s| s.entries),
        events: summary.map(|s| s.events),
        agents: summary.map(agents),
        duration_ms: summary.and_then(Summary::duration_ms),
        errors: summary.map(|s| s.errors),
        problems: summary.map(|s| s.problem_count),
        metrics,
    }
}

fn write_json(
    listed: &[Listed],
    opts: &ListOptions,
    ctx: &Context,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let records: Vec<Record> = listed.iter().map(|l| record(l, opts, ctx)).collect();
    super::write_json_document(out, &records)
}

fn write_csv(
    listed: &[Listed],
    opts: &ListOptions,
    ctx: &Context,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "session",
        "path",
        "started",
        "modified",
        "size_bytes",
        "status",
    ];
    if opts.verbose {
        header.extend([
            "entries",
            "events",
            "agents",
            "duration_ms",
            "errors",
            "problems",
        ]);
        header.extend(opts.metrics.iter().map(String::as_str));
    }
    w.write_record(&header)?;
    let or_empty = |v: Option<String>| v.unwrap_or_default();
    for l in listed {
        let r = record(l, opts, ctx);
        let mut row = vec![
            r.session.to_owned(),
            r.path,
            or_empty(r.started),
            or_empty(r.modified),
            r.size_bytes.to_string(),
            r.status,
        ];
        if opts.verbose {
            row.extend([
                or_empty(r.entries.map(|n| n.to_string())),
                or_empty(r.events.map(|n| n.to_string())),
                or_empty(r.agents.map(|a| a.join(";"))),
                or_empty(r.duration_ms.map(|d| d.to_string())),
                or_empty(r.errors.map(|n| n.to_string())),
                or_empty(r.problems.map(|n| n.to_string())),
            ]);
            for metric in &opts.metrics {
                let total = r.metrics.as_ref().and_then(|m| m.get(metric.as_str()));
                row.push(or_empty(total.copied().flatten().map(|n| n.to_string())));
            }
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Style;
    use crate::summary::FileStatus;
    use chrono::{FixedOffset, TimeZone};
    use std::path::PathBuf;
    use std::time::{Duration, SystemTime};

    /// Sessions of every shape a listing shows: ids of several lengths, zones, agent lists
    /// long enough to wrap (some with wide characters), files that could not be read or
    /// summarised. Summaries are made, as `run` makes them, when `verbose` and the head was read.
    fn sessions(count: usize, verbose: bool) -> Vec<Listed> {
        let names = [
            "planner",
            "researcher",
            "error-handler",
            "summarizer",
            "分析者",
            "a-very-long-agent-name-that-must-be-cut",
            "x",
        ];
        (0..count)
            .map(|i| {
                let offset = FixedOffset::east_opt(((i % 7) as i32 - 3) * 3600).unwrap();
                let time = |secs: usize| {
                    Timestamp::from_chrono(
                        offset
                            .timestamp_opt(1_746_176_535 + secs as i64, 0)
                            .unwrap(),
                    )
                };
                let id = match i % 4 {
                    0 => format!("req-{i}"),
                    1 => format!("{i:08x}-22e2-1f9d-5cb8-6357091d3c6f"),
                    2 => format!("セッション-{i}"),
                    _ => format!("s{i}"),
                };
                let head = match i % 97 {
                    5 => Err("not a JSON trace file".to_owned()),
                    _ => Ok(Head {
                        started: (i % 13 != 0).then(|| time(i)).flatten(),
                        status: [FileStatus::Open, FileStatus::Closed, FileStatus::Empty][i % 3],
                        problem: None,
                    }),
                };
                let summary = match i % 89 {
                    _ if !verbose || head.is_err() => None,
                    7 => Some(Err("cut short".to_owned())),
                    _ => Some(Ok(Summary {
                        status: FileStatus::Open,
                        entries: (i * 37 % 100_000) as u64,
                        events: (i % 50) as u64,
                        agents: names
                            .iter()
                            .enumerate()
                            .filter(|(n, _)| (i >> n) & 1 == 1)
                            .map(|(_, name)| name.to_string())
                            .collect(),
                        first: time(i),
                        last: time(i + i * 17 % 5000),
                        errors: (i % 3) as u64,
                        problems: Vec::new(),
                        problem_count: 0,
                        metrics: metrics_of(i),
                    })),
                };
                Listed {
                    session: SessionFile {
                        path: PathBuf::from(format!("{id}.trace.json")),
                        id,
                        size: (i as u64).pow(3) % 50_000_000,
                        modified: (i % 11 != 0)
                            .then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(i as u64)),
                    },
                    head,
                    summary,
                }
            })
            .collect()
    }

    /// Token totals of every size for most sessions, a cost for some, none for a few.
    fn metrics_of(i: usize) -> crate::analysis::metrics::MetricSet {
        let mut set = crate::analysis::metrics::MetricSet::new();
        if !i.is_multiple_of(5) {
            let mut tokens = crate::analysis::metrics::MetricStats::default();
            tokens.runs = 3;
            tokens.total = (i as f64).powi(3);
            set.insert("tokens_used".into(), tokens);
        }
        if i.is_multiple_of(3) {
            let mut cost = crate::analysis::metrics::MetricStats::default();
            cost.runs = 1;
            cost.total = i as f64 / 7.0;
            set.insert("usage.cost_usd".into(), cost);
        }
        set
    }

    /// A long listing (more rows than were once drawn at a time) fits every width asked, with
    /// every id whole, with metric columns too.
    #[test]
    fn a_long_table_keeps_its_widths_and_its_ids_whole() {
        for (verbose, metrics) in [
            (false, vec![]),
            (true, vec![]),
            (
                true,
                vec!["tokens_used".to_owned(), "usage.cost_usd".to_owned()],
            ),
        ] {
            let listed = sessions(1200, verbose);
            let opts = ListOptions {
                verbose,
                window: TimeWindow::default(),
                format: ListFormat::Table,
                redactor: crate::redact::Redactor::off(),
                metrics: metrics.clone(),
            };
            for width in [40, 80, 120, 200] {
                let ctx = Context {
                    dir: PathBuf::from("."),
                    terminal: false,
                    style: Style {
                        width,
                        color: false,
                        zone: DisplayZone::Written,
                        ascii: false,
                    },
                    now: Local::now(),
                };
                let mut drawn = Vec::new();
                write_table(&listed, &opts, &ctx, &mut drawn).unwrap();
                let drawn = String::from_utf8(drawn).unwrap();
                assert!(
                    drawn.lines().all(|l| text::width(l) <= width),
                    "verbose {verbose}, width {width}: a line is too wide"
                );
                for l in &listed {
                    assert!(drawn.contains(l.session.id.as_str()), "{}", l.session.id);
                }
                if !metrics.is_empty() && width >= 200 {
                    assert!(drawn.contains("TOKENS_USED"), "{drawn}");
                    // Session 2: 8 tokens; no cost.
                    let row = drawn
                        .lines()
                        .find(|l| l.contains("セッション-2 "))
                        .unwrap_or_else(|| panic!("{drawn}"));
                    let cells: Vec<&str> = row.split('│').map(str::trim).collect();
                    assert_eq!(cells[cells.len() - 3..], ["8", "-", ""], "{row}");
                }
            }
        }
    }
}
