//! The timeline table: one row per entry (TIMESTAMP, HOOK, AGENT, STATE, ERROR), box-drawn in
//! the seed documentation's style, written row by row as entries are read.
//!
//! Column widths are decided before the first row is drawn and never change, so a table of any
//! length streams: [`TimelineTable`] is the streaming writer (header, rows, bottom border) that
//! live views reuse, and [`TimelineView`] is the session view, which sizes the columns on a bounded
//! look-ahead of the first rows.

use super::{BOX_STYLE, ERROR_STYLE, Settings, hook_style};
use crate::json::{compact_prefix, raw_text_prefix};
use crate::model::TraceEntry;
use crate::read::{Entry, EntryView, ReadSummary};
use crate::redact::{Members, Redactor};
use crate::text::{self, ELLIPSIS};
use comfy_table::{ContentLineStyle, LineStyle};
use owo_colors::Style;
use serde_json::value::RawValue;
use std::io::{self, Write};

/// The column headers.
pub const HEADERS: [&str; 5] = ["TIMESTAMP", "HOOK", "AGENT", "STATE", "ERROR"];

/// `HH:MM:SS.mmm`.
const TIMESTAMP_WIDTH: usize = 12;
/// The longest hook name the writer uses (`BeforeEventHandling`).
const HOOK_WIDTH: usize = 19;
/// No column is narrower than its header (`AGENT`, `STATE`, `ERROR`).
const MIN_WIDTH: usize = 5;
/// Agent and hook names longer than this are shortened.
const NAME_CAP: usize = 24;
/// Widths kept for STATE and ERROR when rows not seen yet may need them.
const STATE_RESERVE: usize = 40;
const ERROR_RESERVE: usize = 30;
/// The width the AGENT column keeps for rows not seen yet.
const AGENT_RESERVE: usize = 16;
/// At most this many columns of one value in a state summary.
const VALUE_CAP: usize = 32;
/// Borders and padding: `│ ` before each of the five columns, ` ` after each, the final `│`.
const FRAME: usize = 5 * 3 + 1;

/// The first rows the session view holds back to size its columns: at most this many entries
/// read from the file, and this many bytes of them.
const LOOKAHEAD_ENTRIES: u64 = 1000;
const LOOKAHEAD_BYTES: usize = 4 << 20;

/// The natural widths of the variable columns, measured on the rows seen before drawing. The
/// default has seen nothing: a live view that sizes its columns before any row arrives uses it,
/// and gets widths kept for the rows to come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColumnSample {
    hook: usize,
    agent: usize,
    state: usize,
    error: usize,
    /// Every row of the table was seen: no width needs to be kept for rows to come.
    complete: bool,
}

impl ColumnSample {
    /// Measures one row. `limit` bounds the state summary built to measure it (the table's
    /// width is enough).
    pub fn observe(
        &mut self,
        entry: &TraceEntry<'_>,
        redactor: &Redactor,
        limit: usize,
        scratch: &mut String,
    ) {
        let escaped_width = |s: &str| text::width(&text::escape(s, false));
        self.hook = self.hook.max(escaped_width(entry.hook.as_str()));
        self.agent = self.agent.max(escaped_width(entry.agent()));
        summarize_state(entry, redactor, limit, scratch);
        self.state = self.state.max(text::width(scratch));
        let error = entry.error_message().map_or(1, escaped_width);
        self.error = self.error.max(error);
    }

    /// Says that every row the table will hold was observed.
    pub fn set_complete(&mut self) {
        self.complete = true;
    }
}

/// The widths of the columns (contents only, without padding and borders).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineLayout {
    pub hook: usize,
    pub agent: usize,
    pub state: usize,
    pub error: usize,
}

impl TimelineLayout {
    /// Widths that fit `width` columns where they can: STATE and ERROR give up space first
    /// (ERROR keeps up to a third of what they share), then AGENT, then HOOK. Below about 50
    /// columns the table is wider than asked: no column is narrower than its header.
    pub fn fit(width: usize, sample: &ColumnSample) -> TimelineLayout {
        let mut hook = sample.hook.clamp(4, NAME_CAP);
        let mut agent = sample.agent.clamp(MIN_WIDTH, NAME_CAP);
        let mut state = sample.state.max(MIN_WIDTH);
        let mut error = sample.error.max(MIN_WIDTH);
        if !sample.complete {
            hook = hook.max(HOOK_WIDTH);
            // Agents not seen yet (a live table's) may have longer names.
            agent = agent.max(AGENT_RESERVE);
            state = state.max(STATE_RESERVE);
            error = error.max(ERROR_RESERVE);
        }
        let total =
            |hook, agent, state, error| FRAME + TIMESTAMP_WIDTH + hook + agent + state + error;
        let over = total(hook, agent, state, error).saturating_sub(width);
        if over > 0 {
            let shared = (state + error).saturating_sub(over).max(2 * MIN_WIDTH);
            error = error
                .min((shared / 3).max(shared.saturating_sub(state)))
                .max(MIN_WIDTH);
            state = shared.saturating_sub(error).max(MIN_WIDTH);
        }
        let over = total(hook, agent, state, error).saturating_sub(width);
        let cut = over.min(agent - MIN_WIDTH);
        agent -= cut;
        let over = over - cut;
        hook -= over.min(hook - 4);
        TimelineLayout {
            hook,
            agent,
            state,
            error,
        }
    }

