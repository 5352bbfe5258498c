//! The flow view as text, in the documentation's layout: the agent request flow table, the
//! numbered sequence diagram, the condensed route, and the sequence of each request.

use crate::analysis::Next;
use crate::analysis::flow::{Flow, FlowBuilder, FlowHop, HopText};
use crate::analysis::hops::HopKind;
use crate::analysis::routes::normalise_event_id;
use crate::model::Hook;
use crate::read::{Entry, EntryView, ReadSummary};
use crate::render::{ERROR_STYLE, Settings, hook_style};
use crate::text;
use owo_colors::{OwoColorize, Style};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// How the flow view looks.
#[derive(Debug, Clone, Copy)]
pub struct FlowStyle {
    /// Width (the NOTE column fits in it), colour, time zone.
    pub settings: Settings,
    /// `->` and `...` instead of `→` and `…`.
    pub ascii: bool,
    /// Full event ids and error messages, nothing cut.
    pub verbose: bool,
}

/// Space between table columns.
const GAP: &str = "   ";
/// Widest an agent name is shown in the table (and, doubled, elsewhere) unless verbose.
const NAME_COLUMNS: usize = 24;
/// The width the live table keeps for agent names, before any is seen.
const LIVE_NAME_COLUMNS: usize = 16;
/// Widest a shortened event id is shown.
const EVENT_COLUMNS: usize = 16;
/// Narrowest the NOTE column gets, whatever the width.
const NOTE_MIN_COLUMNS: usize = 10;
/// Narrowest the AGENT and NEXT columns get when the table must fit a narrow width.
const NAME_MIN_COLUMNS: usize = 8;

impl FlowStyle {
    /// The arrow between two agents.
    pub fn arrow(&self) -> &'static str {
        if self.ascii { "->" } else { "→" }
    }

    /// `s` made safe and cut to `max` columns (not cut when verbose), with the style's
    /// ellipsis; borrowed when it is fine as it is.
    pub fn cut<'s>(&self, s: &'s str, max: usize) -> Cow<'s, str> {
        let safe = text::escape(s, false);
        if self.verbose {
            return safe;
        }
        if !self.ascii {
            return match safe {
                Cow::Borrowed(safe) => text::truncate(safe, max),
                Cow::Owned(safe) => Cow::Owned(text::truncate(&safe, max).into_owned()),
            };
        }
        let cut = match text::truncate(&safe, max.saturating_sub(2)) {
            Cow::Owned(cut) if text::width(&safe) > max => {
                let kept = cut.strip_suffix(text::ELLIPSIS).unwrap_or(&cut);
                Some(format!("{kept}..."))
            }
            _ => None,
        };
        cut.map_or(safe, Cow::Owned)
    }

    /// An event id for the table: its request id marked as shortened (`req-17461596…`),
    /// or whole when verbose.
    pub fn event_id(&self, id: &str) -> String {
        if self.verbose {
            return text::escape(id, false).into_owned();
        }
        let request = normalise_event_id(id);
        if request.len() == id.len() {
            return self.cut(id, EVENT_COLUMNS).into_owned();
        }
        let ellipsis = if self.ascii { "..." } else { "…" };
        let short = text::escape(request, false);
        if text::width(&short) + text::width(ellipsis) > EVENT_COLUMNS {
            return self.cut(id, EVENT_COLUMNS).into_owned();
        }
        format!("{short}{ellipsis}")
    }

    fn paint<'s>(&self, s: &'s str, style: Style) -> Cow<'s, str> {
        if self.settings.color {
            Cow::Owned(s.style(style).to_string())
        } else {
            Cow::Borrowed(s)
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

/// Writes the whole flow view of `session`.
pub fn write_flow(
    out: &mut dyn Write,
    session: &str,
    flow: &Flow,
    style: &FlowStyle,
) -> io::Result<()> {
    writeln!(
        out,
        "Agent request flow for session {}:\n",
        text::escape(session, false)
    )?;
    write_table(out, flow, style)?;
    writeln!(out)?;
    write_sequence(out, flow, style)?;
    writeln!(out)?;
    write_condensed_route(out, flow, style)?;
    // One request's sequence is the sequence diagram again: only several are worth a section.
    if flow.requests() > 1 {
        writeln!(out)?;
        write_requests(out, flow, style)?;
    }
    Ok(())
}

/// One row of the table, made safe and cut.
struct Row<'f> {
    time: [u8; 12],
    agent: Cow<'f, str>,
    next: Cow<'f, str>,
    hook: Hook<'static>,
    event: String,
    note: Option<(String, Style)>,
    next_style: Style,
}

