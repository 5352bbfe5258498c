//! Incremental framing: cuts a byte stream into top-level JSON objects, whatever the file's shape.
//!
//! The framer is fed bytes in chunks of any size and hands out each complete top-level object
//! once, keeping only the bytes of the object still being written. It does not parse JSON: it
//! finds where objects begin and end, and the entry parser (`model`) checks what is inside.
//!
//! Two ways of finding an object's end, chosen per object:
//! - **Pretty-printed** objects (the writer's own shape: `{` alone on a line at column 0, its
//!   members indented) end at the next `}` at column 0. JSON strings cannot hold a raw newline,
//!   so `\n}` can only be that closing brace: finding it is a `memmem` search, several GB/s.
//! - **Compact** objects (JSON Lines, one-line arrays) are scanned structurally: braces counted
//!   outside strings, with `memchr` skipping from one interesting byte to the next.
//!
//! Recovery rules (real files are cut off by crashes and then appended to by a new process):
//! - `{` at column 0 inside an object starts a new entry: the open one was cut off. Unless the
//!   bytes before it hold a whole, valid object after all (a layout the fast scan does not
//!   know, such as the in-memory tracer's indented `},\n  {`): a real JSON scan of that
//!   stretch ([`object_end`]) decides, so valid JSON is never dropped.
//! - A raw newline inside a string means the string, and its object, was cut off.
//! - Anything between objects other than `[`, `,`, `]`, whitespace and a BOM is garbage: it is
//!   reported once per run of garbage lines, and skipped up to the end of its line.

use memchr::memmem;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::LazyLock;

/// The largest entry the framer buffers. A larger one is skipped (and reported) without being
/// held in memory, so one runaway entry cannot exhaust memory.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024 * 1024;

/// The searchers for a pretty-printed object's closing line and for the opening line of the next
/// one, built once: building one costs more than searching an entry.
static CLOSING: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"\n}"));
static OPENING: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"\n{"));

/// A place in the input: 1-based line, and 1-based column counted in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

/// What the framer found next in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// A complete top-level object; its bytes are `Framer::bytes(range)`.
    Entry {
        range: Range<usize>,
        at: Position,
        index: u64,
    },
    /// An object cut off where a new one starts (a writer that crashed, then a new one appending).
    Cut {
        at: Position,
        index: u64,
        len: usize,
    },
    /// An object larger than [`MAX_ENTRY_BYTES`], skipped without being held.
    TooLarge {
        at: Position,
        index: u64,
        len: usize,
    },
    /// Bytes between objects that belong to no object and to no framing (`[`, `,`, `]`).
    Garbage { at: Position, byte: u8 },
    /// An element of an array that is valid JSON but not an object (`[1,2]`, `"x"`, `null`):
    /// skipped without being held, counted as an entry.
    NotObject { at: Position, index: u64 },
}

/// The overall shape of the input, as far as it has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Nothing but whitespace (or nothing at all).
    Empty,
    /// A JSON array: `closed` when its final `]` was seen.
    Array { closed: bool },
    /// Top-level objects one after another, without an enclosing array (JSON Lines).
    Lines,
    /// The first significant byte is neither `[` nor `{`: not a JSON trace at all.
    NotJson { byte: u8 },
}

/// An object still open when the input ended: an entry being written, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    pub at: Position,
    pub index: u64,
    pub len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Between objects.
    Between,
    /// Skipping a line of garbage between objects.
    Garbage,
    /// An object has started; the bytes that tell its kind are not read yet.
    Undecided,
    /// Inside a pretty-printed object: looking for `\n}`.
    Pretty,
    /// Inside a compact object: counting braces.
    Compact,
    /// Inside an array element that is not an object: skipping it.
    Element,
}

/// One step of the scan.
enum Step {
    Event(FrameEvent),
    Continue,
    NeedMore,
}

