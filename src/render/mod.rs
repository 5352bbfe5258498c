//! Terminal views: how results look to a person. Everything drawn as a table shares the box
//! style of the seed documentation's example output. The machine formats are `export`'s.

pub mod analysis;
pub(crate) mod chunked;
pub mod debug;
pub mod diff;
pub mod dot;
pub mod flow;
pub mod mermaid;
pub mod table;
pub mod verbose;
pub(crate) mod waterfall;

use crate::model::Hook;
use crate::time::DisplayZone;
use comfy_table::{ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle};
use owo_colors::Style;

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
