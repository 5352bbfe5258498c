//! The one trace reader: every command reads trace files through it.
//!
//! A [`TraceReader`] takes bytes from a source (a file, a gzip stream, a growing file being
//! followed) in chunks, frames them into objects ([`framer`]) and parses each into a
//! [`TraceEntry`] borrowed from its buffer. Memory holds one chunk plus the entry still being
//! written, whatever the file's size. Damaged input becomes [`Problem`]s, reported and skipped;
//! an entry still being written at the end of the input is the [`ReadSummary::tail`], not an
//! error.

pub mod framer;
mod last;
mod parse;
mod pipeline;
mod scan;
mod view;

use crate::model::TraceEntry;
use crate::redact::Redactor;
use crate::text;
use flate2::read::MultiGzDecoder;
use framer::{FrameEvent, Framer, Position, Shape, Tail};
pub use last::LastEntries;
pub use parse::Parse;
use parse::{REPAIRED, Repair};
use pipeline::{Found, Pipeline};
use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
pub use view::EntryView;

/// How many bytes a reader takes from its source at a time by default.
pub const DEFAULT_CHUNK: usize = 256 * 1024;

/// How much the source is buffered: enough to recognise gzip without reading a whole small file
/// (reads of a chunk or more go past the buffer).
const PROBE_BYTES: usize = 8 * 1024;

/// Files at least this large are read on background threads (see [`TraceReader::with_threads`]).
pub const THREADS_FROM_BYTES: u64 = 8 << 20;

/// Something wrong with the input, with where it is: reported, and the rest still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Arc<Path>,
    pub at: Option<Position>,
    /// The 1-based number of the entry concerned, when one is.
    pub entry: Option<u64>,
    pub message: String,
}

