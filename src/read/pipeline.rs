//! Reading a large file on several threads: one reads and frames the input into batches, two
//! parse whichever batch is next in their shared queue, and the caller takes the entries in
//! input order (batches are numbered, and one parsed early waits for those before it). A
//! reader that uses it hands out exactly what it would hand out reading on the caller's thread
//! (the same entries, problems, positions and summary); only the work moves to other cores.
//!
//! Memory stays bounded: a batch is the entries of one read chunk (the framer's buffer itself,
//! handed over rather than copied), and a batch can only be framed into one of a fixed number
//! of buffers, each handed back by the caller when it is done with it: at most [`BUFFERS`]
//! batches are in flight, framed, queued, parsed or waiting for their turn. Neither parsing
//! thread waits for the other, so both cores stay busy while the caller keeps up.

use super::Parse;
use super::framer::{FrameEvent, Framer, Position, Shape, Tail};
use super::parse::Repair;
use crate::model::TraceEntry;
use crate::redact::Redactor;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;

/// How many batch buffers circulate: enough that the framing thread can run ahead of two
/// parsing threads and the caller by a few batches (each about a read chunk, 256 KiB by
/// default), few enough that memory stays a few MiB.
const BUFFERS: usize = 8;

/// How many threads parse: with the framing thread and the caller, about two cores' worth.
const PARSERS: usize = 2;

/// The framer's state after a batch: what the reader's summary reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub shape: Shape,
    pub tail: Option<Tail>,
    pub bytes: u64,
}

impl Snapshot {
    fn of(framer: &Framer) -> Snapshot {
        Snapshot {
            shape: framer.shape(),
            tail: framer.tail(),
            bytes: framer.bytes_fed(),
        }
    }
}

/// What framing found, in input order; `E` is what became of an entry (nothing yet, or its
/// parse).
pub(super) enum Found<E> {
    Entry {
        parsed: E,
        /// Where the entry's bytes are in the batch.
        range: Range<usize>,
        at: Position,
        index: u64,
        /// Kept with invalid UTF-8 replaced ([`Repair`]): where the first invalid byte is.
        repaired: Option<Position>,
    },
    /// A framing problem (never `FrameEvent::Entry`).
    Frame(FrameEvent),
    ReadError(io::Error),
}

pub(super) type Parsed<'a> = Result<TraceEntry<'a>, serde_json::Error>;
type Items<'a> = Vec<Found<Parsed<'a>>>;

self_cell::self_cell!(
    /// A batch's bytes, and what was found in them with the entries parsed (borrowing them).
    struct ParsedBatch {
        owner: Vec<u8>,
        #[covariant]
        dependent: Items,
    }
);

enum Framed {
    Batch {
        bytes: Vec<u8>,
        found: Vec<Found<()>>,
        after: Snapshot,
    },
    /// The input has no more bytes for now.
    EndForNow(Snapshot),
}

enum Ready {
    Batch { batch: ParsedBatch, after: Snapshot },
    EndForNow(Snapshot),
}

/// A source and framer that threads could not be started for, handed back.
pub(super) type Unstarted = (Box<dyn Read + Send>, Framer);

/// The caller's end of the threads.
pub(super) struct Pipeline {
    /// Asks the framing thread to read on (after it said the input ended for now).
    requests: Sender<()>,
    /// Batch buffers done with, back to the framing thread, which frames into nothing else
    /// (fresh memory costs page faults on every batch, and the count of buffers bounds memory).
    recycle: Sender<Vec<u8>>,
    /// Parsed batches from the parsing threads, with their numbers, in the order parsed.
    ready: Receiver<(u64, Ready)>,
    /// Batches parsed ahead of their turn.
    early: BTreeMap<u64, Ready>,
    /// The number of the batch to hand out next.
    turn: u64,
    /// A request is out and its end has not come back yet.
    reading: bool,
    current: Option<ParsedBatch>,
    next: usize,
    /// The framer's state after the latest batch received.
    pub after: Snapshot,
}

