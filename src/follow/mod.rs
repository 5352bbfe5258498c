//! Live tail (`trace --follow`): watches the trace directory and feeds what a session file
//! gains to the one reader, so that each entry is passed on once, as soon as it is complete.
//!
//! Two parts, as in hl's `fsmon`:
//! - A [`Monitor`] (`watch`) watches directories, not files, so that a file created later,
//!   deleted, or replaced by a rename is still seen. It uses the platform's file-system
//!   notifications, passes on only changes to the paths of interest, and falls back to polling
//!   where notifications are unavailable. Its handler returns
//!   [`ControlFlow`](std::ops::ControlFlow), so a caller (a test) can stop it after any number
//!   of wakes.
//! - A [`Follower`] (`tail`) keeps one [`TraceReader`](crate::read::TraceReader) open on the
//!   followed file and, each time the monitor wakes it, reads only the bytes the file gained:
//!   the reader holds a partly written entry until its last byte arrives. Before reading, it
//!   checks whether the file changed under it: truncated or rewritten (smaller than what was
//!   read, or its first bytes differ), replaced (another file at the path) or deleted; then it
//!   says so and starts again at the beginning of the new file. Entries of one file are never
//!   passed on twice.
//!
//! A [`Plan`] (here) says what to follow, decided once from the command line.
mod tail;
mod watch;

pub use tail::{Ended, Follower, Restart, Update};
pub use watch::{Monitor, POLL_INTERVAL, Stopper, Watching};

use watch::Interest;

use crate::error::Error;
use crate::session;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Which session to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One session, whose file may not exist yet: the first of `paths` that exists.
    Session { id: String, paths: Vec<PathBuf> },
    /// The latest session in the directory, by the rule of `trace latest` and `list`
    /// (`session::latest`); the first to appear, if there is none yet.
    Latest,
}

/// What to follow and how, decided once from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Where sessions are looked for (absolute): the trace directory, or the followed file's.
    pub dir: PathBuf,
    /// The same directory as the user gave it, to name files in messages.
    pub dir_as_given: PathBuf,
    pub target: Target,
    /// Existing ids like the one asked for, when it has no file yet (a typo would wait forever).
    pub suggestions: Vec<String>,
    /// Switch to each newer session that appears in `dir` (`--follow-new`).
    pub switch_to_new: bool,
    pub watching: Watching,
}

impl Plan {
    /// Resolves what the user typed as `trace` does, except that a session without a file
    /// is not an error but something to wait for: an id without a file becomes
    /// `<dir>/<id>.trace.json` (or any other trace suffix: the first file to appear), and a path
    /// to a file that does not exist yet is that path.
    pub fn new(
        arg: &str,
        dir: &Path,
        switch_to_new: bool,
        watching: Watching,
    ) -> Result<Plan, Error> {
        let mut suggestions = Vec::new();
        let mut dir_as_given = dir.to_path_buf();
        let (dir, target) = if arg == "latest" {
            (absolute_dir(dir)?, Target::Latest)
        } else {
            match session::resolve(arg, dir) {
                Ok(found) => {
                    dir_as_given = parent(&found.path).to_path_buf();
                    let (dir, path) = absolute_file(&found.path)?;
                    let paths = vec![path];
                    (
                        dir,
                        Target::Session {
                            id: found.id,
                            paths,
                        },
                    )
                }
                Err(Error::UnknownSession {
                    suggestions: like, ..
                }) => {
                    suggestions = like;
                    let dir = absolute_dir(dir)?;
                    let paths = session::SUFFIXES
                        .iter()
                        .map(|suffix| dir.join(format!("{arg}{suffix}")))
                        .collect();
                    let id = arg.to_owned();
                    (dir, Target::Session { id, paths })
                }
                Err(Error::Read { path, error }) if error.kind() == io::ErrorKind::NotFound => {
                    dir_as_given = parent(&path).to_path_buf();
                    let (dir, path) = absolute_file(&path)?;
                    let id = session::id_of_path(&path);
                    (
                        dir,
                        Target::Session {
                            id,
                            paths: vec![path],
                        },
                    )
                }
                Err(e) => return Err(e),
            }
        };
        Ok(Plan {
            dir,
            dir_as_given,
            target,
            suggestions,
            switch_to_new,
            watching,
        })
    }

    /// A path of the plan's directory as the user would write it (others as they are).
    pub fn shown(&self, path: &Path) -> String {
        match path.file_name() {
            Some(name) if path.parent() == Some(self.dir.as_path()) => {
                crate::error::shown(&self.dir_as_given.join(name))
            }
            _ => crate::error::shown(path),
        }
    }

    /// A monitor watching what this plan needs: the directory, plus the directory of a linked
    /// file's target (writes to it are not seen at the link's path).
    pub fn monitor(&self) -> Monitor {
        let mut dirs = vec![self.dir.clone()];
        let mut paths = Vec::new();
        if let Target::Session {
            paths: candidates, ..
        } = &self.target
        {
            for path in candidates {
                paths.push(path.clone());
                let linked = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
                if let Some(real) = linked.then(|| fs::canonicalize(path).ok()).flatten() {
                    if let Some(parent) = real.parent().filter(|p| !dirs.iter().any(|d| d == p)) {
                        dirs.push(parent.to_path_buf());
                    }
                    paths.push(real);
                }
            }
        }
        let any_trace = self.switch_to_new || self.target == Target::Latest;
        let interest = Interest {
            paths,
            traces_in: any_trace.then(|| self.dir.clone()),
        };
        Monitor::new(&dirs, interest, self.watching)
    }
}

/// `dir`, absolute and without links, as notifications name the paths in it.
fn absolute_dir(dir: &Path) -> Result<PathBuf, Error> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    fs::canonicalize(dir).map_err(|error| Error::Directory {
        dir: dir.to_path_buf(),
        error,
    })
}

/// The directory a file is in, as written (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A file's absolute directory, and its path in it (the file itself need not exist).
fn absolute_file(path: &Path) -> Result<(PathBuf, PathBuf), Error> {
    let name = path.file_name().ok_or_else(|| {
        Error::read(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let dir = absolute_dir(parent(path))?;
    let path = dir.join(name);
    Ok((dir, path))
}

#[cfg(test)]
mod tests;
