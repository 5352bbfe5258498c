//! The fast path of entry parsing: a hand-written scanner for entries as writers write them.
//!
//! serde_json's derive spends most of an entry's time in generic machinery and in validating
//! state it is then asked to keep raw. This scanner reads the fields of [`TraceEntry`] directly
//! and skips what it does not keep with a 16-bytes-at-a-time string scan; when `Parse::Light` is
//! asked for, it skips state `data` (most of a trace's bytes: LLM output) without building it.
//!
//! It gives up (returns `None`) on anything it does not fully handle: escaped strings where a
//! value is kept, non-integer numbers, duplicate fields, wrong types, invalid JSON. The caller
//! then parses the entry with serde_json, so results and error messages are serde_json's in
//! every case the scanner does not cover, and identical in the cases it does. The one
//! difference is in what `Parse::Light` skips: skipped data is found by its brackets, quotes
//! and escapes alone (valid data is skipped exactly; a raw control character in one of its
//! strings, or a missing comma inside it, is not an error). (And a state value nested over a
//! hundred levels deep, which serde_json refuses as too deep for the whole entry, is read
//! here.)

use super::Parse;
use crate::json::brackets::string_special;
use crate::model::{AgentResult, Hook, State, TraceEntry, UnreadData, may_name_metric};
use crate::time::Timestamp;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Parses `bytes` (one JSON object) if it is in the shape the fast path covers.
#[cfg(test)]
fn parse(bytes: &[u8], parse: Parse) -> Option<TraceEntry<'_>> {
    let mut entry = TraceEntry::blank();
    parse_into(bytes, parse, &mut entry).map(|()| entry)
}

/// Parses `bytes` (one JSON object) into `entry`, which is blank ([`TraceEntry::blank`]), if
/// it is in the shape the fast path covers; when it is not, `entry` is left partly written.
pub(crate) fn parse_into<'a>(
    bytes: &'a [u8],
    parse: Parse,
    entry: &mut TraceEntry<'a>,
) -> Option<()> {
    let mut s = Scanner {
        b: bytes,
        i: 0,
        keep_data: parse == Parse::Full,
        keep_output_bytes: parse == Parse::Metrics,
        // One SIMD check of the whole entry costs less than checking each kept string on its
        // own (about twenty an entry), even in `Parse::Light`, which skips most bytes unread.
        text: simdutf8::basic::from_utf8(bytes).ok(),
    };
    s.entry(entry)?;
    s.ws();
    (s.i == bytes.len()).then_some(())
}

