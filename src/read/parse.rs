//! One entry parsed from its bytes: the scanner's fast path (`scan`) for entries as writers
//! write them, serde_json's derive on the model types for anything else, and for every error.

use super::scan;
use crate::model::{Hook, TraceEntry};

/// How much of an entry to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parse {
    /// Everything, state data included.
    #[default]
    Full,
    /// All but the state's `data` (in `state` and in `agent_result.output_state`), which is
    /// skipped unread and left `None`: for commands that need hooks, agents, times, errors and
    /// routes but not the data (most of a trace's bytes). Meta is read.
    Light,
}

impl<'a> TraceEntry<'a> {
    /// Parses one entry from the bytes of one JSON object.
    pub fn parse(bytes: &'a [u8]) -> Result<TraceEntry<'a>, serde_json::Error> {
        Self::parse_with(bytes, Parse::Full)
    }

    /// Parses one entry, as much of it as `parse` says. Entries as writers write them take a
    /// fast path (`read::scan`); anything else, and every error, is serde_json's.
    pub fn parse_with(bytes: &'a [u8], parse: Parse) -> Result<TraceEntry<'a>, serde_json::Error> {
        let mut entry = TraceEntry::blank();
        Self::parse_into(bytes, parse, &mut entry).map(|()| entry)
    }

    /// Parses one entry into `entry`, which must be [`blank`](Self::blank), as
    /// [`parse_with`](Self::parse_with) does: for a caller that has a place for the entry
    /// already (the reader's threads, which parse a batch of entries into one vector), so that
    /// the entry is written there rather than copied there (it is hundreds of bytes, and
    /// entries are millions). On an error, `entry` is left partly written.
    pub(crate) fn parse_into(
        bytes: &'a [u8],
        parse: Parse,
        entry: &mut TraceEntry<'a>,
    ) -> Result<(), serde_json::Error> {
        if scan::parse_into(bytes, parse, entry).is_none() {
            *entry = Self::parse_with_serde(bytes)?;
            if parse == Parse::Light {
                for state in [
                    entry.state.as_mut(),
                    entry
                        .agent_result
                        .as_mut()
                        .and_then(|r| r.output_state.as_mut()),
                ]
                .into_iter()
                .flatten()
                {
                    state.data = None;
                }
            }
        }
        if entry.hook == Hook::Missing {
            entry.hook = Hook::from_kind(&entry.kind);
        }
        Ok(())
    }

    /// The whole entry by serde_json's derive: the reference the fast path agrees with (the
    /// fuzz targets check that it does, on any input).
    pub fn parse_with_serde(bytes: &'a [u8]) -> Result<TraceEntry<'a>, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
