//! What a session file holds, at two depths: its head (when it started, whether it is still
//! open), read in microseconds from the ends of the file; and a summary of the whole file
//! (entries, events, agents, span, errors, and the totals of the metrics asked for), read in
//! one streaming pass. Events and failed runs
//! are counted by the analysis's pairing and rules, so `list -v` and `trace --analyze` give
//! the same numbers.

use crate::analysis::Agents;
use crate::analysis::EventStats;
use crate::analysis::metrics::{MetricReader, MetricSet};
use crate::analysis::runs::{Ended, EventNo, Handled, Mark, Runs, Sink, sampled_run};
use crate::analysis::{MetricOptions, MetricSelection};
use crate::read::Parse;
use crate::read::framer::Shape;
use crate::read::{Problem, TraceReader};
use crate::redact::Redactor;
use crate::report;
use crate::time::Timestamp;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Whether the writer finished the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Nothing in it yet.
    Empty,
    /// Still open: an array without its final `]` (a running or crashed writer), or JSON Lines.
    Open,
    /// An array closed with `]`, as after a clean shutdown.
    Closed,
    /// Not a JSON trace at all.
    NotJson,
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileStatus::Empty => "empty",
            FileStatus::Open => "open",
            FileStatus::Closed => "closed",
            FileStatus::NotJson => "not JSON",
        })
    }
}

impl FileStatus {
    /// The status of a file the reader found in `shape`.
    pub fn from_shape(shape: Shape) -> FileStatus {
        match shape {
            Shape::Empty => FileStatus::Empty,
            Shape::Array { closed: true } => FileStatus::Closed,
            Shape::Array { closed: false } | Shape::Lines => FileStatus::Open,
            Shape::NotJson { .. } => FileStatus::NotJson,
        }
    }
}

/// What the ends of a file tell: when the session started, and whether the file is closed.
#[derive(Debug, Clone)]
pub struct Head {
    pub started: Option<Timestamp>,
    pub status: FileStatus,
    /// What kept the first entry from being read, if anything did.
    pub problem: Option<Problem>,
}

/// How much of a file's start is read to find its first entry, at most.
const HEAD_LIMIT: u64 = 1 << 20;
/// The first read of a file's head: enough for a few entries as the writer writes them.
const HEAD_CHUNK: usize = 8 * 1024;

/// Reads the first entry's time from the head of the file and the closing `]` from its end.
/// A compressed file has to be read whole to see its end.
pub fn read_head(path: &Path) -> io::Result<Head> {
    // One open for both ends: a directory of thousands of sessions is listed by these calls.
    let mut file = File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let bracket = ends_with_bracket(&mut file, metadata.len())?;
    file.seek(SeekFrom::Start(0))?;
    let mut reader = head_reader(path, file)?;
    let (started, problem) = first_entry(&mut reader);
    let summary = reader.summary();
    let status = match summary.shape {
        Shape::NotJson { .. } => FileStatus::NotJson,
        _ if summary.compressed => {
            let Ok(whole) = reader.read_to_end(|_| Ok::<_, Infallible>(()));
            FileStatus::from_shape(whole.shape)
        }
        Shape::Array { .. } if bracket => FileStatus::Closed,
        shape => match FileStatus::from_shape(shape) {
            FileStatus::Closed => FileStatus::Open,
            other => other,
        },
    };
    Ok(Head {
        started,
        status,
        problem,
    })
}

/// When the session in the file at `path` started: its first entry's time, read from the head
/// of the file (`None` when no entry could be read there). Unlike [`read_head`], it never reads
/// a compressed file whole.
pub fn read_started(path: &Path) -> io::Result<Option<Timestamp>> {
    let file = File::open(path)?;
    Ok(first_entry(&mut head_reader(path, file)?).0)
}

/// A reader for the first entries of a file: small reads, no state data, no threads.
fn head_reader(path: &Path, file: File) -> io::Result<TraceReader> {
    Ok(TraceReader::from_source(path, file)?
        .with_chunk_size(HEAD_CHUNK)
        .with_parse(Parse::Light)
        .with_threads(false))
}

/// The first entry's time, and the first problem met before it; past problems, no more than
/// [`HEAD_LIMIT`] bytes are read to find it.
fn first_entry(reader: &mut TraceReader) -> (Option<Timestamp>, Option<Problem>) {
    let mut problem = None;
    while let Some(item) = reader.next_entry() {
        match item {
            Ok(entry) => return (Some(entry.entry.timestamp), problem),
            Err(p) => {
                problem.get_or_insert(p);
                if reader.summary().bytes > HEAD_LIMIT {
                    break;
                }
            }
        }
    }
    (None, problem)
}

