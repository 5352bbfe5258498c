//! The flow view as text, in the documentation's layout: the agent request flow table, the
//! numbered sequence diagram, the condensed route, and the sequence of each request.

use crate::analysis::Next;
use crate::analysis::flow::{Flow, FlowBuilder, FlowHop, HopText};
use crate::analysis::hops::HopKind;
use crate::analysis::routes::normalise_event_id;
use crate::model::Hook;
use crate::read::{Entry, EntryView, ReadSummary};
use crate::render::grid::{Cell, Column, Frame, KEEP, Table, Writer};
use crate::render::{ERROR_STYLE, Style, hook_short, hook_style};
use crate::text;
use owo_colors::Style as Paint;
use std::borrow::Cow;
use std::io::{self, Write};

/// Widest an agent name is shown unless verbose (a name longer is not a name but damage).
const NAME_COLUMNS: usize = 24;
/// The widths the live table keeps for agent names and notes, before any is seen.
const LIVE_NAME_COLUMNS: usize = 16;
const LIVE_NOTE_COLUMNS: usize = 30;
/// Widest a shortened event id is shown.
const EVENT_COLUMNS: usize = 16;

/// The table's columns: when space runs out the hook goes to its short form and then away,
/// then the time, then the event id; the note wraps; the agents are kept.
const COLUMNS: [Column; 6] = [
    Column::whole("TIME", 2),
    Column::whole("AGENT", KEEP),
    Column::whole("NEXT", KEEP),
    Column::whole("HOOK", 1),
    Column::whole("EVENT ID", 3),
    Column::wrap("NOTE", 4, 10, 2),
];
/// With `--verbose`, nothing is cut: the note wraps onto as many lines as it needs.
const VERBOSE_COLUMNS: [Column; 6] = [
    COLUMNS[0],
    COLUMNS[1],
    COLUMNS[2],
    COLUMNS[3],
    COLUMNS[4],
    Column::wrap("NOTE", 4, 10, usize::MAX),
];

/// How the flow view is drawn: the style, and whether anything may be cut.
#[derive(Debug, Clone, Copy)]
struct Look {
    style: Style,
    /// Full event ids and error messages, nothing cut.
    verbose: bool,
}

impl Look {
    /// `s` made safe and cut to `max` columns (not cut when verbose); borrowed when it is fine
    /// as it is.
    fn cut<'s>(&self, s: &'s str, max: usize) -> Cow<'s, str> {
        let safe = text::escape(s, false);
        if self.verbose {
            return safe;
        }
        match safe {
            Cow::Borrowed(safe) => self.style.cut(safe, max),
            Cow::Owned(safe) => Cow::Owned(self.style.cut(&safe, max).into_owned()),
        }
    }

    /// An agent name, cut only past [`NAME_COLUMNS`] (and not when verbose).
    fn name<'s>(&self, s: &'s str) -> Cow<'s, str> {
        self.cut(s, NAME_COLUMNS)
    }

    /// An event id for the table: its request id marked as shortened (`req-17461596…`),
    /// or whole when verbose.
    fn event_id(&self, id: &str) -> String {
        if self.verbose {
            return text::escape(id, false).into_owned();
        }
        let request = normalise_event_id(id);
        if request.len() == id.len() {
            return self.cut(id, EVENT_COLUMNS).into_owned();
        }
        let ellipsis = self.style.ellipsis();
        let short = text::escape(request, false);
        if text::width(&short) + text::width(ellipsis) > EVENT_COLUMNS {
            return self.cut(id, EVENT_COLUMNS).into_owned();
        }
        format!("{short}{ellipsis}")
    }

    fn columns(&self) -> &'static [Column; 6] {
        if self.verbose {
            &VERBOSE_COLUMNS
        } else {
            &COLUMNS
        }
    }
}

/// What NEXT says for a hop: the agent it handed to (whether or not the trace shows that
/// agent taking the work), `(end)` (also after a failure nobody took), or `(unfinished)`.
pub fn next_name<'f>(text: HopText<'f>, hop: &FlowHop) -> &'f str {
    match hop.next() {
        Next::Ran | Next::NotSeen => hop.hands_to().map_or("", |agent| text.agent(agent)),
        Next::End | Next::Failed => "(end)",
        Next::Unfinished => "(unfinished)",
    }
}

/// The mark a hop gets in sequences: requeue, retry, error, or none.
pub fn mark(hop: &FlowHop) -> Option<&'static str> {
    match hop.kind() {
        HopKind::Requeue => Some("requeue"),
        HopKind::Retry => Some("retry"),
        _ if hop.has_error() => Some("error"),
        _ => None,
    }
}

