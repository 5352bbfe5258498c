//! The follower of follow mode: keeps one reader open on the followed file and, each time the
//! monitor wakes it, reads only the bytes the file gained; notices a file truncated, replaced,
//! deleted or recreated under it, and a newer session to switch to.

use super::watch::{Monitor, Wake};
use super::{Plan, Target};
use crate::error::Error;
use crate::read::{Entry, Problem, ReadSummary, TraceReader};
use crate::redact::Redactor;
use crate::session::{self, SessionFile};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// How many of a file's first bytes are compared to tell a rewritten file from a grown one.
const HEAD_BYTES: usize = 512;

/// What a follower passes to its handler, in order.
#[derive(Debug)]
pub enum Update<'a> {
    /// A complete entry.
    Entry(&'a Entry<'a>),
    /// Damaged input, skipped.
    Problem(&'a Problem),
    /// Every complete entry written so far has been passed on: more may come.
    CaughtUp,
    /// The file at `path` changed under the reader: reading starts again at its beginning.
    Restarted { path: &'a Path, cause: Restart },
    /// The file at `path` was deleted (what it held has been passed on): waiting for it to be
    /// written again.
    Deleted { path: &'a Path },
}

/// Why reading started again at the beginning of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// The file became shorter than what was read, or its first bytes changed: rewritten in
    /// place (a new run with the same session id).
    Truncated,
    /// Another file was moved to the path.
    Replaced,
    /// The file was deleted, and now exists again.
    Recreated,
}

/// Why [`Follower::follow`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The monitor was stopped (Ctrl-C).
    Stopped,
    /// The handler broke.
    Handler,
    /// A newer session appeared (with switching): [`Follower::next_session`] returns it.
    Newer,
}

/// The handler a follower passes its updates to: break to make [`Follower::follow`] return.
pub type Handler<'h> = dyn FnMut(Update<'_>) -> io::Result<ControlFlow<()>> + 'h;

/// Reads a session as it is written. See the module documentation.
pub struct Follower {
    plan: Plan,
    state: State,
    /// A newer session found while following, for the next [`Follower::next_session`].
    newer: Option<SessionFile>,
    /// The trace files seen in the directory: a newer session is one not among them.
    known: HashSet<PathBuf>,
    /// What the reader of the current session has seen, once it read.
    summary: Option<ReadSummary>,
    /// What entries are redacted with.
    redactor: Redactor,
}

enum State {
    /// Not reading: no session found yet, or it was left for a newer one.
    Idle,
    Reading(Box<OpenFile>),
    /// The file was deleted: waiting for it to exist again.
    Gone(SessionFile),
}

impl Follower {
    /// A follower for `plan`. With switching, the sessions already in the directory are not
    /// newer ones.
    pub fn new(plan: Plan) -> io::Result<Follower> {
        let mut known = HashSet::new();
        if plan.switch_to_new {
            known.extend(discover(&plan.dir)?.into_iter().map(|s| s.path));
        }
        Ok(Follower {
            plan,
            state: State::Idle,
            newer: None,
            known,
            summary: None,
            redactor: Redactor::off(),
        })
    }

    /// The follower with the entries it passes on redacted by `redactor`.
    pub fn with_redactor(mut self, redactor: Redactor) -> Follower {
        self.redactor = redactor;
        self
    }

    /// The session to read next: the plan's (or a newer one found while following), waiting
    /// for its file to exist if need be (`on_wait` is called once, when it starts waiting).
    /// `None` when the monitor is stopped first.
    pub fn next_session(
        &mut self,
        monitor: &mut Monitor,
        on_wait: &mut dyn FnMut(&Plan),
    ) -> io::Result<Option<SessionFile>> {
        if monitor.is_stopped() {
            return Ok(None);
        }
        if let Some(newer) = self.newer.take()
            && let Some(file) = OpenFile::open(&newer, &self.redactor)?
        {
            return Ok(Some(self.start(file)));
        }
        if let Some(found) = self.find()? {
            return Ok(Some(found));
        }
        on_wait(&self.plan);
        monitor.run(|_| {
            Ok(match self.find()? {
                Some(found) => ControlFlow::Break(found),
                None => ControlFlow::Continue(()),
            })
        })
    }

