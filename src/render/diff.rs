//! The comparison of two sessions as text (`agentcli diff`): the two files, the session's
//! figures side by side, one row per agent, the numbers the runs reported (per agent and in
//! total), then only what differs: hand-overs, routes of requests, error messages. A change is marked ▲ (up) or ▼ (down), with its size and its
//! size relative to A; on a terminal, rises in time and errors are red and falls green.

use super::Style;
use super::grid::{Cell, Column, Frame, KEEP, write_table};
use crate::analysis::diff::{
    AgentChanges, Count, DiffReport, Figure, Measure, MetricChange, Presence, Side, Unit,
    route_label,
};
use crate::analysis::metrics::is_metric_key;
use crate::text::safe;
use crate::time::DisplayZone;
use owo_colors::Style as Paint;
use std::io::{self, Write};

/// Whether a rise is bad news (time, errors) or just a change (runs, requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sense {
    LowerIsBetter,
    Neutral,
}

/// The colour of a change: a rise in time or errors is red, a fall green; other changes
/// yellow.
fn change_style(sense: Sense, change: f64) -> Paint {
    match sense {
        Sense::LowerIsBetter if change > 0.0 => Paint::new().red(),
        Sense::LowerIsBetter => Paint::new().green(),
        Sense::Neutral => Paint::new().yellow(),
    }
}

/// `▲ +500ms (+74.6%)`; with ASCII, `+500ms (+74.6%)`. Empty when nothing changed.
fn change(figure: &dyn Figure, unit: Unit, style: &Style) -> String {
    let (Some(a), Some(b)) = (figure.a(), figure.b()) else {
        return match (figure.a(), figure.b()) {
            (None, Some(_)) => "only in B".to_owned(),
            (Some(_), None) => "only in A".to_owned(),
            _ => String::new(),
        };
    };
    if !figure.differs() {
        return String::new();
    }
    let mark = match (style.ascii, b > a) {
        (true, _) => "",
        (false, true) => "▲ ",
        (false, false) => "▼ ",
    };
    let mut out = format!("{mark}{}", unit.change(b - a));
    if a != 0.0 {
        out.push_str(&format!(" ({:+.1}%)", (b - a) / a * 100.0));
    }
    out
}

fn value(x: Option<f64>, unit: Unit) -> String {
    x.map_or_else(|| "-".to_owned(), |x| unit.value(x))
}

/// A cell holding both values and the change: `513ms → 1.01s ▲ +500ms (+97.5%)`, or the
/// value alone when it did not change.
fn both(figure: &dyn Figure, unit: Unit, style: &Style) -> String {
    if !figure.differs() {
        return value(figure.b(), unit);
    }
    let (a, b) = (value(figure.a(), unit), value(figure.b(), unit));
    match (figure.a(), figure.b()) {
        (Some(_), Some(_)) => format!("{a} {} {b} {}", style.arrow(), change(figure, unit, style)),
        _ => format!("{a} {} {b}", style.arrow()),
    }
}

fn measure_style(figure: &dyn Figure, sense: Sense) -> Option<Paint> {
    if !figure.differs() {
        return None;
    }
    match (figure.a(), figure.b()) {
        (Some(a), Some(b)) => Some(change_style(sense, b - a)),
        _ => Some(change_style(Sense::Neutral, 0.0)),
    }
}

/// The whole comparison.
pub fn write_diff(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    side_line(out, "A", &d.a, style)?;
    side_line(out, "B", &d.b, style)?;
    session_table(d, style, out)?;
    agents_table(&d.agents, style, out)?;
    metrics_table(d, style, out)?;
    routes(d, style, out)?;
    requests(d, style, out)?;
    errors(d, style, out)?;
    if d.changed {
        return Ok(());
    }
    writeln!(out)?;
    let same = "No differences: the same figures, hand-overs, routes and errors.";
    for line in crate::text::wrap(same, style.width) {
        writeln!(out, "{}", style.paint(&line, Paint::new().green()))?;
    }
    Ok(())
}

