//! The library's typed errors: what stops a command, with the path or argument concerned and
//! what to do next. (Damage inside a trace file is not an error but a `read::Problem`.)

use crate::text;
use std::io;
use std::path::{Path, PathBuf};

/// An error that stops a command (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The I/O error is part of the message (not a `source`), so that it reads in order:
    // what failed, why, then what to do.
    #[error("cannot read {}: {error}", shown(path))]
    Read { path: PathBuf, error: io::Error },

    #[error(
        "cannot read trace directory {}: {error}; choose another with --dir or AGENTCLI_TRACE_DIR",
        shown(dir)
    )]
    Directory { dir: PathBuf, error: io::Error },

    #[error("{}", unknown_session(id, dir, suggestions))]
    UnknownSession {
        id: String,
        dir: PathBuf,
        suggestions: Vec<String>,
    },

    #[error(
        "session '{}' is ambiguous in {}: it matches {}; give more of the id",
        text::escape(prefix, false),
        shown(dir),
        list(candidates)
    )]
    AmbiguousSession {
        prefix: String,
        dir: PathBuf,
        candidates: Vec<String>,
    },

    #[error(
        "no sessions in {}: `latest` needs at least one trace file",
        shown(dir)
    )]
    NoSessions { dir: PathBuf },

    /// An OTLP collector that could not be reached, or refused what was sent.
    #[error("cannot send spans to {}: {message}{}", text::escape(url, false), sent_before(*sent))]
    Collector {
        url: String,
        message: String,
        /// Spans the collector had accepted before this.
        sent: u64,
    },

    /// A command-line value that does not parse (a time, a filter expression, ...).
    #[error("invalid {what}: {message}")]
    Usage { what: String, message: String },
}

impl Error {
    pub fn read(path: &Path, error: io::Error) -> Error {
        Error::Read {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// A path for a message, escaped (file names are untrusted too).
pub fn shown(path: &Path) -> String {
    text::escape(&path.to_string_lossy(), false).into_owned()
}

fn list(items: &[String]) -> String {
    listed(items.iter().map(String::as_str), 8)
}

/// Names for a message: escaped, the first `shown` of them, then how many more there are.
pub(crate) fn listed<'a>(names: impl ExactSizeIterator<Item = &'a str>, shown: usize) -> String {
    let total = names.len();
    let mut out: Vec<String> = names
        .take(shown)
        .map(|name| text::escape(name, false).into_owned())
        .collect();
    if total > shown {
        out.push(format!("and {} more", total - shown));
    }
    out.join(", ")
}

fn sent_before(spans: u64) -> String {
    match spans {
        0 => String::new(),
        1 => "; 1 span was sent before this".to_owned(),
        n => format!("; {n} spans were sent before this"),
    }
}

fn unknown_session(id: &str, dir: &Path, suggestions: &[String]) -> String {
    let mut message = format!("no session '{}' in {}", text::escape(id, false), shown(dir));
    if !suggestions.is_empty() {
        message.push_str(&format!("; did you mean {}?", list(suggestions)));
    }
    message.push_str("; run `agentcli list` to see the sessions there");
    message
}
