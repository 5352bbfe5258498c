//! The analysis reports as text: a summary line, then tables in the house box style (agents,
//! response-time buckets, slowest events, critical path, errors, idle gaps, sessions), notes
//! on anything unpaired, and the waterfall.

use super::Style;
use super::grid::{Cell, Column, Frame, KEEP, write_table};
use super::waterfall;
use crate::analysis::{
    AgentReport, AggregateReport, BUCKET_LABELS, ErrorsReport, Next, SessionReport,
};
use crate::text::{self, plural, safe};
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use std::io::{self, Write};

fn duration(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_owned(), units::duration_ms)
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// `HH:MM:SS.mmm` in the zone the report's times carry.
fn clock(t: Timestamp) -> String {
    t.clock_millis(DisplayZone::Written)
}

/// A boxed table of `rows`.
fn table(
    out: &mut dyn Write,
    style: &Style,
    columns: &[Column],
    rows: Vec<Vec<Cell<'_>>>,
) -> io::Result<()> {
    write_table(out, style, columns, Frame::Boxed, &rows)
}

/// Cells from texts.
fn row<const N: usize>(cells: [String; N]) -> Vec<Cell<'static>> {
    cells.into_iter().map(Cell::new).collect()
}

/// Notes, one a bullet, wrapped under their bullet.
fn bullets(out: &mut dyn Write, style: &Style, notes: &[String]) -> io::Result<()> {
    for note in notes {
        for (i, line) in text::wrap(note, style.width.saturating_sub(2))
            .iter()
            .enumerate()
        {
            let bullet = if i == 0 { "- " } else { "  " };
            writeln!(out, "{bullet}{line}")?;
        }
    }
    Ok(())
}

