//! Live tail (`trace --follow`): watches the trace directory and feeds what a session file
//! gains to the one reader, so that each entry is passed on once, as soon as it is complete.
//!
//! Two parts, as in hl's `fsmon`:
//! - A [`Monitor`] watches directories, not files, so that a file created later, deleted, or
//!   replaced by a rename is still seen. It uses the platform's file-system notifications,
//!   passes on only changes to the paths of interest, and falls back to polling where
//!   notifications are unavailable. Its handler returns [`ControlFlow`], so a caller (a test)
//!   can stop it after any number of wakes.
//! - A [`Follower`] keeps one [`TraceReader`] open on the followed file and, each time the
//!   monitor wakes it, reads only the bytes the file gained: the reader holds a partly written
//!   entry until its last byte arrives. Before reading, it checks whether the file changed
//!   under it: truncated or rewritten (smaller than what was read, or its first bytes differ),
//!   replaced (another file at the path) or deleted; then it says so and starts again at the
//!   beginning of the new file. Entries of one file are never passed on twice.

use crate::error::Error;
use crate::read::{Entry, Problem, ReadSummary, TraceReader};
use crate::session::{self, SessionFile};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::iter;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often files are looked at when polling.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often files are looked at even with notifications: a safety net for changes that
/// notifications miss (a file on a network file system written from another machine).
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How many of a file's first bytes are compared to tell a rewritten file from a grown one.
const HEAD_BYTES: usize = 512;

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watching {
    /// File-system notifications (inotify, FSEvents, ...), or polling where they are unavailable.
    Notify,
    /// Looking at the files every [`POLL_INTERVAL`].
    Poll,
}

/// Why the monitor woke its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// The file system reported changes to these paths of interest.
    Changed(Vec<PathBuf>),
    /// Time to look at everything: the interval passed, or notifications were lost.
    Look,
}

/// The paths whose changes wake the handler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interest {
    paths: Vec<PathBuf>,
    /// Also any trace file directly in this directory.
    traces_in: Option<PathBuf>,
}

impl Interest {
    /// Whether a change to `path` matters.
    pub fn accepts(&self, path: &Path) -> bool {
        self.paths.iter().any(|p| p == path)
            || self.traces_in.as_deref().is_some_and(|dir| {
                path.parent() == Some(dir)
                    && path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .and_then(session::session_id)
                        .is_some()
            })
    }
}

#[derive(Debug)]
enum Message {
    Changed(PathBuf),
    Look,
    Stop,
}

/// Ends a monitor's run from another thread (a Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct Stopper(Sender<Message>);

impl Stopper {
    /// Makes the monitor's run return at once, and every later run.
    pub fn stop(&self) {
        // The monitor is gone when the send fails: nothing left to stop.
        let _ = self.0.send(Message::Stop);
    }
}

/// Watches directories for changes to the paths of interest. See the module documentation.
pub struct Monitor {
    messages: Receiver<Message>,
    sender: Sender<Message>,
    /// Watches while it lives; `None` when polling.
    watcher: Option<RecommendedWatcher>,
    /// Why notifications are not used although they were asked for.
    unavailable: Option<notify::Error>,
    interval: Duration,
    stopped: bool,
}

impl Monitor {
    /// Starts watching `dirs` (not their subdirectories) for changes to the paths `interest`
    /// accepts. With [`Watching::Notify`], falls back to polling if notifications cannot be
    /// had (say why with [`Monitor::unavailable`]).
    pub fn new(dirs: &[PathBuf], interest: Interest, watching: Watching) -> Monitor {
        let (sender, messages) = mpsc::channel();
        let mut monitor = Monitor {
            messages,
            sender: sender.clone(),
            watcher: None,
            unavailable: None,
            interval: POLL_INTERVAL,
            stopped: false,
        };
        if watching == Watching::Notify {
            match watch(dirs, interest, sender) {
                Ok(watcher) => {
                    monitor.watcher = Some(watcher);
                    monitor.interval = RECHECK_INTERVAL;
                }
                Err(e) => monitor.unavailable = Some(e),
            }
        }
        monitor
    }

