//! Sessions: finding trace files in a directory, their one order (newest first, whose first is
//! `latest`), and resolving what a user typed (an id, a prefix, a path, `latest`) to one of them.

use crate::error::Error;
use crate::summary::read_started;
use crate::time::Timestamp;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The file name endings of trace files; the session id is the name without them.
pub const SUFFIXES: [&str; 4] = [
    ".trace.json",
    ".trace.jsonl",
    ".trace.json.gz",
    ".trace.jsonl.gz",
];

/// One session's trace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFile {
    pub id: String,
    pub path: PathBuf,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// A name in the trace directory that looks like a session but cannot be read as one.
#[derive(Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    pub error: io::Error,
}

/// The sessions of a directory, sorted by id, and the names that could not be used.
#[derive(Debug, Default)]
pub struct Discovery {
    pub sessions: Vec<SessionFile>,
    pub unreadable: Vec<Unreadable>,
}

/// The session id in a trace file's name, if it is one.
pub fn session_id(file_name: &str) -> Option<&str> {
    SUFFIXES
        .iter()
        .find_map(|suffix| file_name.strip_suffix(suffix))
        .filter(|id| !id.is_empty())
}

/// The id of the session a file at `path` holds, whether it exists or not: its name without
/// its trace suffix, or without its last extension.
pub fn id_of_path(path: &Path) -> String {
    let name = path
        .file_name()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default();
    session_id(&name)
        .map(str::to_owned)
        .or_else(|| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .unwrap_or_else(|| name.into_owned())
}

impl SessionFile {
    /// The session a trace file at `path` holds (any name: see [`id_of_path`]).
    pub fn from_path(path: &Path) -> Result<SessionFile, Error> {
        let meta = fs::metadata(path).map_err(|e| Error::read(path, e))?;
        if meta.is_dir() {
            return Err(Error::read(
                path,
                io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
            ));
        }
        Ok(SessionFile {
            id: id_of_path(path),
            path: path.to_path_buf(),
            size: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// Finds the trace files in `dir` (not its subdirectories).
pub fn discover(dir: &Path) -> Result<Discovery, Error> {
    let directory_error = |error| Error::Directory {
        dir: dir.to_path_buf(),
        error,
    };
    let mut found = Discovery::default();
    for item in fs::read_dir(dir).map_err(directory_error)? {
        let item = item.map_err(directory_error)?;
        let name = item.file_name();
        let Some(id) = name.to_str().and_then(session_id) else {
            continue;
        };
        let path = item.path();
        // Follows symbolic links: a link to a trace file is a session.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => found.sessions.push(SessionFile {
                id: id.to_owned(),
                path,
                size: meta.len(),
                modified: meta.modified().ok(),
            }),
            Ok(meta) => {
                let error = if meta.is_dir() {
                    io::Error::new(io::ErrorKind::IsADirectory, "is a directory")
                } else {
                    io::Error::other("not a regular file")
                };
                found.unreadable.push(Unreadable { path, error });
            }
            Err(error) => found.unreadable.push(Unreadable { path, error }),
        }
    }
    found
        .sessions
        .sort_by(|a, b| a.id.cmp(&b.id).then(a.path.cmp(&b.path)));
    found.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// The one order of sessions, newest first: `list` shows them in it, and `latest` is its first.
/// A session is as new as its start, the time of its first entry (`started`), and those whose
/// start cannot be read (no entry yet, or not a trace) come last; sessions with the same start,
/// or none, go by their file's modification time, newest first; then by id, then by file name.
/// (`--help` says this too: `cli::newest_first!`.)
pub fn newest_first(
    (a, a_started): (&SessionFile, Option<Timestamp>),
    (b, b_started): (&SessionFile, Option<Timestamp>),
) -> Ordering {
    b_started
        .cmp(&a_started)
        .then(b.modified.cmp(&a.modified))
        .then(a.id.cmp(&b.id))
        .then(a.path.cmp(&b.path))
}

/// The latest of `sessions`: the first in the order of [`newest_first`] (the first row of
/// `list`). Each file's head is read for its start, in parallel; a file that cannot be read
/// counts as one without a start.
pub fn latest(sessions: Vec<SessionFile>) -> Option<SessionFile> {
    sessions
        .into_par_iter()
        .map(|s| {
            let started = read_started(&s.path).ok().flatten();
            (s, started)
        })
        .min_by(|(a, a_started), (b, b_started)| newest_first((a, *a_started), (b, *b_started)))
        .map(|(s, _)| s)
}

/// Resolves what the user typed to one session: `latest` (see [`latest`]), a path to a trace
/// file anywhere, an exact id, or a unique prefix of one.
pub fn resolve(arg: &str, dir: &Path) -> Result<SessionFile, Error> {
    let as_path = Path::new(arg);
    if arg != "latest" && (arg.contains(std::path::MAIN_SEPARATOR) || arg.contains('/')) {
        return SessionFile::from_path(as_path);
    }
    let Discovery {
        sessions,
        unreadable,
    } = discover(dir)?;
    if arg == "latest" {
        return latest(sessions).ok_or_else(|| Error::NoSessions {
            dir: dir.to_path_buf(),
        });
    }
    let exact: Vec<&SessionFile> = sessions.iter().filter(|s| s.id == arg).collect();
    let matches = if exact.is_empty() {
        sessions.iter().filter(|s| s.id.starts_with(arg)).collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] if as_path.is_file() => SessionFile::from_path(as_path),
        [] => {
            // A file of that session that cannot be read (a directory, a link to nowhere): why.
            let named = |u: &Unreadable| {
                u.path
                    .file_name()
                    .and_then(OsStr::to_str)
                    .and_then(session_id)
                    == Some(arg)
            };
            match unreadable.into_iter().find(named) {
                Some(bad) => Err(Error::read(&bad.path, bad.error)),
                None => Err(Error::UnknownSession {
                    id: arg.to_owned(),
                    dir: dir.to_path_buf(),
                    suggestions: closest(arg, &sessions),
                }),
            }
        }
        many => Err(Error::AmbiguousSession {
            prefix: arg.to_owned(),
            dir: dir.to_path_buf(),
            candidates: many
                .iter()
                .map(|s| match s.path.file_name() {
                    // Two files with one id (say .json and .jsonl): name the files.
                    Some(name) if many.iter().filter(|o| o.id == s.id).count() > 1 => {
                        name.to_string_lossy().into_owned()
                    }
                    _ => s.id.clone(),
                })
                .collect(),
        }),
    }
}

/// The ids most like `arg`, best first: those within a small edit distance, or containing it.
fn closest(arg: &str, sessions: &[SessionFile]) -> Vec<String> {
    let limit = (arg.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = sessions
        .iter()
        .map(|s| {
            let distance = strsim::levenshtein(arg, &s.id);
            let score = if s.id.contains(arg) { 0 } else { distance };
            (score, s.id.as_str())
        })
        .filter(|(score, _)| *score <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, id)| id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_from_file_names() {
        assert_eq!(session_id("req-1.trace.json"), Some("req-1"));
        assert_eq!(session_id("req-1.trace.jsonl.gz"), Some("req-1"));
        assert_eq!(session_id("req-1.json"), None);
        assert_eq!(session_id(".trace.json"), None);
    }

    fn dir_with(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            fs::write(dir.path().join(name), "[\n").unwrap();
        }
        dir
    }

    #[test]
    fn resolves_ids_prefixes_and_paths() {
        let dir = dir_with(&["req-100.trace.json", "req-200.trace.jsonl", "other.txt"]);
        let d = dir.path();
        assert_eq!(resolve("req-100", d).unwrap().id, "req-100");
        assert_eq!(resolve("req-2", d).unwrap().id, "req-200");
        let path = d.join("req-100.trace.json");
        assert_eq!(resolve(path.to_str().unwrap(), d).unwrap().path, path);
        let err = resolve("req-", d).unwrap_err().to_string();
        assert!(err.contains("matches req-100, req-200"), "{err}");
        let err = resolve("req-101", d).unwrap_err().to_string();
        assert!(err.contains("did you mean req-100"), "{err}");
        assert!(
            err.ends_with("run `agentcli list` to see the sessions there"),
            "{err}"
        );
    }

    /// A trace file starting at `started` (or empty), last modified `minute` minutes in.
    fn session_file(dir: &Path, name: &str, started: Option<&str>, minute: u64) {
        let path = dir.join(name);
        let text = match started {
            Some(t) => format!("[\n{{\"timestamp\":\"{t}\",\"hook\":\"BeforeAgentRun\"}}"),
            None => String::new(),
        };
        fs::write(&path, text).unwrap();
        let modified = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(60 * minute);
        fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(modified))
            .unwrap();
    }

    fn latest_in(dir: &Path) -> String {
        let latest = resolve("latest", dir).unwrap();
        latest
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn latest_is_the_session_that_started_last_then_the_last_modified_then_the_first_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        session_file(d, "old.trace.json", Some("2025-05-02T09:00:00Z"), 50);
        session_file(d, "new.trace.json", Some("2025-05-02T10:00:00Z"), 10);
        // The latest start wins over the latest modification.
        assert_eq!(latest_in(d), "new.trace.json");
        // The same start written in another zone is the same instant: modified later wins.
        session_file(d, "same.trace.json", Some("2025-05-02T11:00:00+01:00"), 20);
        assert_eq!(latest_in(d), "same.trace.json");
        // The same start and modification: the first id wins, as in `list`.
        session_file(d, "b-tie.trace.json", Some("2025-05-02T10:00:00Z"), 20);
        session_file(d, "a-tie.trace.json", Some("2025-05-02T10:00:00Z"), 20);
        assert_eq!(latest_in(d), "a-tie.trace.json");
        // Two files of one session: the first file name wins.
        session_file(d, "a-tie.trace.jsonl", Some("2025-05-02T10:00:00Z"), 20);
        assert_eq!(latest_in(d), "a-tie.trace.json");
        // A file without an entry yet comes after every session that has a start.
        session_file(d, "empty.trace.json", None, 90);
        assert_eq!(latest_in(d), "a-tie.trace.json");
    }

    #[test]
    fn without_starts_latest_is_the_last_modified() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        session_file(d, "a.trace.json", None, 10);
        session_file(d, "b.trace.json", None, 30);
        fs::write(d.join("c.trace.json"), "not a trace").unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(d.join("c.trace.json"))
            .and_then(|f| f.set_modified(old))
            .unwrap();
        assert_eq!(latest_in(d), "b.trace.json");
        session_file(d, "a.trace.json", None, 30);
        assert_eq!(latest_in(d), "a.trace.json");
        let empty = tempfile::tempdir().unwrap();
        let err = resolve("latest", empty.path()).unwrap_err().to_string();
        assert!(
            err.contains("`latest` needs at least one trace file"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_named_like_a_trace_is_not_a_session() {
        let dir = dir_with(&["a.trace.json"]);
        fs::create_dir(dir.path().join("x.trace.json")).unwrap();
        let found = discover(dir.path()).unwrap();
        assert_eq!(found.sessions.len(), 1);
        assert_eq!(found.unreadable.len(), 1);
        let err = resolve("x", dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("x.trace.json: is a directory"), "{err}");
    }
}
