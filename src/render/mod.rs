//! Terminal views: how results look to a person. Every view draws with one [`Style`], and every
//! table with the one engine in [`grid`]. The machine formats are `export`'s.

pub mod analysis;
pub mod debug;
pub mod diff;
pub mod dot;
pub mod flow;
pub mod grid;
pub mod mermaid;
pub mod metrics;
mod style;
pub mod table;
pub mod verbose;
pub(crate) mod waterfall;

use crate::model::Hook;
use owo_colors::Style as Paint;

pub use style::Style;

/// The colour of a hook: where in an event's life the entry was written.
pub fn hook_style(hook: &Hook<'_>) -> Paint {
    match hook {
        Hook::BeforeEventHandling | Hook::AfterEventHandling => Paint::new().blue(),
        Hook::BeforeAgentRun => Paint::new().cyan(),
        Hook::AfterAgentRun => Paint::new().green(),
        Hook::AgentError => Paint::new().red().bold(),
        Hook::AllHooks | Hook::Other(_) | Hook::Missing => Paint::new(),
    }
}

/// The short form of a hook's name, shown where the full name does not fit (`trace --help`
/// lists them): `BeforeEvent`, `AfterEvent`, `BeforeRun`, `AfterRun`.
pub fn hook_short(hook: &Hook<'_>) -> Option<&'static str> {
    match hook {
        Hook::BeforeEventHandling => Some("BeforeEvent"),
        Hook::AfterEventHandling => Some("AfterEvent"),
        Hook::BeforeAgentRun => Some("BeforeRun"),
        Hook::AfterAgentRun => Some("AfterRun"),
        _ => None,
    }
}

/// The colour of error messages.
pub const ERROR_STYLE: Paint = Paint::new().red();
