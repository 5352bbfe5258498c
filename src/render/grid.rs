//! The one table engine: every table agentcli draws, boxed or plain, buffered or streamed, is
//! fitted to the width by one column policy and written a row at a time.
//!
//! The policy. Each column says how its cells may give up space ([`Fit`]) and what it is worth
//! ([`Column::rank`]). When the columns at their natural widths are too wide, the table
//! 1. shortens columns, each no further than its least width: first the columns of tokens
//!    (ids, numbers, times, agent names) that may be dropped, which never break one and can only
//!    fall back to their cells' short forms (`BeforeEvent` for `BeforeEventHandling`), then the
//!    others, free text being cut with an ellipsis or wrapped onto more lines; the least worth
//!    first in each;
//! 2. if it is still too wide, drops columns, the least worth first, never one ranked [`KEEP`];
//! 3. takes back a column it dropped that fits again, and gives the room left back, the most
//!    worth first.
//!
//! When even the [`KEEP`] columns cannot fit, each row is drawn as a small block instead (its
//! first cell, then one `HEADER  value` line per other cell, wrapped): nothing is lost and no
//! line is wider than asked, at any width.
//!
//! Widths are fixed before the first row is written, from the rows measured
//! ([`Table::measure`]): all of them for a buffered table; the first of a stream, which keeps room
//! for rows not seen yet with [`Table::reserve`]. A later row wider than measured is fitted to
//! the widths chosen, so a table of any length streams in bounded memory.

use super::Style;
use crate::text;
use owo_colors::Style as Paint;
use std::borrow::Cow;
use std::io::{self, Write};

/// The rank of a column that is never dropped.
pub const KEEP: u8 = u8::MAX;

/// Space between the columns of a plain table.
const GAP: usize = 3;

/// How a column's cells may give up space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Tokens never broken inside (ids, numbers, times, agent names): shown whole, or in
    /// their short form when they have one.
    Whole,
    /// Free text cut with an ellipsis (state summaries).
    Cut,
    /// Free text wrapped at spaces onto at most this many lines, the last cut if need be
    /// (error messages, lists of names).
    Wrap(usize),
}

/// How a table is drawn around its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// Box-drawn with a ruled header, as in the documentation's "Example Trace Output".
    Boxed,
    /// Columns apart by spaces under a bold header, as the flow view's table.
    Plain,
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub fit: Fit,
    /// What the column is worth when space runs out: the lowest gives up space first.
    pub rank: u8,
    /// The narrowest a cut or wrapped column is worth showing at.
    pub min: usize,
    /// Cells aligned right (numbers).
    pub right: bool,
}

impl Column {
    /// A column of tokens, never broken.
    pub const fn whole(header: &'static str, rank: u8) -> Column {
        Column {
            header,
            fit: Fit::Whole,
            rank,
            min: 0,
            right: false,
        }
    }

    /// A column of text cut to fit, never narrower than `min`.
    pub const fn cut(header: &'static str, rank: u8, min: usize) -> Column {
        Column {
            fit: Fit::Cut,
            min,
            ..Column::whole(header, rank)
        }
    }

    /// A column of text wrapped onto up to `lines` lines, never narrower than `min`.
    pub const fn wrap(header: &'static str, rank: u8, min: usize, lines: usize) -> Column {
        Column {
            fit: Fit::Wrap(lines),
            min,
            ..Column::whole(header, rank)
        }
    }

    /// The same column, aligned right.
    pub const fn right(self) -> Column {
        Column {
            right: true,
            ..self
        }
    }
}

/// One cell: text already safe for the terminal, the short form shown when the text does not
/// fit, and a colour.
#[derive(Debug, Clone, Default)]
pub struct Cell<'a> {
    text: Cow<'a, str>,
    short: Option<Cow<'a, str>>,
    paint: Option<Paint>,
}

impl<'a> Cell<'a> {
    pub fn new(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell {
            text: text.into(),
            short: None,
            paint: None,
        }
    }

    /// The form shown when the text does not fit.
    pub fn short(self, short: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell {
            short: Some(short.into()),
            ..self
        }
    }

    /// The cell's colour (used when colour is on).
    pub fn paint(self, paint: Paint) -> Cell<'a> {
        Cell {
            paint: Some(paint),
            ..self
        }
    }

    /// The cell's colour when `paint` is given.
    pub fn paint_if(self, paint: Option<Paint>) -> Cell<'a> {
        Cell { paint, ..self }
    }

    /// The text as it would be shown whole.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl From<String> for Cell<'_> {
    fn from(text: String) -> Self {
        Cell::new(text)
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::new(text)
    }
}