impl<'f> Row<'f> {
    /// The row of `hop`, its names and texts from `text`.
    fn new(text: HopText<'f>, hop: &FlowHop, style: &FlowStyle) -> Row<'f> {
        let name_max = if style.verbose {
            usize::MAX
        } else {
            NAME_COLUMNS
        };
        Row {
            time: hop.time().clock_millis_ascii(style.settings.zone),
            agent: style.cut(text.agent(hop.agent()), name_max),
            next: style.cut(next_name(text, hop), name_max),
            hook: hop.hook(),
            event: style.event_id(&text.event_id(hop)),
            note: note(text, hop),
            next_style: match hop.next() {
                _ if hop.failure_routed() => ERROR_STYLE,
                Next::End | Next::Failed => Style::new().dimmed(),
                Next::Unfinished => Style::new().yellow(),
                Next::Ran | Next::NotSeen => Style::new(),
            },
        }
    }

    /// The first five cells, plain, with their colours.
    fn cells(&self) -> [(&str, Style); 5] {
        [
            (
                std::str::from_utf8(&self.time).unwrap_or_default(),
                Style::new(),
            ),
            (&self.agent, Style::new()),
            (&self.next, self.next_style),
            (self.hook.as_str(), hook_style(&self.hook)),
            (&self.event, Style::new()),
        ]
    }
}

/// The table: TIME, AGENT, NEXT, HOOK, EVENT ID, and NOTE when a hop has something to say.
/// Rows are made twice, once to measure the columns and once to write them, rather than
/// held: a long session has hundreds of thousands.
pub fn write_table(out: &mut dyn Write, flow: &Flow, style: &FlowStyle) -> io::Result<()> {
    let mut widths = HEADER.map(text::width);
    let mut with_note = false;
    for hop in flow.hops() {
        let row = Row::new(flow.text(), hop, style);
        for (width, (plain, _)) in widths.iter_mut().zip(row.cells()) {
            *width = (*width).max(text::width(plain));
        }
        with_note |= row.note.is_some();
    }
    let columns = if with_note { 6 } else { 5 };
    let note_max = if style.verbose {
        usize::MAX
    } else {
        fit(&mut widths, columns, style.settings.width)
    };
    let widths = &widths[..5];

    let mut line = String::new();
    write_header(out, columns, widths, style, &mut line)?;
    for hop in flow.hops() {
        let row = Row::new(flow.text(), hop, style);
        write_row(out, &row, widths, note_max, style, &mut line)?;
    }
    Ok(())
}

/// The column titles of the table.
const HEADER: [&str; 6] = ["TIME", "AGENT", "NEXT", "HOOK", "EVENT ID", "NOTE"];

/// The header line: the first `columns` titles, over columns of `widths`.
fn write_header(
    out: &mut dyn Write,
    columns: usize,
    widths: &[usize],
    style: &FlowStyle,
    line: &mut String,
) -> io::Result<()> {
    let bold = Style::new().bold();
    line.clear();
    for (i, title) in HEADER.iter().take(columns).enumerate() {
        cell(
            line,
            &style.paint(title, bold),
            text::width(title),
            widths.get(i),
        );
    }
    write_line(out, line)
}

/// Writes `line` without its trailing spaces, and a newline.
fn write_line(out: &mut dyn Write, line: &mut String) -> io::Result<()> {
    line.truncate(line.trim_end().len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// One row: its cells cut to `widths`, and its NOTE to `note_max`.
fn write_row(
    out: &mut dyn Write,
    row: &Row,
    widths: &[usize],
    note_max: usize,
    style: &FlowStyle,
    line: &mut String,
) -> io::Result<()> {
    line.clear();
    for (i, (plain, tone)) in row.cells().into_iter().enumerate() {
        let plain_width = text::width(plain);
        let (plain, plain_width) = match widths.get(i) {
            Some(&width) if plain_width > width => {
                let cut = style.cut(plain, width);
                let cut_width = text::width(&cut);
                (cut, cut_width)
            }
            _ => (Cow::Borrowed(plain), plain_width),
        };
        let painted = style.paint(&plain, tone);
        cell(line, &painted, plain_width, widths.get(i));
    }
    if let Some((note, tone)) = &row.note {
        line.push_str(&style.paint(&style.cut(note, note_max), *tone));
    }
    write_line(out, line)
}

/// Narrows the AGENT and NEXT columns until a row fits in `width` with room for a NOTE;
/// returns the NOTE's width.
fn fit(widths: &mut [usize; 6], columns: usize, width: usize) -> usize {
    let note_min = if columns == 6 { NOTE_MIN_COLUMNS } else { 0 };
    let gaps = GAP.len() * (columns - 1);
    let others = widths[0] + widths[3] + widths[4] + gaps + note_min;
    let room = width.saturating_sub(others);
    while widths[1] + widths[2] > room && widths[1].max(widths[2]) > NAME_MIN_COLUMNS {
        let wider = if widths[1] >= widths[2] { 1 } else { 2 };
        widths[wider] -= 1;
    }
    let used = others - note_min + widths[1] + widths[2];
    width.saturating_sub(used).max(note_min)
}

/// Appends a cell: its painted text, padded to `width` (the last cell is not padded).
fn cell(line: &mut String, painted: &str, plain_width: usize, width: Option<&usize>) {
    line.push_str(painted);
    if let Some(&width) = width {
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(plain_width)));
        line.push_str(GAP);
    }
}

/// The NOTE of a hop: what happened besides the hand-over.
fn note(text: HopText<'_>, hop: &FlowHop) -> Option<(String, Style)> {
    let error = text.error(hop);
    match (hop.kind(), error) {
        (HopKind::Retry, Some(e)) => Some((format!("retry: {e}"), Style::new().yellow())),
        (HopKind::Requeue, _) => Some(("requeue".to_owned(), Style::new().yellow())),
        (_, Some(e)) => Some((format!("error: {e}"), ERROR_STYLE)),
        _ => None,
    }
}

/// Appends one hop as `agent → next` with its mark to `line`.
fn sequence_line(line: &mut String, flow: &Flow, hop: &FlowHop, style: &FlowStyle) {
    let max = if style.verbose {
        usize::MAX
    } else {
        2 * NAME_COLUMNS
    };
    line.push_str(&style.cut(flow.agent(hop.agent()), max));
    line.push(' ');
    line.push_str(style.arrow());
    line.push(' ');
    line.push_str(&style.cut(next_name(flow.text(), hop), max));
    if let Some(mark) = mark(hop) {
        let tone = if mark == "error" {
            ERROR_STYLE
        } else {
            Style::new().yellow()
        };
        line.push_str("  ");
        line.push_str(&style.paint(&format!("[{mark}]"), tone));
    }
    line.push('\n');
}

/// A section title with the documentation's dashed underline.
fn title(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, "{title}\n{}", "-".repeat(title.len() - 1))
}

