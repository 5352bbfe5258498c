//! The metrics table of the analysis reports: per metric, each agent's runs that reported it,
//! total, mean, p50, p95 and max, then the total over all agents.

use super::Style;
use super::grid::{Cell, Column, Frame, KEEP, write_table};
use crate::analysis::{AgentReport, MetricTotal};
use crate::text::safe;
use crate::units::number;
use std::io::{self, Write};

fn optional(n: Option<f64>) -> String {
    n.map_or("-".to_owned(), number)
}

/// Worth, when space runs out: the metric, the agent and the total first.
const COLUMNS: [Column; 9] = [
    Column::whole("METRIC", KEEP),
    Column::whole("AGENT", KEEP),
    Column::whole("RUNS", 8).right(),
    Column::whole("TOTAL", 9).right(),
    Column::whole("MEAN", 5).right(),
    Column::whole("P50", 6).right(),
    Column::whole("P95", 7).right(),
    Column::whole("MAX", 4).right(),
    Column::whole("NOT A NUMBER", 3).right(),
];

/// The metrics table, under its heading; nothing when no run reported a metric.
pub fn write(
    agents: &[AgentReport],
    totals: &[MetricTotal],
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if totals.is_empty() {
        return Ok(());
    }
    style.heading(out, "Metrics (numbers the runs reported)")?;
    // The NOT A NUMBER column only when some run reported one.
    let columns = if totals.iter().any(|t| t.not_a_number > 0) {
        &COLUMNS[..]
    } else {
        &COLUMNS[..8]
    };
    let mut rows = Vec::new();
    for total in totals {
        for a in agents {
            let Some(m) = a.metrics.iter().find(|m| m.metric == total.metric) else {
                continue;
            };
            rows.push(vec![
                safe(&m.metric),
                safe(&a.agent),
                m.runs.to_string(),
                number(m.total),
                optional(m.mean),
                optional(m.p50),
                optional(m.p95),
                optional(m.max),
                m.not_a_number.to_string(),
            ]);
        }
        rows.push(vec![
            safe(&total.metric),
            "(all agents)".to_owned(),
            total.runs.to_string(),
            number(total.total),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            total.not_a_number.to_string(),
        ]);
    }
    let rows: Vec<Vec<Cell<'_>>> = rows
        .into_iter()
        .map(|r| r.into_iter().take(columns.len()).map(Cell::new).collect())
        .collect();
    write_table(out, style, columns, Frame::Boxed, &rows)
}
