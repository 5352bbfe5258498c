//! What the read loop feeds: a view of a session that takes its entries one by one as they are
//! read, so that terminal views and exports alike work on files of any size and on files still
//! growing.

use super::{Entry, Problem, ReadSummary};
use std::io;

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