    /// The table's full width, borders included.
    pub fn width(&self) -> usize {
        FRAME + TIMESTAMP_WIDTH + self.hook + self.agent + self.state + self.error
    }

    fn columns(&self) -> [usize; 5] {
        [
            TIMESTAMP_WIDTH,
            self.hook,
            self.agent,
            self.state,
            self.error,
        ]
    }
}

/// Writes the line that opens a session's output: `Trace for session ID:` and a blank line.
pub fn write_title(out: &mut dyn Write, session_id: &str) -> io::Result<()> {
    writeln!(
        out,
        "Trace for session {}:\n",
        text::escape(session_id, false)
    )
}

/// The streaming table writer: the header when created, then one row per call, then the
/// bottom border. It holds no rows, and reuses its buffers from row to row.
pub struct TimelineTable<'r, W: Write> {
    out: W,
    layout: TimelineLayout,
    settings: Settings,
    redactor: &'r Redactor,
    line: Vec<u8>,
    scratch: String,
}

impl<'r, W: Write> TimelineTable<'r, W> {
    /// Starts a table: writes its top border and header.
    pub fn new(
        out: W,
        layout: TimelineLayout,
        settings: Settings,
        redactor: &'r Redactor,
    ) -> io::Result<Self> {
        let mut table = TimelineTable {
            out,
            layout,
            settings,
            redactor,
            line: Vec::with_capacity(4 * layout.width()),
            scratch: String::new(),
        };
        let style = BOX_STYLE;
        table.rule(style.top_border);
        for (column, (header, width)) in HEADERS.iter().zip(layout.columns()).enumerate() {
            table.cell_start(style.header_lines, column);
            push_cell(&mut table.line, header, width, None);
        }
        table.line_end(style.header_lines.right);
        table.rule(style.header_separator);
        table.out.write_all(&table.line)?;
        Ok(table)
    }

    /// Writes one entry's row.
    pub fn write_row(&mut self, entry: &TraceEntry<'_>) -> io::Result<()> {
        let lines = BOX_STYLE.content_lines;
        let color = self.settings.color;
        let widths = self.layout;
        self.line.clear();
        self.cell_start(lines, 0);
        self.line
            .extend_from_slice(&entry.timestamp.clock_millis_ascii(self.settings.zone));

        self.cell_start(lines, 1);
        let hook = text::escape(entry.hook.as_str(), false);
        let style = color.then(|| hook_style(&entry.hook));
        push_cell(&mut self.line, &hook, widths.hook, style);

        self.cell_start(lines, 2);
        let agent = entry.agent();
        let agent = if agent.is_empty() {
            "-".into()
        } else {
            text::escape(agent, false)
        };
        push_cell(&mut self.line, &agent, widths.agent, None);

        self.cell_start(lines, 3);
        summarize_state(entry, self.redactor, widths.state, &mut self.scratch);
        push_cell(&mut self.line, &self.scratch, widths.state, None);

        self.cell_start(lines, 4);
        match entry.error_message() {
            Some(error) => {
                let style = color.then_some(ERROR_STYLE);
                push_cell(
                    &mut self.line,
                    &text::escape(error, false),
                    widths.error,
                    style,
                );
            }
            None => push_cell(&mut self.line, "-", widths.error, None),
        }
        self.line_end(lines.right);
        self.out.write_all(&self.line)
    }

