//! `agentcli analyze`: performance across sessions, read in parallel and merged; and the
//! analysis of one session that `trace --analyze` shows. Both read each file once through
//! the one reader, feeding the analysis library entry by entry.

use super::Context;
use crate::analysis::{
    Aggregate, AnalysisOptions, Analyzer, FileInfo, MetricOptions, MetricSelection,
    SessionAnalysis, SessionReport,
};
use crate::cli::{AnalysisFormat, AnalyzeArgs};
use crate::error::Error;
use crate::filter::{Condition, Filter};
use crate::model::TraceEntry;
use crate::read::{Parse, Problem, ReadSummary, TraceReader};
use crate::redact::Redactor;
use crate::render::analysis as render;
use crate::report::{self, Reporter};
use crate::session::SessionFile;
use crate::summary::FileStatus;
use crate::text;
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// `analyze`'s options, validated.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// `--filter`, with `--since` and `--until` as its `since=` and `until=` conditions.
    pub filter: Filter,
    pub by_session: bool,
    pub format: AnalysisFormat,
    pub metrics: MetricOptions,
    pub redactor: Redactor,
}

impl AnalyzeOptions {
    pub fn from_args(args: &AnalyzeArgs, ctx: &Context) -> Result<AnalyzeOptions, Error> {
        let window = ctx.time_window(&args.time)?;
        let mut conditions = Filter::parse_all(&args.filter.filters, ctx.now)?
            .conditions()
            .to_vec();
        conditions.extend(window.since.map(Condition::Since));
        conditions.extend(window.until.map(Condition::Until));
        Ok(AnalyzeOptions {
            filter: Filter::new(conditions),
            by_session: args.by_session,
            format: args.format,
            metrics: args.metric.options(),
            redactor: super::redactor(&args.redact)?,
        })
    }
}

/// One file read through the analyzer: the analysis, what the reader saw, and its problems
/// (the first few kept, the rest counted).
pub struct FileAnalysis {
    pub analysis: SessionAnalysis,
    pub read: ReadSummary,
    pub problems: Vec<Problem>,
    pub problems_not_kept: u64,
}

/// Reads `path` whole and analyses it; `select` says which entries the figures count.
pub fn analyze_file(
    path: &Path,
    opts: AnalysisOptions,
    metrics: &MetricOptions,
    select: impl Fn(&TraceEntry<'_>) -> bool,
    redactor: &Redactor,
) -> Result<FileAnalysis, Error> {
    let mut analyzer = Analyzer::new(opts).with_metrics(metrics.clone());
    let mut problems = Vec::new();
    let mut problems_not_kept = 0;
    // The analysis and the filter need no state data: it is skipped unread; metrics read a
    // few keys of the runs' output data from its bytes, kept unchecked.
    let parse = if metrics.selection == MetricSelection::Off {
        Parse::Light
    } else {
        Parse::Metrics
    };
    let reader = TraceReader::open_as_of_now(path).map_err(|e| Error::read(path, e))?;
    let read = reader
        .with_parse(parse)
        .with_redactor(redactor.clone())
        .read_to_end(|item| {
            match item {
                Ok(e) => analyzer.add(&e.entry, select(&e.entry)),
                Err(p) => problems_not_kept += u64::from(!report::keep(&mut problems, || p)),
            }
            Ok::<_, std::io::Error>(())
        })
        .map_err(|e| Error::read(path, e))?;
    Ok(FileAnalysis {
        analysis: analyzer.finish(),
        read,
        problems,
        problems_not_kept,
    })
}

fn report_problems(path: &Path, file: &FileAnalysis, report: &mut Reporter) {
    for p in &file.problems {
        report.problem(p);
    }
    report.problems_not_shown(path, file.problems_not_kept);
}

/// What `trace --analyze` needs beyond the context.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// How many slowest events and longest gaps to show.
    pub top: usize,
    pub format: AnalysisFormat,
    /// The filter in words, for the report's heading.
    pub filter: Option<String>,
    pub metrics: MetricOptions,
    pub redactor: Redactor,
}