/// Writes the whole flow view of `session`; `verbose`: nothing cut.
pub fn write_flow(
    out: &mut dyn Write,
    session: &str,
    flow: &Flow,
    style: &Style,
    verbose: bool,
) -> io::Result<()> {
    let look = Look {
        style: *style,
        verbose,
    };
    write_title(out, session, &look)?;
    write_table(out, flow, &look)?;
    write_sections(out, flow, &look)
}

/// `Agent request flow for session ID:` and a blank line.
fn write_title(out: &mut dyn Write, session: &str, look: &Look) -> io::Result<()> {
    let title = format!(
        "Agent request flow for session {}:",
        text::escape(session, false)
    );
    look.style.prose(out, &title)?;
    writeln!(out)
}

/// What follows the table: the sequence, the condensed route, and the requests when there
/// are several (one request's sequence is the sequence diagram again).
fn write_sections(out: &mut dyn Write, flow: &Flow, look: &Look) -> io::Result<()> {
    writeln!(out)?;
    write_sequence(out, flow, look)?;
    writeln!(out)?;
    write_condensed_route(out, flow, look)?;
    if flow.requests() > 1 {
        writeln!(out)?;
        write_requests(out, flow, look)?;
    }
    Ok(())
}

/// The cells of `hop`'s row, made safe, names and texts from `text`.
fn cells<'f>(text: HopText<'f>, hop: &FlowHop, look: &Look) -> [Cell<'f>; 6] {
    // No short form for the time: hops are often milliseconds apart.
    let time = hop.time().clock_millis(look.style.zone);
    let hook = hop.hook();
    let hook_cell = Cell::new(hook.as_str().to_owned()).paint(hook_style(&hook));
    let hook_cell = match hook_short(&hook) {
        Some(short) => hook_cell.short(short),
        None => hook_cell,
    };
    let next_paint = match hop.next() {
        _ if hop.failure_routed() => ERROR_STYLE,
        Next::End | Next::Failed => Paint::new().dimmed(),
        Next::Unfinished => Paint::new().yellow(),
        Next::Ran | Next::NotSeen => Paint::new(),
    };
    let note = match note(text, hop) {
        Some((note, paint)) => Cell::new(text::escape(&note, false).into_owned()).paint(paint),
        None => Cell::default(),
    };
    [
        Cell::new(time),
        Cell::new(look.name(text.agent(hop.agent()))),
        Cell::new(look.name(next_name(text, hop))).paint(next_paint),
        hook_cell,
        Cell::new(look.event_id(&text.event_id(hop))),
        note,
    ]
}

/// The table: TIME, AGENT, NEXT, HOOK, EVENT ID, and NOTE when a hop has something to say.
/// Rows are made twice, once to measure the columns and once to write them, rather than
/// held: a long session has hundreds of thousands.
fn write_table(out: &mut dyn Write, flow: &Flow, look: &Look) -> io::Result<()> {
    let with_note = flow.hops().any(|hop| note(flow.text(), hop).is_some());
    let columns = if with_note {
        &look.columns()[..]
    } else {
        &look.columns()[..5]
    };
    let mut table = Table::new(columns, Frame::Plain);
    for hop in flow.hops() {
        table.measure(&cells(flow.text(), hop, look));
    }
    let mut writer = table.start(out, &look.style)?;
    for hop in flow.hops() {
        writer.row(&cells(flow.text(), hop, look))?;
    }
    writer.finish().map(drop)
}

/// The NOTE of a hop: what happened besides the hand-over.
fn note(text: HopText<'_>, hop: &FlowHop) -> Option<(String, Paint)> {
    let error = text.error(hop);
    match (hop.kind(), error) {
        (HopKind::Retry, Some(e)) => Some((format!("retry: {e}"), Paint::new().yellow())),
        (HopKind::Requeue, _) => Some(("requeue".to_owned(), Paint::new().yellow())),
        (_, Some(e)) => Some((format!("error: {e}"), ERROR_STYLE)),
        _ => None,
    }
}

