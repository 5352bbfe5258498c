//! `--format jsonl`: the normalised entries as JSON Lines, one compact object per line, each
//! written as soon as its entry is read.

use super::EntryRenderer;
use super::json::{Layout, write};
use crate::export::ExportEntry;
use std::io::{self, Write};

pub struct JsonLines<'w> {
    out: &'w mut dyn Write,
}

impl<'w> JsonLines<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        JsonLines { out }
    }
}

impl EntryRenderer for JsonLines<'_> {
    fn entry(&mut self, entry: &ExportEntry<'_>) -> io::Result<()> {
        write(self.out, entry, Layout::Compact, 0)?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