/// The cell of a row that has fewer cells than the table has columns.
static EMPTY: Cell<'static> = Cell {
    text: Cow::Borrowed(""),
    short: None,
    paint: None,
};

/// What a column's cells need, in columns: the widest whole, and the least they can live with.
#[derive(Debug, Clone, Copy, Default)]
struct Need {
    natural: usize,
    least: usize,
}

/// A table being measured: its columns and what the rows seen need.
#[derive(Debug, Clone)]
pub struct Table<'c> {
    columns: &'c [Column],
    frame: Frame,
    needs: Vec<Need>,
}

/// The widths chosen for a table's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Each column's width, or `None` for a column dropped.
    Grid(Vec<Option<usize>>),
    /// One block per row, its labels this wide.
    Stacked(usize),
}

impl<'c> Table<'c> {
    pub fn new(columns: &'c [Column], frame: Frame) -> Table<'c> {
        Table {
            columns,
            frame,
            needs: vec![Need::default(); columns.len()],
        }
    }

    /// Takes one row's cells (one per column) into account.
    pub fn measure(&mut self, cells: &[Cell<'_>]) {
        for ((need, column), cell) in self.needs.iter_mut().zip(self.columns).zip(cells) {
            let width = text::width(&cell.text);
            need.natural = need.natural.max(width);
            let least = match column.fit {
                Fit::Whole => cell.short.as_deref().map_or(width, text::width).min(width),
                Fit::Cut => 0,
                Fit::Wrap(_) => text::longest_word(&cell.text),
            };
            need.least = need.least.max(least);
        }
    }

    /// Keeps room in `column` for rows not measured yet (a stream's): `natural` columns if
    /// there is space, at least `least`.
    pub fn reserve(&mut self, column: usize, natural: usize, least: usize) {
        if let Some(need) = self.needs.get_mut(column) {
            need.natural = need.natural.max(natural);
            need.least = need.least.max(least);
        }
    }

    /// The widths the policy (see the module's documentation) gives the columns in `width`.
    pub fn fit(&self, width: usize) -> Layout {
        let n = self.columns.len();
        let natural: Vec<usize> = (0..n)
            .map(|i| {
                self.needs[i]
                    .natural
                    .max(text::width(self.columns[i].header))
            })
            .collect();
        let least: Vec<usize> = (0..n).map(|i| self.least(i, natural[i])).collect();
        let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
        // The least worth first; of equal worth, the rightmost.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (self.columns[i].rank, std::cmp::Reverse(i)));

        // Short forms lose least: the columns that may be dropped take theirs first.
        let early = |i: usize| self.columns[i].fit == Fit::Whole && self.columns[i].rank < KEEP;
        let short_first = order
            .iter()
            .filter(|&&i| early(i))
            .chain(order.iter().filter(|&&i| !early(i)));
        for &i in short_first {
            let over = self.total(&widths).saturating_sub(width);
            let Some(w) = widths[i] else { continue };
            if over == 0 {
                break;
            }
            let give = over.min(w - least[i]);
            if give > 0 {
                // A column of tokens is whole or in short forms: nothing in between helps.
                let keep = if self.columns[i].fit == Fit::Whole {
                    least[i]
                } else {
                    w - give
                };
                widths[i] = Some(keep);
            }
        }
        for &i in &order {
            if self.total(&widths) <= width {
                break;
            }
            let shown = widths.iter().flatten().count();
            if self.columns[i].rank < KEEP && shown > 1 {
                widths[i] = None;
            }
        }
        if self.total(&widths) > width {
            let label = self.columns.iter().map(|c| text::width(c.header)).max();
            return Layout::Stacked(label.unwrap_or(0).min(width / 3));
        }
        // A column dropped early may fit again now that a wider one is gone.
        let mut dropped: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| widths[i].is_none())
            .collect();
        dropped.reverse();
        for i in dropped {
            widths[i] = Some(least[i]);
            if self.total(&widths) > width {
                widths[i] = None;
            }
        }
        for &i in order.iter().rev() {
            let spare = width - self.total(&widths);
            if let Some(w) = widths[i] {
                let more = spare.min(natural[i] - w);
                let whole = self.columns[i].fit == Fit::Whole;
                if more > 0 && (!whole || more == natural[i] - w) {
                    widths[i] = Some(w + more);
                }
            }
        }
        Layout::Grid(widths)
    }

    /// The least width of column `i`, whose natural width is `natural`.
    fn least(&self, i: usize, natural: usize) -> usize {
        let column = &self.columns[i];
        let header = text::width(column.header);
        let least = match column.fit {
            Fit::Whole => self.needs[i].least,
            Fit::Cut => natural.min(column.min),
            Fit::Wrap(_) => natural.min(column.min.max(self.needs[i].least.min(2 * column.min))),
        };
        least.max(header)
    }

    /// The width of a row drawn with `widths`, frame included.
    fn total(&self, widths: &[Option<usize>]) -> usize {
        let shown = widths.iter().flatten().count();
        let cells: usize = widths.iter().flatten().sum();
        match self.frame {
            Frame::Boxed => cells + 3 * shown + 1,
            Frame::Plain => cells + GAP * shown.saturating_sub(1),
        }
    }

    /// Fixes the widths for `style`'s width and writes the header: rows follow.
    pub fn start<W: Write>(self, out: W, style: &Style) -> io::Result<Writer<'c, W>> {
        let layout = self.fit(style.width);
        let short = match &layout {
            Layout::Grid(widths) => widths
                .iter()
                .zip(&self.needs)
                .map(|(w, need)| w.is_some_and(|w| w < need.natural))
                .collect(),
            Layout::Stacked(_) => vec![false; self.columns.len()],
        };
        let mut writer = Writer {
            out,
            columns: self.columns,
            short,
            frame: self.frame,
            layout,
            style: *style,
            line: String::new(),
        };
        writer.header()?;
        Ok(writer)
    }
}