impl Pipeline {
    /// Starts the threads on `source`, continuing from where `framer` is. Hands both back when
    /// threads cannot be started (the caller then reads on its own thread).
    pub fn start(
        source: Box<dyn Read + Send>,
        framer: Framer,
        chunk: usize,
        parse: Parse,
        redactor: &Redactor,
    ) -> Result<Pipeline, Box<Unstarted>> {
        let after = Snapshot::of(&framer);
        let (requests, requested) = channel();
        let (recycle, recycled) = channel();
        for _ in 0..BUFFERS {
            // Cannot fail: the receiver is right here.
            let _ = recycle.send(Vec::new());
        }
        // Unbounded, but never holding more than the batches the buffers allow (and one end of
        // reading for each request).
        let (to_parsers, framed) = channel::<(u64, Framed)>();
        let framed = Arc::new(Mutex::new(framed));
        let (parsed, ready) = channel();
        // The source goes to the framing thread once all threads run, so that a thread that
        // cannot be started leaves it with the caller.
        let (hand_over, handed) = channel::<(Box<dyn Read + Send>, Framer)>();
        let mut started = true;
        for _ in 0..PARSERS {
            let redactor = redactor.clone();
            let framed = Arc::clone(&framed);
            let parsed = parsed.clone();
            started &= thread::Builder::new()
                .name("agentcli-parse".into())
                .spawn(move || parse_batches(parse, &redactor, &framed, &parsed))
                .is_ok();
        }
        started = started
            && thread::Builder::new()
                .name("agentcli-frame".into())
                .spawn(move || {
                    if let Ok((source, framer)) = handed.recv() {
                        let framing = Framing {
                            chunk,
                            requests: requested,
                            recycled,
                            parsers: to_parsers,
                            numbered: 0,
                        };
                        framing.run(source, framer);
                    }
                })
                .is_ok();
        if !started {
            return Err(Box::new((source, framer)));
        }
        if let Err(returned) = hand_over.send((source, framer)) {
            return Err(Box::new(returned.0));
        }
        Ok(Pipeline {
            requests,
            recycle,
            ready,
            early: BTreeMap::new(),
            turn: 0,
            reading: false,
            current: None,
            next: 0,
            after,
        })
    }

    /// Moves to the next thing found; `false` when the input has no more for now.
    pub fn advance(&mut self) -> bool {
        loop {
            if let Some(batch) = &self.current
                && self.next < batch.borrow_dependent().len()
            {
                self.next += 1;
                return true;
            }
            if !self.reading {
                if self.requests.send(()).is_err() {
                    return false;
                }
                self.reading = true;
            }
            let Some(ready) = self.next_ready() else {
                return false;
            };
            match ready {
                Ready::Batch { batch, after } => {
                    self.done_with_current();
                    self.current = Some(batch);
                    self.next = 0;
                    self.after = after;
                }
                Ready::EndForNow(after) => {
                    self.done_with_current();
                    self.after = after;
                    self.reading = false;
                    return false;
                }
            }
        }
    }

    /// Hands the current batch's buffer back to the framing thread: every buffer must come
    /// back, or the framing thread runs out of them and waits for ever.
    fn done_with_current(&mut self) {
        if let Some(done) = self.current.take() {
            // The framing thread may be gone: then the buffer is just dropped.
            let _ = self.recycle.send(done.into_owner());
        }
    }

    /// The next batch in input order, waiting for it if it is not parsed yet; `None` when the
    /// threads are gone.
    fn next_ready(&mut self) -> Option<Ready> {
        loop {
            if let Some(ready) = self.early.remove(&self.turn) {
                self.turn += 1;
                return Some(ready);
            }
            let (number, ready) = self.ready.recv().ok()?;
            if number == self.turn {
                self.turn += 1;
                return Some(ready);
            }
            self.early.insert(number, ready);
        }
    }

    /// The thing [`advance`](Self::advance) moved to, and the bytes of its batch.
    pub fn current(&self) -> Option<(&Found<Parsed<'_>>, &[u8])> {
        let batch = self.current.as_ref()?;
        let found = batch.borrow_dependent().get(self.next.checked_sub(1)?)?;
        Some((found, batch.borrow_owner()))
    }
}

/// The framing thread's ends of the channels.
struct Framing {
    /// How much to read at a time (a batch is the entries one read completes).
    chunk: usize,
    requests: Receiver<()>,
    recycled: Receiver<Vec<u8>>,
    parsers: Sender<(u64, Framed)>,
    /// The number of the next message to the parsers.
    numbered: u64,
}