/// Writes one hop as `agent → next` with its mark after `prefix`, wrapped to the width with
/// continuation lines indented by `indent`.
fn write_hop(
    out: &mut dyn Write,
    prefix: &str,
    indent: usize,
    flow: &Flow,
    hop: &FlowHop,
    look: &Look,
) -> io::Result<()> {
    let double = NAME_COLUMNS * 2;
    let mut line = format!(
        "{prefix}{} {} {}",
        look.cut(flow.agent(hop.agent()), double),
        look.style.arrow(),
        look.cut(next_name(flow.text(), hop), double)
    );
    let mark = mark(hop).map(|mark| format!("[{mark}]"));
    if let Some(mark) = &mark {
        line.push_str("  ");
        line.push_str(mark);
    }
    let width = look.style.width;
    let lines = if text::width(&line) <= width {
        vec![line]
    } else {
        let mut lines = text::wrap(&line, width);
        let rest = lines.split_off(1.min(lines.len())).join(" ");
        lines.extend(
            text::wrap(&rest, width.saturating_sub(indent).max(1))
                .into_iter()
                .filter(|l| !l.is_empty())
                .map(|l| format!("{}{l}", " ".repeat(indent))),
        );
        lines
    };
    for line in lines {
        match &mark {
            Some(mark) if look.style.color && line.ends_with(mark.as_str()) => {
                let tone = if mark == "[error]" {
                    ERROR_STYLE
                } else {
                    Paint::new().yellow()
                };
                let plain = &line[..line.len() - mark.len()];
                writeln!(out, "{plain}{}", look.style.paint(mark, tone))?;
            }
            _ => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// A section title with the documentation's dashed underline.
fn title(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, "{title}\n{}", "-".repeat(title.len() - 1))
}

/// `Sequence diagram:` and every hop, numbered.
fn write_sequence(out: &mut dyn Write, flow: &Flow, look: &Look) -> io::Result<()> {
    title(out, "Sequence diagram:")?;
    for (n, hop) in flow.hops().enumerate() {
        let prefix = format!("{}. ", n + 1);
        write_hop(out, &prefix, prefix.len(), flow, hop, look)?;
    }
    Ok(())
}

/// `Condensed route:` and the route without repeats, wrapped between agents.
fn write_condensed_route(out: &mut dyn Write, flow: &Flow, look: &Look) -> io::Result<()> {
    let names: Vec<String> = flow
        .condensed_route()
        .iter()
        .map(|agent| look.cut(agent, 2 * NAME_COLUMNS).into_owned())
        .collect();
    writeln!(out, "Condensed route:")?;
    let arrow = format!(" {} ", look.style.arrow());
    look.style.joined(out, &names, &arrow, 2, true)
}

/// `Per-event sequences:`: each request's hops, requests in order of their first hop.
fn write_requests(out: &mut dyn Write, flow: &Flow, look: &Look) -> io::Result<()> {
    title(out, "Per-event sequences:")?;
    for request in 0..flow.requests() {
        let label = flow.request_label(request);
        let label = if label.is_empty() {
            Cow::Borrowed("(no event id)")
        } else {
            look.cut(&label, 2 * NAME_COLUMNS)
        };
        let first = flow.request_hops(request).next();
        let time = first.map_or(String::new(), |hop| {
            hop.time().clock_millis(look.style.zone)
        });
        writeln!(out)?;
        look.style.prose(out, &format!("[{label}] {time}"))?;
        for hop in flow.request_hops(request) {
            write_hop(out, "  ", 4, flow, hop, look)?;
        }
    }
    Ok(())
}

/// The flow table as the session is written (`trace --follow --flow-only`): the title and the
/// header once, the columns as wide as names are shown (room kept for names not seen yet), then
/// a row per hop as soon as its NEXT is final (a failed run's, once the runner has sent its
/// failure on); at the end, the runs still unfinished, the sequence, the condensed route and
/// the requests, as in the whole view.
pub struct LiveFlowView<'w> {
    session: String,
    look: Look,
    builder: FlowBuilder,
    stage: LiveStage<'w>,
}

enum LiveStage<'w> {
    Waiting(&'w mut dyn Write),
    Drawing(Writer<'static, &'w mut dyn Write>),
    Done,
}

impl<'w> LiveFlowView<'w> {
    pub fn new(out: &'w mut dyn Write, session: &str, style: Style, verbose: bool) -> Self {
        LiveFlowView {
            session: session.to_owned(),
            look: Look { style, verbose },
            builder: FlowBuilder::new(),
            stage: LiveStage::Waiting(out),
        }
    }

    /// The title and the header, once, the columns sized for rows not seen yet.
    fn start(&mut self) -> io::Result<()> {
        if !matches!(self.stage, LiveStage::Waiting(_)) {
            return Ok(());
        }
        let LiveStage::Waiting(out) = std::mem::replace(&mut self.stage, LiveStage::Done) else {
            return Ok(());
        };
        write_title(out, &self.session, &self.look)?;
        let mut table = Table::new(self.look.columns(), Frame::Plain);
        let time = "HH:MM:SS.mmm".len();
        let hook = Hook::BeforeEventHandling.as_str().len();
        let short_hook = "BeforeEvent".len();
        table.reserve(0, time, time);
        table.reserve(1, LIVE_NAME_COLUMNS, 0);
        table.reserve(2, LIVE_NAME_COLUMNS, 0);
        table.reserve(3, hook, short_hook);
        table.reserve(4, EVENT_COLUMNS, 0);
        table.reserve(5, LIVE_NOTE_COLUMNS, 0);
        self.stage = LiveStage::Drawing(table.start(out, &self.look.style)?);
        Ok(())
    }

    /// Rows for the hops settled since the last call (all of them with `all`).
    fn write_settled(&mut self, all: bool) -> io::Result<()> {
        let settled = self.builder.settled(all);
        if settled.is_empty() {
            return Ok(());
        }
        self.start()?;
        let LiveStage::Drawing(writer) = &mut self.stage else {
            return Ok(());
        };
        for index in settled {
            let hop = self.builder.hop(index);
            if hop.is_shown() {
                writer.row(&cells(self.builder.text(), hop, &self.look))?;
            }
        }
        Ok(())
    }
}

impl EntryView for LiveFlowView<'_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        self.builder.push(&read.entry, true);
        self.write_settled(false)
    }

    fn filtered_out(&mut self, read: &Entry<'_>) -> io::Result<()> {
        self.builder.push(&read.entry, false);
        self.write_settled(false)
    }

    fn caught_up(&mut self) -> io::Result<()> {
        self.start()?;
        match &mut self.stage {
            LiveStage::Drawing(writer) => writer.flush(),
            LiveStage::Waiting(_) | LiveStage::Done => Ok(()),
        }
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        self.write_settled(true)?;
        let flow = std::mem::take(&mut self.builder).finish();
        let mut unfinished = flow
            .hops()
            .filter(|h| h.next() == Next::Unfinished)
            .peekable();
        if unfinished.peek().is_some() {
            self.start()?;
        }
        if let LiveStage::Drawing(writer) = &mut self.stage {
            for hop in unfinished {
                writer.row(&cells(flow.text(), hop, &self.look))?;
            }
        }
        let out = match std::mem::replace(&mut self.stage, LiveStage::Done) {
            LiveStage::Drawing(writer) => writer.finish()?,
            LiveStage::Waiting(out) => out,
            LiveStage::Done => return Ok(()),
        };
        if !flow.is_empty() {
            write_sections(out, &flow, &self.look)?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(ascii: bool, verbose: bool) -> Look {
        Look {
            style: Style {
                zone: crate::time::DisplayZone::Utc,
                width: 100,
                color: false,
                ascii,
            },
            verbose,
        }
    }

    #[test]
    fn event_ids_are_shortened_to_their_request() {
        let s = look(false, false);
        assert_eq!(s.event_id("req-88000918-planner"), "req-88000918…");
        assert_eq!(
            s.event_id("543bcd04-365e-52e7-c873-83f4b1429de1"),
            "543bcd04…"
        );
        assert_eq!(s.event_id("job-7"), "job-7");
        assert_eq!(
            s.event_id("an-application-given-id-0042"),
            "an-application-…"
        );
        assert_eq!(s.event_id("日本語のイベント識別子です"), "日本語のイベン…");
        assert_eq!(s.event_id("ev\x1b[2Jil"), "ev\\x1b[2Jil");
        let ascii = look(true, false);
        assert_eq!(ascii.event_id("req-88000918-planner"), "req-88000918...");
        assert_eq!(
            ascii.event_id("an-application-given-id-0042"),
            "an-applicatio..."
        );
        let verbose = look(false, true);
        assert_eq!(
            verbose.event_id("543bcd04-365e-52e7-c873-83f4b1429de1"),
            "543bcd04-365e-52e7-c873-83f4b1429de1"
        );
    }

    #[test]
    fn names_are_escaped_and_cut_by_display_width() {
        let s = look(false, false);
        assert_eq!(s.cut("planner", 24), "planner");
        assert_eq!(s.cut("a\u{202e}b", 24), "a\\u202eb");
        assert_eq!(s.cut("エージェントエージェント", 9), "エージェ…");
        assert_eq!(
            look(true, false).cut("エージェントエージェント", 9),
            "エージ..."
        );
        assert_eq!(
            look(false, true).cut("エージェントエージェント", 9).len(),
            36
        );
    }
}
