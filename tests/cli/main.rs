//! Integration tests: the built binary run as a user runs it, on copies of the fixtures.

mod analyze;
mod bad;
mod collector;
mod common;
mod completions;
mod consistency;
mod diff;
mod docs;
mod export;
mod external;
mod flow;
mod follow;
mod formats;
mod fuzz_corpus;
mod list;
mod metrics;
mod redact;
mod shapes;
mod trace;
mod trace_analyze;
mod view;
mod view_tmux;
mod widths;