    /// Passes on the entries of the session [`Follower::next_session`] returned: those already
    /// written, then each one as it is completed, with the file's changes, until the monitor
    /// is stopped, the handler breaks (calling again goes on where it stopped) or, with
    /// switching, a newer session appears.
    pub fn follow(&mut self, monitor: &mut Monitor, handler: &mut Handler) -> io::Result<Ended> {
        if monitor.is_stopped() {
            return Ok(Ended::Stopped);
        }
        if let ControlFlow::Break(ended) = self.step(&Wake::Look, handler)? {
            return Ok(ended);
        }
        Ok(monitor
            .run(|wake| self.step(&wake, handler))?
            .unwrap_or(Ended::Stopped))
    }

    /// What the reader of the current session has seen (after a restart: of the new file).
    pub fn summary(&self) -> Option<ReadSummary> {
        self.summary
    }

    /// The plan's session, if its file exists now (opened and made current).
    fn find(&mut self) -> io::Result<Option<SessionFile>> {
        let candidates: Vec<SessionFile> = match &self.plan.target {
            Target::Session { id, paths } => paths
                .iter()
                .map(|path| SessionFile {
                    id: id.clone(),
                    path: path.clone(),
                    size: 0,
                    modified: None,
                })
                .collect(),
            Target::Latest => session::latest(discover(&self.plan.dir)?)
                .into_iter()
                .collect(),
        };
        for candidate in candidates {
            if let Some(file) = OpenFile::open(&candidate, &self.redactor)? {
                return Ok(Some(self.start(file)));
            }
        }
        Ok(None)
    }

    fn start(&mut self, file: OpenFile) -> SessionFile {
        let session = file.session.clone();
        self.known.insert(session.path.clone());
        self.summary = None;
        self.state = State::Reading(Box::new(file));
        session
    }

    /// One wake: a newer session looked for (with switching), then the current file read.
    fn step(&mut self, wake: &Wake, handler: &mut Handler) -> io::Result<ControlFlow<Ended>> {
        if self.plan.switch_to_new && self.newer.is_none() {
            self.newer = self.newer_session(wake)?;
        }
        if self.look(handler)?.is_break() {
            return Ok(ControlFlow::Break(Ended::Handler));
        }
        if self.newer.is_some() {
            self.state = State::Idle;
            return Ok(ControlFlow::Break(Ended::Newer));
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Reads what the current file gained, after checking that it is still the same file.
    fn look(&mut self, handler: &mut Handler) -> io::Result<ControlFlow<()>> {
        let (session, cause) = match &mut self.state {
            State::Idle => return Ok(ControlFlow::Continue(())),
            State::Gone(session) => (session.clone(), Restart::Recreated),
            State::Reading(file) => {
                let change = file.change()?;
                if change != Change::Truncated {
                    // Whatever the file held before it went was written by then: pass it on.
                    let flow = file.read(handler)?;
                    self.summary = Some(file.reader.summary());
                    if flow.is_break() || change == Change::Same {
                        return Ok(flow);
                    }
                }
                let cause = match change {
                    Change::Truncated => Restart::Truncated,
                    _ => Restart::Replaced,
                };
                (file.session.clone(), cause)
            }
        };
        // Start again at the beginning of whatever file is at the path now.
        let Some(mut file) = OpenFile::open(&session, &self.redactor)? else {
            let was_reading = matches!(self.state, State::Reading(_));
            let path = session.path.clone();
            self.state = State::Gone(session);
            return if was_reading {
                handler(Update::Deleted { path: &path })
            } else {
                Ok(ControlFlow::Continue(()))
            };
        };
        let path = file.session.path.clone();
        let flow = match handler(Update::Restarted { path: &path, cause })? {
            ControlFlow::Break(()) => ControlFlow::Break(()),
            ControlFlow::Continue(()) => file.read(handler)?,
        };
        self.summary = Some(file.reader.summary());
        self.state = State::Reading(Box::new(file));
        Ok(flow)
    }

    /// A trace file that appeared in the directory since the follower started (the latest, by
    /// `session::latest`, if several did), other than the one being read.
    fn newer_session(&mut self, wake: &Wake) -> io::Result<Option<SessionFile>> {
        let appeared: Vec<SessionFile> = match wake {
            Wake::Changed(paths) => paths
                .iter()
                .filter(|path| !self.known.contains(*path))
                .filter(|path| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(session::session_id)
                        .is_some()
                })
                .filter_map(|path| SessionFile::from_path(path).ok())
                .collect(),
            Wake::Look => discover(&self.plan.dir)?
                .into_iter()
                .filter(|s| !self.known.contains(&s.path))
                .collect(),
        };
        self.known.extend(appeared.iter().map(|s| s.path.clone()));
        Ok(session::latest(appeared))
    }
}

/// The sessions in `dir`.
fn discover(dir: &Path) -> io::Result<Vec<SessionFile>> {
    session::discover(dir)
        .map(|found| found.sessions)
        .map_err(io::Error::other)
}

/// What happened to the followed file since it was last looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The same file, the same or longer.
    Same,
    Truncated,
    Replaced,
    Deleted,
}

