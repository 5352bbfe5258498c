//! `agentcli view`: an interactive terminal viewer of sessions, on ratatui and crossterm.
//!
//! Screens: the session list ([`sessions`]), a session's entries ([`timeline`]) read page by
//! page through an [`index`] of where each entry lies in its file, and one entry as foldable
//! JSON ([`entry`]). [`app`] holds the state and what keys do, apart from the terminal, so
//! tests draw it on ratatui's `TestBackend`; this module owns the terminal, and restores it on
//! every way out: `q`, Ctrl-C, an error, or a panic.

pub mod app;
pub mod entry;
pub mod index;
pub mod sessions;
pub mod study;
pub mod theme;
pub mod timeline;
pub mod waterfall;

use crate::filter::Filter;
use crate::redact::Redactor;
use crate::session::SessionFile;
use crate::time::DisplayZone;
use app::App;
use chrono::{DateTime, Local};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// What `view --help` ends with: the keys.
pub const KEYS_HELP: &str = "\
Keys: ↑ ↓ j k move · PgUp PgDn · Home End g G · Enter opens · Esc Backspace back · Tab next tab
/ search (on the session list: narrow by id or agent) · n N next, previous match
f filter (the --filter language) · F follow the session as it is written
e sessions with errors only · 1-9 sort by column, s next column · space fold (entry)
y copy the entry's JSON to stdout on exit · + - zoom the waterfall, ← → move it
? help · q quit

It needs a terminal on stdout; without one it exits with code 2 (print with `agentcli trace`).

Exit codes:
  0  success
  2  usage error, unknown session, unreadable directory, or no terminal on stdout";

/// The viewer's options, checked by `cmd::view`.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    /// The trace directory.
    pub dir: PathBuf,
    /// The session to open at once, if one was named.
    pub session: Option<SessionFile>,
    /// Which entries are shown (changed in the view with `f`).
    pub filter: Filter,
    pub redactor: Redactor,
    pub zone: DisplayZone,
    pub color: bool,
    pub ascii: bool,
    /// "Now", for relative times in filters (`since=2h`).
    pub now: DateTime<Local>,
}

/// How long to wait for a key when there is nothing else to do (follow mode and new sessions
/// are looked for this often).
const IDLE: Duration = Duration::from_millis(250);

/// Runs the viewer on the terminal until the user quits; returns what they copied (`y`).
pub fn run(opts: ViewOptions) -> io::Result<Option<String>> {
    // `try_init` installs a panic hook that restores the terminal before the panic message.
    let mut terminal = ratatui::try_init()?;
    let _restore = Restore;
    let mut app = App::new(opts);
    let mut dirty = true;
    loop {
        let (changed, busy) = app.tick();
        if changed || dirty {
            terminal.draw(|frame| app.render(frame))?;
            dirty = false;
        }
        let wait = if busy { Duration::ZERO } else { IDLE };
        if event::poll(wait)? {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => app.key(key),
                Event::Resize(..) => {}
                _ => continue,
            }
            dirty = true;
            // Take every key already typed before drawing (a held key must not lag).
            while event::poll(Duration::ZERO)? {
                if let Event::Key(key) = event::read()?
                    && key.kind != KeyEventKind::Release
                {
                    app.key(key);
                }
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(app.copied.take())
}

/// Puts the terminal back as it was (raw mode off, main screen, cursor shown) when dropped: on
/// a normal return and on an error alike.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
        let _ = ratatui::crossterm::execute!(io::stdout(), ratatui::crossterm::cursor::Show);
    }
}

#[cfg(test)]
mod tests;
