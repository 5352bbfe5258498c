//! Problems found in the input, reported on stderr as they are found, without flooding it:
//! a file with thousands of damaged entries shows the first few and a count of the rest.

use crate::read::Problem;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many problems are shown per file before the rest are only counted.
pub const SHOWN_PER_FILE: usize = 20;

/// Keeps the problem `make` gives in `shown`, unless it holds [`SHOWN_PER_FILE`] already: the
/// one cap on the problems a command keeps of one file to show. Says whether it was kept.
pub fn keep<T>(shown: &mut Vec<T>, make: impl FnOnce() -> T) -> bool {
    let room = shown.len() < SHOWN_PER_FILE;
    if room {
        shown.push(make());
    }
    room
}

/// Reports problems and warnings to a diagnostics stream (stderr), and remembers whether any
/// input was skipped (exit code 1).
pub struct Reporter<'w> {
    out: &'w mut dyn Write,
    per_file: HashMap<PathBuf, usize>,
    problems: u64,
}

impl<'w> Reporter<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        Reporter {
            out,
            per_file: HashMap::new(),
            problems: 0,
        }
    }

    /// Reports damaged input. Write errors on the diagnostics stream are ignored: there is
    /// nowhere else to report them.
    pub fn problem(&mut self, problem: &Problem) {
        self.problems += 1;
        let shown = self.per_file.entry(problem.path.to_path_buf()).or_insert(0);
        *shown += 1;
        if *shown <= SHOWN_PER_FILE {
            let _ = writeln!(self.out, "{problem}");
        }
    }

    /// Counts problems of a file that were found but not kept to be shown (a command that
    /// keeps only the first few of each file, to bound memory).
    pub fn problems_not_shown(&mut self, path: &Path, n: u64) {
        if n == 0 {
            return;
        }
        self.problems += n;
        let shown = self.per_file.entry(path.to_path_buf()).or_insert(0);
        *shown += n as usize;
    }

    /// Reports that a file could not be used at all.
    pub fn unreadable(&mut self, path: &Path, error: &dyn std::fmt::Display) {
        self.problems += 1;
        let _ = writeln!(self.out, "{}: {error}", crate::error::shown(path));
    }

    /// A note for the user that is not a problem with the input.
    pub fn note(&mut self, message: &str) {
        let _ = writeln!(self.out, "{message}");
    }

    /// Whether any input was skipped or unreadable.
    pub fn had_problems(&self) -> bool {
        self.problems > 0
    }

    /// Says how many problems were not shown, per file.
    pub fn finish(&mut self) {
        let mut hidden: Vec<_> = self
            .per_file
            .iter()
            .filter(|(_, n)| **n > SHOWN_PER_FILE)
            .collect();
        hidden.sort();
        for (path, n) in hidden {
            let _ = writeln!(
                self.out,
                "{}: {} more problems not shown",
                crate::error::shown(path),
                n - SHOWN_PER_FILE
            );
        }
    }
}
