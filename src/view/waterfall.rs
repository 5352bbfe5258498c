//! The Waterfall tab: one bar per agent run on a time axis scaled to the width, each labelled
//! with its agent, failed runs in red, the runs of the critical path (the slowest request)
//! marked. Runs scroll up and down; `+` and `-` zoom the time axis around the selected run,
//! and ← → move along it.

use super::sessions::scrolled;
use super::theme::Theme;
use crate::analysis::{SessionAnalysis, TimelineRun};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::HashSet;

/// The most the time axis is magnified.
const MAX_ZOOM: f64 = 1_048_576.0;
/// Widest an agent label is.
const LABEL_MAX: usize = 20;

/// The Waterfall tab's position: the selected run, the first run shown, and the time window.
#[derive(Debug, Clone, Copy)]
pub struct Waterfall {
    pub selected: usize,
    offset: usize,
    /// 1: the whole session fits the width; 2: half of it; ...
    pub zoom: f64,
    /// Where the window starts, as a fraction of the session's span.
    pub pan: f64,
}

impl Default for Waterfall {
    fn default() -> Self {
        Waterfall {
            selected: 0,
            offset: 0,
            zoom: 1.0,
            pan: 0.0,
        }
    }
}

/// The span the runs cover, in Unix nanoseconds.
fn span(runs: &[TimelineRun]) -> Option<(i128, i128)> {
    let start = runs.iter().map(|r| nanos(r.start)).min()?;
    let end = runs.iter().map(|r| nanos(r.end)).max()?;
    Some((start, end.max(start + 1)))
}

fn nanos(t: Timestamp) -> i128 {
    i128::from(t.unix_nanos)
}

impl Waterfall {
    /// Magnifies the time axis (`factor` 2) or shrinks it (0.5), keeping the selected run's
    /// start where it is on screen when it can.
    pub fn zoom_by(&mut self, factor: f64, runs: &[TimelineRun]) {
        let Some((start, end)) = span(runs) else {
            return;
        };
        let total = (end - start) as f64;
        let anchor = runs
            .get(self.selected)
            .map_or(0.5, |r| (nanos(r.start) - start) as f64 / total);
        let zoom = (self.zoom * factor).clamp(1.0, MAX_ZOOM);
        // Where the anchor is in the window now (0 to 1), kept there.
        let place = ((anchor - self.pan) * self.zoom).clamp(0.0, 1.0);
        self.zoom = zoom;
        self.pan = anchor - place / zoom;
        self.clamp_pan();
    }

    /// Moves the window by a quarter of its width (`direction` -1 or 1).
    pub fn pan_by(&mut self, direction: f64) {
        self.pan += direction * 0.25 / self.zoom;
        self.clamp_pan();
    }

    fn clamp_pan(&mut self) {
        self.pan = self.pan.clamp(0.0, (1.0 - 1.0 / self.zoom).max(0.0));
    }