/// `A  baseline · baseline.trace.json (open) · started 2025-05-02 14:32:15 +05:30`.
fn side_line(out: &mut dyn Write, label: &str, side: &Side, style: &Style) -> io::Result<()> {
    let name = std::path::Path::new(&side.file.path)
        .file_name()
        .map_or_else(
            || side.file.path.clone(),
            |n| n.to_string_lossy().into_owned(),
        );
    let mut line = format!(
        "{label}  {} · {} ({})",
        safe(&side.session),
        safe(&name),
        safe(&side.file.status)
    );
    if side.file.ends_mid_entry {
        line.push_str("; its last entry is cut off");
    }
    if let Some(first) = side.first {
        line.push_str(&format!(
            " · started {}",
            first.date_time(DisplayZone::Written)
        ));
    }
    style.title(out, &line)
}

fn session_table(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    use Sense::*;
    let s = &d.session;
    let counted = |c: &Count| Measure::new(c.a(), c.b());
    let mut rows: Vec<(&str, Measure, Unit, Sense)> = vec![
        ("duration", s.duration_ms, Unit::Milliseconds, LowerIsBetter),
        ("agent runs", counted(&s.runs), Unit::Count, Neutral),
        ("errors", counted(&s.errors), Unit::Count, LowerIsBetter),
        ("error rate", s.error_rate, Unit::Rate, LowerIsBetter),
        ("events", counted(&d.session.events), Unit::Count, Neutral),
        (
            "event p50",
            d.events.p50_ms,
            Unit::Milliseconds,
            LowerIsBetter,
        ),
        (
            "event p95",
            d.events.p95_ms,
            Unit::Milliseconds,
            LowerIsBetter,
        ),
        (
            "requests",
            counted(&d.requests.completed),
            Unit::Count,
            Neutral,
        ),
    ];
    if d.requests.unfinished.a + d.requests.unfinished.b > 0 {
        rows.push((
            "unfinished requests",
            counted(&d.requests.unfinished),
            Unit::Count,
            Neutral,
        ));
    }
    rows.extend([
        (
            "request p50",
            d.requests.latency.p50_ms,
            Unit::Milliseconds,
            LowerIsBetter,
        ),
        (
            "request p95",
            d.requests.latency.p95_ms,
            Unit::Milliseconds,
            LowerIsBetter,
        ),
    ]);
    style.heading(out, "Session")?;
    let rows: Vec<Vec<Cell<'_>>> = rows
        .into_iter()
        .map(|(name, figure, unit, sense)| {
            vec![
                Cell::new(name),
                Cell::new(value(figure.a, unit)),
                Cell::new(value(figure.b, unit)),
                Cell::new(change(&figure, unit, style)).paint_if(measure_style(&figure, sense)),
            ]
        })
        .collect();
    const COLUMNS: [Column; 4] = [
        Column::whole("", KEEP),
        Column::whole("A", KEEP).right(),
        Column::whole("B", KEEP).right(),
        Column::wrap("CHANGE", KEEP, 8, 2),
    ];
    write_table(out, style, &COLUMNS, Frame::Boxed, &rows)
}

fn agents_table(agents: &[AgentChanges], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    if agents.is_empty() {
        writeln!(out)?;
        return writeln!(out, "No agent runs in either session.");
    }
    style.heading(out, "Agents (run durations)")?;
    let mut rows = Vec::new();
    for a in agents {
        let name = match a.present {
            Presence::Both => safe(&a.agent),
            Presence::OnlyA => format!("{} (only in A)", safe(&a.agent)),
            Presence::OnlyB => format!("{} (only in B)", safe(&a.agent)),
        };
        let counted = |c: &Count| Measure::new(c.a(), c.b());
        let cells: [(Measure, Unit, Sense); 4] = [
            (counted(&a.runs), Unit::Count, Sense::Neutral),
            (counted(&a.errors), Unit::Count, Sense::LowerIsBetter),
            (a.p50_ms, Unit::Milliseconds, Sense::LowerIsBetter),
            (a.p95_ms, Unit::Milliseconds, Sense::LowerIsBetter),
        ];
        let mut row = vec![Cell::new(name)];
        for (figure, unit, sense) in &cells {
            row.push(Cell::new(both(figure, *unit, style)).paint_if(measure_style(figure, *sense)));
        }
        rows.push(row);
    }
    const COLUMNS: [Column; 5] = [
        Column::wrap("AGENT", KEEP, 12, 2),
        Column::wrap("RUNS", 3, 6, 3),
        Column::wrap("ERRORS", 4, 6, 3),
        Column::wrap("P50", 5, 8, 3),
        Column::wrap("P95", 2, 8, 3),
    ];
    write_table(out, style, &COLUMNS, Frame::Boxed, &rows)
}