/// The followed file: the reader over it, and what tells whether it changed under it.
struct OpenFile {
    session: SessionFile,
    reader: TraceReader,
    /// Shares the reader's file offset (a duplicate handle): how far the file has been read.
    offset: File,
    /// An independent handle on the same file: its size and first bytes now.
    probe: File,
    identity: Option<Identity>,
    /// The file's first bytes (up to [`HEAD_BYTES`]) as last seen.
    head: Vec<u8>,
    /// Updates were passed on since the last [`Update::CaughtUp`] (or none was said yet).
    unsaid: bool,
}

impl OpenFile {
    /// Opens the session's file at its beginning; `None` when there is no file at its path.
    fn open(session: &SessionFile, redactor: &Redactor) -> io::Result<Option<OpenFile>> {
        let path = &session.path;
        let context = |e: io::Error| io::Error::new(e.kind(), Error::read(path, e));
        let gone = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
        let (file, probe) = match File::open(path).and_then(|f| Ok((f, File::open(path)?))) {
            Ok(files) => files,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(context(e)),
        };
        let meta = file.metadata().map_err(context)?;
        if meta.is_dir() {
            let e = io::Error::new(io::ErrorKind::IsADirectory, "is a directory");
            return Err(context(e));
        }
        if identity(&probe.metadata().map_err(context)?) != identity(&meta) {
            // Replaced between the two opens: the change is about to wake the follower.
            return Ok(None);
        }
        let offset = file.try_clone().map_err(context)?;
        let mut probe = probe;
        let head = read_head(&mut probe).map_err(context)?;
        let reader = TraceReader::from_source(path, file)
            .map_err(context)?
            .with_redactor(redactor.clone());
        let mut session = session.clone();
        session.size = meta.len();
        session.modified = meta.modified().ok();
        Ok(Some(OpenFile {
            session,
            reader,
            offset,
            probe,
            identity: identity(&meta),
            head,
            unsaid: true,
        }))
    }

    /// What happened to the file at the path since it was opened or last checked.
    fn change(&mut self) -> io::Result<Change> {
        let context = |e: io::Error| io::Error::new(e.kind(), Error::read(&self.session.path, e));
        match fs::metadata(&self.session.path) {
            Ok(now) if identity(&now) != self.identity => return Ok(Change::Replaced),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Change::Deleted),
            // Cannot tell (the directory's permissions changed): go on reading the open file.
            Err(_) => return Ok(Change::Same),
        }
        let size = self.probe.metadata().map_err(context)?.len();
        let read = (&self.offset).stream_position().map_err(context)?;
        if size < read {
            return Ok(Change::Truncated);
        }
        let head = read_head(&mut self.probe).map_err(context)?;
        if !head.starts_with(&self.head) {
            return Ok(Change::Truncated);
        }
        self.head = head;
        Ok(Change::Same)
    }

    /// Passes on every entry and problem read since the last call, then says it caught up.
    fn read(&mut self, handler: &mut Handler) -> io::Result<ControlFlow<()>> {
        while let Some(item) = self.reader.next_entry() {
            self.unsaid = true;
            let update = match &item {
                Ok(entry) => Update::Entry(entry),
                Err(problem) => Update::Problem(problem),
            };
            if handler(update)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        if std::mem::take(&mut self.unsaid) {
            return handler(Update::CaughtUp);
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// Up to [`HEAD_BYTES`] from the start of the file.
fn read_head(file: &mut File) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    file.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Which file a path names: the device and inode number.
type Identity = (u64, u64);

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

/// Elsewhere a replaced file is seen only when it is shorter, or its first bytes differ.
#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> Option<Identity> {
    None
}
