//! A boxed table of any length, drawn exactly as one comfy-table of all its rows would be,
//! without comfy-table holding and laying out all the rows at once.
//!
//! comfy-table keeps a copy of every cell and formats the whole table in memory before the
//! first line is written, which costs several times the rows' own size. A long table is drawn
//! here in two passes over the rows instead. The first chooses the column widths by laying out
//! a small probe table that leads comfy-table's layout to the same widths as the whole table.
//! The second draws the rows a chunk at a time at those widths.
//!
//! The probe is exact, not a sample. comfy-table's dynamic layout looks at a column's cells only
//! through two maxima over them: the widest line, and for a trial width `a` the widest line left
//! after wrapping at `a` (`longest_line_after_split`), written `f(a)` below. So a cell may be
//! left out of the probe when a cell kept in it is at least as wide and has an `f` at least as
//! large at every `a`:
//! - Cells of printable ASCII wrap by their word lengths alone (the display width of such text
//!   is its length, and a long word is cut at a byte index), so of the cells whose words have
//!   the same lengths one is kept.
//! - A printable ASCII cell of width `w` never wraps to a line wider than `min(w, a)`, and one
//!   whose longest word is `l` long always keeps a line of at least `min(l, a)` (a word that
//!   fits is never cut, one that does not fills whole lines). So the cell with the longest
//!   word stands for every printable ASCII cell no wider than that word.
//! - Other cells (wide characters, combining marks) are kept, one of each content.
//!
//! This reasoning is about comfy-table 8's layout; the tests below draw long tables both ways and
//! fail if a later version lays them out from anything else.

use super::{TOP_BORDER, boxed_table};
use comfy_table::{CellAlignment, ColumnConstraint, Table, Width};
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

/// Tables of at most this many rows are laid out whole, as one comfy-table; longer ones are
/// drawn this many rows at a time.
pub const CHUNK_ROWS: usize = 500;

