//! `--format jsonl`: the normalised entries as JSON Lines, one compact object per line, each
//! written as soon as its entry is read.

use super::EntryRenderer;
use super::json::{Layout, write_entry};
use crate::export::ExportEntry;
use std::io::{self, Write};

pub struct JsonLines<'w> {
    out: &'w mut dyn Write,
    /// The line being written, reused: one write of it to `out`.
    line: Vec<u8>,
}

impl<'w> JsonLines<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        JsonLines {
            out,
            line: Vec::new(),
        }
    }
}

impl EntryRenderer for JsonLines<'_> {
    fn entry(&mut self, entry: &ExportEntry<'_>) -> io::Result<()> {
        self.line.clear();
        write_entry(&mut self.line, entry, Layout::Compact, 0)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
