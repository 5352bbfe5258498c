//! Renderers: how results look in each output format. Everything drawn as a table shares
//! the box style of the seed documentation's example output.

use comfy_table::{ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle};

/// Box-drawn tables with a ruled header, as in the documentation's "Example Trace Output".
pub const BOX_STYLE: TableStyle = TableStyle::new()
    .top_border(LineStyle::new('┌', '─', '┬', '┐'))
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
