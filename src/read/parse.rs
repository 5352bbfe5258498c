//! One entry parsed from its bytes: the scanner's fast path (`scan`) for entries as writers
//! write them, serde_json's derive on the model types for anything else, and for every error;
//! and the repair of an entry that only invalid UTF-8 in a string keeps from parsing.

use super::framer::Position;
use super::scan;
use crate::model::{Hook, TraceEntry, UnreadData};

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
    /// As `Light`, but the bytes of an output state's data (`agent_result.output_state`:
    /// where runs report their tokens and cost) are kept as found, unchecked, with the keys
    /// that may name a metric marked, in
    /// [`AgentResult::unread_data`](crate::model::AgentResult::unread_data): for the metrics,
    /// which read a few of its keys from them.
    Metrics,
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
            if parse != Parse::Full {
                if let Some(state) = entry.state.as_mut() {
                    state.data = None;
                }
                if let Some(result) = entry.agent_result.as_mut() {
                    let data = result.output_state.as_mut().and_then(|s| s.data.take());
                    if parse == Parse::Metrics {
                        let bytes = data.map(|raw| raw.get().as_bytes());
                        result.unread_data = bytes.map(UnreadData::unmarked);
                    }
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

/// What a strict parse rejected for invalid UTF-8 in a string, made readable: the entry's
/// bytes with each invalid sequence replaced by U+FFFD, as `String::from_utf8_lossy` does.
/// Only entries that fail to parse are looked at, so valid input pays nothing for it.
#[derive(Debug)]
pub(crate) struct Repair {
    pub bytes: Vec<u8>,
    /// Where the first invalid sequence is in the file (`at` being where the entry starts).
    pub at: Position,
}

/// What a repaired entry's problem says.
pub(crate) const REPAIRED: &str = "invalid UTF-8 in a string; shown as U+FFFD";

impl Repair {
    /// The repair of `bytes` (what was parsed: the entry as read, or as redaction changed
    /// it), which failed to parse; `original` is the entry as read, found at `at` in the file.
    /// `None` when `bytes` are valid UTF-8: the parse failed for another reason.
    pub(crate) fn of(bytes: &[u8], original: &[u8], at: Position) -> Option<Repair> {
        std::str::from_utf8(bytes).err()?;
        Some(Repair {
            bytes: String::from_utf8_lossy(bytes).into_owned().into_bytes(),
            // Redaction never makes invalid UTF-8, so the original has it too.
            at: Repair::first_invalid(original, at).unwrap_or(at),
        })
    }

    /// Where in the file the first invalid UTF-8 sequence of `original` (an entry found at
    /// `at`) is, if it has one. Redaction replaces a string that holds a secret with its
    /// text, U+FFFD and all, so an entry it changed is asked this even when it parses.
    pub(crate) fn first_invalid(original: &[u8], at: Position) -> Option<Position> {
        let offset = std::str::from_utf8(original).err()?.valid_up_to();
        let before = original.get(..offset).unwrap_or_default();
        Some(match memchr::memrchr(b'\n', before) {
            None => Position {
                line: at.line,
                column: at.column + offset as u64,
            },
            Some(newline) => Position {
                line: at.line + memchr::memchr_iter(b'\n', before).count() as u64,
                column: (offset - newline) as u64,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repair_replaces_each_bad_sequence_and_points_at_the_first() {
        let at = Position { line: 7, column: 3 };
        let one_line = b"{\"a\":\"x\xff\xfey\",\"b\":\"\xc3\"}";
        let repair = Repair::of(one_line, one_line, at).unwrap();
        assert_eq!(
            String::from_utf8(repair.bytes).unwrap(),
            "{\"a\":\"x\u{FFFD}\u{FFFD}y\",\"b\":\"\u{FFFD}\"}"
        );
        assert_eq!(
            repair.at,
            Position {
                line: 7,
                column: 10
            }
        );
        let lines = b"{\n  \"a\": 1,\n  \"b\": \"\xe2\x82\"\n}";
        let repair = Repair::of(lines, lines, at).unwrap();
        assert_eq!(repair.at, Position { line: 9, column: 9 });
        assert!(Repair::of(b"{\"a\":\"\xc3\xa9\"}", b"{}", at).is_none());
    }

    #[test]
    fn an_entry_with_invalid_utf8_parses_once_repaired() {
        let bytes = b"{\"timestamp\":\"2025-05-02T14:32:15Z\",\"agent_id\":\"a\xffb\",\"n\":[1,{\"k\":\"v\"}]}";
        assert!(TraceEntry::parse(bytes).is_err());
        let repair = Repair::of(bytes, bytes, Position::default()).unwrap();
        let entry = TraceEntry::parse(&repair.bytes).unwrap();
        assert_eq!(entry.agent_id, "a\u{FFFD}b");
    }
}