/// Writes `rows` under `header` as a table in the house style `width` columns wide (see
/// [`boxed_table`]), the columns numbered in `right` aligned right. `cells` gives a row's
/// cells, one per header; it is called twice per row when the table is longer than
/// [`CHUNK_ROWS`].
pub fn write_boxed_table<T>(
    out: &mut dyn Write,
    width: usize,
    header: &[&str],
    right: &[usize],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> io::Result<()> {
    if rows.len() <= CHUNK_ROWS {
        write_whole(out, width, header, right, rows, cells)
    } else {
        write_chunked(out, width, header, right, rows, cells)
    }
}

/// Writes the table as [`write_boxed_table`] does, as one comfy-table of all its rows: the
/// drawing the chunked one must match.
pub fn write_whole<T>(
    out: &mut dyn Write,
    width: usize,
    header: &[&str],
    right: &[usize],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> io::Result<()> {
    let table = layout(width, Some(header), right, rows.iter().map(cells), None);
    writeln!(out, "{table}")
}

fn write_chunked<T>(
    out: &mut dyn Write,
    width: usize,
    header: &[&str],
    right: &[usize],
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> io::Result<()> {
    let mut probes: Vec<ColumnProbe> = header.iter().map(|_| ColumnProbe::default()).collect();
    for row in rows {
        let cells = cells(row);
        debug_assert_eq!(cells.len(), header.len(), "a row's cells: {cells:?}");
        for (probe, cell) in probes.iter_mut().zip(cells) {
            probe.observe(cell);
        }
    }
    let kept: Vec<Vec<String>> = probes.into_iter().map(ColumnProbe::into_cells).collect();
    let probe_rows = (0..kept.iter().map(Vec::len).max().unwrap_or(0)).map(|i| {
        // A column with fewer cells to keep than others is filled with empty cells, which
        // change neither maximum.
        kept.iter()
            .map(|column| column.get(i).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    });
    let probe = layout(width, Some(header), right, probe_rows, None);
    let widths = column_widths(&probe);
    debug_assert_eq!(
        widths.len(),
        header.len(),
        "the probe's top border: {widths:?}"
    );

    let chunks = rows.len().div_ceil(CHUNK_ROWS);
    for (i, chunk) in rows.chunks(CHUNK_ROWS).enumerate() {
        let (first, last) = (i == 0, i + 1 == chunks);
        let table = layout(
            width,
            first.then_some(header),
            right,
            chunk.iter().map(&cells),
            Some(&widths),
        );
        // Each chunk is a whole table: keep the top border only on the first and the bottom
        // border only on the last, so that the chunks join into one table.
        let lines: Vec<String> = table.lines().collect();
        let start = usize::from(!first);
        let end = lines.len() - usize::from(!last);
        for line in &lines[start..end] {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// A table in the house style holding `rows`, laid out by comfy-table, or with `widths` when
/// given (each a column's width with its padding, as in comfy-table's `Absolute` constraint).
fn layout(
    width: usize,
    header: Option<&[&str]>,
    right: &[usize],
    rows: impl Iterator<Item = Vec<String>>,
    widths: Option<&[u16]>,
) -> Table {
    let mut table = boxed_table(width);
    if let Some(header) = header {
        table.set_header(header.to_vec());
    }
    for row in rows {
        table.add_row(row);
    }
    if let Some(widths) = widths {
        table.set_constraints(
            widths
                .iter()
                .map(|&w| ColumnConstraint::Absolute(Width::Fixed(w))),
        );
    }
    for &column in right {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// The widths comfy-table gave `table`'s columns, padding included, read from its top border
/// (comfy-table does not tell them otherwise).
fn column_widths(table: &Table) -> Vec<u16> {
    let top = table.lines().next().unwrap_or_default();
    let [left, _, junction, right] = TOP_BORDER;
    let inner = top
        .strip_prefix(left)
        .and_then(|s| s.strip_suffix(right))
        .unwrap_or_default();
    inner
        .split(junction)
        .map(|segment| segment.chars().count().try_into().unwrap_or(u16::MAX))
        .collect()
}

/// The cells of one column that decide its layout (see the module's documentation).
#[derive(Default)]
struct ColumnProbe {
    /// The longest word in a printable ASCII cell, and that cell.
    longest_word: Option<(usize, String)>,
    /// Printable ASCII cells, one per list of word lengths, with their widths.
    ascii: HashMap<Vec<usize>, (usize, String)>,
    /// Every other distinct cell.
    other: HashSet<String>,
}

impl ColumnProbe {
    fn observe(&mut self, cell: String) {
        if !cell.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            self.other.insert(cell);
            return;
        }
        let words: Vec<usize> = cell.split(' ').map(str::len).collect();
        let longest = words.iter().copied().max().unwrap_or(0);
        if self.longest_word.as_ref().is_none_or(|(l, _)| longest > *l) {
            self.longest_word = Some((longest, cell.clone()));
        }
        if cell.len() > self.longest_word.as_ref().map_or(0, |(l, _)| *l) {
            self.ascii
                .entry(words)
                .or_insert_with(|| (cell.len(), cell));
        }
    }

    fn into_cells(self) -> Vec<String> {
        let longest = self.longest_word.as_ref().map_or(0, |(l, _)| *l);
        let ascii = self
            .ascii
            .into_values()
            .filter(|(width, _)| *width > longest)
            .map(|(_, cell)| cell);
        let longest_word = self.longest_word.map(|(_, cell)| cell);
        longest_word
            .into_iter()
            .chain(ascii)
            .chain(self.other)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (an LCG), so that a failure can be replayed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    /// Words of every kind the layout treats differently: short and long ASCII words (so that
    /// the line a cell wraps to depends on how its words pack, not only on its widest word),
    /// empty words (runs of spaces), wide characters, combining marks.
    const ASCII: [&str; 8] = [
        "a",
        "bb",
        "ccc",
        "dddd,",
        "eeeeeeeee",
        "researcher,",
        "",
        "very-long-agent-name-without-any-space",
    ];
    const OTHER: [&str; 5] = [
        "日本語",
        "e\u{301}te\u{301}",
        "🤖",
        "",
        "研究者研究者研究者研究者研究者",
    ];

    fn cell(rng: &mut Rng, words: &[&str]) -> String {
        (0..1 + rng.below(8))
            .map(|_| words[rng.below(words.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }

    type Writer = fn(
        &mut dyn Write,
        usize,
        &[&str],
        &[usize],
        &[Vec<String>],
        fn(&Vec<String>) -> Vec<String>,
    ) -> io::Result<()>;

    fn render(write: Writer, width: usize, rows: &[Vec<String>]) -> String {
        let mut out = Vec::new();
        let header = ["ID", "WHEN", "WHO", "N"];
        write(&mut out, width, &header, &[3], rows, Vec::clone).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn chunks_join_into_the_table_comfy_table_draws_whole() {
        let mut rng = Rng(17);
        for seed in 0..4 {
            let rows: Vec<Vec<String>> = (0..2 * CHUNK_ROWS + 1 + seed)
                .map(|_| {
                    let mixed = [&ASCII[..], &OTHER[..]].concat();
                    let columns: [&[&str]; 4] = [&ASCII, &ASCII, &OTHER, &mixed];
                    columns.map(|words| cell(&mut rng, words)).to_vec()
                })
                .collect();
            for width in [10, 30, 60, 120, 200, 400] {
                let whole = render(write_whole, width, &rows);
                let chunked = render(write_chunked, width, &rows);
                assert!(
                    whole == chunked,
                    "width {width}, seed {seed}: the chunked table differs from the whole one"
                );
            }
        }
    }

    #[test]
    fn cells_as_wide_but_packing_differently_are_both_kept() {
        // At 10 columns "aaaaaa bbbb" wraps to lines of 6 and 4, and "aaa bbb ccc" to lines of
        // 7 and 3: in a 27-column table (10 columns of text each) the first alone would let
        // the column shrink to 6, the second keeps it at 7 (comfy-table shrinks a column only
        // when it saves 3).
        let mut rows = vec![vec!["aaaaaa bbbb".to_owned(), "y".repeat(100)]; 2 * CHUNK_ROWS];
        rows.push(vec!["aaa bbb ccc".to_owned(), "y".repeat(100)]);
        let header = ["X", "Y"];
        let (mut whole, mut chunked) = (Vec::new(), Vec::new());
        write_whole(&mut whole, 27, &header, &[], &rows, Vec::clone).unwrap();
        write_chunked(&mut chunked, 27, &header, &[], &rows, Vec::clone).unwrap();
        assert!(whole.starts_with("┌─────────┬".as_bytes()));
        assert!(
            whole == chunked,
            "the chunked table differs from the whole one"
        );
    }
}
