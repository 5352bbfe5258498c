//! agentcli: read and analyse the execution traces of multi-agent systems.
//!
//! The library does all the work and writes into `&mut dyn Write`; `main.rs` only parses
//! arguments, decides colour and width, and turns results into exit codes.
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

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod export;
pub mod filter;
pub mod follow;
pub mod json;
pub mod model;
pub mod read;
pub mod redact;
pub mod render;
pub mod report;
pub mod session;
pub mod summary;
pub mod text;
pub mod time;
pub mod units;