/// The incremental framer. See the module documentation.
#[derive(Debug)]
pub struct Framer {
    /// The input held: `buf[..filled]`. The rest is spare room kept between reads, so that
    /// reading into it does not clear it again each time.
    buf: Vec<u8>,
    filled: usize,
    /// Bytes before this index are done with and may be dropped.
    consumed: usize,
    /// The next byte to examine.
    scan: usize,
    mode: Mode,
    /// Compact mode: brace depth, and string state.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The current object: where it starts in `buf`, where it is in the input, its number.
    frame_start: usize,
    frame_at: Position,
    index: u64,
    /// Bytes of the current object already dropped because it is over the size limit.
    discarded: usize,
    /// Absolute offset of `buf[0]` in the input.
    offset: u64,
    /// Line accounting: newlines are counted in `buf[..counted]`; `line` is the line number at
    /// `buf[counted]`, and `line_start` the absolute offset where that line begins.
    counted: usize,
    line: u64,
    line_start: u64,
    shape: Shape,
    /// A garbage event has been reported and no object has started since: do not report again.
    garbage_reported: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    pub fn new() -> Self {
        Framer {
            buf: Vec::new(),
            filled: 0,
            consumed: 0,
            scan: 0,
            mode: Mode::Between,
            depth: 0,
            in_string: false,
            escaped: false,
            frame_start: 0,
            frame_at: Position::default(),
            index: 0,
            discarded: 0,
            offset: 0,
            counted: 0,
            line: 1,
            line_start: 0,
            shape: Shape::Empty,
            garbage_reported: false,
        }
    }

    /// The bytes of an [`FrameEvent::Entry`], valid until the framer is next fed.
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// The shape of the input seen so far.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Where `buf[i]` (the start of an [`FrameEvent::Entry`]'s range, say) is in the input:
    /// for a reader that indexes entries to read them again later by seeking.
    pub fn offset_of(&self, i: usize) -> u64 {
        self.offset + i as u64
    }

    /// How many bytes have been fed in all.
    pub fn bytes_fed(&self) -> u64 {
        self.offset + self.filled as u64
    }

    /// Feeds a chunk of input.
    pub fn push(&mut self, chunk: &[u8]) {
        self.compact();
        let end = self.filled + chunk.len();
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        self.buf[self.filled..end].copy_from_slice(chunk);
        self.filled = end;
    }

