//! The entry index of an open session: where each entry lies in the file, found in one
//! streaming pass with the reader's framer, so that the entries on screen are read again on
//! demand by seeking, and a session of any size opens in bounded memory.
//!
//! A gzip-compressed session cannot be sought in: its decompressed bytes are spooled to an
//! unlinked temporary file as they are indexed, and read from there. A plain file that grows
//! (live follow) is indexed further from where the pass stopped; one that shrinks (a new run
//! with the same session id) is indexed again from its start.

use crate::filter::Filter;
use crate::model::TraceEntry;
use crate::read::Parse;
use crate::read::framer::{FrameEvent, Framer, Shape};
use flate2::read::MultiGzDecoder;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes taken from the file at a time while indexing.
const CHUNK: usize = 1 << 20;

/// Where one entry lies in the (decompressed) file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    pub len: u32,
}

/// What an indexing step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// More of the file is left to index.
    More,
    /// The whole file, as long as it is now, is indexed.
    CaughtUp,
    /// The file shrank or was replaced: the index was started again from nothing.
    Restarted,
}

/// The index of one session file, and the entries of it the filter passes.
pub struct Index {
    path: PathBuf,
    compressed: bool,
    source: Box<dyn Read + Send>,
    /// Where entries are read from: the file itself, or the spool of a compressed one.
    pages: File,
    framer: Framer,
    spans: Vec<Span>,
    /// Numbers (into `spans`) of the entries the filter passes, in file order.
    visible: Vec<u32>,
    filter: Filter,
    /// Entries skipped as damaged, and problems between entries.
    problems: u64,
    /// The file's size when opened (compressed size for gzip): for the progress shown.
    size: u64,
    /// Bytes of the file taken so far (compressed bytes for gzip are not counted: see
    /// `progress`).
    caught_up: bool,
    not_json: bool,
}

/// Reads a compressed source and copies what it reads into the spool.
struct Spooling<R> {
    inner: R,
    spool: File,
}

impl<R: Read> Read for Spooling<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.write_all(&buf[..n])?;
        Ok(n)
    }
}