impl fmt::Display for Problem {
    /// `FILE:LINE:COLUMN: entry N: what is wrong`, as compilers and linters write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", text::escape(&self.path.to_string_lossy(), false))?;
        if let Some(at) = self.at {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        if let Some(n) = self.entry {
            write!(f, ": entry {n}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One complete entry: its parsed form, and the bytes and place it was read from.
#[derive(Debug)]
pub struct Entry<'r> {
    pub entry: TraceEntry<'r>,
    pub bytes: &'r [u8],
    pub at: Position,
    pub index: u64,
}

/// What a reader has seen: the input's shape and what became of its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    pub shape: Shape,
    /// The input was gzip-compressed.
    pub compressed: bool,
    /// Entries read and parsed.
    pub entries: u64,
    /// Entries skipped as damaged (parse errors, cut off, too large).
    pub skipped: u64,
    /// Problems that skip no entry (garbage between entries, read errors, an entry kept with
    /// invalid UTF-8 shown as U+FFFD).
    pub other_problems: u64,
    /// An entry still open at the end of the input (being written, or cut off by a crash).
    pub tail: Option<Tail>,
    /// Bytes read from the (decompressed) input.
    pub bytes: u64,
}

/// Reads trace entries from a source. See the module documentation.
pub struct TraceReader {
    path: Arc<Path>,
    source: Box<dyn Read + Send>,
    compressed: bool,
    framer: Framer,
    chunk: usize,
    parse: Parse,
    /// Secrets cut out of each entry before it is parsed.
    redactor: Redactor,
    /// The latest entry as redaction changed it (read on this thread).
    redacted: Vec<u8>,
    /// The latest entry as repaired for invalid UTF-8 (read on this thread).
    repaired: Vec<u8>,
    /// The problem of the entry just handed out (its repair), handed out next.
    pending: Option<Problem>,
    /// Read on background threads (from the first call of `next_entry`).
    threads: bool,
    pipeline: Option<Pipeline>,
    counts: Counts,
}

/// What became of the input so far.
#[derive(Debug, Default)]
struct Counts {
    entries: u64,
    skipped: u64,
    other_problems: u64,
    /// The source failed or is not a trace: read no further.
    stopped: bool,
    /// The input is not a trace: nothing more is taken from it, not even entries framed from
    /// bytes already read (how many there are depends on the chunk size, and what is read
    /// must not).
    rejected: bool,
}

impl Counts {
    fn tally(&mut self, tally: Tally) {
        match tally {
            Tally::Skipped => self.skipped += 1,
            Tally::Other => self.other_problems += 1,
            Tally::OtherAndStop => {
                self.other_problems += 1;
                self.stopped = true;
                self.rejected = true;
            }
        }
    }
}

impl TraceReader {
    /// Opens a trace file; gzip is recognised by its content, whatever the file's name.
    pub fn open(path: &Path) -> io::Result<TraceReader> {
        Self::open_file(path, false)
    }

    /// Opens a trace file to be read only as far as it reaches now: a command that reads
    /// whole files (`list --verbose`, `analyze`) must end, even on a file that a writer
    /// appends to faster than it is read.
    pub fn open_as_of_now(path: &Path) -> io::Result<TraceReader> {
        Self::open_file(path, true)
    }

    fn open_file(path: &Path, as_of_now: bool) -> io::Result<TraceReader> {
        let file = File::open(path)?;
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let threads = metadata.len() >= THREADS_FROM_BYTES && several_cores();
        // A small file is read in one chunk of its size: a whole default chunk would be memory
        // to clear and fault in for every file of a large directory.
        let chunk = usize::try_from(metadata.len()).map_or(DEFAULT_CHUNK, |len| {
            (len + 1).clamp(PROBE_BYTES, DEFAULT_CHUNK)
        });
        let reader = if as_of_now {
            Self::from_source(path, file.take(metadata.len()))?
        } else {
            Self::from_source(path, file)?
        };
        Ok(reader.with_threads(threads).with_chunk_size(chunk))
    }

    /// Reads from any byte source named `path` in messages; gzip is recognised by content.
    pub fn from_source(path: &Path, mut source: impl Read + Send + 'static) -> io::Result<Self> {
        // Two bytes tell gzip: wait for both, from a source that gives one at a time too (a
        // pipe, a file being written).
        let mut magic = [0u8; 2];
        let mut got = 0;
        while got < magic.len() {
            match source.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let compressed = magic == [0x1f, 0x8b];
        let source = io::Cursor::new(magic).take(got as u64).chain(source);
        let buffered = BufReader::with_capacity(PROBE_BYTES, source);
        let source: Box<dyn Read + Send> = if compressed {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Ok(TraceReader {
            path: Arc::from(path),
            source,
            compressed,
            framer: Framer::new(),
            chunk: DEFAULT_CHUNK,
            parse: Parse::Full,
            redactor: Redactor::off(),
            redacted: Vec::new(),
            repaired: Vec::new(),
            pending: None,
            threads: false,
            pipeline: None,
            counts: Counts::default(),
        })
    }

    /// Takes at most `bytes` from the source at a time (small for reading just a file's head).
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = bytes.max(1);
        self
    }

    /// Parses entries only as deeply as `parse` says (`Parse::Light`: state data left unread).
    pub fn with_parse(mut self, parse: Parse) -> Self {
        self.parse = parse;
        self
    }

    /// Redacts each entry's JSON with `redactor` before it is parsed, so that everything
    /// handed out (the entry and its bytes) is redacted.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Reads, frames and parses on background threads (two cores' worth), handing out the
    /// same entries and problems in the same order. [`open`](Self::open) turns this on for
    /// files of [`THREADS_FROM_BYTES`] or more on a machine with several cores; a reader that
    /// reads only a file's head should turn it off. Takes effect at the first `next_entry`.
    pub fn with_threads(mut self, on: bool) -> Self {
        self.threads = on;
        self
    }

    /// The path the reader reports problems against.
    pub fn path(&self) -> &Arc<Path> {
        &self.path
    }

    /// The next entry or problem; `None` when the source has no more bytes for now. A source
    /// that grows later (a followed file) can be read further by calling again.
    pub fn next_entry(&mut self) -> Option<Result<Entry<'_>, Problem>> {
        if let Some(problem) = self.pending.take() {
            return Some(Err(problem));
        }
        if self.counts.rejected {
            return None;
        }
        if self.threads && self.pipeline.is_none() {
            self.start_threads();
        }
        if let Some(pipeline) = &mut self.pipeline {
            loop {
                if !pipeline.advance() {
                    return None;
                }
                let (found, _) = pipeline.current()?;
                match found {
                    Found::Entry {
                        parsed: Ok(_),
                        repaired,
                        index,
                        ..
                    } => {
                        if let Some(at) = repaired {
                            self.counts.other_problems += 1;
                            self.pending = Some(repair_problem(&self.path, *at, *index));
                        }
                        break;
                    }
                    Found::Entry {
                        parsed: Err(e),
                        at,
                        index,
                        ..
                    } => {
                        self.counts.skipped += 1;
                        return Some(Err(parse_problem(&self.path, *at, *index, e)));
                    }
                    Found::Frame(event) => {
                        let shape = pipeline.after.shape;
                        if let Some((problem, tally)) =
                            framing_problem(&self.path, event.clone(), shape)
                        {
                            self.counts.tally(tally);
                            return Some(Err(problem));
                        }
                    }
                    Found::ReadError(e) => {
                        self.counts.stopped = true;
                        self.counts.other_problems += 1;
                        return Some(Err(read_problem(&self.path, self.compressed, e)));
                    }
                }
            }
            let (found, batch) = pipeline.current()?;
            let Found::Entry {
                parsed: Ok(entry),
                range,
                at,
                index,
                ..
            } = found
            else {
                return None;
            };
            self.counts.entries += 1;
            return Some(Ok(Entry {
                entry: entry.clone(),
                bytes: &batch[range.clone()],
                at: *at,
                index: *index,
            }));
        }
        loop {
            if let Some(event) = self.framer.next_event() {
                match event {
                    FrameEvent::Entry { range, at, index } => {
                        let original = self.framer.bytes(range);
                        let mut entry = TraceEntry::blank();
                        let parsed = match self.redactor.redact_entry(original) {
                            Cow::Borrowed(_) => {
                                TraceEntry::parse_into(original, self.parse, &mut entry)
                                    .map(|()| (original, false))
                                    .map_err(|e| (e, original))
                            }
                            Cow::Owned(redacted) => {
                                self.redacted = redacted;
                                let bytes = self.redacted.as_slice();
                                parse_redacted(bytes, original, self.parse, &mut entry)
                                    .map(|()| (bytes, true))
                                    .map_err(|e| (e, bytes))
                            }
                        };
                        let parsed = match parsed {
                            Ok((bytes, false)) => Ok((entry, bytes, None)),
                            Ok((bytes, true)) => {
                                Ok((entry, bytes, Repair::first_invalid(original, at)))
                            }
                            Err((e, bytes)) => match Repair::of(bytes, original, at) {
                                Some(repair) => {
                                    self.repaired = repair.bytes;
                                    let bytes = self.repaired.as_slice();
                                    let mut entry = TraceEntry::blank();
                                    parse_redacted(bytes, original, self.parse, &mut entry)
                                        .map(|()| (entry, bytes, Some(repair.at)))
                                        .map_err(|_| e)
                                }
                                None => Err(e),
                            },
                        };
                        return Some(match parsed {
                            Ok((entry, bytes, repaired)) => {
                                self.counts.entries += 1;
                                if let Some(at) = repaired {
                                    self.counts.other_problems += 1;
                                    self.pending = Some(repair_problem(&self.path, at, index));
                                }
                                Ok(Entry {
                                    entry,
                                    bytes,
                                    at,
                                    index,
                                })
                            }
                            Err(e) => {
                                self.counts.skipped += 1;
                                Err(parse_problem(&self.path, at, index, &e))
                            }
                        });
                    }
                    other => {
                        let shape = self.framer.shape();
                        if let Some((problem, tally)) = framing_problem(&self.path, other, shape) {
                            self.counts.tally(tally);
                            return Some(Err(problem));
                        }
                        continue;
                    }
                }
            }
            if self.counts.stopped {
                return None;
            }
            match self.framer.fill_from(&mut *self.source, self.chunk) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.counts.stopped = true;
                    self.counts.other_problems += 1;
                    return Some(Err(read_problem(&self.path, self.compressed, &e)));
                }
            }
        }
    }

