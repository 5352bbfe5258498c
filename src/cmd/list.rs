//! `agentcli list`: the sessions of the trace directory, newest first, as a table, JSON or CSV.

use super::{Context, TimeWindow};
use crate::cli::{ListArgs, ListFormat};
use crate::error::Error;
use crate::render::chunked::write_boxed_table;
use crate::report::Reporter;
use crate::session::{SessionFile, newest_first};
use crate::summary::{Head, Summary, read_head, summarize};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use chrono::{DateTime, Local};
use rayon::prelude::*;
use serde::Serialize;
use std::io::Write;

/// `list`'s options, validated.
#[derive(Debug, Clone)]
pub struct ListOptions {
    pub verbose: bool,
    pub window: TimeWindow,
    pub format: ListFormat,
}

impl ListOptions {
    pub fn from_args(args: &ListArgs, ctx: &Context) -> Result<ListOptions, Error> {
        Ok(ListOptions {
            verbose: args.verbose,
            window: ctx.time_window(&args.time)?,
            format: args.format,
        })
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
    let mut listed: Vec<Listed> = sessions
        .into_par_iter()
        .map(|session| {
            let head = read_head(&session.path).map_err(|e| e.to_string());
            let summary = (opts.verbose && head.is_ok())
                .then(|| summarize(&session.path).map_err(|e| e.to_string()));
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
    write_boxed_table(
        out,
        ctx.width,
        &table_header(opts),
        &RIGHT_ALIGNED,
        listed,
        |l| table_row(l, opts, ctx),
    )
}

/// The table's columns aligned right: SIZE, and ENTRIES, EVENTS, DURATION and ERRORS.
const RIGHT_ALIGNED: [usize; 5] = [3, 5, 6, 8, 9];

fn table_header(opts: &ListOptions) -> Vec<&'static str> {
    let mut header = vec!["SESSION", "STARTED", "MODIFIED", "SIZE", "STATUS"];
    if opts.verbose {
        header.extend(["ENTRIES", "EVENTS", "AGENTS", "DURATION", "ERRORS"]);
    }
    header
}

/// One session's cells in the table.
fn table_row(l: &Listed, opts: &ListOptions, ctx: &Context) -> Vec<String> {
    let mut row = vec![
        text::escape(&l.session.id, false).into_owned(),
        l.started().map_or("-".into(), |t| t.date_time(ctx.zone)),
        modified(&l.session, ctx.zone)
            .map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        units::bytes(l.session.size),
        l.status(),
    ];
    if let Some(Ok(s)) = &l.summary {
        row.extend([
            s.entries.to_string(),
            s.events.to_string(),
            text::escape(&agents(s).join(", "), false).into_owned(),
            s.duration_ms().map_or("-".into(), units::duration_ms),
            s.errors.to_string(),
        ]);
    } else if opts.verbose {
        row.extend(["-"; 5].map(String::from));
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
}

fn record<'a>(l: &'a Listed, ctx: &Context) -> Record<'a> {
    let summary = l.summary.as_ref().and_then(|s| s.as_ref().ok());
    Record {
        session: &l.session.id,
        path: l.session.path.to_string_lossy().into_owned(),
        started: l.started().map(|t| t.rfc3339(ctx.zone)),
        modified: modified(&l.session, ctx.zone)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        size_bytes: l.session.size,
        status: l.status(),
        entries: summary.map(|s| s.entries),
        events: summary.map(|s| s.events),
        agents: summary.map(agents),
        duration_ms: summary.and_then(Summary::duration_ms),
        errors: summary.map(|s| s.errors),
        problems: summary.map(|s| s.problem_count),
    }
}

fn write_json(
    listed: &[Listed],
    _opts: &ListOptions,
    ctx: &Context,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let records: Vec<Record> = listed.iter().map(|l| record(l, ctx)).collect();
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
    }
    w.write_record(&header)?;
    let or_empty = |v: Option<String>| v.unwrap_or_default();
    for l in listed {
        let r = record(l, ctx);
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
        }
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::chunked::{CHUNK_ROWS, write_whole};
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

    #[test]
    fn a_long_table_is_drawn_as_one_table_of_all_rows() {
        for verbose in [false, true] {
            let listed = sessions(2 * CHUNK_ROWS + 200, verbose);
            let opts = ListOptions {
                verbose,
                window: TimeWindow::default(),
                format: ListFormat::Table,
            };
            for width in [60, 120, 200, 400] {
                let ctx = Context {
                    dir: PathBuf::from("."),
                    color: false,
                    terminal: false,
                    zone: DisplayZone::Written,
                    width,
                    now: Local::now(),
                    ascii: false,
                };
                let (mut drawn, mut whole) = (Vec::new(), Vec::new());
                write_table(&listed, &opts, &ctx, &mut drawn).unwrap();
                write_whole(
                    &mut whole,
                    width,
                    &table_header(&opts),
                    &RIGHT_ALIGNED,
                    &listed,
                    |l| table_row(l, &opts, &ctx),
                )
                .unwrap();
                assert!(
                    drawn == whole,
                    "verbose {verbose}, width {width}: the table differs from one comfy-table"
                );
            }
        }
    }
}
