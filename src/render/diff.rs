//! The comparison of two sessions as text (`agentcli diff`): the two files, the session's
//! figures side by side, one row per agent, then only what differs: hand-overs, routes of
//! requests, error messages. A change is marked ▲ (up) or ▼ (down), with its size and its
//! size relative to A; on a terminal, rises in time and errors are red and falls green.

use super::boxed_table;
use crate::analysis::diff::{
    AgentChanges, Count, DiffReport, Figure, Measure, Presence, Side, Unit, route_label,
};
use crate::text;
use crate::time::DisplayZone;
use comfy_table::{CellAlignment, Table};
use owo_colors::{OwoColorize, Style};
use std::io::{self, Write};

/// How to draw: decided once by the command.
#[derive(Debug, Clone, Copy)]
pub struct DiffStyle {
    pub width: usize,
    pub color: bool,
    /// `->` and `+`/`-` instead of `→` and `▲`/`▼`.
    pub ascii: bool,
}

impl DiffStyle {
    fn arrow(&self) -> &'static str {
        if self.ascii { "->" } else { "→" }
    }
}

/// Whether a rise is bad news (time, errors) or just a change (runs, requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sense {
    LowerIsBetter,
    Neutral,
}

/// Trace text made safe for the terminal.
fn safe(s: &str) -> String {
    text::escape(s, false).into_owned()
}

/// Cells to colour once the table is drawn: comfy-table measures text as it is, so colour
/// goes in after layout, on cells found by their row's first cell and their column.
#[derive(Default)]
struct Colours {
    cells: Vec<(String, usize, String, Style)>,
}

impl Colours {
    fn add(&mut self, row: &str, column: usize, text: &str, style: Option<Style>) {
        if let Some(style) = style {
            self.cells
                .push((row.to_owned(), column, text.to_owned(), style));
        }
    }

    /// Writes `table`, coloured when `color`. A cell is coloured only where it is drawn whole
    /// on its row's first line; a cell the table had to wrap stays plain.
    fn write(&self, table: &Table, color: bool, out: &mut dyn Write) -> io::Result<()> {
        let drawn = table.to_string();
        if !color || self.cells.is_empty() {
            return writeln!(out, "{drawn}");
        }
        let mut row = String::new();
        for line in drawn.lines() {
            if !line.starts_with('│') {
                writeln!(out, "{line}")?;
                continue;
            }
            let cells: Vec<&str> = line.split('│').collect();
            let first = cells.get(1).map_or("", |c| c.trim());
            if !first.is_empty() {
                row = first.to_owned();
            }
            let mut coloured = String::with_capacity(line.len() + 32);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    coloured.push('│');
                }
                let style = (i > 0)
                    .then(|| {
                        self.cells.iter().find(|(r, column, text, _)| {
                            *r == row && *column == i - 1 && text == cell.trim()
                        })
                    })
                    .flatten();
                match style {
                    Some((_, _, text, style)) if !text.is_empty() => {
                        let at = cell.find(text.as_str()).unwrap_or(0);
                        coloured.push_str(&cell[..at]);
                        coloured.push_str(&text.style(*style).to_string());
                        coloured.push_str(&cell[at + text.len()..]);
                    }
                    _ => coloured.push_str(cell),
                }
            }
            writeln!(out, "{coloured}")?;
        }
        Ok(())
    }
}

/// The colour of a change: a rise in time or errors is red, a fall green; other changes
/// yellow.
fn change_style(sense: Sense, change: f64) -> Style {
    match sense {
        Sense::LowerIsBetter if change > 0.0 => Style::new().red(),
        Sense::LowerIsBetter => Style::new().green(),
        Sense::Neutral => Style::new().yellow(),
    }
}