/// Whether the last non-blank byte of `file` (`len` bytes long) is `]`.
fn ends_with_bracket(file: &mut File, len: u64) -> io::Result<bool> {
    let tail_len = len.min(256);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    file.take(tail_len).read_to_end(&mut tail)?;
    Ok(tail.trim_ascii_end().ends_with(b"]"))
}

/// A summary of a whole session file, read in one pass with memory bounded by the events open
/// at once (as the analysis's pairing bounds them), not by the file's size.
#[derive(Debug, Clone)]
pub struct Summary {
    pub status: FileStatus,
    pub entries: u64,
    /// Events, handled or not (the analysis's count: [`EventStats::total`]).
    pub events: u64,
    /// Agent names, sorted.
    pub agents: BTreeSet<String>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Failed agent runs (the writer's second `AgentError` for a failure is the same run), by
    /// the analysis's failed-run test.
    pub errors: u64,
    /// The first problems found, and how many there were in all.
    pub problems: Vec<Problem>,
    pub problem_count: u64,
    /// The metrics asked for, totalled over the session's runs (none unless asked for).
    pub metrics: MetricSet,
}

impl Summary {
    /// Milliseconds from the first entry to the last (by time, not file order).
    pub fn duration_ms(&self) -> Option<f64> {
        Some(self.first?.millis_until(self.last?))
    }
}

/// Reads a whole file, as long as it was when opened, and summarises it (its agents' names
/// redacted by `redactor`).
pub fn summarize(path: &Path, redactor: &Redactor) -> io::Result<Summary> {
    summarize_with_metrics(path, redactor, &MetricOptions::off())
}

/// [`summarize`], with the totals of `metrics` (read from the bytes of the runs' output data,
/// which a summary otherwise skips unread).
pub fn summarize_with_metrics(
    path: &Path,
    redactor: &Redactor,
    metrics: &MetricOptions,
) -> io::Result<Summary> {
    let parse = if metrics.selection == MetricSelection::Off {
        Parse::Light
    } else {
        Parse::Metrics
    };
    let reader = TraceReader::open_as_of_now(path)?
        .with_parse(parse)
        .with_redactor(redactor.clone());
    Ok(summarize_reader(reader, MetricReader::new(metrics.clone())))
}

/// Reads what is left of `reader`'s source and summarises it.
pub fn summarize_from(reader: TraceReader) -> Summary {
    summarize_reader(reader, MetricReader::new(MetricOptions::off()))
}

fn summarize_reader(mut reader: TraceReader, metrics: MetricReader) -> Summary {
    let mut runs = Runs::without_linking(Agents::bounded());
    let mut counts = Counts {
        events: EventStats::default(),
        failed_runs: 0,
        metrics,
        totals: MetricSet::new(),
    };
    let mut summary = Summary {
        status: FileStatus::Empty,
        entries: 0,
        events: 0,
        agents: BTreeSet::new(),
        first: None,
        last: None,
        errors: 0,
        problems: Vec::new(),
        problem_count: 0,
        metrics: MetricSet::new(),
    };
    let read = reader.read_to_end(|item| {
        let e = match item {
            Ok(read) => read.entry,
            Err(problem) => {
                summary.problem_count += 1;
                report::keep(&mut summary.problems, || problem);
                return Ok(());
            }
        };
        summary.entries += 1;
        summary.first = summary.first.min(Some(e.timestamp)).or(Some(e.timestamp));
        summary.last = summary.last.max(Some(e.timestamp));
        if !e.agent_id.is_empty() && !summary.agents.contains(&*e.agent_id) {
            summary.agents.insert(e.agent_id.to_string());
        }
        runs.add(&e, true, &mut counts);
        counts.failed_runs += u64::from(sampled_run(&e) == Some(true));
        Ok::<_, Infallible>(())
    });
    let Ok(read) = read;
    runs.finish(&mut counts);
    summary.events = counts.events.total();
    summary.errors = counts.failed_runs;
    summary.status = FileStatus::from_shape(read.shape);
    summary.metrics = counts.totals;
    summary
}

/// What the summary counts as the pairing reports events and runs.
#[derive(Debug)]
struct Counts {
    events: EventStats,
    failed_runs: u64,
    metrics: MetricReader,
    /// The metrics of every run of the session.
    totals: MetricSet,
}

impl Sink for Counts {
    fn run_ended(&mut self, run: &Ended<'_>) {
        self.failed_runs += u64::from(run.failed);
        self.metrics.read(run.agent, run.entry, &mut self.totals);
    }

    fn event_handled(&mut self, event: &Handled<'_>) {
        self.events.count_handled(event);
    }

    fn event_unfinished(&mut self, started: Option<Mark>) {
        self.events.count_unfinished(started);
    }

    fn event_given_up(&mut self, _event: EventNo) {
        self.events.count_unfinished(None);
    }
}