/// Writes `rows` as a table of `columns`, fitted to `style`'s width.
pub fn write_table(
    out: &mut dyn Write,
    style: &Style,
    columns: &[Column],
    frame: Frame,
    rows: &[Vec<Cell<'_>>],
) -> io::Result<()> {
    write_rows(out, style, columns, frame, rows, |row| row.clone())
}

/// Writes a table of `columns` with a row per item of `items`, fitted to `style`'s width:
/// `cells` is called twice per item (once to measure, once to draw), so that the table holds
/// no rows of its own.
pub fn write_rows<T>(
    out: &mut dyn Write,
    style: &Style,
    columns: &[Column],
    frame: Frame,
    items: &[T],
    cells: impl Fn(&T) -> Vec<Cell<'_>>,
) -> io::Result<()> {
    let mut table = Table::new(columns, frame);
    for item in items {
        table.measure(&cells(item));
    }
    let mut writer = table.start(out, style)?;
    for item in items {
        writer.row(&cells(item))?;
    }
    writer.finish().map(drop)
}

/// Writes a table's rows at the widths chosen: the header when started, then a row per call,
/// then the bottom border. It holds no rows, and reuses its buffer from row to row.
pub struct Writer<'c, W: Write> {
    out: W,
    columns: &'c [Column],
    /// Per column: narrower than its widest cell, so its cells take their short forms.
    short: Vec<bool>,
    frame: Frame,
    layout: Layout,
    style: Style,
    line: String,
}

