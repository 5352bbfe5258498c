//! How the viewer looks: one set of styles, in colour or (NO_COLOR, `--color never`) in
//! monochrome, where bold, reverse and underline carry what colour would.

use crate::model::Hook;
use ratatui::style::{Color, Modifier, Style};

/// The styles of every screen.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    /// Draw with ASCII only (the locale cannot show more).
    pub ascii: bool,
}

impl Theme {
    pub fn new(color: bool, ascii: bool) -> Theme {
        Theme { color, ascii }
    }

    /// Column headers and titles.
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// The status line and key hints.
    pub fn status(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Gray)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// Errors: they must stand out in monochrome too.
    pub fn error(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    /// Text that matters less (placeholders, hints).
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Search matches and the marked critical path.
    pub fn mark(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// A hook, coloured as the printed timeline colours it (where in an event's life the
    /// entry was written).
    pub fn hook(&self, hook: &Hook<'_>) -> Style {
        if !self.color {
            return match hook {
                Hook::AgentError => self.error(),
                _ => Style::new(),
            };
        }
        match hook {
            Hook::BeforeEventHandling | Hook::AfterEventHandling => Style::new().fg(Color::Blue),
            Hook::BeforeAgentRun => Style::new().fg(Color::Cyan),
            Hook::AfterAgentRun => Style::new().fg(Color::Green),
            Hook::AgentError => self.error(),
            Hook::AllHooks | Hook::Other(_) | Hook::Missing => Style::new(),
        }
    }

    /// JSON keys in the entry screen.
    pub fn key(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// JSON strings in the entry screen.
    pub fn string(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        }
    }

    /// A bar of the waterfall: `failed` ones are red (underlined in monochrome).
    pub fn bar(&self, failed: bool, critical: bool) -> Style {
        match (self.color, failed, critical) {
            (true, true, _) => Style::new().fg(Color::Red),
            (true, false, true) => Style::new().fg(Color::Yellow),
            (true, false, false) => Style::new().fg(Color::Cyan),
            (false, true, _) => Style::new().add_modifier(Modifier::UNDERLINED),
            (false, false, _) => Style::new(),
        }
    }
}