/// Per metric, each agent's total in A and B and its change, then the total over all agents;
/// one line when no total changed; nothing when no run of either session reported a number.
fn metrics_table(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let reported = |m: &&MetricChange| m.runs.a + m.runs.b > 0;
    if !d.metrics.iter().any(|m| reported(&m)) {
        return Ok(());
    }
    let changed = |m: &MetricChange| m.total.differs();
    if !d.metrics.iter().any(changed) && !d.agents.iter().any(|a| a.metrics.iter().any(changed)) {
        let totals: Vec<String> = d
            .metrics
            .iter()
            .filter(reported)
            .map(|m| format!("{} {}", safe(&m.metric), value(m.total.b, Unit::Number)))
            .collect();
        writeln!(out)?;
        let line = format!(
            "Metrics: {} (the same totals in both, per agent too)",
            totals.join(", ")
        );
        return style.prose(out, &line);
    }
    style.heading(out, "Metrics (totals the runs reported)")?;
    let row = |metric: &str, agent: String, m: &MetricChange| {
        // More tokens or cost is bad news; other numbers (documents retrieved) just change.
        let sense = if is_metric_key(metric) {
            Sense::LowerIsBetter
        } else {
            Sense::Neutral
        };
        vec![
            Cell::new(safe(metric)),
            Cell::new(agent),
            Cell::new(value(m.total.a, Unit::Number)),
            Cell::new(value(m.total.b, Unit::Number)),
            Cell::new(change(&m.total, Unit::Number, style))
                .paint_if(measure_style(&m.total, sense)),
        ]
    };
    let mut rows = Vec::new();
    for total in d.metrics.iter().filter(reported) {
        for a in &d.agents {
            if let Some(m) = a
                .metrics
                .iter()
                .filter(reported)
                .find(|m| m.metric == total.metric)
            {
                rows.push(row(&total.metric, safe(&a.agent), m));
            }
        }
        rows.push(row(&total.metric, "(all agents)".to_owned(), total));
    }
    const COLUMNS: [Column; 5] = [
        Column::whole("METRIC", KEEP),
        Column::wrap("AGENT", KEEP, 12, 2),
        Column::whole("A", 3).right(),
        Column::whole("B", 4).right(),
        Column::wrap("CHANGE", KEEP, 8, 2),
    ];
    write_table(out, style, &COLUMNS, Frame::Boxed, &rows)
}

/// `▼ -1`, `only in B`: how a count of hops, routes or errors changed.
fn count_change(count: &Count, style: &Style) -> String {
    match (count.a, count.b) {
        (0, b) if b > 0 => "only in B".to_owned(),
        (a, 0) if a > 0 => "only in A".to_owned(),
        _ => change(count, Unit::Count, style),
    }
}

fn routes(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let r = &d.routes;
    let arrow = format!(" {} ", style.arrow());
    let condensed = |agents: &[String]| {
        if agents.is_empty() {
            "(no requests)".to_owned()
        } else {
            agents
                .iter()
                .map(|a| safe(a))
                .collect::<Vec<_>>()
                .join(&arrow)
        }
    };
    let hops: Vec<_> = r.hops.iter().filter(|h| h.count.differs()).collect();
    if r.condensed.a == r.condensed.b && hops.is_empty() {
        if !r.condensed.a.is_empty() {
            writeln!(out)?;
            let line = format!(
                "Route: {} (the same hand-overs in both)",
                condensed(&r.condensed.a)
            );
            style.prose(out, &line)?;
        }
        return Ok(());
    }
    style.heading(out, "Route (condensed)")?;
    for (label, agents) in [("A", &r.condensed.a), ("B", &r.condensed.b)] {
        let line = format!("{label}: {}", condensed(agents));
        let paint = if r.condensed.a != r.condensed.b {
            Paint::new().yellow()
        } else {
            Paint::new()
        };
        for line in crate::text::wrap(&line, style.width) {
            writeln!(out, "{}", style.paint(&line, paint))?;
        }
    }
    if hops.is_empty() {
        return Ok(());
    }
    style.heading(out, "Hand-overs that differ (runs)")?;
    let rows: Vec<Vec<Cell<'_>>> = hops
        .into_iter()
        .map(|h| counted_row(safe(&h.label(style.arrow())), &h.count, style))
        .collect();
    write_table(out, style, &counted_columns("HOP"), Frame::Boxed, &rows)
}