    /// Sends the rows written so far on (a live table is shown as it grows).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the table with its bottom border, and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.line.clear();
        self.rule(BOX_STYLE.bottom_border);
        self.out.write_all(&self.line)?;
        Ok(self.out)
    }

    /// `│ ` before the first cell, ` │ ` before the others.
    fn cell_start(&mut self, style: ContentLineStyle, column: usize) {
        let border = if column == 0 {
            style.left
        } else {
            self.line.push(b' ');
            style.junction
        };
        push_char(&mut self.line, border.unwrap_or(' '));
        self.line.push(b' ');
    }

    fn line_end(&mut self, right: Option<char>) {
        self.line.push(b' ');
        push_char(&mut self.line, right.unwrap_or(' '));
        self.line.push(b'\n');
    }

    /// A horizontal rule (`┌───┬───┐`) appended to the line buffer.
    fn rule(&mut self, style: LineStyle) {
        let fill = style.fill.unwrap_or('─');
        for (i, width) in self.layout.columns().into_iter().enumerate() {
            let corner = if i == 0 { style.left } else { style.junction };
            push_char(&mut self.line, corner.unwrap_or(fill));
            for _ in 0..width + 2 {
                push_char(&mut self.line, fill);
            }
        }
        push_char(&mut self.line, style.right.unwrap_or(fill));
        self.line.push(b'\n');
    }
}

fn push_char(line: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    line.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Appends `content` (already escaped) cut and padded to `width` columns, coloured if asked.
fn push_cell(line: &mut Vec<u8>, content: &str, width: usize, style: Option<Style>) {
    let shown = text::truncate(content, width);
    let used = text::width(&shown);
    match style {
        Some(style) => {
            // Writing into a Vec cannot fail.
            let _ = write!(
                line,
                "{}{shown}{}",
                style.prefix_formatter(),
                style.suffix_formatter()
            );
        }
        None => line.extend_from_slice(shown.as_bytes()),
    }
    line.resize(line.len() + width.saturating_sub(used), b' ');
}

/// Writes the entry's state summary into `out` (cleared first): the merged state data, keys
/// in order, as `{key:"value", key2:42, ...}`, each value shortened, the whole within about
/// `max` columns; `-` when there is none.
pub fn summarize_state(entry: &TraceEntry<'_>, redactor: &Redactor, max: usize, out: &mut String) {
    out.clear();
    if entry.state.is_none() && entry.output_state().is_none() {
        out.push('-');
        return;
    }
    match entry.merged_data() {
        Ok(members) if members.is_empty() => out.push('-'),
        Ok(members) => state_summary(&redactor.redact_members(members), max, out),
        // Data that is not an object: shown as it is (redacted whole if it could hold secrets).
        Err(_) => {
            let data = [entry.output_state(), entry.state.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|s| s.data);
            match data {
                Some(raw) => {
                    push_value(out, &redactor.redact(raw), VALUE_CAP.max(max));
                }
                None => out.push('-'),
            }
        }
    }
}

/// `{key:"value", key2:42, ...}`: as many members as fit in `max` columns, in the order given,
/// each value shortened to what is left. The first member is always shown (a cell cuts it).
pub fn state_summary(members: &Members<'_>, max: usize, out: &mut String) {
    const MORE: &str = ", ...}";
    /// A later member is only worth showing shortened with at least this much of its value.
    const MIN_VALUE: usize = 8;
    out.push('{');
    let mut used = 1;
    for (i, (key, value)) in members.iter().enumerate() {
        let start = out.len();
        let key = text::escape(key, false);
        let separator = if i > 0 { 2 } else { 0 };
        let closing = if i + 1 == members.len() {
            1
        } else {
            MORE.len()
        };
        let room = max.saturating_sub(used + separator + text::width(&key) + 1 + closing);
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&key);
        out.push(':');
        let cut = push_value(
            out,
            value,
            VALUE_CAP.min(room.max(if i == 0 { MIN_VALUE } else { 1 })),
        );
        // A later member is shown whole, or with enough of its value to be worth it.
        if i > 0 && (room == 0 || (cut && room < MIN_VALUE)) {
            out.truncate(start);
            out.push_str(MORE);
            return;
        }
        used += text::width(&out[start..]);
    }
    out.push('}');
}

/// One value, shortened to `cap` columns: a string quoted, anything else as compact JSON.
/// Returns whether it was shortened.
fn push_value(out: &mut String, raw: &RawValue, cap: usize) -> bool {
    let json = raw.get();
    if json.starts_with('"') {
        out.push('"');
        // Only the start of a long string is decoded: JSON enough for the `cap * 4` characters
        // `push_shortened` looks at (most text takes a byte or two a character; escapes take
        // up to 12, and then more is decoded).
        let mut budget = cap.saturating_mul(8);
        let (start, more) = loop {
            let (start, more) = raw_text_prefix(raw, budget);
            if !more || start.chars().nth(cap * 4).is_some() {
                break (start, more);
            }
            budget = budget.saturating_mul(4);
        };
        let cut = push_shortened(out, &start, cap.saturating_sub(2), more);
        out.push('"');
        cut
    } else {
        let (compact, whole) = compact_prefix(json, cap * 4);
        push_shortened_with(out, &text::escape(&compact, false), cap, !whole)
    }
}