    /// Reads up to `max` bytes from `source` straight into the buffer; returns the bytes read
    /// (0 at the end of the source).
    pub fn fill_from(&mut self, source: &mut dyn Read, max: usize) -> io::Result<usize> {
        self.compact();
        let end = self.filled + max;
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        let result = loop {
            match source.read(&mut self.buf[self.filled..end]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.filled += *result.as_ref().unwrap_or(&0);
        result
    }

    /// Drops the bytes that are done with, so the buffer holds only the open object.
    fn compact(&mut self) {
        if self.consumed == 0 {
            return;
        }
        // Line accounting must reach the consumed bytes while they are still in `buf`.
        self.count_lines_to(self.consumed);
        let n = self.consumed;
        self.buf.copy_within(n..self.filled, 0);
        self.forget_consumed();
    }

    /// Accounts for the consumed bytes having been moved out of the buffer's front (their
    /// lines counted before).
    fn forget_consumed(&mut self) {
        let n = self.consumed;
        self.filled -= n;
        self.offset += n as u64;
        self.scan -= n;
        self.counted -= n;
        self.frame_start = self.frame_start.saturating_sub(n);
        self.consumed = 0;
    }

    /// Hands over the buffer, in which the objects framed so far keep their ranges, and goes on
    /// in `spare` (whatever it holds; its length is room to read into), into which only the
    /// bytes not yet done with are copied. Saves copying the objects out one by one.
    pub fn swap_buffer(&mut self, mut spare: Vec<u8>) -> Vec<u8> {
        let keep = self.filled - self.consumed;
        if spare.len() < keep {
            spare.resize(keep, 0);
        }
        spare[..keep].copy_from_slice(&self.buf[self.consumed..self.filled]);
        // Line accounting must reach the consumed bytes while they are still in `buf`.
        self.count_lines_to(self.consumed);
        let done = std::mem::replace(&mut self.buf, spare);
        self.forget_consumed();
        done
    }

    /// Advances line accounting to `buf[upto]`.
    fn count_lines_to(&mut self, upto: usize) {
        if upto <= self.counted {
            return;
        }
        let region = &self.buf[self.counted..upto];
        let newlines = memchr::memchr_iter(b'\n', region).count() as u64;
        if newlines > 0 {
            self.line += newlines;
            // `newlines > 0` guarantees a last newline exists.
            let last = memchr::memrchr(b'\n', region).unwrap_or(0);
            self.line_start = self.offset + (self.counted + last + 1) as u64;
        }
        self.counted = upto;
    }

    /// The position of `buf[i]` (`i` must not be before the counted region).
    fn position(&mut self, i: usize) -> Position {
        self.count_lines_to(i);
        Position {
            line: self.line,
            column: self.offset + i as u64 - self.line_start + 1,
        }
    }

    /// Returns the next complete event, or `None` when more input is needed.
    pub fn next_event(&mut self) -> Option<FrameEvent> {
        loop {
            let step = match self.mode {
                Mode::Between => self.scan_between(),
                Mode::Garbage => self.skip_garbage_line(),
                Mode::Undecided => self.decide_object_mode(),
                Mode::Pretty => self.scan_pretty(),
                Mode::Compact => self.scan_compact(),
                Mode::Element => self.scan_element(),
            };
            match step {
                Step::Event(event) => return Some(event),
                Step::Continue => {}
                Step::NeedMore => {
                    if matches!(self.mode, Mode::Pretty | Mode::Compact) {
                        self.drop_if_oversized();
                    }
                    return None;
                }
            }
        }
    }

    /// Between objects: skips framing bytes; starts an object or reports garbage.
    fn scan_between(&mut self) -> Step {
        let len = self.filled;
        while self.scan < len {
            let b = self.buf[self.scan];
            let in_array = self.shape == Shape::Array { closed: false };
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => self.scan += 1,
                b'[' | b'"' | b'-' | b'0'..=b'9' if in_array => return self.start_element(),
                b't' | b'f' | b'n' if in_array => {
                    let word: &[u8] = match b {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    let rest = &self.buf[self.scan..len];
                    if rest.starts_with(word) {
                        return self.start_element();
                    }
                    if rest.len() < word.len() && word.starts_with(rest) {
                        self.consumed = self.scan;
                        return Step::NeedMore;
                    }
                    return self.start_garbage(b);
                }
                b'[' => {
                    self.note_significant(b);
                    self.scan += 1;
                }
                b']' => {
                    if let Shape::Array { closed } = &mut self.shape {
                        *closed = true;
                    }
                    self.scan += 1;
                }
                0xEF if self.offset + self.scan as u64 == 0 => {
                    // A UTF-8 byte order mark is allowed at the very start only.
                    if len < 3 {
                        return Step::NeedMore;
                    }
                    if self.buf[..3] == [0xEF, 0xBB, 0xBF] {
                        self.scan += 3;
                    } else {
                        return self.start_garbage(b);
                    }
                }
                b'{' => {
                    self.note_significant(b);
                    self.start_object();
                    return Step::Continue;
                }
                _ => return self.start_garbage(b),
            }
        }
        self.consumed = self.scan;
        Step::NeedMore
    }

    fn note_significant(&mut self, b: u8) {
        if self.shape == Shape::Empty {
            self.shape = match b {
                b'[' => Shape::Array { closed: false },
                b'{' => Shape::Lines,
                _ => Shape::NotJson { byte: b },
            };
        } else if let Shape::Array { closed: true } = self.shape {
            // Entries after the closing `]`: a new writer appended to a closed file.
            self.shape = Shape::Array { closed: false };
        }
    }

    fn start_garbage(&mut self, byte: u8) -> Step {
        self.note_significant(byte);
        let at = self.position(self.scan);
        self.mode = Mode::Garbage;
        self.scan += 1;
        if std::mem::replace(&mut self.garbage_reported, true) {
            Step::Continue
        } else {
            Step::Event(FrameEvent::Garbage { at, byte })
        }
    }

    /// Skips to the end of a garbage line.
    fn skip_garbage_line(&mut self) -> Step {
        match memchr::memchr(b'\n', &self.buf[self.scan..self.filled]) {
            Some(k) => {
                self.scan += k + 1;
                self.mode = Mode::Between;
                Step::Continue
            }
            None => {
                self.scan = self.filled;
                self.consumed = self.scan;
                Step::NeedMore
            }
        }
    }

    fn start_object(&mut self) {
        let start = self.scan;
        self.frame_start = start;
        self.frame_at = self.position(start);
        self.index += 1;
        self.discarded = 0;
        self.garbage_reported = false;
        self.scan = start + 1;
        self.mode = Mode::Undecided;
    }

    /// Starts skipping an array element that is not an object.
    fn start_element(&mut self) -> Step {
        self.frame_start = self.scan;
        self.frame_at = self.position(self.scan);
        self.index += 1;
        self.garbage_reported = false;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        self.mode = Mode::Element;
        Step::Continue
    }

    /// Element mode: skips a value that is not an object, its strings and nested containers
    /// included; a scalar ends at the first byte that cannot be part of it. Its bytes are let
    /// go as they are passed, so an element of any size costs no memory. A raw newline inside
    /// a string ends it too: it was cut off.
    fn scan_element(&mut self) -> Step {
        while self.scan < self.filled {
            let b = self.buf[self.scan];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'\n' {
                    return self.end_element();
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        self.scan += 1;
                        return self.end_element();
                    }
                }
                self.scan += 1;
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => self.depth += 1,
                b']' | b'}' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.scan += 1;
                        return self.end_element();
                    }
                }
                _ if self.depth == 0
                    && !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
                {
                    return self.end_element();
                }
                _ => {}
            }
            self.scan += 1;
        }
        self.consumed = self.scan;
        Step::NeedMore
    }

    fn end_element(&mut self) -> Step {
        self.mode = Mode::Between;
        self.consumed = self.scan;
        Step::Event(FrameEvent::NotObject {
            at: self.frame_at,
            index: self.index,
        })
    }

    /// Chooses how to find the end of the object just started: pretty-printed objects (`{` at
    /// column 0, a line end, then indentation) by their closing line, others by counting
    /// braces. Waits for the few bytes that decide it, so the choice never depends on how the
    /// input was cut into chunks.
    fn decide_object_mode(&mut self) -> Step {
        let rest = &self.buf[self.frame_start + 1..self.filled];
        let rest = rest.strip_prefix(b"\r").unwrap_or(rest);
        // Only the file writer's own shape (members indented by two spaces or a tab) is taken
        // as pretty: an object at column 0 in another layout (say the in-memory tracer's, its
        // members four deep and its `}` indented) has no `\n}` to end at.
        let pretty = match rest {
            [b'\n', b' ', b' ', b'"', ..] | [b'\n', b'\t', b'"', ..] => true,
            [] | [b'\n'] | [b'\n', b' ' | b'\t'] | [b'\n', b' ', b' '] => return Step::NeedMore,
            _ => false,
        };
        self.mode = if pretty && self.frame_at.column == 1 {
            Mode::Pretty
        } else {
            self.depth = 1;
            self.in_string = false;
            self.escaped = false;
            Mode::Compact
        };
        Step::Continue
    }

    /// Pretty mode: the object ends at the next `\n}`; a `\n{` before it means it was cut off.
    fn scan_pretty(&mut self) -> Step {
        // Resume one byte early: the two-byte patterns may straddle the previous buffer's end.
        let from = self.scan.max(self.frame_start + 1) - 1;
        let hay = &self.buf[from..self.filled];
        let end = CLOSING.find(hay).map(|k| from + k);
        let cut_search_end = end.unwrap_or(self.filled);
        if let Some(k) = OPENING.find(&self.buf[from..cut_search_end]) {
            return Step::Event(self.end_or_cut_at(from + k + 1));
        }
        match end {
            Some(e) => Step::Event(self.finish_object(e + 2)),
            None => {
                self.scan = self.filled;
                Step::NeedMore
            }
        }
    }

    /// Compact mode: counts braces outside strings.
    fn scan_compact(&mut self) -> Step {
        let len = self.filled;
        while self.scan < len {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    self.scan += 1;
                    continue;
                }
                let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', &self.buf[self.scan..len]) else {
                    self.scan = len;
                    break;
                };
                let i = self.scan + k;
                match self.buf[i] {
                    b'"' => {
                        self.in_string = false;
                        self.scan = i + 1;
                    }
                    b'\\' => {
                        self.escaped = true;
                        self.scan = i + 1;
                    }
                    _ => return Step::Event(self.cut_at(i)),
                }
            } else {
                let Some(k) = memchr::memchr3(b'{', b'}', b'"', &self.buf[self.scan..len]) else {
                    self.scan = len;
                    break;
                };
                let i = self.scan + k;
                match self.buf[i] {
                    b'"' => {
                        self.in_string = true;
                        self.scan = i + 1;
                    }
                    b'{' => {
                        if self.buf[i - 1] == b'\n' {
                            return Step::Event(self.end_or_cut_at(i));
                        }
                        self.depth += 1;
                        self.scan = i + 1;
                    }
                    _ => {
                        self.depth -= 1;
                        self.scan = i + 1;
                        if self.depth == 0 {
                            return Step::Event(self.finish_object(i + 1));
                        }
                    }
                }
            }
        }
        Step::NeedMore
    }

    /// Ends the current object at `end` (exclusive).
    fn finish_object(&mut self, end: usize) -> FrameEvent {
        self.mode = Mode::Between;
        self.scan = end;
        self.consumed = end;
        let len = self.discarded + (end - self.frame_start);
        if self.discarded > 0 || len > MAX_ENTRY_BYTES {
            FrameEvent::TooLarge {
                at: self.frame_at,
                index: self.index,
                len,
            }
        } else {
            FrameEvent::Entry {
                range: self.frame_start..end,
                at: self.frame_at,
                index: self.index,
            }
        }
    }

    /// A `{` at column 0 at `resume` looks like a new entry: the current object ends before it
    /// if its bytes hold a whole, valid object (the fast scan's guess of the layout was wrong),
    /// else it was cut off there. Only the bytes already held are scanned, so memory stays
    /// bounded and the answer does not depend on how the input was cut into chunks.
    fn end_or_cut_at(&mut self, resume: usize) -> FrameEvent {
        if self.discarded == 0
            && let Some(len) = object_end(&self.buf[self.frame_start..resume])
        {
            return self.finish_object(self.frame_start + len);
        }
        self.cut_at(resume)
    }

    /// The current object was cut off; framing resumes at `resume` (a `{` or a newline).
    fn cut_at(&mut self, resume: usize) -> FrameEvent {
        let event = FrameEvent::Cut {
            at: self.frame_at,
            index: self.index,
            len: self.discarded + (resume - self.frame_start),
        };
        self.mode = Mode::Between;
        self.scan = resume;
        self.consumed = resume;
        event
    }

    /// While an object is over the size limit, drops its bytes instead of holding them.
    fn drop_if_oversized(&mut self) {
        let held = self.scan - self.frame_start;
        if self.discarded + held > MAX_ENTRY_BYTES {
            // Keep the last byte: the pretty scan's two-byte patterns may straddle it.
            let keep_from = self.scan - 1;
            self.discarded += keep_from - self.frame_start;
            self.frame_start = keep_from;
            self.consumed = keep_from;
        }
    }

    /// At the end of the input: the object still open, if any.
    pub fn tail(&self) -> Option<Tail> {
        match self.mode {
            Mode::Undecided | Mode::Pretty | Mode::Compact => Some(Tail {
                at: self.frame_at,
                index: self.index,
                len: self.discarded + (self.filled - self.frame_start),
            }),
            Mode::Between | Mode::Garbage | Mode::Element => None,
        }
    }
}

