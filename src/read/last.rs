//! The last entries read (`--tail N`): the newest N kept as their bytes, the older dropped as
//! newer ones come, so memory holds N entries whatever the file's size.

use super::Entry;
use super::framer::Position;
use crate::model::TraceEntry;
use std::collections::VecDeque;
use std::io;

/// Holds the last `limit` entries pushed, to be shown once the input has been read.
#[derive(Debug)]
pub struct LastEntries {
    limit: usize,
    held: VecDeque<Held>,
}

#[derive(Debug)]
struct Held {
    bytes: Vec<u8>,
    at: Position,
    index: u64,
}

impl LastEntries {
    /// Keeps at most `limit` entries.
    pub fn new(limit: u64) -> LastEntries {
        LastEntries {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            held: VecDeque::new(),
        }
    }

    /// Keeps `entry`, dropping the oldest held when there are `limit` already.
    pub fn push(&mut self, entry: &Entry<'_>) {
        if self.limit == 0 {
            return;
        }
        let mut held = if self.held.len() >= self.limit {
            // Reuses the oldest entry's buffer.
            self.held.pop_front().unwrap_or_else(Held::empty)
        } else {
            Held::empty()
        };
        held.bytes.clear();
        held.bytes.extend_from_slice(entry.bytes);
        held.at = entry.at;
        held.index = entry.index;
        self.held.push_back(held);
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Passes the held entries to `each`, oldest first, and forgets them.
    pub fn drain(&mut self, mut each: impl FnMut(&Entry<'_>) -> io::Result<()>) -> io::Result<()> {
        for held in self.held.drain(..) {
            // These bytes parsed once already, when they were read.
            if let Ok(entry) = TraceEntry::parse(&held.bytes) {
                each(&Entry {
                    entry,
                    bytes: &held.bytes,
                    at: held.at,
                    index: held.index,
                })?;
            }
        }
        Ok(())
    }
}

impl Held {
    fn empty() -> Held {
        Held {
            bytes: Vec::new(),
            at: Position::default(),
            index: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::TraceReader;
    use std::path::Path;

    fn agents_of_last(limit: u64, input: &'static [u8]) -> Vec<(u64, String)> {
        let mut reader = TraceReader::from_source(Path::new("t"), input).unwrap();
        let mut last = LastEntries::new(limit);
        while let Some(Ok(entry)) = reader.next_entry() {
            last.push(&entry);
        }
        let mut out = Vec::new();
        last.drain(|e| {
            out.push((e.index, e.entry.agent_id.to_string()));
            Ok(())
        })
        .unwrap();
        assert!(last.is_empty());
        out
    }

    const FIVE: &[u8] = br#"{"timestamp":"2025-05-02T14:32:15Z","agent_id":"a"}
{"timestamp":"2025-05-02T14:32:16Z","agent_id":"b"}
{"timestamp":"2025-05-02T14:32:17Z","agent_id":"c"}
{"timestamp":"2025-05-02T14:32:18Z","agent_id":"d"}
{"timestamp":"2025-05-02T14:32:19Z","agent_id":"e"}
"#;

    #[test]
    fn keeps_the_newest_in_order() {
        let got = agents_of_last(2, FIVE);
        assert_eq!(got, [(4, "d".to_owned()), (5, "e".to_owned())]);
        assert_eq!(agents_of_last(9, FIVE).len(), 5);
        assert!(agents_of_last(0, FIVE).is_empty());
    }
}
