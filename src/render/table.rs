//! The timeline table: one row per entry (TIMESTAMP, HOOK, AGENT, STATE, ERROR), drawn by the
//! table engine and written row by row as entries are read.
//!
//! Column widths are decided before the first row is drawn and never change, so a table of any
//! length streams: [`TimelineView`] sizes the columns on a bounded look-ahead of the first rows
//! (keeping room for rows not seen yet when the look-ahead is not the whole table).

use super::grid::{Cell, Column, Frame, KEEP, Table, Writer};
use super::{ERROR_STYLE, Style, hook_short, hook_style};
use crate::json::{compact_prefix, raw_text_prefix};
use crate::model::TraceEntry;
use crate::read::{Entry, EntryView, ReadSummary};
use crate::text::{self, ELLIPSIS};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::{self, Write};

/// The columns. When space runs out the hook name goes to its short form first (`trace --help`
/// lists them), then STATE is cut down; then STATE goes, then HOOK. An error message wraps
/// rather than being cut; times and agent names stay whole.
pub const COLUMNS: [Column; 5] = [
    Column::whole("TIMESTAMP", KEEP),
    Column::whole("HOOK", 2),
    Column::whole("AGENT", KEEP),
    Column::cut("STATE", 1, 12),
    Column::wrap("ERROR", KEEP, 8, 4),
];
const STATE: usize = 3;

/// Widths kept for rows not seen yet: the longest hook name the writer uses
/// (`BeforeEventHandling`), agent names, a state summary and an error message.
const HOOK_RESERVE: usize = 19;
const AGENT_RESERVE: usize = 16;
const STATE_RESERVE: usize = 32;
const ERROR_RESERVE: usize = 24;
/// At most this many columns of one value in a state summary.
const VALUE_CAP: usize = 32;

/// The first rows the session view holds back to size its columns: at most this many entries
/// read from the file, and this many bytes of them.
const LOOKAHEAD_ENTRIES: u64 = 1000;
const LOOKAHEAD_BYTES: usize = 4 << 20;

/// Writes the line that opens a session's output: `Trace for session ID:` and a blank line.
pub fn write_title(out: &mut dyn Write, session_id: &str) -> io::Result<()> {
    writeln!(
        out,
        "Trace for session {}:\n",
        text::escape(session_id, false)
    )
}

/// One entry's cells; STATE is summarised within `state_width` columns (none: not shown).
fn cells<'e>(
    entry: &'e TraceEntry<'_>,
    style: &Style,
    state_width: Option<usize>,
    scratch: &'e mut String,
) -> [Cell<'e>; 5] {
    let clock = entry.timestamp.clock_millis(style.zone);
    let short = clock.get(..8).unwrap_or_default().to_owned();
    let hook = Cell::new(text::escape(entry.hook.as_str(), false))
        .paint_if(style.color.then(|| hook_style(&entry.hook)));
    let hook = match hook_short(&entry.hook) {
        Some(short) => hook.short(short),
        None => hook,
    };
    let agent = match entry.agent() {
        "" => Cell::new("-"),
        agent => Cell::new(text::escape(agent, false)),
    };
    match state_width {
        Some(width) => {
            // In a narrow column a summary comes out wider than asked (its first value keeps a
            // few columns): then the cell cuts a longer one once, rather than a short one twice.
            summarize_state(entry, width, scratch);
            if text::width(scratch) > width {
                summarize_state(entry, 4 * width, scratch);
            }
        }
        None => scratch.clear(),
    }
    let error = match entry.error_message() {
        Some(error) => {
            Cell::new(text::escape(error, false)).paint_if(style.color.then_some(ERROR_STYLE))
        }
        None => Cell::new("-"),
    };
    [
        Cell::new(clock).short(short),
        hook,
        agent,
        Cell::new(scratch.as_str()),
        error,
    ]
}

