//! Compact storage for what the flow view keeps for a whole session: event ids packed in one
//! buffer (a UUID in 16 bytes), and messages kept once each (indexed by number only, with
//! hashbrown's `HashTable`, so that a text is not held twice). A long session has hundreds of
//! thousands of hops; this is what keeps them within a few tens of bytes each.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::borrow::Cow;
use std::hash::BuildHasher;

/// How an id is stored: its text, or the 16 bytes of a lowercase UUID.
const TEXT: u8 = 0;
const UUID: u8 = 1;

/// Event ids, each stored once, numbered in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct EventIds {
    bytes: Vec<u8>,
    /// Where each id ends in `bytes`. Ids past 4 GiB of them are stored empty: memory would
    /// run out long before a real trace gets there.
    ends: Vec<u32>,
}

impl EventIds {
    /// Adds an id; it is number `len()` before the call.
    pub fn push(&mut self, id: &str) {
        let start = self.bytes.len();
        match uuid_bytes(id) {
            Some(raw) => {
                self.bytes.push(UUID);
                self.bytes.extend_from_slice(&raw);
            }
            None => {
                self.bytes.push(TEXT);
                self.bytes.extend_from_slice(id.as_bytes());
            }
        }
        let end = u32::try_from(self.bytes.len()).unwrap_or_else(|_| {
            self.bytes.truncate(start);
            u32::try_from(start).unwrap_or(u32::MAX)
        });
        self.ends.push(end);
    }

    /// Id number `i` (empty if there is none).
    pub fn get(&self, i: u32) -> Cow<'_, str> {
        let i = i as usize;
        let Some(&end) = self.ends.get(i) else {
            return Cow::Borrowed("");
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        match self.bytes.get(start..end as usize) {
            Some([UUID, raw @ ..]) => Cow::Owned(uuid_text(raw)),
            Some([TEXT, text @ ..]) => String::from_utf8_lossy(text),
            _ => Cow::Borrowed(""),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// The 16 bytes of a UUID written as the writer writes them (lowercase, hyphenated), so that
/// writing them back gives the same text.
fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let b = id.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|&&c| c != b'-');
    for byte in &mut out {
        let (high, low) = (digits.next()?, digits.next()?);
        *byte = (hex_value(*high)? << 4) | hex_value(*low)?;
    }
    Some(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn uuid_text(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, byte) in raw.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 0xf)] as char);
    }
    out
}

/// Messages, each kept once and numbered.
#[derive(Debug, Default)]
pub(crate) struct Messages {
    texts: Vec<Box<str>>,
    /// Message numbers by text (the text is in `texts`, so each is held once).
    index: HashTable<u32>,
    hasher: RandomState,
}

impl Messages {
    /// The message's number, given now if it is new.
    pub fn intern(&mut self, message: &str) -> u32 {
        let Messages {
            texts,
            index,
            hasher,
        } = self;
        let text = |n: &u32| texts.get(*n as usize).map_or("", |t| &**t);
        let hash = hasher.hash_one(message);
        if let Some(&n) = index.find(hash, |n| text(n) == message) {
            return n;
        }
        let n = u32::try_from(texts.len()).unwrap_or(u32::MAX);
        texts.push(message.into());
        index.insert_unique(hash, n, |n| {
            hasher.hash_one(texts.get(*n as usize).map_or("", |t| &**t))
        });
        n
    }

    /// Message number `n`.
    pub fn get(&self, n: u32) -> Option<&str> {
        self.texts.get(n as usize).map(|m| &**m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_as_they_went_in() {
        let ids = [
            "1f78e6e6-beb2-4c3a-9d1e-000000000001",
            "1F78E6E6-BEB2-4C3A-9D1E-000000000001",
            "1f78e6e6-beb2-4c3a-9d1e-00000000000g",
            "1f78e6e6beb2-4c3a-9d1e-0000000000011",
            "req-17461596-planner",
            "",
            "日本語のイベント",
        ];
        let mut store = EventIds::default();
        for id in ids {
            store.push(id);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(store.get(i as u32), *id);
        }
        assert_eq!(store.get(99), "");
        // A UUID takes its 16 bytes and a tag.
        assert_eq!(store.ends[0], 17);
    }

    #[test]
    fn messages_are_kept_once() {
        let mut messages = Messages::default();
        assert_eq!(messages.intern("timeout"), 0);
        assert_eq!(messages.intern("boom"), 1);
        assert_eq!(messages.intern("timeout"), 0);
        assert_eq!(
            (messages.get(0), messages.get(1)),
            (Some("timeout"), Some("boom"))
        );
        assert_eq!(messages.get(2), None);
    }
}
