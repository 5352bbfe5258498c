//! The waterfall: a session's agent runs on a time axis in the terminal, one bar per run
//! scaled to the width, as a tracing UI's trace view draws them. Bars are coloured by agent
//! when colour is on; failed runs are marked `✗` and runs still in progress `…`.

use super::Style;
use crate::analysis::{TimelineReport, TimelineRunReport};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use owo_colors::{AnsiColors, OwoColorize};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Agent colours, given out by agent name in order.
const PALETTE: [AnsiColors; 6] = [
    AnsiColors::Cyan,
    AnsiColors::Green,
    AnsiColors::Yellow,
    AnsiColors::Blue,
    AnsiColors::Magenta,
    AnsiColors::BrightCyan,
];

/// Widest agent column.
const AGENT_COLUMNS: usize = 16;
/// Columns of the offset (`+12.34s`) and duration (`1.26s`) fields.
const OFFSET_COLUMNS: usize = 8;
const DURATION_COLUMNS: usize = 7;
/// Narrowest time axis drawn, whatever the width.
const MIN_AXIS: usize = 10;

/// Nanoseconds from `a` to `b`, in floating point (Go's zero time to the far future does not
/// fit an i64 difference).
fn nanos(a: Timestamp, b: Timestamp) -> f64 {
    (i128::from(b.unix_nanos) - i128::from(a.unix_nanos)) as f64
}

/// The heading above the waterfall: what it shows.
pub fn title(t: &TimelineReport) -> String {
    if t.slowest_only {
        format!(
            "Waterfall: the {} slowest of {} runs, by start time \
             (for a time window: --filter since=TIME,until=TIME)",
            t.runs.len(),
            t.runs_total
        )
    } else {
        format!(
            "Waterfall: {} {}",
            t.runs.len(),
            if t.runs.len() == 1 { "run" } else { "runs" }
        )
    }
}

/// Draws the runs of `t` in the style's width: the agent column narrows before the time axis
/// gets narrower than [`MIN_AXIS`].
pub fn render(t: &TimelineReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let (width, color) = (style.width, style.color);
    let Some(t0) = t.runs.iter().map(|r| r.start).min() else {
        return Ok(());
    };
    let t1 = t.runs.iter().map(|r| r.end).max().unwrap_or(t0);
    let span_ns = nanos(t0, t1).max(1.0);
    let agent_columns = t
        .runs
        .iter()
        .map(|r| text::width(&text::escape(&r.agent, false)))
        .max()
        .unwrap_or(0)
        .clamp(5, AGENT_COLUMNS)
        .min(width.saturating_sub(OFFSET_COLUMNS + DURATION_COLUMNS + 5 + MIN_AXIS))
        .max(5);
    let fixed = OFFSET_COLUMNS + 1 + agent_columns + 1 + 1 + DURATION_COLUMNS + 2;
    let axis = width.saturating_sub(fixed).max(MIN_AXIS);
    let colours: BTreeMap<&str, AnsiColors> = {
        let mut names: Vec<&str> = t.runs.iter().map(|r| r.agent.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, PALETTE[i % PALETTE.len()]))
            .collect()
    };

    let indent = " ".repeat(OFFSET_COLUMNS + 1 + agent_columns + 1);
    ruler(&indent, axis, t0, span_ns, out)?;
    for run in &t.runs {
        row(
            run,
            t0,
            span_ns,
            axis,
            agent_columns,
            colours.get(run.agent.as_str()),
            color,
            out,
        )?;
    }
    Ok(())
}

/// The time axis: the start, middle and end times over a scale line.
fn ruler(
    indent: &str,
    axis: usize,
    t0: Timestamp,
    span_ns: f64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let start = t0.clock_millis(DisplayZone::Written);
    let end = format!("+{}", units::duration_ms(span_ns / 1e6));
    let column = format!(
        "one column ≈ {}",
        units::duration_ms(span_ns / 1e6 / axis as f64)
    );
    let mut labels = start.clone();
    let middle = (axis / 2).saturating_sub(text::width(&column) / 2);
    if middle > text::width(&labels) + 2 {
        labels.push_str(&" ".repeat(middle - text::width(&labels)));
        labels.push_str(&column);
    }
    let end_at = axis.saturating_sub(text::width(&end));
    if end_at > text::width(&labels) + 1 {
        labels.push_str(&" ".repeat(end_at - text::width(&labels)));
        labels.push_str(&end);
    }
    writeln!(out, "{indent}{labels}")?;
    let mut scale: Vec<char> = vec!['─'; axis];
    for quarter in 1..4 {
        scale[axis * quarter / 4] = '┼';
    }
    scale[0] = '├';
    scale[axis - 1] = '┤';
    writeln!(out, "{indent}{}", scale.into_iter().collect::<String>())
}

#[allow(clippy::too_many_arguments)]
fn row(
    run: &TimelineRunReport,
    t0: Timestamp,
    span_ns: f64,
    axis: usize,
    agent_columns: usize,
    colour: Option<&AnsiColors>,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let at = |t: Timestamp| nanos(t0, t) / span_ns * axis as f64;
    let from = (at(run.start).floor() as usize).min(axis - 1);
    let to = (at(run.end).ceil() as usize).clamp(from + 1, axis);
    let offset = format!("+{}", units::duration_ms(nanos(t0, run.start) / 1e6));
    let agent = text::escape(&run.agent, false);
    let agent = text::truncate(&agent, agent_columns);
    let pad = agent_columns.saturating_sub(text::width(&agent));
    let bar = "█".repeat(to - from);
    let mark = if run.error {
        " ✗"
    } else if run.in_progress {
        " …"
    } else {
        ""
    };
    write!(out, "{offset:>OFFSET_COLUMNS$} {agent}{} ", " ".repeat(pad))?;
    write!(out, "{}", " ".repeat(from))?;
    match (color, colour) {
        (true, Some(_)) if run.error => write!(out, "{}", bar.red())?,
        (true, Some(c)) => write!(out, "{}", bar.color(*c))?,
        _ => write!(out, "{bar}")?,
    }
    write!(out, "{}", " ".repeat(axis - to))?;
    let took = units::duration_ms(run.duration_ms);
    if color && run.error {
        writeln!(out, " {took:>DURATION_COLUMNS$}{}", mark.red())
    } else {
        writeln!(out, " {took:>DURATION_COLUMNS$}{mark}")
    }
}