/// `Sequence diagram:` and every hop, numbered.
pub fn write_sequence(out: &mut dyn Write, flow: &Flow, style: &FlowStyle) -> io::Result<()> {
    title(out, "Sequence diagram:")?;
    let mut line = String::new();
    for (n, hop) in flow.hops().enumerate() {
        line.clear();
        let _ = write!(line, "{}. ", n + 1);
        sequence_line(&mut line, flow, hop, style);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// `Condensed route:` and the route without repeats.
pub fn write_condensed_route(
    out: &mut dyn Write,
    flow: &Flow,
    style: &FlowStyle,
) -> io::Result<()> {
    let max = if style.verbose {
        usize::MAX
    } else {
        2 * NAME_COLUMNS
    };
    let names: Vec<Cow<'_, str>> = flow
        .condensed_route()
        .iter()
        .map(|agent| style.cut(agent, max))
        .collect();
    writeln!(
        out,
        "Condensed route:\n{}",
        names.join(&format!(" {} ", style.arrow()))
    )
}

/// `Per-event sequences:`: each request's hops, requests in order of their first hop.
pub fn write_requests(out: &mut dyn Write, flow: &Flow, style: &FlowStyle) -> io::Result<()> {
    title(out, "Per-event sequences:")?;
    let mut line = String::new();
    for request in 0..flow.requests() {
        let label = flow.request_label(request);
        let label = if label.is_empty() {
            Cow::Borrowed("(no event id)")
        } else {
            style.cut(&label, 2 * NAME_COLUMNS)
        };
        let first = flow.request_hops(request).next();
        let time = first.map_or(String::new(), |hop| {
            hop.time().clock_millis(style.settings.zone)
        });
        writeln!(out, "\n[{label}] {time}")?;
        for hop in flow.request_hops(request) {
            line.clear();
            line.push_str("  ");
            sequence_line(&mut line, flow, hop, style);
            out.write_all(line.as_bytes())?;
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
    out: &'w mut dyn Write,
    session: String,
    style: FlowStyle,
    builder: FlowBuilder,
    widths: [usize; 6],
    note_max: usize,
    started: bool,
    line: String,
}

impl<'w> LiveFlowView<'w> {
    pub fn new(out: &'w mut dyn Write, session: &str, style: FlowStyle) -> Self {
        let time = "HH:MM:SS.mmm".len();
        let hook = Hook::BeforeEventHandling.as_str().len();
        let names = LIVE_NAME_COLUMNS;
        let mut widths = [time, names, names, hook, EVENT_COLUMNS, 0];
        let note_max = if style.verbose {
            usize::MAX
        } else {
            fit(&mut widths, 6, style.settings.width)
        };
        LiveFlowView {
            out,
            session: session.to_owned(),
            style,
            builder: FlowBuilder::new(),
            widths,
            note_max,
            started: false,
            line: String::new(),
        }
    }

    /// The title and the header, once.
    fn start(&mut self) -> io::Result<()> {
        if !std::mem::replace(&mut self.started, true) {
            writeln!(
                self.out,
                "Agent request flow for session {}:\n",
                text::escape(&self.session, false)
            )?;
            write_header(self.out, 6, &self.widths[..5], &self.style, &mut self.line)?;
        }
        Ok(())
    }

    /// Rows for the hops settled since the last call (all of them with `all`).
    fn write_settled(&mut self, all: bool) -> io::Result<()> {
        let settled = self.builder.settled(all);
        if settled.is_empty() {
            return Ok(());
        }
        self.start()?;
        let builder = &self.builder;
        for index in settled {
            let hop = builder.hop(index);
            if hop.is_shown() {
                let row = Row::new(builder.text(), hop, &self.style);
                let widths = &self.widths[..5];
                write_row(
                    self.out,
                    &row,
                    widths,
                    self.note_max,
                    &self.style,
                    &mut self.line,
                )?;
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
        self.out.flush()
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        self.write_settled(true)?;
        let flow = std::mem::take(&mut self.builder).finish();
        let unfinished = flow.hops().filter(|h| h.next() == Next::Unfinished);
        for hop in unfinished {
            self.start()?;
            let row = Row::new(flow.text(), hop, &self.style);
            let widths = &self.widths[..5];
            write_row(
                self.out,
                &row,
                widths,
                self.note_max,
                &self.style,
                &mut self.line,
            )?;
        }
        if !flow.is_empty() {
            writeln!(self.out)?;
            write_sequence(self.out, &flow, &self.style)?;
            writeln!(self.out)?;
            write_condensed_route(self.out, &flow, &self.style)?;
            if flow.requests() > 1 {
                writeln!(self.out)?;
                write_requests(self.out, &flow, &self.style)?;
            }
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(ascii: bool, verbose: bool) -> FlowStyle {
        FlowStyle {
            settings: Settings {
                zone: crate::time::DisplayZone::Utc,
                width: 100,
                color: false,
            },
            ascii,
            verbose,
        }
    }

    #[test]
    fn event_ids_are_shortened_to_their_request() {
        let s = style(false, false);
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
        let ascii = style(true, false);
        assert_eq!(ascii.event_id("req-88000918-planner"), "req-88000918...");
        assert_eq!(
            ascii.event_id("an-application-given-id-0042"),
            "an-applicatio..."
        );
        let verbose = style(false, true);
        assert_eq!(
            verbose.event_id("543bcd04-365e-52e7-c873-83f4b1429de1"),
            "543bcd04-365e-52e7-c873-83f4b1429de1"
        );
    }

    #[test]
    fn names_are_escaped_and_cut_by_display_width() {
        let s = style(false, false);
        assert_eq!(s.cut("planner", 24), "planner");
        assert_eq!(s.cut("a\u{202e}b", 24), "a\\u202eb");
        assert_eq!(s.cut("エージェントエージェント", 9), "エージェ…");
        assert_eq!(
            style(true, false).cut("エージェントエージェント", 9),
            "エージ..."
        );
        assert_eq!(style(true, false).cut("abc", 3), "abc");
        assert_eq!(
            style(false, true).cut("エージェントエージェント", 9).len(),
            36
        );
        assert_eq!((s.arrow(), style(true, false).arrow()), ("→", "->"));
    }
}