/// `▲ +500ms (+74.6%)`; with ASCII, `+500ms (+74.6%)`. Empty when nothing changed.
fn change(figure: &dyn Figure, unit: Unit, style: &DiffStyle) -> String {
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
fn both(figure: &dyn Figure, unit: Unit, style: &DiffStyle) -> String {
    if !figure.differs() {
        return value(figure.b(), unit);
    }
    let (a, b) = (value(figure.a(), unit), value(figure.b(), unit));
    match (figure.a(), figure.b()) {
        (Some(_), Some(_)) => format!("{a} {} {b} {}", style.arrow(), change(figure, unit, style)),
        _ => format!("{a} {} {b}", style.arrow()),
    }
}

fn measure_style(figure: &dyn Figure, sense: Sense) -> Option<Style> {
    if !figure.differs() {
        return None;
    }
    match (figure.a(), figure.b()) {
        (Some(a), Some(b)) => Some(change_style(sense, b - a)),
        _ => Some(change_style(Sense::Neutral, 0.0)),
    }
}

fn heading(out: &mut dyn Write, text: &str, style: &DiffStyle) -> io::Result<()> {
    writeln!(out)?;
    if style.color {
        writeln!(out, "{}", text.bold())
    } else {
        writeln!(out, "{text}")
    }
}

/// The whole comparison.
pub fn write_diff(d: &DiffReport, style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
    side_line(out, "A", &d.a, style)?;
    side_line(out, "B", &d.b, style)?;
    session_table(d, style, out)?;
    agents_table(&d.agents, style, out)?;
    routes(d, style, out)?;
    requests(d, style, out)?;
    errors(d, style, out)?;
    if d.changed {
        return Ok(());
    }
    writeln!(out)?;
    let same = "No differences: the same figures, hand-overs, routes and errors.";
    if style.color {
        writeln!(out, "{}", same.green())
    } else {
        writeln!(out, "{same}")
    }
}

/// `A  baseline · baseline.trace.json (open) · started 2025-05-02 14:32:15 +05:30`.
fn side_line(out: &mut dyn Write, label: &str, side: &Side, style: &DiffStyle) -> io::Result<()> {
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
    if style.color {
        writeln!(out, "{}", line.bold())
    } else {
        writeln!(out, "{line}")
    }
}

fn session_table(d: &DiffReport, style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
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
    heading(out, "Session", style)?;
    let mut t = boxed_table(style.width);
    t.set_header(["", "A", "B", "CHANGE"]);
    let mut colours = Colours::default();
    for (name, figure, unit, sense) in rows {
        let changed = change(&figure, unit, style);
        colours.add(name, 3, &changed, measure_style(&figure, sense));
        t.add_row([
            name.to_owned(),
            value(figure.a, unit),
            value(figure.b, unit),
            changed,
        ]);
    }
    right_align(&mut t, &[1, 2]);
    colours.write(&t, style.color, out)
}

fn agents_table(agents: &[AgentChanges], style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
    if agents.is_empty() {
        writeln!(out)?;
        return writeln!(out, "No agent runs in either session.");
    }
    heading(out, "Agents (run durations)", style)?;
    let mut t = boxed_table(style.width);
    t.set_header(["AGENT", "RUNS", "ERRORS", "P50", "P95"]);
    let mut colours = Colours::default();
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
        let mut row = vec![name.clone()];
        for (column, (figure, unit, sense)) in cells.iter().enumerate() {
            let cell = both(figure, *unit, style);
            colours.add(&name, column + 1, &cell, measure_style(figure, *sense));
            row.push(cell);
        }
        t.add_row(row);
    }
    colours.write(&t, style.color, out)
}

/// `▼ -1`, `only in B`: how a count of hops, routes or errors changed.
fn count_change(count: &Count, style: &DiffStyle) -> String {
    match (count.a, count.b) {
        (0, b) if b > 0 => "only in B".to_owned(),
        (a, 0) if a > 0 => "only in A".to_owned(),
        _ => change(count, Unit::Count, style),
    }
}