/// Where the JSON object that `bytes` start with ends (the index after its `}`), when `bytes`
/// hold it whole and it is valid JSON as far as its structure goes: strings (with their
/// escapes, and no raw control bytes), containers, commas and colons. `None` when it is not
/// valid or not whole. Scalars are checked only for their first byte: the entry parser checks
/// them, and here only the object's extent matters. Iterative, so any depth is fine.
fn object_end(bytes: &[u8]) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Want {
        Value,
        ValueOrClose,
        Key,
        KeyOrClose,
        Colon,
        CommaOrClose,
    }
    if bytes.first() != Some(&b'{') {
        return None;
    }
    // Open containers, innermost last: `true` for an object.
    let mut open: Vec<bool> = Vec::new();
    let mut want = Want::Value;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        let closes = match (want, b) {
            (Want::Value | Want::ValueOrClose, b'{') => {
                open.push(true);
                want = Want::KeyOrClose;
                false
            }
            (Want::Value | Want::ValueOrClose, b'[') => {
                open.push(false);
                want = Want::ValueOrClose;
                false
            }
            (Want::ValueOrClose, b']') | (Want::KeyOrClose, b'}') => true,
            (Want::Value | Want::ValueOrClose, b'"') => {
                i = string_end(bytes, i)? - 1;
                want = Want::CommaOrClose;
                false
            }
            (Want::Value | Want::ValueOrClose, b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                let len = bytes[i..].iter().position(|c| {
                    !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
                })?;
                i += len - 1;
                want = Want::CommaOrClose;
                false
            }
            (Want::Key | Want::KeyOrClose, b'"') => {
                i = string_end(bytes, i)? - 1;
                want = Want::Colon;
                false
            }
            (Want::Colon, b':') => {
                want = Want::Value;
                false
            }
            (Want::CommaOrClose, b',') => {
                want = if open.last() == Some(&true) {
                    Want::Key
                } else {
                    Want::Value
                };
                false
            }
            (Want::CommaOrClose, b'}') if open.last() == Some(&true) => true,
            (Want::CommaOrClose, b']') if open.last() == Some(&false) => true,
            _ => return None,
        };
        i += 1;
        if closes {
            open.pop();
            if open.is_empty() {
                return Some(i);
            }
            want = Want::CommaOrClose;
        }
    }
    None
}

