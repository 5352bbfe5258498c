//! `--format csv`: one RFC 4180 row per normalised entry (through the csv crate) under a header
//! row, written row by row as entries are read.

use super::EntryRenderer;
use super::json::{Layout, write_state};
use crate::export::ExportEntry;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The columns, in order. `state_keys` is the merged data's keys joined with `;`; `state` is
/// the merged state as compact JSON (`{"data":{...},"meta":{...}}`).
pub const HEADER: [&str; 12] = [
    "timestamp",
    "hook",
    "agent_id",
    "event_id",
    "session_id",
    "source_agent_id",
    "target_agent_id",
    "next_agent",
    "duration_ms",
    "error",
    "state_keys",
    "state",
];

fn text(s: Option<&str>) -> &[u8] {
    s.unwrap_or_default().as_bytes()
}

/// What a spreadsheet takes a cell starting with as the start of a formula.
fn starts_like_a_formula(cell: &[u8]) -> bool {
    matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

pub struct CsvRows<'w> {
    writer: csv::Writer<&'w mut dyn Write>,
    formula_safe: bool,
    terminal: bool,
    header_written: bool,
    /// Reused for the cells that are built, not borrowed.
    cell: String,
    state: Vec<u8>,
    safe: Vec<u8>,
}

impl<'w> CsvRows<'w> {
    /// With `formula_safe`, a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
    /// return gets a `'` in front, so that a spreadsheet shows it instead of running it. For a
    /// `terminal`, the characters that could drive it are made visible (`\x1b`), as every view
    /// shows them; written elsewhere, cells are exactly the trace's text.
    pub fn new(out: &'w mut dyn Write, formula_safe: bool, terminal: bool) -> Self {
        CsvRows {
            writer: csv::Writer::from_writer(out),
            formula_safe,
            terminal,
            header_written: false,
            cell: String::new(),
            state: Vec::new(),
            safe: Vec::new(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            self.writer.write_record(HEADER).map_err(csv_error)?;
        }
        Ok(())
    }

    fn field(&mut self, cell: &[u8]) -> io::Result<()> {
        let shown;
        let cell = if self.terminal
            && let Ok(text) = std::str::from_utf8(cell)
        {
            shown = crate::text::escape(text, true);
            shown.as_bytes()
        } else {
            cell
        };
        let cell = if self.formula_safe && starts_like_a_formula(cell) {
            self.safe.clear();
            self.safe.push(b'\'');
            self.safe.extend_from_slice(cell);
            &self.safe
        } else {
            cell
        };
        self.writer.write_field(cell).map_err(csv_error)
    }
}

impl EntryRenderer for CsvRows<'_> {
    fn entry(&mut self, e: &ExportEntry<'_>) -> io::Result<()> {
        self.header()?;
        self.field(e.timestamp_text().as_str().as_bytes())?;
        self.field(text(e.hook_name()))?;
        self.field(text(e.agent_id))?;
        self.field(text(e.event_id))?;
        self.field(text(e.session_id))?;
        self.field(text(e.source_agent_id))?;
        self.field(text(e.target_agent_id))?;
        self.field(text(e.next_agent.as_deref()))?;
        let mut cell = std::mem::take(&mut self.cell);
        cell.clear();
        if let Some(ms) = e.duration_ms {
            let _ = write!(cell, "{ms}");
        }
        self.field(cell.as_bytes())?;
        self.field(text(e.error))?;
        cell.clear();
        if let Some(state) = &e.state {
            for (i, key) in state.data.keys().enumerate() {
                if i > 0 {
                    cell.push(';');
                }
                cell.push_str(key);
            }
        }
        self.field(cell.as_bytes())?;
        self.cell = cell;
        let mut json = std::mem::take(&mut self.state);
        json.clear();
        if let Some(state) = &e.state {
            write_state(&mut json, state, Layout::Compact, 0)?;
        }
        self.field(&json)?;
        self.state = json;
        self.writer.write_record(None::<&[u8]>).map_err(csv_error)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.writer.flush()
    }
}

/// The csv crate's error as the I/O error it wraps (so a closed pipe stays a closed pipe).
fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::ExportEntry;
    use crate::model::TraceEntry;
    use crate::time::DisplayZone;

    /// The row of an entry with an escape sequence in its agent and a newline and a bidi
    /// override in its error.
    fn row(terminal: bool) -> String {
        let e = TraceEntry::parse(
            br#"{"timestamp":"2025-05-02T10:00:00Z","agent_id":"evil\u001b[2Jagent","error":"a\nb \u202e"}"#,
        )
        .unwrap();
        let entry = ExportEntry::new(&e, 1, DisplayZone::Utc, None);
        let mut out = Vec::new();
        let mut rows = CsvRows::new(&mut out, false, terminal);
        rows.entry(&entry).unwrap();
        rows.finish().unwrap();
        drop(rows);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_exact_in_a_file_and_made_safe_on_a_terminal() {
        let exact = row(false);
        assert!(exact.contains("evil\u{1b}[2Jagent"), "{exact}");
        assert!(exact.contains("\"a\nb \u{202e}\""), "{exact}");
        let shown = row(true);
        assert!(shown.contains(r"evil\x1b[2Jagent"), "{shown}");
        assert!(shown.contains("\"a\nb \\u202e\""), "{shown}");
    }

    #[test]
    fn formula_like_cells_are_recognised() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(starts_like_a_formula(cell.as_bytes()), "{cell}");
        }
        for cell in ["", "a=b", "1", "'=x"] {
            assert!(!starts_like_a_formula(cell.as_bytes()), "{cell}");
        }
    }
}