/// serde_json's nesting limit: deeper values are left to it (and its error).
const MAX_DEPTH: u32 = 127;

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    keep_data: bool,
    /// Keep the bytes of an output state's data that is skipped (`Parse::Metrics`).
    keep_output_bytes: bool,
    /// The entry as text, when all of it is UTF-8 (one check, rather than one for each string
    /// kept and each raw value); else strings are checked one by one.
    text: Option<&'a str>,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next significant byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Moves to the next `"`, `\` or control character inside a string (16 bytes at a time:
    /// [`string_special`]).
    fn next_special_in_string(&mut self) -> Option<u8> {
        self.i = string_special(self.b, self.i)?;
        Some(self.b[self.i])
    }

    /// Skips a string (at its opening quote), checking its escapes; whether it had any.
    fn skip_string(&mut self) -> Option<bool> {
        self.i += 1;
        let mut escaped = false;
        loop {
            match self.next_special_in_string()? {
                b'"' => {
                    self.i += 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            // Like serde_json when it skips or keeps a value raw, surrogate
                            // pairing is not checked here (kept strings have no escapes).
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                // A raw control character: invalid JSON.
                _ => return None,
            }
        }
    }

    /// A string without escapes, borrowed (at its opening quote).
    fn plain_str(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        if self.skip_string()? {
            return None;
        }
        match self.text {
            Some(text) => text.get(start..self.i - 1),
            None => std::str::from_utf8(&self.b[start..self.i - 1]).ok(),
        }
    }

    /// Skips a string (at its opening quote) by its quotes and escapes alone: for values that
    /// are skipped unread (`Parse::Light` data), whose characters are not checked.
    fn skip_string_unchecked(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            self.i += memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
            if self.b[self.i] == b'"' {
                self.i += 1;
                return Some(());
            }
            self.i += 2;
        }
    }

    /// Skips a value that is not read (`Parse::Light` data): a string by its quotes and
    /// escapes, an object or array by its own kind of bracket outside strings and escapes (in
    /// valid JSON the other kind pairs up inside it), 64 bytes at a time
    /// ([`crate::json::brackets`]). What lies between is not checked: valid JSON is skipped
    /// exactly, damage inside may go unseen. Scalars are checked.
    fn skip_unread(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string_unchecked(),
            b'{' | b'[' => {
                self.i = crate::json::brackets::container_end(self.b, self.i)?;
                Some(())
            }
            _ => self.skip_value(2),
        }
    }

    /// Skips any JSON value, checking its syntax.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string().map(drop),
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.skip_string()?;
                    self.eat(b':')?;
                    self.skip_value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    /// A JSON number, checked against the grammar; its value when it is an integer that an
    /// f64 holds exactly (other numbers are left to serde_json's own conversion).
    fn number(&mut self) -> Option<Option<f64>> {
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        // serde_json reads `-0` as -0.0: negative values are left to it.
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let digits_from = i;
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let integer_digits = i - digits_from;
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let from = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == from {
                return None;
            }
        }
        self.i = i;
        if negative || !integer || integer_digits > 15 {
            return Some(None);
        }
        // At most 15 digits (checked above): no overflow, and exact in an f64.
        let n = b[start..i]
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        Some(Some(n as f64))
    }

    /// A string field (serde's `text`): borrowed, `null` as empty.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        match self.peek()? {
            b'"' => self.plain_str().map(Cow::Borrowed),
            b'n' => self.literal(b"null").map(|()| Cow::Borrowed("")),
            _ => None,
        }
    }

    fn non_empty_text(&mut self) -> Option<Option<Cow<'a, str>>> {
        self.text().map(|s| (!s.is_empty()).then_some(s))
    }

    /// A number or `null`, as serde reads an `Option<f64>`.
    fn optional_number(&mut self) -> Option<Option<f64>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        self.number()?.map(Some)
    }

    /// The raw JSON of the value here, checked as serde_json checks it: by this scanner's own
    /// skip when the entry is known to be UTF-8 (the value is then handed to serde_json as
    /// known valid, not checked a second time), else by serde_json.
    fn raw(&mut self) -> Option<&'a RawValue> {
        self.ws();
        if let Some(text) = self.text {
            let start = self.i;
            // Counted from the value, as serde_json counts depth when it reads a value alone.
            self.skip_value(0)?;
            return crate::json::known_valid(text.get(start..self.i)?);
        }
        let mut de = serde_json::Deserializer::from_slice(self.b.get(self.i..)?);
        let raw: &'a RawValue = serde::Deserialize::deserialize(&mut de).ok()?;
        self.i += raw.get().len();
        Some(raw)
    }

    /// An object's members: `member` is called with each key, positioned at its value, and
    /// must consume the value. Keys with escapes are left to serde_json.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.i + 1;
            if self.skip_string()? {
                return None;
            }
            let key = &self.b[start..self.i - 1];
            // serde_json reads field names as text: invalid UTF-8 is its error.
            if self.text.is_none() && !key.is_ascii() && std::str::from_utf8(key).is_err() {
                return None;
            }
            self.eat(b':')?;
            self.ws();
            member(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips an output state's data as [`skip_unread`](Self::skip_unread) does, marking the
    /// top-level keys that may name a metric as it passes them (`Parse::Metrics`): a string at
    /// the object's first level followed by `:` is one of its keys.
    fn skip_output_data(&mut self) -> Option<UnreadData<'a>> {
        let start = self.i;
        if self.b.get(start) != Some(&b'{') {
            self.skip_unread()?;
            // Not an object: no keys to mark.
            let mut data = UnreadData::default();
            data.bytes = self.b.get(start..self.i)?;
            return Some(data);
        }
        let mut data = UnreadData::default();
        let mut depth = 0usize;
        loop {
            self.i += memchr::memchr3(b'"', b'{', b'}', self.b.get(self.i..)?)?;
            match self.b[self.i] {
                b'"' => {
                    let key = self.i;
                    self.skip_string_unchecked()?;
                    if depth == 1
                        && self.peek() == Some(b':')
                        && may_name_metric(&self.b[key + 1..self.i - 1])
                    {
                        data.mark(key - start);
                    }
                }
                b'{' => {
                    self.i += 1;
                    depth += 1;
                }
                _ => {
                    self.i += 1;
                    depth -= 1;
                    if depth == 0 {
                        data.bytes = self.b.get(start..self.i)?;
                        return Some(data);
                    }
                }
            }
        }
    }

    /// `state` or `output_state`: an object, or `null`. `unread` is where an output state
    /// keeps its data's bytes with `Parse::Metrics`.
    fn state(&mut self, unread: Option<&mut Option<UnreadData<'a>>>) -> Option<Option<State<'a>>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        let mut state = State::default();
        let mut seen = Seen::default();
        let keep_data = self.keep_data;
        let mut unread = unread.filter(|_| self.keep_output_bytes);
        self.members(|s, key| match key {
            b"data" => {
                seen.first(0)?;
                state.data = if s.peek()? == b'n' {
                    s.literal(b"null")?;
                    None
                } else if keep_data {
                    Some(s.raw()?)
                } else if let Some(unread) = unread.as_deref_mut() {
                    *unread = Some(s.skip_output_data()?);
                    None
                } else {
                    s.skip_unread()?;
                    None
                };
                Some(())
            }
            b"meta" => {
                seen.first(1)?;
                state.meta = if s.peek()? == b'n' {
                    s.literal(b"null")?;
                    None
                } else {
                    Some(s.raw()?)
                };
                Some(())
            }
            _ => s.skip_value(2),
        })?;
        Some(Some(state))
    }

    /// A result's start or end time (serde's `optional_timestamp`).
    fn optional_timestamp(&mut self) -> Option<Option<Timestamp>> {
        Some(
            self.non_empty_text()?
                .and_then(|s| Timestamp::parse_rfc3339(&s))
                .filter(|t| !t.is_go_zero()),
        )
    }

    fn agent_result(&mut self) -> Option<Option<AgentResult<'a>>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        let mut result = AgentResult::default();
        let mut seen = Seen::default();
        self.members(|s, key| {
            match key {
                b"duration_ms" => {
                    seen.first(0)?;
                    result.duration_ms = s.optional_number()?.unwrap_or_default();
                }
                b"start_time" => {
                    seen.first(1)?;
                    result.start_time = s.optional_timestamp()?;
                }
                b"end_time" => {
                    seen.first(2)?;
                    result.end_time = s.optional_timestamp()?;
                }
                b"error" => {
                    seen.first(3)?;
                    result.error = s.non_empty_text()?;
                }
                b"output_state" => {
                    seen.first(4)?;
                    result.output_state = s.state(Some(&mut result.unread_data))?;
                }
                _ => s.skip_value(1)?,
            }
            Some(())
        })?;
        Some(Some(result))
    }

    /// The entry, written into `e` (blank) where it is.
    fn entry(&mut self, e: &mut TraceEntry<'a>) -> Option<()> {
        let mut timestamp = None;
        let mut seen = Seen::default();
        self.members(|s, key| {
            match key {
                b"timestamp" => {
                    seen.first(0)?;
                    if s.peek()? != b'"' {
                        return None;
                    }
                    timestamp = Some(Timestamp::parse_rfc3339(s.plain_str()?)?);
                }
                b"type" => {
                    seen.first(1)?;
                    e.kind = s.text()?;
                }
                b"event_id" => {
                    seen.first(2)?;
                    e.event_id = s.text()?;
                }
                b"session_id" => {
                    seen.first(3)?;
                    e.session_id = s.text()?;
                }
                b"agent_id" => {
                    seen.first(4)?;
                    e.agent_id = s.text()?;
                }
                b"state" => {
                    seen.first(5)?;
                    e.state = s.state(None)?;
                }
                b"error" => {
                    seen.first(6)?;
                    e.error = s.non_empty_text()?;
                }
                b"hook" => {
                    seen.first(7)?;
                    e.hook = Hook::from_name(s.text()?);
                }
                b"target_agent_id" => {
                    seen.first(8)?;
                    e.target_agent_id = s.text()?;
                }
                b"source_agent_id" => {
                    seen.first(9)?;
                    e.source_agent_id = s.text()?;
                }
                b"agent_result" => {
                    seen.first(10)?;
                    e.agent_result = s.agent_result()?;
                }
                b"duration" => {
                    seen.first(11)?;
                    e.duration_ns = s.optional_number()?;
                }
                b"duration_ms" => {
                    seen.first(12)?;
                    e.stated_duration_ms = s.optional_number()?;
                }
                _ => s.skip_value(1)?,
            }
            Some(())
        })?;
        e.timestamp = timestamp?;
        Some(())
    }
}