/// The report of one session (`trace --analyze`).
/// `waterfall`: draw the waterfall after the tables.
pub fn session(
    r: &SessionReport,
    style: &Style,
    waterfall: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let s = &r.summary;
    let name = std::path::Path::new(&r.file.path)
        .file_name()
        .map_or_else(|| r.file.path.clone(), |n| n.to_string_lossy().into_owned());
    let mut file = format!("{} · {}", safe(&r.session), safe(&name));
    match r.file.status.as_str() {
        "open" => file.push_str(" (open: no closing ']')"),
        "closed" => file.push_str(" (closed)"),
        other => file.push_str(&format!(" ({})", safe(other))),
    }
    if r.file.ends_mid_entry {
        file.push_str("; its last entry is cut off");
    }
    if let Some(filter) = &r.filter {
        file.push_str(&format!("; filter: {}", safe(filter)));
    }
    style.title(out, &format!("Analysis of session {file}"))?;
    let span = match (s.first, s.last) {
        (Some(first), Some(last)) => format!(
            "{} from {} to {}",
            units::duration_ms(s.span_ms),
            clock(first),
            clock(last)
        ),
        _ => "no entries".to_owned(),
    };
    let mut line = vec![
        span,
        plural(s.entries, "entry", "entries"),
        plural(s.events, "event", "events"),
        plural(s.runs, "agent run", "agent runs"),
        format!(
            "{} ({})",
            plural(s.errors, "error", "errors"),
            percent(s.error_rate)
        ),
    ];
    if let Some(eps) = s.events_per_second {
        line.push(format!("{eps:.2} events/s"));
    }
    if let Some(rps) = s.runs_per_second {
        line.push(format!("{rps:.2} runs/s"));
    }
    if s.span_ms > 0.0 {
        line.push(format!("busy {}", percent(Some(s.busy_ms / s.span_ms))));
    }
    style.joined(out, &line, " · ", 0, false)?;
    route(&r.routes.condensed, style, out)?;

    if r.agents.is_empty() {
        writeln!(out)?;
        writeln!(out, "No agent runs.")?;
    } else {
        style.heading(out, "Agents (run durations)")?;
        agents_table(&r.agents, style, out)?;
        style.heading(out, "Response times (runs per bucket)")?;
        buckets_table(&r.agents, style, out)?;
    }
    super::metrics::write(&r.agents, &r.metrics, style, out)?;

    if !r.events.slowest.is_empty() {
        let e = &r.events;
        style.heading(
            out,
            &format!(
                "Slowest events ({} of {}; latency p50 {}, p95 {})",
                e.slowest.len(),
                e.handled,
                duration(e.latency.p50_ms),
                duration(e.latency.p95_ms)
            ),
        )?;
        let mut rows = Vec::new();
        for ev in &e.slowest {
            let route = match (&ev.route, ev.error) {
                (_, true) => "(failed)".to_owned(),
                (Some(route), false) => safe(route),
                (None, false) => "(end)".to_owned(),
            };
            rows.push(row([
                clock(ev.started),
                units::duration_ms(ev.latency_ms),
                ev.agent.as_deref().map_or("-".to_owned(), safe),
                route,
                safe(&ev.event_id),
            ]));
        }
        const COLUMNS: [Column; 5] = [
            Column::whole("STARTED", 3),
            Column::whole("LATENCY", KEEP).right(),
            Column::whole("AGENT", KEEP),
            Column::wrap("ROUTE", 2, 10, 2),
            Column::whole("EVENT", 1),
        ];
        table(out, style, &COLUMNS, rows)?;
    }

    if let Some(b) = &r.bottleneck {
        writeln!(out)?;
        let agent_time: f64 = r.agents.iter().map(|a| a.total_ms).sum();
        let mut line = format!(
            "Bottleneck: {}, {} of {} agent time ({})",
            safe(&b.agent),
            units::duration_ms(b.total_ms),
            units::duration_ms(agent_time),
            percent(b.share_of_agent_time)
        );
        if b.share_of_session.is_some() {
            line.push_str(&format!(", {} of the session", percent(b.share_of_session)));
        }
        style.title(out, &line)?;
    }

    if let Some(p) = &r.critical_path {
        let title = if p.complete {
            format!(
                "Critical path of the slowest of {}: {}, {} from {}",
                plural(r.requests.completed, "request", "requests"),
                safe(&p.root_event),
                units::duration_ms(p.total_ms),
                clock(p.started)
            )
        } else {
            format!(
                "Critical path of the slowest request, cut off by the end of the trace: {}, {} \
                 so far from {}",
                safe(&p.root_event),
                units::duration_ms(p.total_ms),
                clock(p.started)
            )
        };
        style.heading(out, &title)?;
        let mut rows = Vec::new();
        for (i, h) in p.hops.iter().enumerate() {
            let next_agent = h.next_agent.as_deref().map_or(String::new(), safe);
            let next = match h.next {
                Next::Ran => next_agent,
                Next::End => "(end)".to_owned(),
                Next::NotSeen => format!("{next_agent} (not in the trace)"),
                Next::Failed => "(failed)".to_owned(),
                Next::Unfinished => "(unfinished)".to_owned(),
            };
            let agent = if h.error {
                format!("{} ✗", safe(&h.agent))
            } else {
                safe(&h.agent)
            };
            let share = h
                .run_ms
                .and_then(|ms| (p.total_ms > 0.0).then(|| ms / p.total_ms));
            rows.push(row([
                (i + 1).to_string(),
                agent,
                h.started.map_or("-".to_owned(), clock),
                duration(h.wait_ms),
                duration(h.run_ms),
                percent(share),
                next,
            ]));
        }
        const COLUMNS: [Column; 7] = [
            Column::whole("#", KEEP).right(),
            Column::whole("AGENT", KEEP),
            Column::whole("STARTED", 2),
            Column::whole("WAIT", 3).right(),
            Column::whole("RUN", KEEP).right(),
            Column::whole("SHARE", 1).right(),
            Column::wrap("NEXT", 4, 10, 2),
        ];
        table(out, style, &COLUMNS, rows)?;
        if p.hops_not_shown > 0 {
            writeln!(out, "({} more hops not shown)", p.hops_not_shown)?;
        }
    }

    errors(&r.errors, style, out)?;

    if s.retries + s.requeues > 0 {
        writeln!(out)?;
        let who = |f: fn(&AgentReport) -> u64| {
            let named: Vec<String> = r
                .agents
                .iter()
                .filter(|a| f(a) > 0)
                .map(|a| format!("{} {}", safe(&a.agent), f(a)))
                .collect();
            if named.is_empty() {
                String::new()
            } else {
                format!(" ({})", named.join(", "))
            }
        };
        style.prose(
            out,
            &format!(
                "Retries: {}{} · requeues: {}{}",
                s.retries,
                who(|a| a.retries),
                s.requeues,
                who(|a| a.requeues)
            ),
        )?;
    }

    if !r.gaps.longest.is_empty() {
        style.heading(
            out,
            &format!(
                "Idle gaps (longest {} of {}; {} idle in all)",
                r.gaps.longest.len(),
                r.gaps.count,
                units::duration_ms(r.gaps.idle_ms)
            ),
        )?;
        let mut rows = Vec::new();
        for g in &r.gaps.longest {
            rows.push(row([
                clock(g.start),
                clock(g.end),
                units::duration_ms(g.ms),
                g.after.as_deref().map_or("(start)".to_owned(), safe),
                g.before
                    .as_deref()
                    .map_or("(end of trace)".to_owned(), safe),
            ]));
        }
        const COLUMNS: [Column; 5] = [
            Column::whole("FROM", 2),
            Column::whole("TO", 1),
            Column::whole("IDLE", KEEP).right(),
            Column::wrap("AFTER", KEEP, 10, 2),
            Column::wrap("BEFORE", KEEP, 10, 2),
        ];
        table(out, style, &COLUMNS, rows)?;
    }

    notes(r, style, out)?;

    if waterfall && !r.timeline.runs.is_empty() {
        style.heading(out, &waterfall::title(&r.timeline))?;
        waterfall::render(&r.timeline, style, out)?;
    }
    Ok(())
}