    /// Hands the source and framer to background threads; on failure reads on.
    fn start_threads(&mut self) {
        self.threads = false;
        let source = std::mem::replace(&mut self.source, Box::new(io::empty()));
        let framer = std::mem::take(&mut self.framer);
        match Pipeline::start(source, framer, self.chunk, self.parse, &self.redactor) {
            Ok(pipeline) => self.pipeline = Some(pipeline),
            Err(unstarted) => (self.source, self.framer) = *unstarted,
        }
    }

    /// Reads what the source holds now: each entry and problem, in the order of the input, goes
    /// to `each` (an error from it stops the read and is returned); then what the reader saw.
    /// The one read loop of every command; a source that grows (a followed file) can be read
    /// further by calling again.
    pub fn read_to_end<E>(
        &mut self,
        mut each: impl FnMut(Result<Entry<'_>, Problem>) -> Result<(), E>,
    ) -> Result<ReadSummary, E> {
        while let Some(item) = self.next_entry() {
            each(item)?;
        }
        Ok(self.summary())
    }

    /// What the reader has seen so far.
    pub fn summary(&self) -> ReadSummary {
        let (shape, tail, bytes) = match &self.pipeline {
            Some(p) => (p.after.shape, p.after.tail, p.after.bytes),
            None => (
                self.framer.shape(),
                self.framer.tail(),
                self.framer.bytes_fed(),
            ),
        };
        ReadSummary {
            shape,
            compressed: self.compressed,
            entries: self.counts.entries,
            skipped: self.counts.skipped,
            other_problems: self.counts.other_problems,
            tail,
            bytes,
        }
    }
}

/// Whether this process may use more than one core (asked once: the answer reads files).
fn several_cores() -> bool {
    static SEVERAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SEVERAL.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// Parses an entry that redaction changed into `entry` (a blank one). Its parse error, if
/// any, is the original's, whose positions are the file's (redaction moves text, and its
/// messages quote none); the redacted text's only if the original parses.
pub(crate) fn parse_redacted<'a>(
    redacted: &'a [u8],
    original: &[u8],
    parse: Parse,
    entry: &mut TraceEntry<'a>,
) -> Result<(), serde_json::Error> {
    TraceEntry::parse_into(redacted, parse, entry)
        .map_err(|e| TraceEntry::parse_with(original, parse).err().unwrap_or(e))
}

/// Which count a framing problem adds to.
enum Tally {
    /// An entry skipped.
    Skipped,
    /// A problem outside entries.
    Other,
    /// A problem that ends reading: the input is not a trace.
    OtherAndStop,
}

/// The problem a framing event reports, if any.
fn framing_problem(path: &Arc<Path>, event: FrameEvent, shape: Shape) -> Option<(Problem, Tally)> {
    let problem = |at, entry, message: String| Problem {
        path: path.clone(),
        at: Some(at),
        entry,
        message,
    };
    Some(match event {
        FrameEvent::Entry { .. } => return None,
        FrameEvent::Cut { at, index, len } => (
            problem(
                at,
                Some(index),
                format!(
                    "incomplete entry ({len} bytes): cut off where the next entry starts; skipped"
                ),
            ),
            Tally::Skipped,
        ),
        FrameEvent::NotObject { at, index } => (
            problem(at, Some(index), "not an object".to_owned()),
            Tally::Skipped,
        ),
        FrameEvent::TooLarge { at, index, len } => (
            problem(
                at,
                Some(index),
                format!(
                    "entry is {len} bytes, over the limit of {} MiB per entry; skipped",
                    framer::MAX_ENTRY_BYTES >> 20
                ),
            ),
            Tally::Skipped,
        ),
        FrameEvent::Garbage { byte, .. } if matches!(shape, Shape::NotJson { .. }) => (
            Problem {
                path: path.clone(),
                at: None,
                entry: None,
                message: format!(
                    "not a JSON trace file: it starts with {} where `[` or `{{` was expected",
                    describe_byte(byte)
                ),
            },
            Tally::OtherAndStop,
        ),
        FrameEvent::Garbage { at, byte } => (
            problem(
                at,
                None,
                format!(
                    "unexpected {} between entries; skipped to the next entry",
                    describe_byte(byte)
                ),
            ),
            Tally::Other,
        ),
    })
}

fn read_problem(path: &Arc<Path>, compressed: bool, e: &io::Error) -> Problem {
    let message = if compressed && e.kind() == io::ErrorKind::UnexpectedEof {
        "gzip stream is cut short; showing what it held".to_owned()
    } else if compressed {
        format!("cannot decompress: {e}; showing what was read")
    } else {
        format!("read error: {e}; showing what was read")
    };
    Problem {
        path: path.clone(),
        at: None,
        entry: None,
        message,
    }
}

/// A parse error placed in the file: serde_json counts from the start of the entry.
fn parse_problem(path: &Arc<Path>, at: Position, index: u64, e: &serde_json::Error) -> Problem {
    let (line, column) = (e.line() as u64, e.column() as u64);
    let position = if line <= 1 {
        Position {
            line: at.line,
            column: at.column + column.saturating_sub(1),
        }
    } else {
        Position {
            line: at.line + line - 1,
            column,
        }
    };
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    Problem {
        path: path.clone(),
        at: Some(position),
        entry: Some(index),
        message: text::escape(message, false).into_owned(),
    }
}

/// The problem of an entry kept with invalid UTF-8 replaced, `at` its first invalid byte.
fn repair_problem(path: &Arc<Path>, at: Position, index: u64) -> Problem {
    Problem {
        path: path.clone(),
        at: Some(at),
        entry: Some(index),
        message: REPAIRED.to_owned(),
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Reads a whole trace file, as long as it is when opened, parsed as deeply as `parse` says:
/// each entry and problem goes to `each`, as [`TraceReader::read_to_end`] hands them out. How
/// `list --verbose` and `analyze` read a session.
pub fn read_file<E: From<io::Error>>(
    path: &Path,
    parse: Parse,
    each: impl FnMut(Result<Entry<'_>, Problem>) -> Result<(), E>,
) -> Result<ReadSummary, E> {
    TraceReader::open_as_of_now(path)?
        .with_parse(parse)
        .read_to_end(each)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &'static [u8]) -> (Vec<String>, Vec<String>, ReadSummary) {
        let mut reader = TraceReader::from_source(Path::new("t.json"), bytes).unwrap();
        let (mut agents, mut problems) = (Vec::new(), Vec::new());
        let summary = reader
            .read_to_end(|item| {
                match item {
                    Ok(e) => agents.push(e.entry.agent_id.into_owned()),
                    Err(p) => problems.push(p.to_string()),
                }
                Ok::<_, ()>(())
            })
            .unwrap();
        (agents, problems, summary)
    }

    #[test]
    fn a_read_stops_at_the_first_error_of_its_caller_and_can_go_on() {
        let input: &[u8] = br#"[{"timestamp":"2025-05-02T14:32:15Z","agent_id":"a"},
            {"timestamp":"2025-05-02T14:32:16Z","agent_id":"b"},
            {"timestamp":"2025-05-02T14:32:17Z","agent_id":"c"}]"#;
        let mut reader = TraceReader::from_source(Path::new("t.json"), input).unwrap();
        let mut seen = Vec::new();
        let mut take = |item: Result<Entry<'_>, Problem>, stop_at: &str| {
            let agent = item.unwrap().entry.agent_id.into_owned();
            seen.push(agent.clone());
            if agent == stop_at { Err(agent) } else { Ok(()) }
        };
        assert_eq!(
            reader.read_to_end(|item| take(item, "b")),
            Err("b".to_owned())
        );
        let summary = reader.read_to_end(|item| take(item, "none")).unwrap();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(summary.entries, 3);
    }

    #[test]
    fn a_bad_entry_is_reported_with_its_place_and_the_rest_is_read() {
        let input = b"[\n{\n  \"timestamp\": \"2025-05-02T14:32:15Z\",\n  \"agent_id\": \"a\"\n}\n,\n{\n  \"timestamp\": \"2025-05-02T14:32:16Z\",\n  \"agent_id\": 7\n}\n,\n{\n  \"timestamp\": \"2025-05-02T14:32:17Z\",\n  \"agent_id\": \"c\"\n}\n]\n";
        let (agents, problems, summary) = read_all(input);
        assert_eq!(agents, ["a", "c"]);
        assert_eq!(
            problems,
            ["t.json:9:15: entry 2: invalid type: integer `7`, expected a string"]
        );
        assert_eq!(summary.shape, Shape::Array { closed: true });
        assert_eq!((summary.entries, summary.skipped), (2, 1));
    }

    #[test]
    fn a_binary_file_gets_one_message() {
        let (agents, problems, _) = read_all(b"\x7fELF\x02\x01\x01\n\n{{{{\n\x00\x00\n");
        assert!(agents.is_empty());
        assert_eq!(
            problems,
            [
                "t.json: not a JSON trace file: it starts with byte 0x7f where `[` or `{` was expected"
            ]
        );
    }

    /// Found by the reader_chunked fuzz target: a file that starts with a byte that is not
    /// JSON showed the entries that followed in the same chunk, so what was shown depended on
    /// the chunk size; and on threads, the framer went on past the rejection, so the summary
    /// reported an entry still being written (a tail) that the caller's thread did not.
    #[test]
    fn a_file_that_is_not_json_reads_the_same_in_any_chunk_size() {
        let entries = b"{\"timestamp\":\"2025-05-02T14:32:15Z\"}\n".repeat(3);
        // A first byte that is not JSON, then entries; and a byte order mark's first byte
        // without the rest (decided only once 3 bytes are in), then an entry begun.
        let inputs = [
            ([b"\x00\n".as_slice(), &entries].concat(), 0x00),
            ([b"\xef\xb3\xbf\n{\"timestamp\":".as_slice()].concat(), 0xef),
        ];
        for (input, byte) in inputs {
            let message = format!(
                "t: not a JSON trace file: it starts with byte {byte:#04x} where `[` or `{{` was expected"
            );
            for threads in [false, true] {
                for chunk in [1, 5, 1 << 20] {
                    let (shown, summary) =
                        everything_with(io::Cursor::new(input.clone()), chunk, threads);
                    let case = format!("threads: {threads}, chunk: {chunk}, byte {byte:#04x}");
                    assert_eq!(shown, std::slice::from_ref(&message), "{case}");
                    assert_eq!(summary.tail, None, "{case}");
                }
            }
        }
    }

    #[test]
    fn an_entry_over_the_size_limit_is_skipped_without_being_held() {
        let head = "[\n{\n  \"timestamp\": \"2025-05-02T14:32:15Z\",\n  \"v\": \"";
        let after = "\"\n}\n,\n{\n  \"timestamp\": \"2025-05-02T14:32:16Z\",\n  \"agent_id\": \"after\"\n}\n";
        let source = io::Cursor::new(head)
            .chain(io::repeat(b'x').take(framer::MAX_ENTRY_BYTES as u64 + 1))
            .chain(io::Cursor::new(after));
        let mut reader = TraceReader::from_source(Path::new("t"), source).unwrap();
        let mut seen = Vec::new();
        while let Some(item) = reader.next_entry() {
            seen.push(match item {
                Ok(e) => e.entry.agent_id.into_owned(),
                Err(p) => p.to_string(),
            });
        }
        assert_eq!(
            seen,
            [
                "t:2:1: entry 1: entry is 268435509 bytes, over the limit of 256 MiB per entry; \
                 skipped",
                "after"
            ]
        );
    }

    /// Found by the reader_chunked fuzz target: gzip was told by the first read's bytes, and a
    /// source that gave one byte first was read as a file that is not JSON.
    #[test]
    fn gzip_is_recognised_from_a_source_that_gives_one_byte_at_a_time() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"timestamp\":\"2025-05-02T14:32:15Z\",\"agent_id\":\"a\"}\n")
            .unwrap();
        let bytes = gz.finish().unwrap();
        let pieces = Pieces {
            bytes,
            at: 0,
            sizes: vec![1],
            turn: 0,
        };
        let (seen, summary) = everything(pieces, 1);
        assert!(summary.compressed);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].starts_with("1:1:1 {"), "{seen:?}");
    }

    #[test]
    fn a_file_opened_as_of_now_is_read_as_far_as_it_reached_then() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.trace.json");
        let entry = |agent: &str| {
            format!("{{\"timestamp\":\"2025-05-02T14:32:15Z\",\"agent_id\":\"{agent}\"}}\n")
        };
        std::fs::write(&path, entry("before")).unwrap();
        let mut now = TraceReader::open_as_of_now(&path).unwrap();
        let mut growing = TraceReader::open(&path).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(entry("after").as_bytes()).unwrap();
        let agents = |reader: &mut TraceReader| {
            let mut agents = Vec::new();
            while let Some(Ok(e)) = reader.next_entry() {
                agents.push(e.entry.agent_id.into_owned());
            }
            agents
        };
        assert_eq!(agents(&mut now), ["before"]);
        assert_eq!(agents(&mut growing), ["before", "after"]);
    }

    /// A reader over `bytes` that is handed them in the given piece sizes (cycled).
    struct Pieces {
        bytes: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        turn: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.turn % self.sizes.len()].max(1);
            self.turn += 1;
            let n = size.min(buf.len()).min(self.bytes.len() - self.at);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Everything a reader reports, entries as their bytes and positions.
    fn everything(source: impl Read + Send + 'static, chunk: usize) -> (Vec<String>, ReadSummary) {
        everything_with(source, chunk, false)
    }

    fn everything_with(
        source: impl Read + Send + 'static,
        chunk: usize,
        threads: bool,
    ) -> (Vec<String>, ReadSummary) {
        let mut reader = TraceReader::from_source(Path::new("t"), source)
            .unwrap()
            .with_chunk_size(chunk)
            .with_threads(threads);
        let mut out = Vec::new();
        while let Some(item) = reader.next_entry() {
            out.push(match item {
                Ok(e) => format!(
                    "{}:{}:{} {}",
                    e.index,
                    e.at.line,
                    e.at.column,
                    String::from_utf8_lossy(e.bytes)
                ),
                Err(p) => p.to_string(),
            });
        }
        (out, reader.summary())
    }

    /// The fixtures' shapes, plus damage, as one input to cut up.
    fn corpus() -> Vec<Vec<u8>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut inputs: Vec<Vec<u8>> = [
            "req-17461590.trace.json",
            "req-17461592.trace.json",
            "req-30000001.trace.json",
            "shapes/one-line.trace.json",
            "shapes/lines.trace.jsonl",
            "shapes/bom-crlf.trace.json",
            "bad/wrong-type-and-garbage.trace.json",
            "shapes/mixed-layout.trace.json",
            "bad/invalid-utf8.trace.json",
        ]
        .iter()
        .map(|name| std::fs::read(root.join(name)).unwrap())
        .collect();
        // A writer that crashed mid-string and a new one that appended.
        let mut crashed = inputs[0][..700].to_vec();
        crashed.extend_from_slice(&inputs[0][1..]);
        inputs.push(crashed);
        inputs
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(64))]

        /// Feeding a file in pieces cut at arbitrary byte boundaries yields exactly what
        /// feeding it whole does: the same entries, problems, positions and summary.
        #[test]
        fn chunking_never_changes_what_is_read(
            which in 0usize..10,
            sizes in proptest::collection::vec(1usize..700, 1..20),
            chunk in 1usize..4096,
        ) {
            let input = corpus().swap_remove(which);
            let whole = everything(io::Cursor::new(input.clone()), input.len().max(1));
            let pieces = Pieces { bytes: input, at: 0, sizes, turn: 0 };
            let cut = everything(pieces, chunk);
            proptest::prop_assert_eq!(&whole, &cut);
        }

        /// Reading on background threads yields exactly what reading on the caller's does,
        /// whatever the batches the input is cut into.
        #[test]
        fn threads_never_change_what_is_read(
            which in 0usize..10,
            sizes in proptest::collection::vec(1usize..700, 1..20),
            chunk in 1usize..4096,
        ) {
            let input = corpus().swap_remove(which);
            let alone = everything(io::Cursor::new(input.clone()), chunk);
            let pieces = Pieces { bytes: input, at: 0, sizes, turn: 0 };
            let threaded = everything_with(pieces, chunk, true);
            proptest::prop_assert_eq!(alone, threaded);
        }
    }

    /// A file still being written: bytes appended between reads.
    struct Growing(Arc<std::sync::Mutex<(Vec<u8>, usize)>>);

    impl Read for Growing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut state = self.0.lock().unwrap();
            let (bytes, at) = &mut *state;
            let n = buf.len().min(bytes.len() - *at);
            buf[..n].copy_from_slice(&bytes[*at..*at + n]);
            *at += n;
            Ok(n)
        }
    }

    #[test]
    fn a_growing_file_is_read_further_on_threads_too() {
        for threads in [false, true] {
            let file = Arc::new(std::sync::Mutex::new((b"[\n".to_vec(), 0)));
            let mut reader = TraceReader::from_source(Path::new("t"), Growing(file.clone()))
                .unwrap()
                .with_threads(threads);
            let mut agents = Vec::new();
            let mut read = |reader: &mut TraceReader| {
                while let Some(item) = reader.next_entry() {
                    agents.push(item.unwrap().entry.agent_id.into_owned());
                }
            };
            read(&mut reader);
            let first = b"{\n  \"timestamp\": \"2025-05-02T14:32:15Z\",\n  \"agent_id\": \"a\"\n}\n,\n{\n  \"timestamp\": \"2025-05-02T14:32:16Z\",";
            file.lock().unwrap().0.extend_from_slice(first);
            read(&mut reader);
            assert_eq!(reader.summary().tail.map(|t| t.index), Some(2));
            file.lock()
                .unwrap()
                .0
                .extend_from_slice(b"\n  \"agent_id\": \"b\"\n}\n");
            read(&mut reader);
            assert_eq!(agents, ["a", "b"], "threads: {threads}");
            let summary = reader.summary();
            assert_eq!((summary.entries, summary.tail), (2, None));
        }
    }

    #[test]
    fn a_binary_file_gets_one_message_on_threads_too() {
        let (lines, summary) = everything_with(
            io::Cursor::new(b"\x7fELF\x02\x01\x01\n\n{{{{\n\x00\x00\n".to_vec()),
            3,
            true,
        );
        assert_eq!(
            lines,
            ["t: not a JSON trace file: it starts with byte 0x7f where `[` or `{` was expected"]
        );
        assert_eq!(summary.shape, Shape::NotJson { byte: 0x7f });
    }
}