impl Framing {
    /// Sends a message to whichever parsing thread is free, numbered; `false` when they are
    /// gone.
    fn send(&mut self, message: Framed) -> bool {
        let number = self.numbered;
        self.numbered += 1;
        self.parsers.send((number, message)).is_ok()
    }

    /// On each request, reads and frames until the input ends for now, sending batches to the
    /// parsing threads.
    fn run(mut self, mut source: Box<dyn Read + Send>, mut framer: Framer) {
        // As on the caller's thread: after a read error or input that is not JSON, read no
        // further.
        let mut stopped = false;
        while self.requests.recv().is_ok() {
            let mut found = Vec::new();
            loop {
                let mut entries = false;
                while let Some(event) = framer.next_event() {
                    match event {
                        FrameEvent::Entry { range, at, index } => {
                            entries = true;
                            found.push(Found::Entry {
                                parsed: (),
                                range,
                                at,
                                index,
                                repaired: None,
                            });
                        }
                        FrameEvent::Garbage { .. } => {
                            found.push(Found::Frame(event));
                            if matches!(framer.shape(), Shape::NotJson { .. }) {
                                // Frame nothing after it either: the summary's tail must be
                                // the framer's at the rejection, as on the caller's thread.
                                stopped = true;
                                break;
                            }
                        }
                        other => found.push(Found::Frame(other)),
                    }
                }
                // The entries' bytes go with their batch: the framer's buffer itself, the
                // framer going on in a spare one. Entries' ranges are valid until the framer
                // is next fed, so a batch ends before every read.
                if !found.is_empty() {
                    // Every batch takes a buffer (one without entries, an empty one): waiting
                    // for one is what keeps the batches in flight few.
                    let Ok(spare) = self.recycled.recv() else {
                        return;
                    };
                    let bytes = if entries {
                        framer.swap_buffer(spare)
                    } else {
                        spare
                    };
                    let batch = Framed::Batch {
                        bytes,
                        found: std::mem::take(&mut found),
                        after: Snapshot::of(&framer),
                    };
                    if !self.send(batch) {
                        return;
                    }
                }
                if stopped {
                    break;
                }
                match framer.fill_from(&mut *source, self.chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        found.push(Found::ReadError(e));
                        stopped = true;
                        break;
                    }
                }
            }
            // What is left is a read error, which has no bytes.
            let after = Snapshot::of(&framer);
            if !found.is_empty() {
                let Ok(bytes) = self.recycled.recv() else {
                    return;
                };
                if !self.send(Framed::Batch {
                    bytes,
                    found,
                    after,
                }) {
                    return;
                }
            }
            if !self.send(Framed::EndForNow(after)) {
                return;
            }
        }
    }
}