/// `Route: a → b → c`: the condensed route of the routes report (the one `--flow-only` shows),
/// wrapped between agents under the first; nothing when no request reached an agent.
fn route(condensed: &[String], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    const LABEL: &str = "Route: ";
    let mut parts: Vec<String> = condensed.iter().map(|agent| safe(agent)).collect();
    let Some(first) = parts.first_mut() else {
        return Ok(());
    };
    first.insert_str(0, LABEL);
    let arrow = format!(" {} ", style.arrow());
    style.joined(out, &parts, &arrow, LABEL.len(), true)
}

/// Per agent: runs, errors, time, share and the duration statistics.
fn agents_table(agents: &[AgentReport], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    /// Worth, when space runs out: the agent, its runs and typical durations first.
    const COLUMNS: [Column; 12] = [
        Column::whole("AGENT", KEEP),
        Column::whole("RUNS", 10).right(),
        Column::whole("ERRORS", 9).right(),
        Column::whole("ERR %", 3).right(),
        Column::whole("TOTAL", 6).right(),
        Column::whole("SHARE", 4).right(),
        Column::whole("MIN", 1).right(),
        Column::whole("MEAN", 2).right(),
        Column::whole("P50", 8).right(),
        Column::whole("P95", 7).right(),
        Column::whole("P99", 2).right(),
        Column::whole("MAX", 5).right(),
    ];
    let rows = agents
        .iter()
        .map(|a| {
            let d = &a.durations;
            row([
                safe(&a.agent),
                a.runs.to_string(),
                a.errors.to_string(),
                percent(a.error_rate),
                units::duration_ms(a.total_ms),
                percent(a.share_of_session),
                duration(d.min_ms),
                duration(d.mean_ms),
                duration(d.p50_ms),
                duration(d.p95_ms),
                duration(d.p99_ms),
                duration(d.max_ms),
            ])
        })
        .collect();
    table(out, style, &COLUMNS, rows)
}

/// Per agent: runs in each of the seed documentation's response-time buckets.
fn buckets_table(agents: &[AgentReport], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut columns = vec![Column::whole("AGENT", KEEP)];
    columns.extend(BUCKET_LABELS.map(|label| Column::whole(label, 1).right()));
    let rows = agents
        .iter()
        .map(|a| {
            let mut row = vec![Cell::new(safe(&a.agent))];
            row.extend(
                a.durations
                    .buckets
                    .counts()
                    .iter()
                    .map(|n| Cell::new(n.to_string())),
            );
            row
        })
        .collect();
    table(out, style, &columns, rows)
}

fn errors(e: &ErrorsReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    if e.groups.is_empty() && e.ungrouped == 0 {
        return Ok(());
    }
    style.heading(
        out,
        &format!(
            "Errors ({} by {})",
            e.total,
            plural(e.groups.len() as u64, "message", "messages")
        ),
    )?;
    let mut rows = Vec::new();
    for g in &e.groups {
        let agents: Vec<String> = g
            .agents
            .iter()
            .map(|a| format!("{} {}", safe(&a.agent), a.count))
            .collect();
        rows.push(row([
            g.count.to_string(),
            safe(&g.message),
            agents.join(", "),
            clock(g.first),
            clock(g.last),
        ]));
    }
    const COLUMNS: [Column; 5] = [
        Column::whole("COUNT", KEEP).right(),
        Column::wrap("MESSAGE", KEEP, 12, 4),
        Column::wrap("AGENTS", 3, 12, 3),
        Column::whole("FIRST", 2),
        Column::whole("LAST", 1),
    ];
    table(out, style, &COLUMNS, rows)?;
    if e.ungrouped > 0 {
        writeln!(
            out,
            "{} more errors not grouped (too many distinct messages)",
            e.ungrouped
        )?;
    }
    Ok(())
}

