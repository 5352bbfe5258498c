//! The analysis reports as text: a summary line, then tables in the house box style (agents,
//! response-time buckets, slowest events, critical path, errors, idle gaps, sessions), notes
//! on anything unpaired, and the waterfall.

use super::boxed_table;
use super::waterfall;
use crate::analysis::{
    AgentReport, AggregateReport, BUCKET_LABELS, ErrorsReport, Next, SessionReport,
};
use crate::text;
use crate::time::{DisplayZone, Timestamp};
use crate::units;
use comfy_table::{CellAlignment, Table};
use owo_colors::OwoColorize;
use std::io::{self, Write};

/// How to draw: decided once by the command.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub width: usize,
    pub color: bool,
    /// Draw the waterfall after the tables.
    pub waterfall: bool,
}

/// Trace text made safe for the terminal.
fn safe(s: &str) -> String {
    text::escape(s, false).into_owned()
}

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

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn heading(out: &mut dyn Write, text: &str, opts: &RenderOptions) -> io::Result<()> {
    writeln!(out)?;
    if opts.color {
        writeln!(out, "{}", text.bold())
    } else {
        writeln!(out, "{text}")
    }
}

/// Facts joined by ` · `, on as many lines of `width` columns as they need.
fn wrapped(out: &mut dyn Write, parts: &[String], width: usize) -> io::Result<()> {
    let mut line = String::new();
    for part in parts {
        if !line.is_empty() && text::width(&line) + 3 + text::width(part) > width {
            writeln!(out, "{line}")?;
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(" · ");
        }
        line.push_str(part);
    }
    writeln!(out, "{line}")
}

fn right_align(table: &mut Table, columns: &[usize]) {
    for c in columns {
        if let Some(column) = table.column_mut(*c) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// The report of one session (`trace --analyze`).
pub fn session(r: &SessionReport, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
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
    let title = format!("Analysis of session {file}");
    if opts.color {
        writeln!(out, "{}", title.bold())?;
    } else {
        writeln!(out, "{title}")?;
    }
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
    wrapped(out, &line, opts.width)?;

    if r.agents.is_empty() {
        writeln!(out)?;
        writeln!(out, "No agent runs.")?;
    } else {
        heading(out, "Agents (run durations)", opts)?;
        agents_table(&r.agents, opts, out)?;
        heading(out, "Response times (runs per bucket)", opts)?;
        buckets_table(&r.agents, opts, out)?;
    }

    if !r.events.slowest.is_empty() {
        let e = &r.events;
        heading(
            out,
            &format!(
                "Slowest events ({} of {}; latency p50 {}, p95 {})",
                e.slowest.len(),
                e.handled,
                duration(e.latency.p50_ms),
                duration(e.latency.p95_ms)
            ),
            opts,
        )?;
        let mut t = boxed_table(opts.width);
        t.set_header(["STARTED", "LATENCY", "AGENT", "ROUTE", "EVENT"]);
        for ev in &e.slowest {
            let route = match (&ev.route, ev.error) {
                (_, true) => "(failed)".to_owned(),
                (Some(route), false) => safe(route),
                (None, false) => "(end)".to_owned(),
            };
            t.add_row([
                clock(ev.started),
                units::duration_ms(ev.latency_ms),
                ev.agent.as_deref().map_or("-".to_owned(), safe),
                route,
                safe(&ev.event_id),
            ]);
        }
        right_align(&mut t, &[1]);
        writeln!(out, "{t}")?;
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
        if opts.color {
            writeln!(out, "{}", line.bold())?;
        } else {
            writeln!(out, "{line}")?;
        }
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
        heading(out, &title, opts)?;
        let mut t = boxed_table(opts.width);
        t.set_header(["#", "AGENT", "STARTED", "WAIT", "RUN", "SHARE", "NEXT"]);
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
            t.add_row([
                (i + 1).to_string(),
                agent,
                h.started.map_or("-".to_owned(), clock),
                duration(h.wait_ms),
                duration(h.run_ms),
                percent(share),
                next,
            ]);
        }
        right_align(&mut t, &[0, 3, 4, 5]);
        writeln!(out, "{t}")?;
        if p.hops_not_shown > 0 {
            writeln!(out, "({} more hops not shown)", p.hops_not_shown)?;
        }
    }

    errors(&r.errors, opts, out)?;

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
        writeln!(
            out,
            "Retries: {}{} · requeues: {}{}",
            s.retries,
            who(|a| a.retries),
            s.requeues,
            who(|a| a.requeues)
        )?;
    }

    if !r.gaps.longest.is_empty() {
        heading(
            out,
            &format!(
                "Idle gaps (longest {} of {}; {} idle in all)",
                r.gaps.longest.len(),
                r.gaps.count,
                units::duration_ms(r.gaps.idle_ms)
            ),
            opts,
        )?;
        let mut t = boxed_table(opts.width);
        t.set_header(["FROM", "TO", "IDLE", "AFTER", "BEFORE"]);
        for g in &r.gaps.longest {
            t.add_row([
                clock(g.start),
                clock(g.end),
                units::duration_ms(g.ms),
                g.after.as_deref().map_or("(start)".to_owned(), safe),
                g.before
                    .as_deref()
                    .map_or("(end of trace)".to_owned(), safe),
            ]);
        }
        right_align(&mut t, &[2]);
        writeln!(out, "{t}")?;
    }

    notes(r, opts, out)?;

    if opts.waterfall && !r.timeline.runs.is_empty() {
        heading(out, &waterfall::title(&r.timeline), opts)?;
        waterfall::render(&r.timeline, opts.width, opts.color, out)?;
    }
    Ok(())
}