/// Fields of an object seen so far: a second one is serde's "duplicate field" error.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first(&mut self, field: u32) -> Option<()> {
        let bit = 1 << field;
        let first = self.0 & bit == 0;
        self.0 |= bit;
        first.then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json's derive makes of an entry, for comparison.
    fn by_serde(bytes: &[u8]) -> Option<String> {
        TraceEntry::parse_with_serde(bytes)
            .ok()
            .map(|e| format!("{e:?}"))
    }

    fn by_scanner(bytes: &[u8], how: Parse) -> Option<String> {
        parse(bytes, how).map(|e| format!("{e:?}"))
    }

    #[test]
    fn the_scanner_agrees_with_serde_on_every_fixture_entry() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (mut covered, mut entries) = (0, 0);
        for name in [
            "req-17461590.trace.json",
            "req-17461591.trace.json",
            "req-20000001.trace.json",
            "req-30000001.trace.json",
        ] {
            let bytes = std::fs::read(root.join(name)).unwrap();
            let mut framer = crate::read::framer::Framer::new();
            framer.push(&bytes);
            while let Some(event) = framer.next_event() {
                if let crate::read::framer::FrameEvent::Entry { range, .. } = event {
                    let entry = &bytes[range];
                    entries += 1;
                    if let Some(fast) = by_scanner(entry, Parse::Full) {
                        assert_eq!(Some(fast), by_serde(entry));
                        covered += 1;
                    }
                }
            }
        }
        assert_eq!(
            covered, entries,
            "the fast path covers the writer's entries"
        );
    }

    #[test]
    fn odd_entries_are_left_to_serde_or_read_alike() {
        let cases: &[&[u8]] = &[
            br#"{"timestamp":"2025-05-02T14:32:15Z","agent_id":"a\"b"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","agent_id":7}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","agent_id":"a","agent_id":"b"}"#,
            br#"{"timestamp":"yesterday"}"#,
            br#"{"timestamp":1714640535}"#,
            br#"{"hook":"AfterAgentRun"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","x":[1,2,{"y":null}],"z":-0.5e3}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","x":01}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","x":"tab	raw"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","x":"\ud83d\ude80"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","x":"\q"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","state":null,"agent_result":null}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","state":{"data":null,"meta":{"route":"b"}}}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","state":{"data":{"a":1},"data":{}}}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","state":[1]}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","agent_result":{"duration_ms":1.5}}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","agent_result":{"duration_ms":null,"start_time":"x","end_time":null,"error":""}}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","duration":1500000,"hook":null,"type":"agent_end"}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","duration_ms":12,"duration_ms":13}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","duration_ms":12.5}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z"} x"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z",}"#,
            br#"{"timestamp":"2025-05-02T14:32:15Z","a":tru}"#,
            b"{\"timestamp\":\"2025-05-02T14:32:15Z\",\"a\":\"\xff\"}",
        ];
        for case in cases {
            if let Some(fast) = by_scanner(case, Parse::Full) {
                assert_eq!(
                    Some(fast),
                    by_serde(case),
                    "{}",
                    String::from_utf8_lossy(case)
                );
            }
        }
        // Plain entries are covered.
        assert!(by_scanner(cases[6], Parse::Full).is_some());
        assert!(by_scanner(cases[11], Parse::Full).is_some());
        assert!(by_scanner(cases[12], Parse::Full).is_some());
        assert!(by_scanner(cases[17], Parse::Full).is_some());
        let stated = parse(
            br#"{"timestamp":"2025-05-02T14:32:15Z","duration_ms":12}"#,
            Parse::Full,
        );
        assert_eq!(stated.unwrap().stated_duration_ms, Some(12.0));
    }

    /// Every entry of a generated session (states filled, as the in-memory tracer does).
    fn generated_entries() -> Vec<Vec<u8>> {
        static ENTRIES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        ENTRIES.get_or_init(generate_entries).clone()
    }

    fn generate_entries() -> Vec<Vec<u8>> {
        use agentcli_synth::{EPOCH_UNIX_NANOS, Ending, Rng, SessionSpec, write_session};
        let spec = SessionSpec {
            id: "req-1".to_owned(),
            target_bytes: 300_000,
            ending: Ending::Open,
            start_unix_nanos: EPOCH_UNIX_NANOS,
            offset_secs: 19_800,
            with_state: true,
        };
        let mut bytes = Vec::new();
        write_session(&mut bytes, &mut Rng::new(5), &spec).unwrap();
        let mut framer = crate::read::framer::Framer::new();
        framer.push(&bytes);
        let mut entries = Vec::new();
        while let Some(event) = framer.next_event() {
            if let crate::read::framer::FrameEvent::Entry { range, .. } = event {
                entries.push(bytes[range].to_vec());
            }
        }
        entries
    }

    #[test]
    fn the_scanner_agrees_with_serde_on_generated_entries() {
        let entries = generated_entries();
        let covered = entries
            .iter()
            .filter_map(|entry| {
                let fast = by_scanner(entry, Parse::Full)?;
                assert_eq!(Some(fast), by_serde(entry));
                let light = parse(entry, Parse::Light).unwrap();
                let full = TraceEntry::parse_with_serde(entry).unwrap();
                assert_eq!(light.route(), full.route());
                assert_eq!(light.error_message(), full.error_message());
                Some(())
            })
            .count();
        // Entries with an escaped error message are left to serde_json.
        assert!(
            covered * 100 > entries.len() * 95,
            "{covered} of {}",
            entries.len()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]

        /// Damage anywhere in an entry: the scanner gives up, or reads what serde_json reads.
        #[test]
        fn damaged_entries_are_read_as_serde_reads_them(
            which in 0usize..200,
            at in 0usize..100_000,
            byte in proptest::sample::select(b"\"{}[],:0-.eEtnu \n\tx\x01\xc3".to_vec()),
        ) {
            let entries = generated_entries();
            let mut entry = entries[which % entries.len()].clone();
            let at = at % entry.len();
            entry[at] = byte;
            if let Some(fast) = by_scanner(&entry, Parse::Full) {
                proptest::prop_assert_eq!(Some(fast), by_serde(&entry));
            }
            // Light reads what serde_json reads, less the data (and may accept damage inside
            // the data it skips).
            if let (Some(light), Ok(mut full)) = (parse(&entry, Parse::Light), TraceEntry::parse_with_serde(&entry)) {
                for state in [full.state.as_mut(), full.agent_result.as_mut().and_then(|r| r.output_state.as_mut())].into_iter().flatten() {
                    state.data = None;
                }
                proptest::prop_assert_eq!(format!("{light:?}"), format!("{full:?}"));
            }
        }
    }

    #[test]
    fn light_parsing_finds_the_end_of_data_whatever_it_holds() {
        for data in [
            r#"{"a":[{"b":"}]"},[[]],{}],"c":"\"}","d":{"e":[1,{"f":null}]}}"#,
            r#"[{"x":"]"},"[",[{}]]"#,
            r#""}{\\""#,
            "{\n        \"t\": [\n          {\"u\": 1}\n        ]\n      }",
            "12.5e3",
            "true",
        ] {
            let entry = format!(
                r#"{{"timestamp":"2025-05-02T14:32:15Z","state":{{"data":{data},"meta":{{"route":"r"}}}},"agent_id":"a"}}"#
            );
            let light = parse(entry.as_bytes(), Parse::Light).unwrap();
            assert_eq!(light.route().as_deref(), Some("r"), "{data}");
            assert_eq!(light.agent_id, "a", "{data}");
            assert_eq!(format!("{light:?}"), {
                let mut full = parse(entry.as_bytes(), Parse::Full).unwrap();
                full.state.as_mut().unwrap().data = None;
                format!("{full:?}")
            });
        }
    }

    #[test]
    fn light_parsing_skips_state_data_only() {
        let entry = br#"{"timestamp":"2025-05-02T14:32:15Z","hook":"AfterAgentRun",
            "state":{"data":{"in":"x"},"meta":{"k":"v"}},
            "agent_result":{"output_state":{"data":{"text":"long \"llm\" output"},"meta":{"route":"b"}}}}"#;
        let e = parse(entry, Parse::Light).unwrap();
        assert_eq!(e.route().as_deref(), Some("b"));
        assert_eq!(e.meta("k").as_deref(), Some("v"));
        assert!(e.state.unwrap().data.is_none());
        assert!(e.output_state().unwrap().data.is_none());
        let full = parse(entry, Parse::Full).unwrap();
        assert_eq!(
            full.output_state().unwrap().data.unwrap().get(),
            r#"{"text":"long \"llm\" output"}"#
        );
    }
}
