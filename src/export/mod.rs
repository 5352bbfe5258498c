//! Machine formats: a session's entries normalised ([`ExportEntry`]) and written as JSON, JSON
//! Lines, CSV or an OTLP document, one format a file behind [`EntryRenderer`]; and the OTLP
//! spans and their sending to a collector (`otlp`). Nothing here draws for a person: that is
//! `render`'s.

mod csv;
mod entry;
pub(crate) mod json;
mod jsonl;
pub(crate) mod otlp;

pub use entry::{Clock, ExportEntry, ExportState, StateMap};

use crate::read::{Entry, EntryView, ReadSummary};
use crate::time::DisplayZone;
use std::io::{self, Write};

/// An export being written, as a view of the session: every entry read goes in (the filtered
/// out ones too, for the durations of the runs they start or end), and those selected come out
/// normalised and redacted, in the chosen format.
pub struct Exporter<'w> {
    clock: Clock,
    zone: DisplayZone,
    renderer: Box<dyn EntryRenderer + 'w>,
}

impl<'w> Exporter<'w> {
    /// An export of the session whose file names it `session`, with times in `zone`, to `out`
    /// (a terminal when `terminal`).
    pub fn new(
        format: ExportFormat,
        session: &str,
        zone: DisplayZone,
        terminal: bool,
        out: &'w mut dyn Write,
    ) -> Exporter<'w> {
        Exporter {
            clock: Clock::new(),
            zone,
            renderer: renderer(&format, session, terminal, out),
        }
    }
}

impl EntryView for Exporter<'_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        let duration = self.clock.duration_ms(&read.entry);
        let entry = ExportEntry::new(&read.entry, read.index, self.zone, duration);
        self.renderer.entry(&entry)
    }

    fn filtered_out(&mut self, read: &Entry<'_>) -> io::Result<()> {
        self.clock.duration_ms(&read.entry);
        Ok(())
    }

    fn caught_up(&mut self) -> io::Result<()> {
        self.renderer.flush()
    }

    fn finish(&mut self, _summary: &ReadSummary) -> io::Result<()> {
        self.renderer.finish()?;
        self.renderer.flush()
    }
}

/// An export format: entries go in one at a time, in file order, and are written as soon as the
/// format allows, so memory does not grow with the file.
pub trait EntryRenderer {
    fn entry(&mut self, entry: &ExportEntry<'_>) -> io::Result<()>;

    /// Writes out what is buffered (when the input pauses, as in follow mode).
    fn flush(&mut self) -> io::Result<()>;

    /// Ends the output (closes the JSON array, writes the spans still open, ...).
    fn finish(&mut self) -> io::Result<()>;
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON array (`--format json`).
    Json,
    /// One JSON object per line (`--format jsonl`).
    JsonLines,
    /// RFC 4180 CSV with a header row; `formula_safe` defuses cells a spreadsheet would run.
    Csv { formula_safe: bool },
    /// An OTLP/JSON `ExportTraceServiceRequest` of the session.
    Otlp,
}

/// The renderer of `format`, writing to `out`. `session` is the session's id as its file names
/// it, for formats that need one before any entry names it; `terminal` says that `out` is a
/// terminal.
fn renderer<'w>(
    format: &ExportFormat,
    session: &str,
    terminal: bool,
    out: &'w mut dyn Write,
) -> Box<dyn EntryRenderer + 'w> {
    match format {
        ExportFormat::Json => Box::new(json::JsonArray::new(out)),
        ExportFormat::JsonLines => Box::new(jsonl::JsonLines::new(out)),
        ExportFormat::Csv { formula_safe } => {
            Box::new(csv::CsvRows::new(out, *formula_safe, terminal))
        }
        ExportFormat::Otlp => Box::new(otlp::OtlpDocument::new(out, session)),
    }
}
