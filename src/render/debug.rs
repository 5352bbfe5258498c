//! The debug view (`trace --debug`): the raw structure of a session file: each entry's JSON as
//! it was read, then what the reader made of the file (its shape, whether it was compressed,
//! entries read, entries skipped and why, an entry still being written).

use crate::read::framer::Shape;
use crate::read::{Entry, EntryView, Problem, ReadSummary};
use crate::report;
use crate::session::SessionFile;
use crate::text;
use crate::units;
use std::io::{self, Write};

/// Writes each entry's JSON as read, and the reader's diagnostics at the end.
pub struct DebugView<'w> {
    out: &'w mut dyn Write,
    session: SessionFile,
    started: bool,
    shown: u64,
    /// The first problems, to say why entries were skipped.
    problems: Vec<String>,
    problem_count: u64,
}

impl<'w> DebugView<'w> {
    pub fn new(out: &'w mut dyn Write, session: &SessionFile) -> Self {
        DebugView {
            out,
            session: session.clone(),
            started: false,
            shown: 0,
            problems: Vec::new(),
            problem_count: 0,
        }
    }

    fn title(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            writeln!(
                self.out,
                "Raw trace for session {} ({}):\n",
                text::escape(&self.session.id, false),
                crate::error::shown(&self.session.path)
            )?;
        }
        Ok(())
    }
}

impl EntryView for DebugView<'_> {
    fn entry(&mut self, read: &Entry<'_>) -> io::Result<()> {
        self.title()?;
        self.shown += 1;
        writeln!(
            self.out,
            "# entry {} at line {}, column {} ({} bytes)",
            read.index,
            read.at.line,
            read.at.column,
            read.bytes.len()
        )?;
        let json = String::from_utf8_lossy(read.bytes);
        // Valid JSON holds no raw control characters, but may hold bidirectional overrides.
        self.out.write_all(text::escape(&json, true).as_bytes())?;
        self.out.write_all(b"\n\n")
    }

    fn problem(&mut self, problem: &Problem) -> io::Result<()> {
        self.problem_count += 1;
        report::keep(&mut self.problems, || {
            let mut place = String::new();
            if let Some(n) = problem.entry {
                place.push_str(&format!("entry {n}"));
            }
            if let Some(at) = problem.at {
                if !place.is_empty() {
                    place.push_str(", ");
                }
                place.push_str(&format!("line {}, column {}", at.line, at.column));
            }
            if place.is_empty() {
                problem.message.clone()
            } else {
                format!("{place}: {}", problem.message)
            }
        });
        Ok(())
    }

    fn caught_up(&mut self) -> io::Result<()> {
        self.title()?;
        self.out.flush()
    }

    fn finish(&mut self, summary: &ReadSummary) -> io::Result<()> {
        self.title()?;
        let out = &mut *self.out;
        writeln!(out, "Reader diagnostics:")?;
        let row =
            |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "  {label:<10} {value}");
        row(
            out,
            "file",
            &format!(
                "{} ({} on disk)",
                crate::error::shown(&self.session.path),
                units::bytes(self.session.size)
            ),
        )?;
        let compressed = if summary.compressed {
            "gzip-compressed "
        } else {
            ""
        };
        row(
            out,
            "shape",
            &format!("{compressed}{}", describe(summary.shape)),
        )?;
        let decompressed = if summary.compressed {
            " (decompressed)"
        } else {
            ""
        };
        row(
            out,
            "read",
            &format!("{} bytes{decompressed}", summary.bytes),
        )?;
        let filtered = summary.entries.saturating_sub(self.shown);
        let mut entries = format!("{} read", summary.entries);
        if filtered > 0 {
            entries.push_str(&format!(
                ", {} shown, {filtered} left out by the filter",
                self.shown
            ));
        }
        row(out, "entries", &entries)?;
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        row(
            out,
            "skipped",
            &plural(summary.skipped, "damaged entry", "damaged entries"),
        )?;
        for (i, problem) in self.problems.iter().enumerate() {
            let label = if i == 0 { "problems" } else { "" };
            row(out, label, &text::escape(problem, false))?;
        }
        let hidden = self.problem_count - self.problems.len() as u64;
        if hidden > 0 {
            row(out, "", &format!("and {hidden} more"))?;
        }
        let tail = match summary.tail {
            Some(tail) => format!(
                "entry {} at line {}, column {} is incomplete ({} bytes): still being written, \
                 or cut off; not shown",
                tail.index, tail.at.line, tail.at.column, tail.len
            ),
            None => "none: the file ends after a complete entry".to_owned(),
        };
        row(out, "tail", &tail)
    }
}

/// The shape of the file, in words.
fn describe(shape: Shape) -> String {
    match shape {
        Shape::Empty => "empty: no entries yet".to_owned(),
        Shape::Array { closed: true } => "JSON array, closed with `]`".to_owned(),
        Shape::Array { closed: false } => {
            "JSON array, unclosed (no final `]`: the writer is still running, or stopped \
             without closing the file)"
                .to_owned()
        }
        Shape::Lines => "JSON Lines: one entry after another, no enclosing array".to_owned(),
        Shape::NotJson { byte } => format!("not JSON: it starts with byte 0x{byte:02x}"),
    }
}