fn routes(d: &DiffReport, style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
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
            writeln!(
                out,
                "Route: {} (the same hand-overs in both)",
                condensed(&r.condensed.a)
            )?;
        }
        return Ok(());
    }
    heading(out, "Route (condensed)", style)?;
    for (label, agents) in [("A", &r.condensed.a), ("B", &r.condensed.b)] {
        let line = format!("{label}: {}", condensed(agents));
        if style.color && r.condensed.a != r.condensed.b {
            writeln!(out, "{}", line.yellow())?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    if hops.is_empty() {
        return Ok(());
    }
    heading(out, "Hand-overs that differ (runs)", style)?;
    let mut t = boxed_table(style.width);
    t.set_header(["HOP", "A", "B", "CHANGE"]);
    let mut colours = Colours::default();
    for h in hops {
        let label = safe(&h.label(style.arrow()));
        let changed = count_change(&h.count, style);
        colours.add(&label, 3, &changed, Some(Style::new().yellow()));
        t.add_row([label, h.count.a.to_string(), h.count.b.to_string(), changed]);
    }
    right_align(&mut t, &[1, 2]);
    colours.write(&t, style.color, out)
}

fn requests(d: &DiffReport, style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
    let q = &d.requests;
    let routes: Vec<_> = q.routes.iter().filter(|r| r.count.differs()).collect();
    if !routes.is_empty() {
        heading(out, "Requests by route", style)?;
        let mut t = boxed_table(style.width);
        t.set_header(["ROUTE", "A", "B", "CHANGE"]);
        let mut colours = Colours::default();
        for r in routes {
            let label = safe(&route_label(&r.agents, r.end, style.arrow()));
            let changed = count_change(&r.count, style);
            colours.add(&label, 3, &changed, Some(Style::new().yellow()));
            t.add_row([label, r.count.a.to_string(), r.count.b.to_string(), changed]);
        }
        right_align(&mut t, &[1, 2]);
        colours.write(&t, style.color, out)?;
    }
    let ids = &q.ids;
    let listed = |ids: &[String]| ids.iter().map(|i| safe(i)).collect::<Vec<_>>().join(", ");
    if ids.compared
        && (!ids.rerouted.is_empty() || !ids.only_in_a.is_empty() || !ids.only_in_b.is_empty())
    {
        heading(out, "Requests by id", style)?;
        for r in &ids.rerouted {
            let routes = |routes: &[crate::analysis::diff::Route]| {
                routes
                    .iter()
                    .map(|r| safe(&route_label(&r.agents, r.end, style.arrow())))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            writeln!(out, "{}: rerouted", safe(&r.id))?;
            writeln!(out, "  A: {}", routes(&r.a))?;
            writeln!(out, "  B: {}", routes(&r.b))?;
        }
        if !ids.only_in_a.is_empty() {
            writeln!(out, "Only in A: {}", listed(&ids.only_in_a))?;
        }
        if !ids.only_in_b.is_empty() {
            writeln!(out, "Only in B: {}", listed(&ids.only_in_b))?;
        }
    }
    Ok(())
}

fn errors(d: &DiffReport, style: &DiffStyle, out: &mut dyn Write) -> io::Result<()> {
    let e = &d.errors;
    let messages: Vec<_> = e.messages.iter().filter(|m| m.count.differs()).collect();
    if messages.is_empty() && !e.ungrouped.differs() {
        return Ok(());
    }
    heading(out, "Errors that differ (by message)", style)?;
    let mut t = boxed_table(style.width);
    t.set_header(["MESSAGE", "A", "B", "CHANGE", "AGENTS"]);
    let mut colours = Colours::default();
    for m in messages {
        let message = safe(&m.message);
        let changed = match m.present {
            Presence::OnlyB => "new".to_owned(),
            Presence::OnlyA => "gone".to_owned(),
            Presence::Both => change(&m.count, Unit::Count, style),
        };
        let colour = if m.count.b > m.count.a {
            Style::new().red()
        } else {
            Style::new().green()
        };
        colours.add(&message, 3, &changed, Some(colour));
        let agents = m.agents.iter().map(|a| safe(a)).collect::<Vec<_>>();
        t.add_row([
            message,
            m.count.a.to_string(),
            m.count.b.to_string(),
            changed,
            agents.join(", "),
        ]);
    }
    right_align(&mut t, &[1, 2]);
    colours.write(&t, style.color, out)?;
    if e.ungrouped.differs() {
        writeln!(
            out,
            "Errors not grouped (past 1,000 distinct messages): {} in A, {} in B",
            e.ungrouped.a, e.ungrouped.b
        )?;
    }
    Ok(())
}

fn right_align(table: &mut Table, columns: &[usize]) {
    for c in columns {
        if let Some(column) = table.column_mut(*c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}