    /// Why notifications were asked for but are not used (the monitor polls instead).
    pub fn unavailable(&self) -> Option<&notify::Error> {
        self.unavailable.as_ref()
    }

    /// Whether the monitor polls rather than waiting for notifications.
    pub fn polling(&self) -> bool {
        self.watcher.is_none()
    }

    /// A handle that stops the monitor from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.sender.clone())
    }

    /// Whether a [`Stopper`] stopped it.
    pub fn is_stopped(&mut self) -> bool {
        if !self.stopped {
            // A stop may be waiting behind changes nobody has asked for yet. Those changes are
            // dropped: the follower looks at everything when it starts reading or waiting.
            self.stopped = self.messages.try_iter().any(|m| matches!(m, Message::Stop));
        }
        self.stopped
    }

    /// Calls `handler` at each wake until it breaks (`Some` of what it broke with) or the
    /// monitor is stopped (`None`). Changes that arrive together wake it once.
    pub fn run<B>(
        &mut self,
        mut handler: impl FnMut(Wake) -> io::Result<ControlFlow<B>>,
    ) -> io::Result<Option<B>> {
        while !self.stopped {
            let wake = match self.messages.recv_timeout(self.interval) {
                Ok(first) => self.gather(first),
                // The monitor holds a sender itself: the channel never disconnects.
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Some(Wake::Look),
            };
            if let Some(wake) = wake
                && let ControlFlow::Break(value) = handler(wake)?
            {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// The first message and all those already waiting, as one wake (a burst of small writes
    /// is read once); `None` when one of them says stop.
    fn gather(&mut self, first: Message) -> Option<Wake> {
        let mut paths = Vec::new();
        let mut look = false;
        for message in iter::once(first).chain(self.messages.try_iter()) {
            match message {
                Message::Stop => self.stopped = true,
                Message::Look => look = true,
                Message::Changed(path) => {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                }
            }
        }
        if self.stopped {
            None
        } else if look {
            Some(Wake::Look)
        } else {
            Some(Wake::Changed(paths))
        }
    }
}

/// Notifications for changes in `dirs`, passed on as messages when `interest` accepts them.
fn watch(
    dirs: &[PathBuf],
    interest: Interest,
    sender: Sender<Message>,
) -> notify::Result<RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        // A failed send means the monitor is gone: nobody to tell.
        match result {
            Ok(event) if event.need_rescan() => {
                let _ = sender.send(Message::Look);
            }
            // Opening and reading (the follower's own included) change nothing.
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
            Ok(event) => {
                for path in event.paths {
                    if interest.accepts(&path) {
                        let _ = sender.send(Message::Changed(path));
                    }
                }
            }
            Err(_) => {
                let _ = sender.send(Message::Look);
            }
        }
    })?;
    for dir in dirs {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}