/// Writes the entry's state summary into `out` (cleared first): the merged state data, keys
/// in order, as `{key:"value", key2:42, ...}`, each value shortened, the whole within about
/// `max` columns; `-` when there is none.
pub fn summarize_state(entry: &TraceEntry<'_>, max: usize, out: &mut String) {
    out.clear();
    if entry.state.is_none() && entry.output_state().is_none() {
        out.push('-');
        return;
    }
    match entry.merged_data() {
        Ok(members) if members.is_empty() => out.push('-'),
        Ok(members) => state_summary(&members, max, out),
        // Data that is not an object: shown as it is.
        Err(_) => {
            let data = [entry.output_state(), entry.state.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|s| s.data);
            match data {
                Some(raw) => {
                    push_value(out, raw, VALUE_CAP.max(max));
                }
                None => out.push('-'),
            }
        }
    }
}

/// `{key:"value", key2:42, ...}`: as many members as fit in `max` columns, in the order given,
/// each value shortened to what is left. The first member is always shown (a cell cuts it).
pub fn state_summary(members: &[(Cow<'_, str>, &RawValue)], max: usize, out: &mut String) {
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
pub struct TimelineView<'w> {
    session_id: String,
    style: Style,
    scratch: String,
    stage: Stage<'w>,
}

enum Stage<'w> {
    /// Holding the first rows (their JSON) to size the columns.
    Sampling {
        out: &'w mut dyn Write,
        held: Vec<u8>,
        ends: Vec<usize>,
        table: Table<'static>,
    },
    Drawing(Writer<'static, &'w mut dyn Write>),
    Done,
}

impl<'w> TimelineView<'w> {
    pub fn new(out: &'w mut dyn Write, session_id: &str, style: Style) -> Self {
        TimelineView {
            session_id: session_id.to_owned(),
            style,
            scratch: String::new(),
            stage: Stage::Sampling {
                out,
                held: Vec::new(),
                ends: Vec::new(),
                table: Table::new(&COLUMNS, Frame::Boxed),
            },
        }
    }

    /// Draws the title, the header and the rows held so far; rows are then written as they
    /// come. Unless the rows held are all there will be, room is kept for rows not seen yet.
    fn start_drawing(&mut self, complete: bool) -> io::Result<()> {
        let Stage::Sampling {
            out,
            held,
            ends,
            mut table,
        } = std::mem::replace(&mut self.stage, Stage::Done)
        else {
            return Ok(());
        };
        if !complete {
            table.reserve(1, HOOK_RESERVE, 0);
            table.reserve(2, AGENT_RESERVE, 0);
            table.reserve(STATE, STATE_RESERVE, 0);
            table.reserve(4, ERROR_RESERVE, 0);
        }
        write_title(out, &self.session_id)?;
        let mut writer = table.start(out, &self.style)?;
        let mut start = 0;
        for end in ends {
            // These bytes parsed once already.
            if let Ok(entry) = TraceEntry::parse(&held[start..end]) {
                write_row(&mut writer, &entry, &self.style, &mut self.scratch)?;
            }
            start = end;
        }
        self.stage = Stage::Drawing(writer);
        Ok(())
    }
}

/// Writes one entry's row.
fn write_row(
    writer: &mut Writer<'_, &mut dyn Write>,
    entry: &TraceEntry<'_>,
    style: &Style,
    scratch: &mut String,
) -> io::Result<()> {
    let state_width = writer.width(STATE);
    writer.row(&cells(entry, style, state_width, scratch))
}

impl EntryView for TimelineView<'_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        match &mut self.stage {
            Stage::Sampling {
                held, ends, table, ..
            } => {
                let width = Some(self.style.width);
                let row = cells(&read.entry, &self.style, width, &mut self.scratch);
                table.measure(&row);
                held.extend_from_slice(read.bytes);
                ends.push(held.len());
                if held.len() >= LOOKAHEAD_BYTES || read.index >= LOOKAHEAD_ENTRIES {
                    self.start_drawing(false)?;
                }
                Ok(())
            }
            Stage::Drawing(writer) => {
                write_row(writer, &read.entry, &self.style, &mut self.scratch)
            }
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
            Stage::Drawing(writer) => writer.flush(),
            Stage::Sampling { .. } | Stage::Done => Ok(()),
        }
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        if matches!(self.stage, Stage::Sampling { ref ends, .. } if !ends.is_empty()) {
            self.start_drawing(true)?;
        }
        if let Stage::Drawing(writer) = std::mem::replace(&mut self.stage, Stage::Done) {
            writer.finish()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;
    use crate::time::DisplayZone;

    const RUN: &str = r#"{"timestamp":"2025-05-02T14:32:15.23284593+05:30","agent_id":"planner",
        "hook":"AfterAgentRun","agent_result":{"output_state":{"data":{"message":"step 0 by planner",
        "tokens":958,"nested":{"a": [1, 2]}},"meta":{"route":"researcher"}}}}"#;

    #[test]
    fn summaries_show_the_first_keys_that_fit() {
        let entry = TraceEntry::parse(RUN.as_bytes()).unwrap();
        let mut out = String::new();
        summarize_state(&entry, 80, &mut out);
        assert_eq!(
            out,
            r#"{message:"step 0 by planner", nested:{"a":[1,2]}, tokens:958}"#
        );
        summarize_state(&entry, 40, &mut out);
        assert_eq!(out, r#"{message:"step 0 by planner", ...}"#);
        // The reader redacts the entry before it is summarised.
        let redacted = Redactor::new(&["message"], &[] as &[&str])
            .unwrap()
            .redact_entry(RUN.as_bytes());
        let entry = TraceEntry::parse(&redacted).unwrap();
        summarize_state(&entry, 40, &mut out);
        assert_eq!(out, r#"{message:"[REDACTED]", ...}"#);
        summarize_state(&entry, 50, &mut out);
        assert_eq!(out, r#"{message:"[REDACTED]", nested:{"a":[1,2]}, ...}"#);
        let bare = TraceEntry::parse(br#"{"timestamp":"2025-05-02T14:32:15Z"}"#).unwrap();
        summarize_state(&bare, 40, &mut out);
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
        summarize_state(&entry, 200, &mut out);
        assert_eq!(
            out,
            format!(r#"{{a:"{}…", b:"x\x1b[31my\nz"}}"#, "日本".repeat(7))
        );
    }

    const FAILED: &str = r#"{"timestamp":"2025-05-02T14:32:16.5+05:30","agent_id":"researcher",
        "hook":"AgentError","agent_result":{"error":"tool timeout after 30s"}}"#;

    fn draw(width: usize) -> String {
        let style = Style {
            width,
            color: false,
            zone: DisplayZone::Written,
            ascii: false,
        };
        let entries: Vec<TraceEntry<'_>> = [RUN, FAILED]
            .iter()
            .map(|e| TraceEntry::parse(e.as_bytes()).unwrap())
            .collect();
        let mut table = Table::new(&COLUMNS, Frame::Boxed);
        let mut scratch = String::new();
        for e in &entries {
            table.measure(&cells(e, &style, Some(width), &mut scratch));
        }
        let mut out = Vec::new();
        let sink: &mut dyn Write = &mut out;
        let mut writer = table.start(sink, &style).unwrap();
        for e in &entries {
            write_row(&mut writer, e, &style, &mut scratch).unwrap();
        }
        writer.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_hook_gives_way_before_state_and_errors_wrap_whole() {
        assert_eq!(
            draw(80),
            "\
┌──────────────┬────────────┬────────────┬──────────────┬──────────────────────┐
│ TIMESTAMP    │ HOOK       │ AGENT      │ STATE        │ ERROR                │
├──────────────┼────────────┼────────────┼──────────────┼──────────────────────┤
│ 14:32:15.232 │ AfterRun   │ planner    │ {message:\"s… │ -                    │
│ 14:32:16.500 │ AgentError │ researcher │ -            │ tool timeout after   │
│              │            │            │              │ 30s                  │
└──────────────┴────────────┴────────────┴──────────────┴──────────────────────┘
"
        );
        let narrow = draw(40);
        assert!(narrow.lines().all(|l| text::width(l) <= 40), "{narrow}");
        assert!(
            narrow.contains("researcher") && narrow.contains("timeout"),
            "{narrow}"
        );
    }
}