impl Index {
    /// Opens `path` for indexing; nothing is read yet (see [`step`](Self::step)).
    pub fn open(path: &Path, filter: Filter) -> io::Result<Index> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let mut magic = [0u8; 2];
        let got = file.read(&mut magic)?;
        file.seek(SeekFrom::Start(0))?;
        let compressed = got == 2 && magic == [0x1f, 0x8b];
        let (source, pages): (Box<dyn Read + Send>, File) = if compressed {
            let (spool, pages) = spool_files()?;
            let decoder = MultiGzDecoder::new(BufReader::new(file));
            let source = Spooling {
                inner: decoder,
                spool,
            };
            (Box::new(source), pages)
        } else {
            let pages = File::open(path)?;
            (Box::new(file), pages)
        };
        Ok(Index {
            path: path.to_path_buf(),
            compressed,
            source,
            pages,
            framer: Framer::new(),
            spans: Vec::new(),
            visible: Vec::new(),
            filter,
            problems: 0,
            size: meta.len(),
            caught_up: false,
            not_json: false,
        })
    }

    /// Indexes for about `budget`, then returns, so that the screen can show progress and keys
    /// are answered while a large file is indexed.
    pub fn step(&mut self, budget: Duration) -> io::Result<Step> {
        let deadline = Instant::now() + budget;
        if self.caught_up && !self.compressed && self.shrank()? {
            self.restart()?;
            return Ok(Step::Restarted);
        }
        loop {
            while let Some(event) = self.framer.next_event() {
                self.take(event);
            }
            if self.not_json {
                self.caught_up = true;
                return Ok(Step::CaughtUp);
            }
            if Instant::now() >= deadline {
                return Ok(Step::More);
            }
            if self.framer.fill_from(&mut *self.source, CHUNK)? == 0 {
                self.caught_up = true;
                return Ok(Step::CaughtUp);
            }
            self.caught_up = false;
        }
    }

    /// Indexes the whole file as it is now (for tests and the first screen of small files).
    pub fn finish(&mut self) -> io::Result<()> {
        while self.step(Duration::from_secs(3600))? == Step::More {}
        Ok(())
    }

    fn take(&mut self, event: FrameEvent) {
        match event {
            FrameEvent::Entry { range, .. } => {
                let offset = self.framer.offset_of(range.start);
                let bytes = self.framer.bytes(range.clone());
                let Ok(len) = u32::try_from(bytes.len()) else {
                    self.problems += 1;
                    return;
                };
                match TraceEntry::parse_with(bytes, Parse::Light) {
                    Ok(entry) => {
                        let n = self.spans.len() as u32;
                        self.spans.push(Span { offset, len });
                        if self.filter.matches(&entry) {
                            self.visible.push(n);
                        }
                    }
                    Err(_) => self.problems += 1,
                }
            }
            FrameEvent::Garbage { .. } if matches!(self.framer.shape(), Shape::NotJson { .. }) => {
                self.problems += 1;
                self.not_json = true;
            }
            FrameEvent::Cut { .. }
            | FrameEvent::TooLarge { .. }
            | FrameEvent::Garbage { .. }
            | FrameEvent::NotObject { .. } => {
                self.problems += 1;
            }
        }
    }

    /// Whether the file is now shorter than what was indexed, or is another file.
    fn shrank(&self) -> io::Result<bool> {
        match fs::metadata(&self.path) {
            Ok(meta) => Ok(meta.len() < self.framer.bytes_fed()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Starts the index again from the file's start.
    fn restart(&mut self) -> io::Result<()> {
        let filter = std::mem::take(&mut self.filter);
        *self = Index::open(&self.path, filter)?;
        Ok(())
    }

    /// Chooses the entries shown anew: every indexed entry is read again (light) and matched.
    pub fn set_filter(&mut self, filter: Filter) -> io::Result<()> {
        self.filter = filter;
        let mut visible = Vec::new();
        let mut buf = Vec::new();
        for (n, span) in self.spans.iter().enumerate() {
            read_span(&self.pages, *span, &mut buf)?;
            if let Ok(entry) = TraceEntry::parse_with(&buf, Parse::Light)
                && self.filter.matches(&entry)
            {
                visible.push(n as u32);
            }
        }
        self.visible = visible;
        Ok(())
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// How many entries the filter passes.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// Whether no entry passes the filter (or none is indexed yet).
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// How many entries are indexed in all.
    pub fn total(&self) -> usize {
        self.spans.len()
    }

    /// Entries skipped as damaged, and problems between them.
    pub fn problems(&self) -> u64 {
        self.problems
    }

    /// Whether the whole file, as it is now, is indexed.
    pub fn is_caught_up(&self) -> bool {
        self.caught_up
    }

    /// Whether the file is gzip-compressed (and so cannot be followed).
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// How far indexing has gone, from 0 to 1 (for compressed files, a guess from the usual
    /// compression ratio until the end is reached).
    pub fn progress(&self) -> f64 {
        if self.caught_up {
            return 1.0;
        }
        let done = self.framer.bytes_fed() as f64;
        let size = if self.compressed {
            self.size as f64 * 8.0
        } else {
            self.size as f64
        };
        if size <= 0.0 {
            1.0
        } else {
            (done / size).min(0.99)
        }
    }

    /// Bytes indexed so far (decompressed).
    pub fn bytes_indexed(&self) -> u64 {
        self.framer.bytes_fed()
    }

    /// The number in the file (0-based, among entries read) of the `i`th entry shown.
    pub fn entry_number(&self, i: usize) -> Option<u32> {
        self.visible.get(i).copied()
    }

    /// The place among the shown entries of entry number `n`, or of the first shown after it.
    pub fn position_of(&self, n: u32) -> usize {
        self.visible.partition_point(|&v| v < n)
    }

    /// Reads the bytes of the `i`th entry shown into `buf`.
    pub fn read(&self, i: usize, buf: &mut Vec<u8>) -> io::Result<bool> {
        let Some(span) = self
            .visible
            .get(i)
            .and_then(|&n| self.spans.get(n as usize))
        else {
            return Ok(false);
        };
        read_span(&self.pages, *span, buf)?;
        Ok(true)
    }
}

/// Reads one entry's bytes by seeking (`&File` reads and seeks without `&mut`).
fn read_span(mut file: &File, span: Span, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    buf.resize(span.len as usize, 0);
    file.seek(SeekFrom::Start(span.offset))?;
    file.read_exact(buf)
}

/// A temporary file, opened to write and to read, and already unlinked: it holds a compressed
/// session's bytes for as long as the view has it open, and vanishes with the process.
fn spool_files() -> io::Result<(File, File)> {
    let dir = std::env::temp_dir();
    let mut attempt = 0u32;
    loop {
        let path = dir.join(format!(
            "agentcli-view-{}-{attempt}.spool",
            std::process::id()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(write) => {
                let read = File::open(&path);
                let _ = fs::remove_file(&path);
                return Ok((write, read?));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}