/// Which session to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One session, whose file may not exist yet: the first of `paths` that exists.
    Session { id: String, paths: Vec<PathBuf> },
    /// The most recently modified session in the directory (the first to appear, if none).
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
        })
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
            && let Some(file) = OpenFile::open(&newer)?
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
            Target::Latest => newest(discover(&self.plan.dir)?).into_iter().collect(),
        };
        for candidate in candidates {
            if let Some(file) = OpenFile::open(&candidate)? {
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
        let Some(mut file) = OpenFile::open(&session)? else {
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

    /// A trace file that appeared in the directory since the follower started (the newest,
    /// if several did), other than the one being read.
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
        Ok(newest(appeared))
    }
}

/// The sessions in `dir`.
fn discover(dir: &Path) -> io::Result<Vec<SessionFile>> {
    session::discover(dir)
        .map(|found| found.sessions)
        .map_err(io::Error::other)
}

/// The most recently modified of `sessions`.
fn newest(sessions: Vec<SessionFile>) -> Option<SessionFile> {
    sessions
        .into_iter()
        .max_by(|a, b| a.modified.cmp(&b.modified).then(b.id.cmp(&a.id)))
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
    fn open(session: &SessionFile) -> io::Result<Option<OpenFile>> {
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
        let reader = TraceReader::from_source(path, file).map_err(context)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::thread;
    use std::time::Instant;

    /// An entry as the writer appends it (after the first: `,` and a newline before it).
    fn entry(agent: &str) -> String {
        format!(
            "{{\n  \"timestamp\": \"2025-05-02T14:32:15.123+05:30\",\n  \"agent_id\": \"{agent}\",\n  \"hook\": \"AfterAgentRun\"\n}}\n"
        )
    }

    fn trace_of(agents: &[&str]) -> String {
        let mut out = String::from("[\n");
        for (i, agent) in agents.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            out.push_str(&entry(agent));
        }
        out
    }

    fn append(path: &Path, text: &str) {
        let mut file = File::options()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    /// Follows `plan` until `done` holds for what was seen (as short lines), or 10 s pass.
    fn watch_until(plan: Plan, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut follower = Follower::new(plan.clone()).unwrap();
        let mut monitor = plan.monitor();
        let stopper = monitor.stopper();
        let deadline = Instant::now() + Duration::from_secs(10);
        thread::spawn(move || {
            thread::sleep(deadline - Instant::now());
            stopper.stop();
        });
        let mut seen = Vec::new();
        while let Some(session) = follower
            .next_session(&mut monitor, &mut |_| seen.push("waiting".to_owned()))
            .unwrap()
        {
            seen.push(format!("session {}", session.id));
            let ended = follower
                .follow(&mut monitor, &mut |update| {
                    match update {
                        Update::Entry(e) => seen.push(e.entry.agent_id.to_string()),
                        Update::Problem(p) => seen.push(format!("problem {}", p.message)),
                        Update::CaughtUp => return Ok(ControlFlow::Continue(())),
                        Update::Restarted { cause, .. } => seen.push(format!("{cause:?}")),
                        Update::Deleted { .. } => seen.push("deleted".to_owned()),
                    }
                    Ok(if done(&seen) {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    })
                })
                .unwrap();
            if ended != Ended::Newer {
                break;
            }
        }
        seen
    }

    fn plan(dir: &Path, arg: &str, switch_to_new: bool, watching: Watching) -> Plan {
        Plan::new(arg, dir, switch_to_new, watching).unwrap()
    }

    /// Runs `write` on another thread after a moment (once the follower is waiting).
    fn later(write: impl FnOnce() + Send + 'static) {
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            write();
        });
    }

    #[test]
    fn the_monitor_passes_on_only_changes_to_paths_of_interest() {
        let dir = tempfile::tempdir().unwrap();
        let dir = fs::canonicalize(dir.path()).unwrap();
        let wanted = dir.join("a.trace.json");
        let interest = Interest {
            paths: vec![wanted.clone()],
            traces_in: None,
        };
        let mut monitor = Monitor::new(std::slice::from_ref(&dir), interest, Watching::Notify);
        assert!(!monitor.polling(), "{:?}", monitor.unavailable());
        let (other, path) = (dir.join("b.trace.json"), wanted.clone());
        later(move || {
            append(&other, "x");
            append(&path, "x");
        });
        let mut wakes = Vec::new();
        let got = monitor
            .run(|wake| {
                wakes.push(wake.clone());
                Ok(match wake {
                    Wake::Changed(paths) => ControlFlow::Break(paths),
                    Wake::Look => ControlFlow::Continue(()),
                })
            })
            .unwrap();
        assert_eq!(got, Some(vec![wanted]), "{wakes:?}");
    }

    #[test]
    fn a_stopped_monitor_stops_every_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut monitor = Monitor::new(&[], Interest::default(), Watching::Poll);
        let stopper = monitor.stopper();
        later(move || stopper.stop());
        let mut looks = 0;
        let got: Option<()> = monitor
            .run(|_| {
                looks += 1;
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
        assert_eq!(got, None);
        assert!(monitor.is_stopped());
        assert!(looks >= 1, "polling looks every 100 ms");
        let mut follower = Follower::new(plan(dir.path(), "x", false, Watching::Poll)).unwrap();
        assert_eq!(
            follower.next_session(&mut monitor, &mut |_| {}).unwrap(),
            None
        );
    }

    #[test]
    fn entries_are_passed_on_once_as_they_are_completed() {
        for watching in [Watching::Notify, Watching::Poll] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.trace.json");
            append(&path, &trace_of(&["a", "b"]));
            let writer = path.clone();
            later(move || {
                // The third entry in three writes, the cut inside a string.
                let third = format!(",\n{}", entry("c"));
                let (one, two) = third.split_at(30);
                append(&writer, one);
                thread::sleep(Duration::from_millis(120));
                append(&writer, &two[..5]);
                thread::sleep(Duration::from_millis(120));
                append(&writer, &two[5..]);
                append(&writer, &format!(",\n{}", entry("d")));
            });
            let seen = watch_until(plan(dir.path(), "s", false, watching), |seen| {
                seen.len() >= 5
            });
            assert_eq!(seen, ["session s", "a", "b", "c", "d"], "{watching:?}");
        }
    }

    #[test]
    fn a_file_that_appears_later_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.trace.json");
        let plan = plan(dir.path(), "new", false, Watching::Notify);
        assert_eq!(
            plan.target,
            Target::Session {
                id: "new".to_owned(),
                paths: session::SUFFIXES
                    .iter()
                    .map(|s| fs::canonicalize(dir.path())
                        .unwrap()
                        .join(format!("new{s}")))
                    .collect()
            }
        );
        later(move || append(&path, &trace_of(&["a"])));
        let seen = watch_until(plan, |seen| seen.len() >= 3);
        assert_eq!(seen, ["waiting", "session new", "a"]);
    }

    #[test]
    fn a_truncated_replaced_or_recreated_file_is_read_again_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.trace.json");
        append(&path, &trace_of(&["a", "b"]));
        let writer = path.clone();
        let temp = dir.path().join("s.tmp");
        later(move || {
            let pause = || thread::sleep(Duration::from_millis(150));
            // A new run: the file truncated, then written longer than before.
            fs::write(&writer, trace_of(&["c", "d", "e"])).unwrap();
            pause();
            fs::write(&temp, trace_of(&["f"])).unwrap();
            fs::rename(&temp, &writer).unwrap();
            pause();
            fs::remove_file(&writer).unwrap();
            pause();
            append(&writer, &trace_of(&["g"]));
        });
        let seen = watch_until(plan(dir.path(), "s", false, Watching::Notify), |seen| {
            seen.last().is_some_and(|s| s == "g")
        });
        assert_eq!(
            seen,
            [
                "session s",
                "a",
                "b",
                "Truncated",
                "c",
                "d",
                "e",
                "Replaced",
                "f",
                "deleted",
                "Recreated",
                "g"
            ]
        );
    }

    #[test]
    fn switching_goes_to_each_newer_session() {
        let dir = tempfile::tempdir().unwrap();
        append(&dir.path().join("old.trace.json"), &trace_of(&["a"]));
        let newer = dir.path().join("newer.trace.json");
        later(move || append(&newer, &trace_of(&["b"])));
        let seen = watch_until(plan(dir.path(), "latest", true, Watching::Notify), |seen| {
            seen.len() >= 4
        });
        assert_eq!(seen, ["session old", "a", "session newer", "b"]);
    }

    #[test]
    fn latest_waits_for_a_first_session() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.trace.json");
        later(move || append(&first, &trace_of(&["a"])));
        let seen = watch_until(plan(dir.path(), "latest", false, Watching::Poll), |seen| {
            seen.len() >= 3
        });
        assert_eq!(seen, ["waiting", "session first", "a"]);
    }
}