/// What the pairing of entries left over, and where figures came from.
fn notes(r: &SessionReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut notes = Vec::new();
    let p = &r.pairing;
    for open in &r.in_progress {
        notes.push(format!(
            "run in progress at the end of the trace: {} (event {}, started {}{})",
            safe(&open.agent),
            safe(&open.event_id),
            clock(open.started),
            open.elapsed_ms
                .filter(|ms| *ms > 0.0)
                .map_or(String::new(), |ms| format!(
                    ", {} before the last entry",
                    units::duration_ms(ms)
                ))
        ));
    }
    let listed = r.in_progress.len() as u64;
    let mut count = |n: u64, what: &str| {
        if n > 0 {
            notes.push(format!("{what}: {n}"));
        }
    };
    count(
        p.runs_in_progress.saturating_sub(listed),
        "more runs in progress, not listed",
    );
    count(
        r.events.in_progress,
        "events not handled by the end of the trace",
    );
    count(
        p.runs_abandoned,
        "runs started and never ended, their event handled without them (not counted as runs)",
    );
    count(
        p.runs_without_start,
        "runs ended without a start in the trace (durations as the agents reported them, if they did)",
    );
    count(
        p.runs_clock_skew,
        "runs ending before their start, the clock having stepped back (durations not used)",
    );
    count(
        r.events.without_start,
        "events handled without a start in the trace (no latency)",
    );
    count(
        p.duplicate_starts,
        "duplicate BeforeAgentRun entries, paired once (the writer writes two per run)",
    );
    count(
        p.duplicate_ends,
        "duplicate AgentError entries, counted once (the writer writes two per failure)",
    );
    for a in &r.agents {
        let src = &a.sources;
        if src.disagreeing > 0 {
            notes.push(format!(
                "{}: agent_result.duration_ms disagrees with the hook timestamps on {} of {} runs \
                 (by up to {}); the figures above use the timestamps",
                safe(&a.agent),
                src.disagreeing,
                src.compared,
                units::duration_ms(src.max_difference_ms)
            ));
        }
        if src.reported > 0 {
            notes.push(format!(
                "{}: durations the agent reported (agent_result.duration_ms or duration), for \
                 runs without a start in the trace: {}",
                safe(&a.agent),
                src.reported
            ));
        }
    }
    if notes.is_empty() {
        return Ok(());
    }
    style.heading(out, "Notes")?;
    bullets(out, style, &notes)
}

