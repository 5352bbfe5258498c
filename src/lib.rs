//! agentcli: read and analyse the execution traces of multi-agent systems.
//!
//! The library does all the work and writes into `&mut dyn Write`; `main.rs` only parses
//! arguments, decides colour and width, and turns results into exit codes.
//!
//! The modules below are a map of the house, from the ground floor up: each imports only
//! modules above it in the list (or beside it on its floor, as `cmd` imports `cli`), never
//! one that imports it back.
//!
//! What is public, and why: the binary needs `cli` and `cmd`. The rest of what is `pub` is the
//! surface that the fuzz targets (`fuzz/src/lib.rs`, whose checks `tests/cli/fuzz_corpus.rs`
//! also runs over the committed corpus), the criterion benchmarks (`crates/bench`) and the
//! integration tests drive directly, without the command line in between: the reader and its
//! framer, the model, the filter, the redactor, the analyses, the exports and the terminal
//! views. It is not a stable API (agentcli is published as a command, not a library). Modules
//! that only the commands use (`follow`, `report`) are private, as are the formats behind
//! `export::Exporter` and the helpers of the views.
//!
//! Whatever a trace holds, nothing here panics on it: `unwrap`, `expect` and `panic!` are
//! refused outside tests (each exception says why it cannot fail), and damaged input becomes a
//! reported problem.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented
)]

// The ground floor: `text`, then leaves that use nothing of the crate but `text`.
// Trace text made safe and measured for a terminal.
pub mod text;
// Sizes and durations as people read them.
pub mod units;
// The library's typed errors, naming the file or argument concerned.
pub mod error;
// Timestamps, the zones they are shown in, and `--since`/`--until` times.
pub mod time;
// Raw JSON as bytes: where strings end, an object's keys, compact and indented layout.
pub mod json;

// The data: a trace entry, typed and borrowed from its bytes; the state merge. No parsing.
pub mod model;

// Reading: the one reader (framing, parsing) and the view trait the read loop feeds.
pub mod read;

// What went wrong in a file, and what a file holds.
// Problems in the input, reported on stderr without flooding it.
mod report;
// What a file holds, for `list` and `latest`: its head, or the whole file.
pub mod summary;

// What the commands select and show with.
// Trace files in a directory, the one `latest` rule, and what a session argument names.
pub mod session;
// The one `--filter` language.
pub mod filter;
// Secret-looking state values replaced before anything shows them.
pub mod redact;

// Understanding: runs, routes, durations, critical paths and diffs; pure, no I/O.
pub mod analysis;

// Output and live reading.
// Machine formats: JSON, JSON Lines, CSV, OTLP (the document and OTLP/HTTP).
pub mod export;
// Terminal views: tables, timelines, flows and diagrams. Never imports `export`.
pub mod render;
// `--follow`: watch the directory, feed what a file gains to the reader.
mod follow;
// `agentcli view`: the interactive terminal viewer.
pub mod view;

// The commands.
// The command line as clap parses it.
pub mod cli;
// One file per subcommand: typed options from the command line, then the run.
pub mod cmd;