    /// Draws the runs of `analysis` into `area`.
    pub fn render(
        &mut self,
        frame: &mut Frame<'_>,
        area: Rect,
        analysis: &SessionAnalysis,
        zone: DisplayZone,
        theme: &Theme,
    ) {
        let runs = &analysis.timeline.runs;
        let Some((start, end)) = span(runs) else {
            let message = Paragraph::new("No agent runs in this session (yet).").style(theme.dim());
            frame.render_widget(message, area);
            return;
        };
        let critical: HashSet<(&str, &str)> = analysis
            .critical_path
            .iter()
            .flat_map(|p| p.hops.iter())
            .map(|h| (h.agent.as_str(), h.event_id.as_str()))
            .collect();
        let label_width = runs
            .iter()
            .map(|r| text::width(&text::escape(&r.agent, false)))
            .max()
            .unwrap_or(5)
            .clamp(5, LABEL_MAX);
        let duration_width = 8;
        // The label, a mark column, the bars, then each run's duration.
        let bars = usize::from(area.width).saturating_sub(label_width + 3 + duration_width + 1);
        let bars = bars.max(1);
        let total = (end - start) as f64;
        let window_start = start as f64 + self.pan * total;
        let window = total / self.zoom;
        let column = |t: Timestamp| (nanos(t) as f64 - window_start) / window * bars as f64;

        let body = usize::from(area.height).saturating_sub(1);
        self.selected = self.selected.min(runs.len() - 1);
        self.offset = scrolled(self.offset, self.selected, body);
        let mut lines = Vec::with_capacity(body + 1);
        let written_in = runs.first().map_or(0, |r| r.start.offset_secs);
        lines.push(ruler(
            (window_start, written_in),
            window,
            bars,
            label_width + 3,
            zone,
            theme,
        ));
        let (full, ascii_full) = ("█", "#");
        let block = if theme.ascii { ascii_full } else { full };
        for (i, run) in runs.iter().enumerate().skip(self.offset).take(body) {
            let on_path = critical.contains(&(run.agent.as_str(), run.event_id.as_str()));
            let label = text::truncate(&text::escape(&run.agent, false), label_width).into_owned();
            let pad = label_width.saturating_sub(text::width(&label));
            let label_style = if i == self.selected {
                theme.selected()
            } else {
                Style::new()
            };
            let mark = match (on_path, run.error) {
                (_, true) => "!",
                (true, false) => "*",
                _ => " ",
            };
            let x0 = column(run.start);
            let x1 = column(run.end);
            let mut spans = vec![
                Span::styled(format!("{label}{} ", " ".repeat(pad)), label_style),
                Span::styled(
                    mark,
                    if run.error {
                        theme.error()
                    } else {
                        theme.mark()
                    },
                ),
                Span::raw(" "),
            ];
            let (from, to) = if x1 < 0.0 || x0 >= bars as f64 {
                (0, 0)
            } else {
                let from = x0.max(0.0).floor() as usize;
                let to = (x1.ceil() as usize).clamp(from + 1, bars);
                (from, to)
            };
            let before = if x1 < 0.0 {
                "<".to_owned() + &" ".repeat(bars - 1)
            } else if x0 >= bars as f64 {
                " ".repeat(bars - 1) + ">"
            } else {
                " ".repeat(from)
            };
            spans.push(Span::raw(before));
            if to > from {
                let bar_style = theme.bar(run.error, on_path);
                let bar_style = if run.in_progress {
                    bar_style.add_modifier(ratatui::style::Modifier::DIM)
                } else {
                    bar_style
                };
                spans.push(Span::styled(block.repeat(to - from), bar_style));
                spans.push(Span::raw(" ".repeat(bars - to)));
            }
            let took = units::duration_ms(run.ns() as f64 / 1e6);
            spans.push(Span::raw(format!(" {took:>duration_width$}")));
            lines.push(Line::from(spans));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    /// The status line: the selected run in full.
    pub fn status(&self, analysis: &SessionAnalysis) -> Line<'static> {
        let runs = &analysis.timeline.runs;
        let Some(run) = runs.get(self.selected) else {
            return Line::from("");
        };
        let on_path = analysis.critical_path.as_ref().is_some_and(|p| {
            p.hops
                .iter()
                .any(|h| h.agent == run.agent && h.event_id == run.event_id)
        });
        let mut parts = vec![
            format!("run {} of {}", self.selected + 1, runs.len()),
            format!("agent {}", text::escape(&run.agent, false)),
            format!("event {}", text::escape(&run.event_id, false)),
            units::duration_ms(run.ns() as f64 / 1e6),
        ];
        if run.error {
            parts.push("failed".to_owned());
        }
        if run.in_progress {
            parts.push("in progress".to_owned());
        }
        if on_path {
            parts.push("on the critical path (*)".to_owned());
        }
        if analysis.timeline.slowest_only {
            parts.push(format!(
                "the slowest {} of {} runs",
                runs.len(),
                analysis.timeline.total
            ));
        }
        if self.zoom > 1.0 {
            parts.push(format!("zoom ×{}", self.zoom));
        }
        Line::from(parts.join(" · "))
    }
}

/// The time axis over the bars: the window's start time (in the zone the trace was written
/// in, unless another is asked for) and how long the window is.
fn ruler(
    (start, offset_secs): (f64, i32),
    window: f64,
    bars: usize,
    indent: usize,
    zone: DisplayZone,
    theme: &Theme,
) -> Line<'static> {
    let at = |fraction: f64| {
        let nanos = (start + window * fraction) as i64;
        Timestamp {
            unix_nanos: nanos,
            offset_secs,
        }
    };
    let first = at(0.0);
    let label = |t: Timestamp| t.clock_millis(zone);
    let left = label(first);
    let right = format!("+{}", units::duration_ms(window / 1e6));
    let mut line = format!("{}{left}", " ".repeat(indent));
    let room = (indent + bars).saturating_sub(text::width(&line) + text::width(&right));
    line.push_str(&" ".repeat(room));
    line.push_str(&right);
    Line::from(Span::styled(line, theme.header()))
}
