//! Renderers: how results look in each output format. Everything drawn as a table shares
//! the box style of the seed documentation's example output; the exports (JSON, JSON Lines,
//! CSV, OTLP) stream normalised entries through `EntryRenderer`.

pub mod analysis;
pub mod chunked;
pub mod csv;
pub mod debug;
pub mod diff;
pub mod dot;
pub mod flow;
pub mod json;
pub mod jsonl;
pub mod mermaid;
pub mod otlp;
pub mod table;
pub mod verbose;
pub mod waterfall;

use crate::export::ExportEntry;
use crate::model::Hook;
use crate::read::{Entry, Problem, ReadSummary};
use crate::time::DisplayZone;
use comfy_table::{ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle};
use owo_colors::Style;
use std::io::{self, Write};

/// The top border of [`BOX_STYLE`]: left corner, line, junction, right corner.
const TOP_BORDER: [char; 4] = ['┌', '─', '┬', '┐'];

/// Box-drawn tables with a ruled header, as in the documentation's "Example Trace Output".
pub const BOX_STYLE: TableStyle = TableStyle::new()
    .top_border(LineStyle::new(
        TOP_BORDER[0],
        TOP_BORDER[1],
        TOP_BORDER[2],
        TOP_BORDER[3],
    ))
    .header_lines(ContentLineStyle::new('│', '│', '│'))
    .header_separator(LineStyle::new('├', '─', '┼', '┤'))
    .content_lines(ContentLineStyle::new('│', '│', '│'))
    .bottom_border(LineStyle::new('└', '─', '┴', '┘'));

/// A table in the house style that fits in `width` columns.
pub fn boxed_table(width: usize) -> Table {
    let mut table = Table::new();
    table
        .load_style(BOX_STYLE)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width.try_into().unwrap_or(u16::MAX));
    table
}

/// How output is to look, decided once from the command line and the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Columns available.
    pub width: usize,
    /// Colour hooks and errors (terminal output only).
    pub color: bool,
    /// The zone times are shown in.
    pub zone: DisplayZone,
}

/// A view of a session that takes the entries as they are read: a view never holds more
/// entries than it needs, so it works on files of any size and on files still growing.
pub trait EntryView {
    /// An entry that passed the filter.
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()>;

    /// An entry the filter left out: views that hold rows back wait no longer than the file's
    /// first entries, and exports still time the runs it starts or ends.
    fn filtered_out(&mut self, _read: &Entry<'_>) -> io::Result<()> {
        Ok(())
    }

    /// Damaged input the reader skipped (also reported on stderr by the command).
    fn problem(&mut self, _problem: &Problem) -> io::Result<()> {
        Ok(())
    }

    /// Every entry written so far has been passed on and more may come (a followed file):
    /// show anything held back, and flush the output so that it is on screen now. Later
    /// entries are shown as they come, in the same layout.
    fn caught_up(&mut self) -> io::Result<()>;

    /// The input has ended: complete the output.
    fn finish(&mut self, summary: &ReadSummary) -> io::Result<()>;
}

/// The colour of a hook: where in an event's life the entry was written.
pub fn hook_style(hook: &Hook<'_>) -> Style {
    match hook {
        Hook::BeforeEventHandling | Hook::AfterEventHandling => Style::new().blue(),
        Hook::BeforeAgentRun => Style::new().cyan(),
        Hook::AfterAgentRun => Style::new().green(),
        Hook::AgentError => Style::new().red().bold(),
        Hook::AllHooks | Hook::Other(_) | Hook::Missing => Style::new(),
    }
}

/// The colour of error messages.
pub const ERROR_STYLE: Style = Style::new().red();
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
pub fn export_renderer<'w>(
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