fn requests(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let q = &d.requests;
    let routes: Vec<_> = q.routes.iter().filter(|r| r.count.differs()).collect();
    if !routes.is_empty() {
        style.heading(out, "Requests by route")?;
        let rows: Vec<Vec<Cell<'_>>> = routes
            .into_iter()
            .map(|r| {
                let label = safe(&route_label(&r.agents, r.end, style.arrow()));
                counted_row(label, &r.count, style)
            })
            .collect();
        write_table(out, style, &counted_columns("ROUTE"), Frame::Boxed, &rows)?;
    }
    let ids = &q.ids;
    let listed = |ids: &[String]| ids.iter().map(|i| safe(i)).collect::<Vec<_>>().join(", ");
    if ids.compared
        && (!ids.rerouted.is_empty() || !ids.only_in_a.is_empty() || !ids.only_in_b.is_empty())
    {
        style.heading(out, "Requests by id")?;
        for r in &ids.rerouted {
            let routes = |routes: &[crate::analysis::diff::Route]| {
                routes
                    .iter()
                    .map(|r| safe(&route_label(&r.agents, r.end, style.arrow())))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            style.prose(out, &format!("{}: rerouted", safe(&r.id)))?;
            style.prose(out, &format!("  A: {}", routes(&r.a)))?;
            style.prose(out, &format!("  B: {}", routes(&r.b)))?;
        }
        if !ids.only_in_a.is_empty() {
            style.prose(out, &format!("Only in A: {}", listed(&ids.only_in_a)))?;
        }
        if !ids.only_in_b.is_empty() {
            style.prose(out, &format!("Only in B: {}", listed(&ids.only_in_b)))?;
        }
    }
    Ok(())
}

fn errors(d: &DiffReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let e = &d.errors;
    let messages: Vec<_> = e.messages.iter().filter(|m| m.count.differs()).collect();
    if messages.is_empty() && !e.ungrouped.differs() {
        return Ok(());
    }
    style.heading(out, "Errors that differ (by message)")?;
    let mut rows = Vec::new();
    for m in messages {
        let message = safe(&m.message);
        let changed = match m.present {
            Presence::OnlyB => "new".to_owned(),
            Presence::OnlyA => "gone".to_owned(),
            Presence::Both => change(&m.count, Unit::Count, style),
        };
        let colour = if m.count.b > m.count.a {
            Paint::new().red()
        } else {
            Paint::new().green()
        };
        let agents = m.agents.iter().map(|a| safe(a)).collect::<Vec<_>>();
        rows.push(vec![
            Cell::new(message),
            Cell::new(m.count.a.to_string()),
            Cell::new(m.count.b.to_string()),
            Cell::new(changed).paint(colour),
            Cell::new(agents.join(", ")),
        ]);
    }
    const COLUMNS: [Column; 5] = [
        Column::wrap("MESSAGE", KEEP, 12, 4),
        Column::whole("A", KEEP).right(),
        Column::whole("B", KEEP).right(),
        Column::wrap("CHANGE", 2, 6, 2),
        Column::wrap("AGENTS", 1, 10, 3),
    ];
    write_table(out, style, &COLUMNS, Frame::Boxed, &rows)?;
    if e.ungrouped.differs() {
        let line = format!(
            "Errors not grouped (past 1,000 distinct messages): {} in A, {} in B",
            e.ungrouped.a, e.ungrouped.b
        );
        style.prose(out, &line)?;
    }
    Ok(())
}

/// The columns of a table of counts: what was counted, A, B and the change.
fn counted_columns(what: &'static str) -> [Column; 4] {
    [
        Column::wrap(what, KEEP, 12, 4),
        Column::whole("A", KEEP).right(),
        Column::whole("B", KEEP).right(),
        Column::wrap("CHANGE", 2, 6, 2),
    ]
}

/// A row of counts: `label`, A, B, and the change in yellow.
fn counted_row<'c>(label: String, count: &Count, style: &Style) -> Vec<Cell<'c>> {
    vec![
        Cell::new(label),
        Cell::new(count.a.to_string()),
        Cell::new(count.b.to_string()),
        Cell::new(count_change(count, style)).paint(Paint::new().yellow()),
    ]
}