/// How many runs the waterfall shows at most: all of them up to this, else the slowest.
pub const WATERFALL_RUNS: usize = 60;

/// `trace --analyze`: the analysis of one session, as tables and a waterfall or as JSON.
pub fn session(
    session: &SessionFile,
    opts: &SessionOptions,
    select: impl Fn(&TraceEntry<'_>) -> bool,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let analysis_opts = AnalysisOptions {
        top: opts.top,
        timeline_runs: WATERFALL_RUNS,
    };
    let file = analyze_file(
        &session.path,
        analysis_opts,
        &opts.metrics,
        select,
        &opts.redactor,
    )?;
    report_problems(&session.path, &file, report);
    let info = FileInfo {
        path: session.path.to_string_lossy().into_owned(),
        status: FileStatus::from_shape(file.read.shape).to_string(),
        entries_skipped: file.read.skipped,
        ends_mid_entry: file.read.tail.is_some(),
    };
    if let Some(filter) = &opts.filter
        && file.analysis.entries == 0
    {
        report.note(&format!(
            "no entry of session {} matches {filter}",
            text::escape(&session.id, false)
        ));
    }
    let r = SessionReport::new(
        &session.id,
        info,
        opts.filter.clone(),
        &file.analysis,
        ctx.style.zone,
    );
    match opts.format {
        AnalysisFormat::Table => {
            render::session(&r, &ctx.style, true, out)?;
        }
        AnalysisFormat::Json => super::write_json_document(out, &r)?,
    }
    Ok(())
}

/// `agentcli analyze`.
pub fn run(
    args: &AnalyzeArgs,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<()> {
    let opts = AnalyzeOptions::from_args(args, ctx)?;
    let sessions = super::sessions(&args.sessions, ctx, report)?;
    let filter = &opts.filter;
    // Only aggregates are kept: each thread folds the sessions it reads into one aggregate,
    // and the aggregates are merged, so memory does not grow with the sessions' entries (nor
    // with the sessions, but for those with problems to report).
    let analysis_opts = AnalysisOptions {
        top: 0,
        timeline_runs: 0,
    };
    let (aggregate, mut outcomes) = sessions
        .par_iter()
        .enumerate()
        .fold(
            || (Aggregate::new(opts.by_session), Vec::new()),
            |(mut aggregate, mut outcomes), (i, s)| {
                let select = |e: &TraceEntry<'_>| filter.matches(e);
                match analyze_file(
                    &s.path,
                    analysis_opts,
                    &opts.metrics,
                    select,
                    &opts.redactor,
                ) {
                    Ok(mut file) => {
                        aggregate.add(&s.id, &file.analysis);
                        // The analysis is merged; only problems are kept, to report in order.
                        if !file.problems.is_empty() {
                            file.analysis = SessionAnalysis::default();
                            outcomes.push((i, Ok(file)));
                        }
                    }
                    Err(e) => outcomes.push((i, Err(e))),
                }
                (aggregate, outcomes)
            },
        )
        .reduce(
            || (Aggregate::new(opts.by_session), Vec::new()),
            |(mut a, mut oa), (b, ob)| {
                a.merge(b);
                oa.extend(ob);
                (a, oa)
            },
        );
    outcomes.sort_by_key(|(i, _)| *i);
    for (i, outcome) in &outcomes {
        let path = &sessions[*i].path;
        match outcome {
            Ok(file) => report_problems(path, file, report),
            Err(e) => report.unreadable(path, e),
        }
    }
    let described = (!filter.is_empty()).then(|| filter.to_string());
    let r = aggregate.report(described.clone(), ctx.style.zone);
    if let Some(described) = described
        && r.summary.sessions == 0
        && !sessions.is_empty()
    {
        report.note(&format!(
            "no entry of the {} sessions matches {described}",
            sessions.len()
        ));
    }
    match opts.format {
        AnalysisFormat::Table if sessions.is_empty() => {}
        AnalysisFormat::Table => {
            render::aggregate(&r, &ctx.style, out)?;
        }
        AnalysisFormat::Json => super::write_json_document(out, &r)?,
    }
    Ok(())
}