/// Per agent: runs, errors, time, share and the duration statistics.
fn agents_table(
    agents: &[AgentReport],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut t = boxed_table(opts.width);
    t.set_header([
        "AGENT", "RUNS", "ERRORS", "ERR %", "TOTAL", "SHARE", "MIN", "MEAN", "P50", "P95", "P99",
        "MAX",
    ]);
    for a in agents {
        let d = &a.durations;
        t.add_row([
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
        ]);
    }
    right_align(&mut t, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    writeln!(out, "{t}")
}

/// Per agent: runs in each of the seed documentation's response-time buckets.
fn buckets_table(
    agents: &[AgentReport],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut t = boxed_table(opts.width);
    let mut header = vec!["AGENT"];
    header.extend(BUCKET_LABELS);
    t.set_header(header);
    for a in agents {
        let mut row = vec![safe(&a.agent)];
        row.extend(a.durations.buckets.counts().iter().map(u64::to_string));
        t.add_row(row);
    }
    right_align(&mut t, &[1, 2, 3, 4, 5, 6, 7]);
    writeln!(out, "{t}")
}

fn errors(e: &ErrorsReport, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    if e.groups.is_empty() && e.ungrouped == 0 {
        return Ok(());
    }
    heading(
        out,
        &format!(
            "Errors ({} by {})",
            e.total,
            plural(e.groups.len() as u64, "message", "messages")
        ),
        opts,
    )?;
    let mut t = boxed_table(opts.width);
    t.set_header(["COUNT", "MESSAGE", "AGENTS", "FIRST", "LAST"]);
    for g in &e.groups {
        let agents: Vec<String> = g
            .agents
            .iter()
            .map(|a| format!("{} {}", safe(&a.agent), a.count))
            .collect();
        t.add_row([
            g.count.to_string(),
            safe(&g.message),
            agents.join(", "),
            clock(g.first),
            clock(g.last),
        ]);
    }
    right_align(&mut t, &[0]);
    writeln!(out, "{t}")?;
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
fn notes(r: &SessionReport, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
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
    heading(out, "Notes", opts)?;
    for n in notes {
        writeln!(out, "- {n}")?;
    }
    Ok(())
}

/// The report across sessions (`analyze`).
pub fn aggregate(r: &AggregateReport, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
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
    wrapped(out, &line, opts.width)?;
    if r.agents.is_empty() {
        writeln!(out)?;
        writeln!(out, "No agent runs.")?;
    } else {
        heading(out, "Agents (run durations, all sessions)", opts)?;
        agents_table(&r.agents, opts, out)?;
        heading(out, "Response times (runs per bucket)", opts)?;
        buckets_table(&r.agents, opts, out)?;
    }
    if r.events.handled > 0 {
        let l = &r.events.latency;
        writeln!(out)?;
        writeln!(
            out,
            "Event latency: {} events, p50 {}, p95 {}, p99 {}, max {}",
            r.events.handled,
            duration(l.p50_ms),
            duration(l.p95_ms),
            duration(l.p99_ms),
            duration(l.max_ms)
        )?;
    }
    if r.requests.completed > 0 {
        let l = &r.requests.latency;
        writeln!(
            out,
            "Request latency: {} requests, p50 {}, p95 {}, p99 {}, max {}",
            r.requests.completed,
            duration(l.p50_ms),
            duration(l.p95_ms),
            duration(l.p99_ms),
            duration(l.max_ms)
        )?;
    }
    errors(&r.errors, opts, out)?;
    if let Some(rows) = &r.sessions {
        heading(out, "Sessions", opts)?;
        let mut t = boxed_table(opts.width);
        t.set_header([
            "SESSION",
            "STARTED",
            "DURATION",
            "EVENTS",
            "RUNS",
            "ERRORS",
            "SLOWEST AGENT (P95)",
        ]);
        for row in rows {
            t.add_row([
                safe(&row.session),
                row.first
                    .map_or("-".to_owned(), |t| t.date_time(DisplayZone::Written)),
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
        }
        right_align(&mut t, &[2, 3, 4, 5]);
        writeln!(out, "{t}")?;
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
                let opts = RenderOptions {
                    width,
                    color,
                    waterfall: true,
                };
                session(r, &opts, &mut out).unwrap();
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
        let opts = RenderOptions {
            width: 120,
            color: false,
            waterfall: true,
        };
        session(&r, &opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'));
        assert!(
            text.contains("a\\x1b[31m") && text.contains("\\u202e"),
            "{text}"
        );
    }
}