impl<W: Write> Writer<'_, W> {
    /// The width of `column`'s text, or `None` when it is not shown as a column.
    pub fn width(&self, column: usize) -> Option<usize> {
        match &self.layout {
            Layout::Grid(widths) => widths.get(column).copied().flatten(),
            Layout::Stacked(label) => Some(self.style.width.saturating_sub(label + 4).max(1)),
        }
    }

    /// Writes one row: its cells, one per column.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> io::Result<()> {
        self.line.clear();
        match &self.layout {
            Layout::Grid(widths) => {
                let shown: Vec<(usize, usize)> = widths
                    .iter()
                    .enumerate()
                    .filter_map(|(i, w)| w.map(|w| (i, w)))
                    .collect();
                let lines: Vec<Vec<Cow<'_, str>>> = shown
                    .iter()
                    .map(|&(i, w)| {
                        let cell = cells.get(i).unwrap_or(&EMPTY);
                        fitted(cell, &self.columns[i], w, self.short[i], &self.style)
                    })
                    .collect();
                let height = lines.iter().map(Vec::len).max().unwrap_or(1);
                for n in 0..height {
                    self.start_line();
                    for (k, &(i, w)) in shown.iter().enumerate() {
                        let part = lines[k].get(n).map_or("", |s| s);
                        let paint = cells.get(i).and_then(|c| c.paint);
                        let last = k + 1 == shown.len();
                        self.cell(part, w, self.columns[i].right, paint, k == 0, last);
                    }
                    self.end_line();
                }
            }
            Layout::Stacked(label) => {
                let label = *label;
                let mut first = true;
                for (column, cell) in self.columns.iter().zip(cells) {
                    if first {
                        first = false;
                        for part in text::wrap(&cell.text, self.style.width) {
                            self.push_painted(&part, cell.paint);
                            self.line.push('\n');
                        }
                        continue;
                    }
                    if cell.text.is_empty() {
                        continue;
                    }
                    let room = self.style.width.saturating_sub(label + 4).max(1);
                    let head = self.style.cut(column.header, label).into_owned();
                    let shown = match &cell.short {
                        Some(short) if text::width(&cell.text) > room => short,
                        _ => &cell.text,
                    };
                    for (n, part) in text::wrap(shown, room).iter().enumerate() {
                        let shown = if n == 0 { head.as_str() } else { "" };
                        self.line.push_str("  ");
                        self.line.push_str(shown);
                        pad(&mut self.line, label + 2 - text::width(shown));
                        self.push_painted(part, cell.paint);
                        self.line.push('\n');
                    }
                }
            }
        }
        self.out.write_all(self.line.as_bytes())
    }

    /// Sends the rows written so far on (a live table is shown as it grows).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the table with its bottom border, and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.line.clear();
        if self.frame == Frame::Boxed {
            self.rule(['└', '─', '┴', '┘']);
        }
        self.out.write_all(self.line.as_bytes())?;
        Ok(self.out)
    }

    fn header(&mut self) -> io::Result<()> {
        self.line.clear();
        let Layout::Grid(widths) = &self.layout else {
            return Ok(());
        };
        let widths = widths.clone();
        if self.frame == Frame::Boxed {
            self.rule(['┌', '─', '┬', '┐']);
        }
        let bold = (self.frame == Frame::Plain).then(|| Paint::new().bold());
        self.start_line();
        let shown: Vec<(usize, usize)> = widths
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.map(|w| (i, w)))
            .collect();
        for (k, &(i, w)) in shown.iter().enumerate() {
            let header = self.style.cut(self.columns[i].header, w).into_owned();
            let last = k + 1 == shown.len();
            self.cell(&header, w, self.columns[i].right, bold, k == 0, last);
        }
        self.end_line();
        if self.frame == Frame::Boxed {
            self.rule(['├', '─', '┼', '┤']);
        }
        self.out.write_all(self.line.as_bytes())
    }

    /// A horizontal rule (`┌───┬───┐`) over the columns shown.
    fn rule(&mut self, [left, fill, junction, right]: [char; 4]) {
        let Layout::Grid(widths) = &self.layout else {
            return;
        };
        for (k, width) in widths.iter().flatten().enumerate() {
            self.line.push(if k == 0 { left } else { junction });
            self.line.extend(std::iter::repeat_n(fill, width + 2));
        }
        self.line.push(right);
        self.line.push('\n');
    }

    fn start_line(&mut self) {
        if self.frame == Frame::Boxed {
            self.line.push('│');
        }
    }

    fn end_line(&mut self) {
        if self.frame == Frame::Plain {
            self.line.truncate(self.line.trim_end_matches(' ').len());
        }
        self.line.push('\n');
    }

    /// Appends one cell's line `part`, padded to `width` and aligned, with its border.
    fn cell(
        &mut self,
        part: &str,
        width: usize,
        right: bool,
        paint: Option<Paint>,
        first: bool,
        last: bool,
    ) {
        let space = width.saturating_sub(text::width(part));
        match self.frame {
            Frame::Boxed => self.line.push(' '),
            Frame::Plain if !first => pad(&mut self.line, GAP),
            Frame::Plain => {}
        }
        if right {
            pad(&mut self.line, space);
        }
        self.push_painted(part, paint);
        // The last cell of a plain table is not padded: its line ends with the text.
        let unpadded = self.frame == Frame::Plain && last;
        if !right && !unpadded {
            pad(&mut self.line, space);
        }
        if self.frame == Frame::Boxed {
            self.line.push_str(" │");
        }
    }

    fn push_painted(&mut self, part: &str, paint: Option<Paint>) {
        match paint {
            Some(paint) => self.line.push_str(&self.style.paint(part, paint)),
            None => self.line.push_str(part),
        }
    }
}