/// A parsing thread: takes the next batch from the queue the parsing threads share, redacts
/// and parses its entries, and passes it on with its number.
fn parse_batches(
    parse: Parse,
    redactor: &Redactor,
    framed: &Mutex<Receiver<(u64, Framed)>>,
    ready: &Sender<(u64, Ready)>,
) {
    loop {
        // The lock is held only while waiting for a batch, not while parsing one. A poisoned
        // lock (the other thread panicked holding it) still guards a working receiver.
        let next = match framed.lock() {
            Ok(queue) => queue.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((number, message)) = next else {
            return;
        };
        let message = match message {
            Framed::Batch {
                mut bytes,
                mut found,
                after,
            } => {
                let originals = redact_batch(redactor, &mut bytes, &mut found);
                Ready::Batch {
                    batch: parse_repairing(parse, bytes, found, originals),
                    after,
                }
            }
            Framed::EndForNow(after) => Ready::EndForNow(after),
        };
        if ready.send((number, message)).is_err() {
            return;
        }
    }
}

/// Redacts the batch's entries: an entry that redaction changes is appended to the batch's
/// bytes and its range moved there. Returns the original range of each moved entry (for
/// [`super::parse_redacted`]), by its place in `found`.
fn redact_batch(
    redactor: &Redactor,
    bytes: &mut Vec<u8>,
    found: &mut [Found<()>],
) -> Vec<(usize, Range<usize>)> {
    let mut originals = Vec::new();
    if !redactor.is_on() {
        return originals;
    }
    for (k, f) in found.iter_mut().enumerate() {
        if let Found::Entry { range, .. } = f
            && let Some(part) = bytes.get(range.clone())
            && let std::borrow::Cow::Owned(redacted) = redactor.redact_entry(part)
        {
            let moved = bytes.len()..bytes.len() + redacted.len();
            bytes.extend_from_slice(&redacted);
            originals.push((k, std::mem::replace(range, moved)));
        }
    }
    originals
}

/// Parses a batch; if invalid UTF-8 kept some entries from parsing, parses it again with
/// those entries repaired ([`Repair`]) and appended to the batch's bytes (rare, so the batch
/// is parsed twice rather than every entry checked first).
fn parse_repairing(
    parse: Parse,
    bytes: Vec<u8>,
    found: Vec<Found<()>>,
    mut originals: Vec<(usize, Range<usize>)>,
) -> ParsedBatch {
    let mut repairs = Vec::new();
    let mut batch = ParsedBatch::new(bytes, |bytes| {
        parse_batch(parse, bytes, found, &originals, &mut repairs)
    });
    if repairs.is_empty() {
        return batch;
    }
    let mut found: Vec<Found<()>> = batch.with_dependent_mut(|_, items| {
        std::mem::take(items)
            .into_iter()
            .map(|f| match f {
                Found::Entry {
                    range, at, index, ..
                } => Found::Entry {
                    parsed: (),
                    range,
                    at,
                    index,
                    repaired: None,
                },
                Found::Frame(event) => Found::Frame(event),
                Found::ReadError(e) => Found::ReadError(e),
            })
            .collect()
    });
    let mut bytes = batch.into_owner();
    for (k, repair) in repairs {
        if let Some(Found::Entry {
            range, repaired, ..
        }) = found.get_mut(k)
        {
            let moved = bytes.len()..bytes.len() + repair.bytes.len();
            bytes.extend_from_slice(&repair.bytes);
            let before = std::mem::replace(range, moved);
            *repaired = Some(repair.at);
            if !originals.iter().any(|(j, _)| *j == k) {
                originals.push((k, before));
            }
        }
    }
    originals.sort_unstable_by_key(|(k, _)| *k);
    ParsedBatch::new(bytes, |bytes| {
        parse_batch(parse, bytes, found, &originals, &mut Vec::new())
    })
}

/// Parses a batch's entries where they are kept (an entry is too large to copy around). An
/// entry that invalid UTF-8 keeps from parsing is left with its error, and its repair added
/// to `repairs`, by its place in `found`.
fn parse_batch<'b>(
    parse: Parse,
    bytes: &'b [u8],
    found: Vec<Found<()>>,
    originals: &[(usize, Range<usize>)],
    repairs: &mut Vec<(usize, Repair)>,
) -> Items<'b> {
    let mut items = Vec::with_capacity(found.len());
    let mut originals = originals.iter().peekable();
    for (k, f) in found.into_iter().enumerate() {
        items.push(match f {
            Found::Entry {
                range,
                at,
                index,
                repaired,
                ..
            } => Found::Entry {
                parsed: Ok(TraceEntry::blank()),
                range,
                at,
                index,
                repaired,
            },
            Found::Frame(event) => Found::Frame(event),
            Found::ReadError(e) => Found::ReadError(e),
        });
        let original = originals.next_if(|(j, _)| *j == k).map(|(_, r)| r);
        if let Some(Found::Entry {
            parsed,
            range,
            at,
            repaired,
            ..
        }) = items.last_mut()
            && let Ok(entry) = parsed
        {
            let part = &bytes[range.clone()];
            let result = match original {
                Some(original) => {
                    super::parse_redacted(part, &bytes[original.clone()], parse, entry)
                }
                None => TraceEntry::parse_into(part, parse, entry),
            };
            if let (Ok(()), Some(original), None) = (&result, original, &repaired) {
                *repaired = Repair::first_invalid(&bytes[original.clone()], *at);
            }
            if let Err(e) = result {
                let original = original.map_or(part, |r| &bytes[r.clone()]);
                if let Some(repair) = Repair::of(part, original, *at) {
                    repairs.push((k, repair));
                }
                *parsed = Err(e);
            }
        }
    }
    items
}
