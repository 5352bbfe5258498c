//! Sessions: finding trace files in a directory, and resolving what a user typed (an id, a
//! prefix, a path, `latest`) to one of them.

use crate::error::Error;
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

/// Resolves what the user typed to one session: `latest` (the most recently modified), a path
/// to a trace file anywhere, an exact id, or a unique prefix of one.
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
        return sessions
            .into_iter()
            .max_by(|a, b| a.modified.cmp(&b.modified).then(b.id.cmp(&a.id)))
            .ok_or_else(|| Error::NoSessions {
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