/// Appends `s` escaped and cut to `cap` columns (`more`: `s` is only the start of the value).
/// Only the start of a long value is looked at.
fn push_shortened(out: &mut String, s: &str, cap: usize, more: bool) -> bool {
    let (head, cut) = match s.char_indices().nth(cap * 4) {
        Some((i, _)) => (&s[..i], true),
        None => (s, more),
    };
    push_shortened_with(out, &text::escape(head, false), cap, cut)
}

/// Appends `s` (safe text) cut to `cap` columns; `more` says `s` is already only a part.
/// Returns whether what was appended is shortened.
fn push_shortened_with(out: &mut String, s: &str, cap: usize, more: bool) -> bool {
    if !more {
        out.push_str(&text::truncate(s, cap));
        return text::width(s) > cap;
    }
    let short = text::truncate(s, cap.saturating_sub(1));
    out.push_str(&short);
    if !short.ends_with(ELLIPSIS) {
        out.push(ELLIPSIS);
    }
    true
}

/// The session's timeline: the title, then the table, its columns sized on the first rows.
pub struct TimelineView<'r, 'w> {
    session_id: String,
    settings: Settings,
    redactor: &'r Redactor,
    stage: Stage<'r, 'w>,
}

enum Stage<'r, 'w> {
    /// Holding the first rows (their JSON) to size the columns.
    Sampling {
        out: &'w mut dyn Write,
        held: Vec<u8>,
        ends: Vec<usize>,
        sample: ColumnSample,
        scratch: String,
    },
    Drawing(TimelineTable<'r, &'w mut dyn Write>),
    Done,
}

impl<'r, 'w> TimelineView<'r, 'w> {
    pub fn new(
        out: &'w mut dyn Write,
        session_id: &str,
        settings: Settings,
        redactor: &'r Redactor,
    ) -> Self {
        TimelineView {
            session_id: session_id.to_owned(),
            settings,
            redactor,
            stage: Stage::Sampling {
                out,
                held: Vec::new(),
                ends: Vec::new(),
                sample: ColumnSample::default(),
                scratch: String::new(),
            },
        }
    }

    /// Draws the title, the header and the rows held so far; rows are then written as they come.
    fn start_drawing(&mut self, complete: bool) -> io::Result<()> {
        let Stage::Sampling {
            out,
            held,
            ends,
            mut sample,
            ..
        } = std::mem::replace(&mut self.stage, Stage::Done)
        else {
            return Ok(());
        };
        if complete {
            sample.set_complete();
        }
        write_title(out, &self.session_id)?;
        let layout = TimelineLayout::fit(self.settings.width, &sample);
        let mut table = TimelineTable::new(out, layout, self.settings, self.redactor)?;
        let mut start = 0;
        for end in ends {
            // These bytes parsed once already.
            if let Ok(entry) = TraceEntry::parse(&held[start..end]) {
                table.write_row(&entry)?;
            }
            start = end;
        }
        self.stage = Stage::Drawing(table);
        Ok(())
    }
}

