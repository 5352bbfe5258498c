//! Integration tests: the built binary run as a user runs it, on copies of the fixtures.

mod analyze;
mod common;
mod completions;
mod flow;
mod list;
mod shapes;
mod trace;
mod trace_analyze;