fn pad(line: &mut String, n: usize) {
    line.extend(std::iter::repeat_n(' ', n));
}

/// The lines `cell` is shown on in a column of `width`; `short`: the column shows short forms
/// (all of them, so that one name is not shown two ways).
fn fitted<'a>(
    cell: &'a Cell<'_>,
    column: &Column,
    width: usize,
    short: bool,
    style: &Style,
) -> Vec<Cow<'a, str>> {
    let text: &str = &cell.text;
    let fits = |s: &str| text::width(s) <= width;
    match cell.short.as_deref().filter(|s| fits(s)) {
        Some(short_form) if short || !fits(text) => return vec![Cow::Borrowed(short_form)],
        _ if fits(text) => return vec![Cow::Borrowed(text)],
        _ => {}
    }
    match column.fit {
        Fit::Whole | Fit::Cut => vec![style.cut(text, width)],
        Fit::Wrap(lines) => {
            let mut wrapped = text::wrap(text, width);
            if wrapped.len() > lines.max(1) {
                let rest = wrapped.split_off(lines.max(1) - 1).join(" ");
                let more = format!("{rest} {}", style.ellipsis());
                wrapped.push(style.cut(&more, width).into_owned());
            }
            wrapped.into_iter().map(Cow::Owned).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DisplayZone;

    fn style(width: usize) -> Style {
        Style {
            width,
            color: false,
            zone: DisplayZone::Utc,
            ascii: false,
        }
    }

    const COLUMNS: [Column; 4] = [
        Column::whole("ID", KEEP),
        Column::whole("HOOK", 1),
        Column::cut("STATE", 2, 8),
        Column::wrap("ERROR", KEEP, 8, 3),
    ];

    fn rows() -> Vec<Vec<Cell<'static>>> {
        vec![
            vec![
                Cell::new("req-1"),
                Cell::new("BeforeEventHandling").short("BeforeEvent"),
                Cell::new("{message:\"step 0 by planner\"}"),
                Cell::new("-"),
            ],
            vec![
                Cell::new("req-17461590"),
                Cell::new("AgentError"),
                Cell::new("-"),
                Cell::new("tool timeout after 30s"),
            ],
        ]
    }

    fn draw(width: usize) -> String {
        let mut out = Vec::new();
        write_table(&mut out, &style(width), &COLUMNS, Frame::Boxed, &rows()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_table_that_fits_is_drawn_at_its_natural_widths() {
        assert_eq!(
            draw(200),
            "\
┌──────────────┬─────────────────────┬───────────────────────────────┬────────────────────────┐
│ ID           │ HOOK                │ STATE                         │ ERROR                  │
├──────────────┼─────────────────────┼───────────────────────────────┼────────────────────────┤
│ req-1        │ BeforeEventHandling │ {message:\"step 0 by planner\"} │ -                      │
│ req-17461590 │ AgentError          │ -                             │ tool timeout after 30s │
└──────────────┴─────────────────────┴───────────────────────────────┴────────────────────────┘
"
        );
    }

    #[test]
    fn low_worth_columns_give_up_space_first_and_tokens_stay_whole() {
        assert_eq!(
            draw(60),
            "\
┌──────────────┬─────────────┬──────────┬──────────────────┐
│ ID           │ HOOK        │ STATE    │ ERROR            │
├──────────────┼─────────────┼──────────┼──────────────────┤
│ req-1        │ BeforeEvent │ {messag… │ -                │
│ req-17461590 │ AgentError  │ -        │ tool timeout     │
│              │             │          │ after 30s        │
└──────────────┴─────────────┴──────────┴──────────────────┘
"
        );
        let narrow = draw(40);
        assert!(narrow.lines().all(|l| text::width(l) <= 40), "{narrow}");
        assert!(
            narrow.contains("req-17461590") && !narrow.contains("HOOK"),
            "{narrow}"
        );
    }

    #[test]
    fn kept_columns_that_cannot_fit_are_stacked() {
        assert_eq!(
            draw(24),
            "\
req-1
  HOOK   BeforeEvent
  STATE  {message:\"step
         0 by planner\"}
  ERROR  -
req-17461590
  HOOK   AgentError
  STATE  -
  ERROR  tool timeout
         after 30s
"
        );
    }
}