impl EntryView for TimelineView<'_, '_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        match &mut self.stage {
            Stage::Sampling {
                held,
                ends,
                sample,
                scratch,
                ..
            } => {
                sample.observe(&read.entry, self.redactor, self.settings.width, scratch);
                held.extend_from_slice(read.bytes);
                ends.push(held.len());
                if held.len() >= LOOKAHEAD_BYTES || read.index >= LOOKAHEAD_ENTRIES {
                    self.start_drawing(false)?;
                }
                Ok(())
            }
            Stage::Drawing(table) => table.write_row(&read.entry),
            Stage::Done => Ok(()),
        }
    }

    fn filtered_out(&mut self, read: &Entry<'_>) -> io::Result<()> {
        if read.index >= LOOKAHEAD_ENTRIES
            && matches!(self.stage, Stage::Sampling { ref ends, .. } if !ends.is_empty())
        {
            self.start_drawing(false)?;
        }
        Ok(())
    }

    /// Draws the table now, on the rows seen so far, with room kept for the rows to come.
    fn caught_up(&mut self) -> io::Result<()> {
        if matches!(self.stage, Stage::Sampling { .. }) {
            self.start_drawing(false)?;
        }
        match &mut self.stage {
            Stage::Drawing(table) => table.flush(),
            Stage::Sampling { .. } | Stage::Done => Ok(()),
        }
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        if matches!(self.stage, Stage::Sampling { ref ends, .. } if !ends.is_empty()) {
            self.start_drawing(true)?;
        }
        if let Stage::Drawing(table) = std::mem::replace(&mut self.stage, Stage::Done) {
            table.finish()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DisplayZone;

    fn settings(width: usize) -> Settings {
        Settings {
            width,
            color: false,
            zone: DisplayZone::Written,
        }
    }

    const RUN: &str = r#"{"timestamp":"2025-05-02T14:32:15.23284593+05:30","agent_id":"planner",
        "hook":"AfterAgentRun","agent_result":{"output_state":{"data":{"message":"step 0 by planner",
        "tokens":958,"nested":{"a": [1, 2]}},"meta":{"route":"researcher"}}}}"#;

    #[test]
    fn summaries_show_the_first_keys_that_fit() {
        let entry = TraceEntry::parse(RUN.as_bytes()).unwrap();
        let mut out = String::new();
        let off = Redactor::off();
        summarize_state(&entry, &off, 80, &mut out);
        assert_eq!(
            out,
            r#"{message:"step 0 by planner", nested:{"a":[1,2]}, tokens:958}"#
        );
        summarize_state(&entry, &off, 40, &mut out);
        assert_eq!(out, r#"{message:"step 0 by planner", ...}"#);
        summarize_state(&entry, &Redactor::new(&["message"]), 40, &mut out);
        assert_eq!(out, r#"{message:"[REDACTED]", ...}"#);
        summarize_state(&entry, &Redactor::new(&["message"]), 50, &mut out);
        assert_eq!(out, r#"{message:"[REDACTED]", nested:{"a":[1,2]}, ...}"#);
        let bare = TraceEntry::parse(br#"{"timestamp":"2025-05-02T14:32:15Z"}"#).unwrap();
        summarize_state(&bare, &off, 40, &mut out);
        assert_eq!(out, "-");
    }

    #[test]
    fn long_and_unsafe_values_are_cut_and_escaped() {
        let long = format!(
            r#"{{"timestamp":"2025-05-02T14:32:15Z","state":{{"data":{{"a":"{}","b":"x\u001b[31my\nz"}}}}}}"#,
            "日本".repeat(3000)
        );
        let entry = TraceEntry::parse(long.as_bytes()).unwrap();
        let mut out = String::new();
        summarize_state(&entry, &Redactor::off(), 200, &mut out);
        assert_eq!(
            out,
            format!(r#"{{a:"{}…", b:"x\x1b[31my\nz"}}"#, "日本".repeat(7))
        );
    }

    #[test]
    fn layouts_fit_the_width_state_and_error_first() {
        let sample = ColumnSample {
            hook: 19,
            agent: 13,
            state: 41,
            error: 39,
            complete: true,
        };
        let wide = TimelineLayout::fit(200, &sample);
        assert_eq!((wide.agent, wide.state, wide.error), (13, 41, 39));
        assert_eq!(wide.width(), 16 + 12 + 19 + 13 + 41 + 39);
        let narrow = TimelineLayout::fit(120, &sample);
        assert_eq!(narrow.width(), 120);
        assert_eq!((narrow.state, narrow.error), (40, 20));
        let tiny = TimelineLayout::fit(20, &sample);
        assert_eq!(
            (tiny.hook, tiny.agent, tiny.state, tiny.error),
            (4, 5, 5, 5)
        );
        let unseen = TimelineLayout::fit(120, &ColumnSample::default());
        assert_eq!(unseen.width(), 120);
        assert_eq!(unseen.hook, HOOK_WIDTH);
        // A live table keeps room for agents it has not seen yet.
        let first_rows = ColumnSample {
            agent: 7,
            complete: false,
            ..sample
        };
        assert_eq!(TimelineLayout::fit(200, &first_rows).agent, AGENT_RESERVE);
    }

    #[test]
    fn rows_stream_between_a_header_and_a_border() {
        let entry = TraceEntry::parse(RUN.as_bytes()).unwrap();
        let mut sample = ColumnSample::default();
        let off = Redactor::off();
        sample.observe(&entry, &off, 80, &mut String::new());
        sample.set_complete();
        let layout = TimelineLayout::fit(80, &sample);
        let mut table = TimelineTable::new(Vec::new(), layout, settings(80), &off).unwrap();
        table.write_row(&entry).unwrap();
        let out = String::from_utf8(table.finish().unwrap()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(
            lines
                .iter()
                .all(|l| text::width(l) == lines[0].chars().count())
        );
        assert_eq!(
            lines[3],
            "│ 14:32:15.232 │ AfterAgentRun │ planner │ {message:\"step 0 by…\", ...} │ -     │"
        );
    }
}
