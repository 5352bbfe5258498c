//! `agentcli diff A B`: compares two sessions, each read once through the one reader and
//! analysed by the session analysis, and says whether `--fail-on` conditions hold.

use super::{Context, analyze};
use crate::analysis::diff::conditions::FailOn;
use crate::analysis::diff::{ConditionResult, DiffReport};
use crate::analysis::{AnalysisOptions, FileInfo, MetricOptions, MetricSelection, SessionReport};
use crate::cli::{AnalysisFormat, DiffArgs};
use crate::error::Error;
use crate::redact::Redactor;
use crate::render::diff::write_diff;
use crate::report::Reporter;
use crate::session::{SessionFile, resolve};
use crate::summary::FileStatus;
use crate::text;
use std::io::Write;

/// `diff`'s options, validated.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The baseline.
    pub a: SessionFile,
    /// The session compared with it.
    pub b: SessionFile,
    /// The conditions that make the command exit with code 3, in the order given.
    pub fail_on: Vec<FailOn>,
    pub format: AnalysisFormat,
    /// Draw with ASCII only (`--ascii`, or a locale that is not UTF-8).
    pub ascii: bool,
    pub metrics: MetricOptions,
    /// Say why a condition could not hold.
    pub verbose: bool,
    pub redactor: Redactor,
}

impl DiffOptions {
    /// Checks the arguments once: the conditions parse, and both sessions exist.
    pub fn from_args(args: &DiffArgs, ctx: &Context) -> Result<DiffOptions, Error> {
        let fail_on: Vec<FailOn> = args
            .fail_on
            .iter()
            .map(|c| c.parse())
            .collect::<Result<_, _>>()?;
        // Metrics named by path are read for the conditions on them too.
        let mut metrics = args.metric.options();
        if let MetricSelection::Paths(paths) = &metrics.selection {
            let mut paths = paths.to_vec();
            for path in fail_on.iter().filter_map(FailOn::metric_path) {
                if !paths.iter().any(|p| p == path) {
                    paths.push(path.to_owned());
                }
            }
            metrics.selection = MetricSelection::Paths(paths.into());
        }
        Ok(DiffOptions {
            a: resolve(&args.a, &ctx.dir)?,
            b: resolve(&args.b, &ctx.dir)?,
            fail_on,
            format: args.format,
            ascii: args.ascii,
            metrics,
            verbose: args.verbose,
            redactor: super::redactor(&args.redact)?,
        })
    }
}

/// Only aggregates are needed: no lists of slowest events, gaps or timeline runs.
const ANALYSIS: AnalysisOptions = AnalysisOptions {
    top: 0,
    timeline_runs: 0,
};

/// Reads one session and makes its report.
fn report_of(
    session: &SessionFile,
    metrics: &MetricOptions,
    redactor: &Redactor,
    ctx: &Context,
) -> Result<(SessionReport, analyze::FileAnalysis), Error> {
    let file = analyze::analyze_file(&session.path, ANALYSIS, metrics, |_| true, redactor)?;
    let info = FileInfo {
        path: session.path.to_string_lossy().into_owned(),
        status: FileStatus::from_shape(file.read.shape).to_string(),
        entries_skipped: file.read.skipped,
        ends_mid_entry: file.read.tail.is_some(),
    };
    let report = SessionReport::new(&session.id, info, None, &file.analysis, ctx.style.zone);
    Ok((report, file))
}

/// `agentcli diff`. Returns whether a `--fail-on` condition holds.
pub fn run(
    args: &DiffArgs,
    ctx: &Context,
    out: &mut dyn Write,
    report: &mut Reporter,
) -> anyhow::Result<bool> {
    let opts = DiffOptions::from_args(args, ctx)?;
    let (a, b) = rayon::join(
        || report_of(&opts.a, &opts.metrics, &opts.redactor, ctx),
        || report_of(&opts.b, &opts.metrics, &opts.redactor, ctx),
    );
    let (a, a_file) = a?;
    let (b, b_file) = b?;
    for (session, file) in [(&opts.a, &a_file), (&opts.b, &b_file)] {
        for p in &file.problems {
            report.problem(p);
        }
        report.problems_not_shown(&session.path, file.problems_not_kept);
    }
    let mut diff = DiffReport::new(&a, &b);
    diff.fail_on = opts.fail_on.iter().map(|c| c.evaluate(&diff)).collect();
    match opts.format {
        AnalysisFormat::Table => {
            write_diff(&diff, &ctx.style.with_ascii(opts.ascii), out)?;
        }
        AnalysisFormat::Json => super::write_json_document(out, &diff)?,
    }
    // The verdicts come after the comparison, on a terminal too.
    out.flush()?;
    for result in &diff.fail_on {
        report.note(&verdict(result));
        if let Some(note) = result.note.as_ref().filter(|_| opts.verbose) {
            report.note(&format!(
                "--fail-on '{}': {}",
                text::escape(&result.condition, false),
                text::escape(note, false)
            ));
        }
    }
    Ok(diff.fail_on.iter().any(|r| r.holds))
}

/// `--fail-on 'p95>+20%' holds: agent researcher: p95 from …`, one finding a line.
fn verdict(r: &ConditionResult) -> String {
    let condition = text::escape(&r.condition, false);
    if !r.holds {
        return format!("--fail-on '{condition}' does not hold");
    }
    let mut out = format!("--fail-on '{condition}' holds:");
    for finding in &r.findings {
        out.push_str("\n  ");
        out.push_str(&text::escape(finding, false));
    }
    out
}