/// The report across sessions (`analyze`).
pub fn aggregate(r: &AggregateReport, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let s = &r.summary;
    let mut line = vec![plural(s.sessions, "session", "sessions")];
    if let (Some(first), Some(last)) = (s.first, s.last) {
        line.push(format!(
            "{} to {}",
            first.date_time(DisplayZone::Written),
            last.date_time(DisplayZone::Written)
        ));
    }
    line.extend([
        plural(s.events, "event", "events"),
        plural(s.runs, "agent run", "agent runs"),
        format!(
            "{} ({})",
            plural(s.errors, "error", "errors"),
            percent(s.error_rate)
        ),
    ]);
    if s.retries + s.requeues > 0 {
        line.push(format!("{} retries, {} requeues", s.retries, s.requeues));
    }
    if let Some(filter) = &r.filter {
        line.push(format!("filter: {}", safe(filter)));
    }
    style.joined(out, &line, " · ", 0, false)?;
    if r.agents.is_empty() {
        writeln!(out)?;
        writeln!(out, "No agent runs.")?;
    } else {
        style.heading(out, "Agents (run durations, all sessions)")?;
        agents_table(&r.agents, style, out)?;
        style.heading(out, "Response times (runs per bucket)")?;
        buckets_table(&r.agents, style, out)?;
    }
    super::metrics::write(&r.agents, &r.metrics, style, out)?;
    if r.events.handled > 0 {
        let l = &r.events.latency;
        writeln!(out)?;
        style.prose(
            out,
            &format!(
                "Event latency: {} events, p50 {}, p95 {}, p99 {}, max {}",
                r.events.handled,
                duration(l.p50_ms),
                duration(l.p95_ms),
                duration(l.p99_ms),
                duration(l.max_ms)
            ),
        )?;
    }
    if r.requests.completed > 0 {
        let l = &r.requests.latency;
        style.prose(
            out,
            &format!(
                "Request latency: {} requests, p50 {}, p95 {}, p99 {}, max {}",
                r.requests.completed,
                duration(l.p50_ms),
                duration(l.p95_ms),
                duration(l.p99_ms),
                duration(l.max_ms)
            ),
        )?;
    }
    errors(&r.errors, style, out)?;
    if let Some(rows) = &r.sessions {
        style.heading(out, "Sessions")?;
        let mut cells = Vec::new();
        for row in rows {
            let started = row.first.map(|t| t.date_time(DisplayZone::Written));
            let short = started
                .as_deref()
                .and_then(|s| s.get(..16))
                .map(str::to_owned);
            let mut cells_of = self::row([
                safe(&row.session),
                started.clone().unwrap_or_else(|| "-".to_owned()),
                units::duration_ms(row.span_ms),
                row.events.to_string(),
                row.runs.to_string(),
                row.errors.to_string(),
                match (&row.slowest_agent, row.slowest_agent_p95_ms) {
                    (Some(agent), Some(p95)) => {
                        format!("{} ({})", safe(agent), units::duration_ms(p95))
                    }
                    _ => "-".to_owned(),
                },
            ]);
            if let Some(short) = short {
                cells_of[1] = std::mem::take(&mut cells_of[1]).short(short);
            }
            cells.push(cells_of);
        }
        const COLUMNS: [Column; 7] = [
            Column::whole("SESSION", KEEP),
            Column::whole("STARTED", 2),
            Column::whole("DURATION", KEEP).right(),
            Column::whole("EVENTS", 4).right(),
            Column::whole("RUNS", 5).right(),
            Column::whole("ERRORS", 6).right(),
            Column::wrap("SLOWEST AGENT (P95)", 3, 12, 2),
        ];
        table(out, style, &COLUMNS, cells)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AnalysisOptions, Analyzer, FileInfo};
    use crate::read::TraceReader;
    use std::path::Path;

    fn report(input: &'static [u8]) -> SessionReport {
        let mut reader = TraceReader::from_source(Path::new("t.json"), input).unwrap();
        let mut analyzer = Analyzer::new(AnalysisOptions::default());
        while let Some(item) = reader.next_entry() {
            if let Ok(e) = item {
                analyzer.add(&e.entry, true);
            }
        }
        let file = FileInfo {
            path: "t.json".into(),
            status: "open".into(),
            entries_skipped: 0,
            ends_mid_entry: false,
        };
        SessionReport::new("t", file, None, &analyzer.finish(), DisplayZone::Utc)
    }

    fn render_all(r: &SessionReport) -> String {
        let mut out = Vec::new();
        for width in [20, 60, 120, 300] {
            for color in [false, true] {
                let style = Style {
                    width,
                    color,
                    zone: DisplayZone::Utc,
                    ascii: false,
                };
                session(r, &style, true, &mut out).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Go's zero time, the far future and clocks stepping back are in real traces' timestamps:
    /// no arithmetic on them may overflow.
    #[test]
    fn extreme_timestamps_never_panic() {
        let r = report(
            br#"{"timestamp":"0001-01-01T00:00:00Z","event_id":"a","agent_id":"x","hook":"BeforeAgentRun"}
{"timestamp":"9999-12-31T23:59:59.999999999Z","event_id":"a","agent_id":"x","hook":"AfterAgentRun","agent_result":{"output_state":{"meta":{"route":"x"}}}}
{"timestamp":"2025-05-02T10:00:00Z","event_id":"b","source_agent_id":"x","hook":"BeforeEventHandling"}
{"timestamp":"1970-01-01T00:00:00Z","event_id":"b","agent_id":"x","hook":"BeforeAgentRun"}
{"timestamp":"0001-01-01T00:00:00Z","event_id":"c","agent_id":"y","hook":"BeforeAgentRun"}
{"timestamp":"2262-04-11T23:47:16Z","event_id":"c","agent_id":"y","hook":"AgentError","error":"boom"}
"#,
        );
        let text = render_all(&r);
        assert!(text.contains("Waterfall"), "{text}");
    }

    /// Agent names and messages from the trace reach the terminal escaped.
    #[test]
    fn trace_text_is_escaped() {
        let r = report(
            b"{\"timestamp\":\"2025-05-02T10:00:00Z\",\"event_id\":\"e\\u001b[2J\",\"agent_id\":\"a\\u001b[31m\",\"hook\":\"BeforeAgentRun\"}
{\"timestamp\":\"2025-05-02T10:00:01Z\",\"event_id\":\"e\\u001b[2J\",\"agent_id\":\"a\\u001b[31m\",\"hook\":\"AgentError\",\"error\":\"bad\\u001b]8;;x\\u0007\\u202e\"}
",
        );
        let mut out = Vec::new();
        let style = Style {
            width: 120,
            color: false,
            zone: DisplayZone::Utc,
            ascii: false,
        };
        session(&r, &style, true, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'));
        assert!(
            text.contains("a\\x1b[31m") && text.contains("\\u202e"),
            "{text}"
        );
    }
}
