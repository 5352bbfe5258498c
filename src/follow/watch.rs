//! The directory monitor of follow mode, as in hl's `fsmon`: it watches directories, not files,
//! so that a file created later, deleted, or replaced by a rename is still seen; passes on only
//! changes to the paths of interest; and falls back to polling where notifications are
//! unavailable.

use crate::session;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::io;
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
    pub(super) paths: Vec<PathBuf>,
    /// Also any trace file directly in this directory.
    pub(super) traces_in: Option<PathBuf>,
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