/// Where the JSON string starting at `bytes[start]` (a `"`) ends: the index after its closing
/// quote. `None` when it is not whole or holds a raw control byte (a cut-off string).
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let k = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
        if bytes[i..i + k].iter().any(|&c| c < 0x20) {
            return None;
        }
        i += k;
        if bytes[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in chunks of `chunk` bytes and collects what the framer reports.
    fn frame(input: &[u8], chunk: usize) -> (Vec<String>, Option<Tail>, Shape) {
        let mut framer = Framer::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            framer.push(piece);
            while let Some(event) = framer.next_event() {
                out.push(match event {
                    FrameEvent::Entry { range, at, index } => format!(
                        "entry {index} at {}:{}: {}",
                        at.line,
                        at.column,
                        String::from_utf8_lossy(framer.bytes(range))
                    ),
                    other => format!("{other:?}"),
                });
            }
        }
        (out, framer.tail(), framer.shape())
    }

    #[test]
    fn pretty_unclosed_array_as_the_writer_writes_it() {
        let input = b"[\n{\n  \"a\": {\n    \"b\": \"}\"\n  }\n}\n,\n{\n  \"c\": 1\n}\n";
        let (events, tail, shape) = frame(input, 1 << 20);
        assert_eq!(
            events,
            vec![
                "entry 1 at 2:1: {\n  \"a\": {\n    \"b\": \"}\"\n  }\n}",
                "entry 2 at 8:1: {\n  \"c\": 1\n}",
            ]
        );
        assert_eq!(tail, None);
        assert_eq!(shape, Shape::Array { closed: false });
    }

    #[test]
    fn closed_array_on_one_line() {
        let input = br#"[{"a":"{\"x"},{"b":{"c":[1,{"d":2}]}}]"#;
        let (events, tail, shape) = frame(input, 3);
        assert_eq!(
            events,
            vec![
                r#"entry 1 at 1:2: {"a":"{\"x"}"#,
                r#"entry 2 at 1:15: {"b":{"c":[1,{"d":2}]}}"#,
            ]
        );
        assert_eq!(tail, None);
        assert_eq!(shape, Shape::Array { closed: true });
    }

    #[test]
    fn json_lines_with_bom_and_crlf() {
        let input = b"\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":2}\r\n";
        let (events, _, shape) = frame(input, 2);
        assert_eq!(
            events,
            vec!["entry 1 at 1:4: {\"a\":1}", "entry 2 at 2:1: {\"b\":2}"]
        );
        assert_eq!(shape, Shape::Lines);
    }

    #[test]
    fn an_open_object_at_the_end_is_a_tail_not_an_event() {
        let input = b"[\n{\n  \"a\": 1\n}\n,\n{\n  \"b\": \"half";
        let (events, tail, _) = frame(input, 5);
        assert_eq!(events.len(), 1);
        let tail = tail.expect("an open object");
        assert_eq!((tail.at.line, tail.index, tail.len), (6, 2, 14));
    }

    #[test]
    fn an_object_cut_off_by_a_new_writer_is_reported_and_the_next_one_read() {
        let input = b"[\n{\n  \"a\": \"cut\n,\n{\n  \"b\": 2\n}\n";
        let (events, _, _) = frame(input, 4);
        assert_eq!(
            events,
            vec![
                "Cut { at: Position { line: 2, column: 1 }, index: 1, len: 16 }",
                "entry 2 at 5:1: {\n  \"b\": 2\n}",
            ]
        );
        // The same in a compact line: a raw newline inside a string ends the object.
        let (events, _, _) = frame(b"{\"a\":\"cut\n{\"b\":2}\n", 1);
        assert_eq!(events.len(), 2);
        assert!(events[0].starts_with("Cut"), "{events:?}");
    }

    #[test]
    fn a_layout_change_inside_one_array_loses_nothing() {
        // The file writer's entries, then the in-memory tracer's (members four deep, `},\n  {`
        // between), the first of them at column 0, with braces and quotes inside strings;
        // then the file writer's again.
        let input = b"[\n{\n  \"a\": 1\n}\n,\n{\n    \"b\": \"}\\\"\\n{\",\n    \"c\": [{}, []]\n  },\n  {\n    \"d\": {\n      \"e\": null\n    }\n  }\n,\n{\n  \"f\": \"x\"\n  }\n,\n{\n  \"g\": 2\n}\n]\n";
        for chunk in [1, 3, 1 << 20] {
            let (events, tail, shape) = frame(input, chunk);
            let entries: Vec<_> = events.iter().filter(|e| e.starts_with("entry")).collect();
            assert_eq!(entries.len(), 5, "chunk {chunk}: {events:?}");
            assert_eq!(events.len(), 5, "chunk {chunk}: {events:?}");
            assert!(
                events[1].starts_with("entry 2 at 6:1: {\n    \"b\""),
                "{events:?}"
            );
            assert!(events[1].ends_with("[{}, []]\n  }"), "{events:?}");
            assert!(events[3].ends_with("\"x\"\n  }"), "{events:?}");
            assert_eq!((tail, shape), (None, Shape::Array { closed: true }));
        }
    }

    #[test]
    fn a_cut_that_leaves_no_whole_object_is_still_a_cut() {
        // Cut where a new element could follow (`[1`), and where a key was expected.
        for head in [&b"{\n  \"a\": [1\n"[..], b"{\n  \"a\": 1,\n  \"b\": {\n"] {
            let input = [head, b",\n{\n  \"c\": 2\n}\n"].concat();
            let (events, _, _) = frame(&input, 2);
            assert_eq!(events.len(), 2, "{events:?}");
            assert!(events[0].starts_with("Cut"), "{events:?}");
            assert!(events[1].starts_with("entry 2"), "{events:?}");
        }
    }

    #[test]
    fn object_end_follows_json_structure() {
        assert_eq!(
            object_end(br#"{"a":"}\"{","b":[1,{"c":-2e3}]} tail"#),
            Some(31)
        );
        assert_eq!(object_end(b"{}"), Some(2));
        for bad in [
            &br#"{"a":1,}"#[..],
            br#"{"a" 1}"#,
            br#"{"a":[1}"#,
            b"{\"a\":\"raw\nline\"}",
            br#"{"a":1"#,
            br#"{"a":{"#,
            br#"{1:2}"#,
        ] {
            assert_eq!(object_end(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn elements_that_are_not_objects_are_reported_and_the_objects_after_them_read() {
        let input = br#"[[1,{"x":"]"}],{"a":1},"s\"}",-1.5e3,{"b":2},null,true,{"c":3}]"#;
        for chunk in [1, 2, 1 << 20] {
            let (events, tail, shape) = frame(input, chunk);
            assert_eq!(
                events,
                vec![
                    "NotObject { at: Position { line: 1, column: 2 }, index: 1 }",
                    r#"entry 2 at 1:16: {"a":1}"#,
                    "NotObject { at: Position { line: 1, column: 24 }, index: 3 }",
                    "NotObject { at: Position { line: 1, column: 31 }, index: 4 }",
                    r#"entry 5 at 1:38: {"b":2}"#,
                    "NotObject { at: Position { line: 1, column: 46 }, index: 6 }",
                    "NotObject { at: Position { line: 1, column: 51 }, index: 7 }",
                    r#"entry 8 at 1:56: {"c":3}"#,
                ],
                "chunk {chunk}"
            );
            assert_eq!((tail, shape), (None, Shape::Array { closed: true }));
        }
        // Outside an array, or a word that is no JSON literal, it is garbage as before.
        let (events, _, _) = frame(b"[\n{\"a\":1}\n,\nthis is not JSON\n,\n{\"b\":2}\n", 3);
        assert!(events[1].starts_with("Garbage"), "{events:?}");
        let (events, _, _) = frame(b"{\"a\":1}\n12\n", 1);
        assert!(events[1].starts_with("Garbage"), "{events:?}");
    }

    #[test]
    fn garbage_between_entries_is_reported_once_per_run() {
        let input = b"{\"a\":1}\nnot json\nstill not\n{\"b\":2}\nxx\n";
        let (events, _, _) = frame(input, 7);
        assert_eq!(
            events,
            vec![
                "entry 1 at 1:1: {\"a\":1}",
                "Garbage { at: Position { line: 2, column: 1 }, byte: 110 }",
                "entry 2 at 4:1: {\"b\":2}",
                "Garbage { at: Position { line: 5, column: 1 }, byte: 120 }",
            ]
        );
    }

    #[test]
    fn binary_input_is_not_json() {
        let (_, _, shape) = frame(b"\x00\x01binary", 100);
        assert_eq!(shape, Shape::NotJson { byte: 0 });
    }
}
