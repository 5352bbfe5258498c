//! Raw JSON, read and laid out as bytes without building values: where a string ends (and the
//! word-at-a-time byte tests that find it fast), an object's keys and members, a value as text,
//! and valid JSON laid out again compact or indented with its strings and numbers exactly as
//! written (a serde round trip would rewrite numbers and escapes). The model, the reader's
//! scanner, the redactor, the exports and the terminal views all use these; there is no second
//! copy.

pub(crate) mod brackets;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

/// The keys of a JSON object as written, escapes and all (none for another value): the
/// decoded keys when they have no escapes. Values are skipped by their quotes and brackets
/// alone, without a parse: a `RawValue` is valid JSON.
pub fn object_keys(raw: &RawValue) -> impl Iterator<Item = &str> {
    let json = raw.get();
    let b = json.as_bytes();
    // At the `{`, then at the `,` or `}` after each member.
    let mut at = if json.starts_with('{') { 0 } else { b.len() };
    std::iter::from_fn(move || {
        if !matches!(b.get(at), Some(b'{' | b',')) {
            return None;
        }
        let start = at + memchr::memchr2(b'"', b'}', b.get(at + 1..)?)? + 1;
        if b[start] == b'}' {
            at = b.len();
            return None;
        }
        let end = string_end(b, start);
        at = member_end(b, end);
        json.get(start + 1..end - 1)
    })
}

/// The index just past the JSON string that starts with the quote at `start` (the end of the
/// input if it does not end).
pub(crate) fn string_end(raw: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &raw[i.min(raw.len())..]) {
        i += found;
        if raw[i] == b'\\' {
            i += 2;
        } else {
            return i + 1;
        }
    }
    raw.len()
}

/// The index of the `,` or `}` that ends the member whose value follows index `from` (past
/// the member's `:`). A nested object or array is skipped by counting its own kind of bracket
/// (in valid JSON the other kind pairs up inside it) outside strings ([`brackets`]).
pub(crate) fn member_end(b: &[u8], from: usize) -> usize {
    let is_space = |c: &u8| matches!(c, b':' | b' ' | b'\n' | b'\r' | b'\t');
    let Some(start) = b
        .iter()
        .skip(from)
        .position(|c| !is_space(c))
        .map(|p| from + p)
    else {
        return b.len();
    };
    let after = match b[start] {
        b'"' => string_end(b, start),
        b'{' | b'[' => brackets::container_end(b, start).unwrap_or(b.len()),
        _ => start,
    };
    memchr::memchr2(b',', b'}', &b[after.min(b.len())..]).map_or(b.len(), |p| after + p)
}

/// The members of a JSON object, values left raw. `null` (or no object) is empty.
pub fn members(raw: &RawValue) -> Result<Vec<(Cow<'_, str>, &RawValue)>, serde_json::Error> {
    if let Some(plain) = plain_members(raw.get()) {
        return Ok(plain);
    }
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.deserialize_option(MembersVisitor(&mut out))?;
    Ok(out)
}

/// [`members`] by the bytes alone, when no key has escapes: the values are parts of a
/// `RawValue`, valid JSON already, so they are found by their brackets and quotes and not
/// parsed again (serde_json would check every byte of every value once more). `None` for
/// anything else, which serde_json then reads.
fn plain_members(json: &str) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    let b = json.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    // At the `{`, then at the `,` after each member.
    let mut at = 0;
    loop {
        let start = at + 1 + memchr::memchr2(b'"', b'}', b.get(at + 1..)?)?;
        if b[start] == b'}' {
            return Some(out);
        }
        let end = string_end(b, start);
        let key = json.get(start + 1..end.checked_sub(1)?)?;
        if key.contains('\\') {
            return None;
        }
        let value = end
            + b.get(end..)?
                .iter()
                .position(|c| !is_space(*c) && *c != b':')?;
        at = member_end(b, end);
        let value_end = value + b.get(value..at)?.iter().rposition(|c| !is_space(*c))? + 1;
        out.push((
            Cow::Borrowed(key),
            known_valid(json.get(value..value_end)?)?,
        ));
        if b.get(at) != Some(&b',') {
            return Some(out);
        }
    }
}

/// `json`, which the caller knows to be one valid JSON value without surrounding whitespace (a
/// part of a `RawValue`, or checked by the reader's scanner), as a `RawValue`, without
/// serde_json checking it again. serde_json has no constructor for that, but its `RawValue`
/// deserializes from any serde format as a map of one member: its private marker as the key,
/// the JSON text as the value; that is what this hands it. Should serde_json ever change that,
/// the value is parsed and checked as usual (and a test says so).
pub(crate) fn known_valid(json: &str) -> Option<&RawValue> {
    use serde::Deserialize;
    use serde::de::value::{BorrowedStrDeserializer, MapDeserializer};
    const MARKER: &str = "$serde_json::private::RawValue";
    let member = (
        BorrowedStrDeserializer::<serde_json::Error>::new(MARKER),
        BorrowedStrDeserializer::<serde_json::Error>::new(json),
    );
    let map = MapDeserializer::new(std::iter::once(member));
    <&RawValue>::deserialize(map)
        .ok()
        .or_else(|| serde_json::from_str(json).ok())
}

/// A raw JSON value as text: a string's contents, or the JSON of anything else.
pub fn raw_text(raw: &RawValue) -> Cow<'_, str> {
    let json = raw.get();
    if json.starts_with('"') {
        let mut de = serde_json::Deserializer::from_str(json);
        if let Ok(s) = text(&mut de) {
            return s;
        }
    }
    Cow::Borrowed(json)
}

/// The start of a raw JSON value as text, for a shortened preview: like [`raw_text`], but a
/// string is decoded only as far as about its first `max_json_bytes` bytes of JSON (whole
/// characters and escapes), not all of a many-KB LLM output. The flag says the text goes on.
pub fn raw_text_prefix(raw: &RawValue, max_json_bytes: usize) -> (Cow<'_, str>, bool) {
    let json = raw.get();
    let b = json.as_bytes();
    if !json.starts_with('"') || json.len() <= max_json_bytes.saturating_add(2) {
        return (raw_text(raw), false);
    }
    // Walk to the cut, escape by escape; a high surrogate keeps its low half or goes.
    let limit = 1 + max_json_bytes;
    let (mut i, mut after_high_surrogate) = (1, None);
    while i < limit {
        if b[i] != b'\\' {
            i += 1;
            after_high_surrogate = None;
            continue;
        }
        let unicode = b.get(i + 1) == Some(&b'u');
        let len = if unicode { 6 } else { 2 };
        if i + len > limit {
            break;
        }
        let high = unicode
            && b.get(i + 2..i + 4).is_some_and(|h| {
                h[0].eq_ignore_ascii_case(&b'd') && matches!(h[1].to_ascii_lowercase(), b'8'..=b'b')
            });
        after_high_surrogate = high.then_some(i);
        i += len;
    }
    if let Some(start) = after_high_surrogate {
        i = start;
    }
    while !json.is_char_boundary(i) {
        i -= 1;
    }
    let mut cut = String::with_capacity(i + 1);
    cut.push_str(&json[..i]);
    cut.push('"');
    match text(&mut serde_json::Deserializer::from_str(&cut)) {
        Ok(s) => (Cow::Owned(s.into_owned()), true),
        Err(_) => (raw_text(raw), false),
    }
}

/// Finds `key` in a raw JSON object without building it; the value as text.
pub(crate) fn lookup<'a>(raw: &'a RawValue, key: &str) -> Option<Cow<'a, str>> {
    if let Some(found) = lookup_plain(raw.get(), key) {
        return found;
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    de.deserialize_option(LookupVisitor { key }).ok().flatten()
}

/// [`lookup`] by the bytes alone, for the common case (asked once per entry, for the route):
/// an object whose keys up to `key` have no escapes, and whose value for it is a string without
/// escapes. `None` when the JSON (valid, as a `RawValue` is) is not that plain: then serde_json
/// decodes it.
fn lookup_plain<'a>(json: &'a str, key: &str) -> Option<Option<Cow<'a, str>>> {
    let b = json.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    // At the `{`, then at the `,` after each member.
    let mut at = 0;
    loop {
        let start = at + 1 + memchr::memchr2(b'"', b'}', b.get(at + 1..)?)?;
        if b[start] == b'}' {
            return Some(None);
        }
        let end = string_end(b, start);
        let name = b.get(start + 1..end.checked_sub(1)?)?;
        if name.contains(&b'\\') {
            return None;
        }
        if name == key.as_bytes() {
            let value = end
                + b.get(end..)?
                    .iter()
                    .position(|c| !is_space(*c) && *c != b':')?;
            if b[value] != b'"' {
                return None;
            }
            let value_end = string_end(b, value);
            let text = json.get(value + 1..value_end.checked_sub(1)?)?;
            return (!text.contains('\\')).then_some(Some(Cow::Borrowed(text)));
        }
        at = member_end(b, end);
        if b.get(at) != Some(&b',') {
            return Some(None);
        }
    }
}

struct MembersVisitor<'o, 'a>(&'o mut Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key_seed(TextSeed)? {
            let value: &'a RawValue = map.next_value()?;
            self.0.push((key, value));
        }
        Ok(())
    }
}

struct LookupVisitor<'k> {
    key: &'k str,
}

impl<'de> Visitor<'de> for LookupVisitor<'_> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut found = None;
        while let Some(key) = map.next_key_seed(TextSeed)? {
            if found.is_none() && key == self.key {
                let value: &'de RawValue = map.next_value()?;
                found = Some(raw_text(value));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Deserializes a string, borrowed when it holds no escapes.
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(""))
    }
}

/// A string field, borrowed when possible; `null` reads as empty.
pub(crate) fn text<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Cow<'a, str>, D::Error> {
    d.deserialize_any(TextVisitor)
}

const INDENT: &[u8] = b"  ";
/// Raw values nested deeper than this are written compact, on one line: indentation grows with
/// depth, so a value nested thousands of levels deep would otherwise take the square of its
/// size to write.
pub(crate) const MAX_INDENT_DEPTH: usize = 32;

/// How the strings of a JSON value are copied out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strings {
    /// Byte for byte: for text that is escaped for the terminal as a whole afterwards.
    AsWritten,
    /// With the characters that could drive a terminal escaped ([`safe_string`]): for JSON
    /// output.
    TerminalSafe,
}

impl Strings {
    fn write<W: ?Sized + Write>(self, quoted: &[u8], out: &mut W) -> io::Result<()> {
        match self {
            Strings::AsWritten => out.write_all(quoted),
            Strings::TerminalSafe => safe_string(quoted, out),
        }
    }
}

/// Writes valid JSON without the whitespace between its tokens, its strings as `strings` says.
pub(crate) fn compact<W: ?Sized + Write>(
    raw: &[u8],
    strings: Strings,
    out: &mut W,
) -> io::Result<()> {
    let mut run = 0;
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'"' => {
                out.write_all(&raw[run..i])?;
                let end = string_end(raw, i);
                strings.write(&raw[i..end], out)?;
                i = end;
                run = end;
            }
            b if is_space(b) => {
                out.write_all(&raw[run..i])?;
                while i < raw.len() && is_space(raw[i]) {
                    i += 1;
                }
                run = i;
            }
            _ => i += 1,
        }
    }
    out.write_all(&raw[run..])
}

/// `json` (valid JSON) compact, strings as written, for a preview: only as much as reaches
/// `limit` bytes (to the end of the character that reaches it), so a value of many KB is not
/// copied whole. The flag says all of it is there.
pub(crate) fn compact_prefix(json: &str, limit: usize) -> (String, bool) {
    let mut prefix = Prefix {
        bytes: Vec::new(),
        limit,
        cut: false,
    };
    // The only error is the prefix refusing more: the copy just ends there.
    let _ = compact(json.as_bytes(), Strings::AsWritten, &mut prefix);
    (utf8(prefix.bytes), !prefix.cut)
}

/// The start of a text, taken until it reaches its limit: then it refuses more, which ends the
/// copy writing to it.
struct Prefix {
    bytes: Vec<u8>,
    limit: usize,
    cut: bool,
}

impl Write for Prefix {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() >= self.limit && !buf.is_empty() {
            self.cut = true;
            return Err(io::ErrorKind::WriteZero.into());
        }
        // Up to the limit, then on to the end of the character (UTF-8 continuation bytes).
        let mut take = (self.limit - self.bytes.len()).min(buf.len());
        while buf.get(take).is_some_and(|b| b & 0xc0 == 0x80) {
            take += 1;
        }
        self.bytes.extend_from_slice(&buf[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes valid JSON indented two spaces a level (as `serde_json::to_writer_pretty` does), as
/// if it stood `depth` levels deep, its strings as `strings` says and its numbers exactly as
/// written. Levels past [`MAX_INDENT_DEPTH`] stay on one line, so the output is at most a few
/// times the input.
pub(crate) fn indented<W: ?Sized + Write>(
    raw: &[u8],
    mut depth: usize,
    strings: Strings,
    out: &mut W,
) -> io::Result<()> {
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'"' => {
                let end = string_end(raw, i);
                strings.write(&raw[i..end], out)?;
                i = end;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let mut next = i + 1;
                while next < raw.len() && is_space(raw[next]) {
                    next += 1;
                }
                if raw.get(next) == Some(&close) {
                    out.write_all(&[open, close])?;
                    i = next + 1;
                } else {
                    depth += 1;
                    out.write_all(&[open])?;
                    if depth <= MAX_INDENT_DEPTH {
                        newline_indent(out, depth)?;
                    }
                    i += 1;
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                if depth < MAX_INDENT_DEPTH {
                    newline_indent(out, depth)?;
                }
                out.write_all(&[close])?;
                i += 1;
            }
            b',' => {
                out.write_all(b",")?;
                if depth <= MAX_INDENT_DEPTH {
                    newline_indent(out, depth)?;
                }
                i += 1;
            }
            b':' => {
                out.write_all(b": ")?;
                i += 1;
            }
            b if is_space(b) => i += 1,
            _ => {
                let start = i;
                while i < raw.len()
                    && !is_space(raw[i])
                    && !matches!(raw[i], b'"' | b'{' | b'}' | b'[' | b']' | b',' | b':')
                {
                    i += 1;
                }
                out.write_all(&raw[start..i])?;
            }
        }
    }
    Ok(())
}

/// `json` (valid JSON) indented as [`indented`] lays it out at the top level, strings as
/// written.
pub(crate) fn indented_text(json: &str) -> String {
    let mut out = Vec::with_capacity(json.len());
    // Writing to memory cannot fail.
    let _ = indented(json.as_bytes(), 0, Strings::AsWritten, &mut out);
    utf8(out)
}

/// A new line, indented for `depth` levels.
pub(crate) fn newline_indent<W: ?Sized + Write>(out: &mut W, depth: usize) -> io::Result<()> {
    out.write_all(b"\n")?;
    for _ in 0..depth {
        out.write_all(INDENT)?;
    }
    Ok(())
}

/// Text laid out from UTF-8 text: every cut is at an ASCII byte or a character's end, so this
/// is never lossy.
fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whitespace that JSON allows between tokens.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Writes (part of) a JSON string with the characters that could drive a terminal escaped.
/// The input is valid UTF-8 (it comes from a `&str` or a validated `RawValue`).
pub(crate) fn safe_string<W: ?Sized + Write>(s: &[u8], out: &mut W) -> io::Result<()> {
    let has_del = memchr::memchr(0x7f, s).is_some();
    if !has_del && s.is_ascii() {
        return out.write_all(s);
    }
    // Every unsafe character at or above DEL starts with one of these bytes in UTF-8.
    let next = |from: usize| {
        let tail = &s[from..];
        let lead = memchr::memchr3(0xc2, 0xe2, 0xef, tail);
        let del = if has_del {
            memchr::memchr(0x7f, tail)
        } else {
            None
        };
        match (lead, del) {
            (Some(a), Some(b)) => Some(from + a.min(b)),
            (a, b) => a.or(b).map(|i| from + i),
        }
    };
    let mut run = 0;
    let mut at = 0;
    while let Some(i) = next(at) {
        match unsafe_char_at(s, i) {
            Some((c, len)) => {
                out.write_all(&s[run..i])?;
                write!(out, "\\u{:04x}", c as u32)?;
                run = i + len;
                at = run;
            }
            None => at = i + 1,
        }
    }
    out.write_all(&s[run..])
}

/// The character at byte `i` of UTF-8 text and its length, if it is one that must not reach a
/// terminal as it is (`text::is_unsafe`).
pub(crate) fn unsafe_char_at(s: &[u8], i: usize) -> Option<(char, usize)> {
    let len = match s[i] {
        0x7f => 1,
        0xc2 => 2,
        0xe2 | 0xef => 3,
        _ => return None,
    };
    let c = std::str::from_utf8(s.get(i..i + len)?)
        .ok()?
        .chars()
        .next()?;
    crate::text::is_unsafe(c).then_some((c, len))
}

// Word-at-a-time byte tests, eight bytes at once: how the scanner and the JSON string writer
// find the next byte that matters without looking at each.

const ONES: u64 = 0x0101_0101_0101_0101;
/// Bit 7 of every byte: where a word has a byte at or above 0x80 (not ASCII).
pub(crate) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bit 7 of each byte of the result is set where `word`'s byte is below `n` (`n` <= 128); the
/// lowest set bit is exact, higher ones may be false positives.
pub(crate) fn bytes_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS
}

/// Bit 7 of each byte of the result is set where `word`'s byte is `b` (exact for the lowest).
pub(crate) fn bytes_equal(word: u64, b: u8) -> u64 {
    bytes_below(word ^ (ONES * u64::from(b)), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_by_bytes_agree_with_serde() {
        fn by_serde(json: &str) -> Vec<(Cow<'_, str>, &RawValue)> {
            let mut out = Vec::new();
            let mut de = serde_json::Deserializer::from_str(json);
            de.deserialize_option(MembersVisitor(&mut out)).unwrap();
            out
        }
        let show = |members: Vec<(Cow<'_, str>, &RawValue)>| {
            members
                .into_iter()
                .map(|(k, v)| format!("{k}={}", v.get()))
                .collect::<Vec<_>>()
        };
        for json in [
            r#"{"a":1,"b":"x,}","c":[1,{"d":"]"}],"e":{"f":[]},"g":null,"h":-0.5e3,"i":true}"#,
            "{\n  \"a\" : {\n    \"b\": [\n      1\n    ]\n  } ,\n  \"c\":\"\\\"\"\n}",
            r#"{"a":1,"a":2}"#,
            r#"{}"#,
            r#"{ }"#,
            r#"{"k\u0065y":1,"b":2}"#,
            "null",
        ] {
            let raw: &RawValue = serde_json::from_str(json).unwrap();
            assert_eq!(show(members(raw).unwrap()), show(by_serde(json)), "{json}");
        }
        assert!(plain_members(r#"{"a":{"b":1}}"#).is_some());
    }

    #[test]
    fn known_valid_json_is_not_parsed_again() {
        // serde_json still takes a value this way: were it to stop, the parse in its place
        // would refuse what is not JSON, and this would fail.
        assert_eq!(known_valid("[1, no").map(RawValue::get), Some("[1, no"));
        assert_eq!(
            known_valid(r#"{"a":1}"#).map(RawValue::get),
            Some(r#"{"a":1}"#)
        );
    }

    #[test]
    fn lookup_by_bytes_agrees_with_serde() {
        fn by_serde<'a>(json: &'a str, key: &str) -> Option<Cow<'a, str>> {
            let mut de = serde_json::Deserializer::from_str(json);
            de.deserialize_option(LookupVisitor { key }).ok().flatten()
        }
        let cases = [
            r#"{"route":"b"}"#,
            r#"{ "x" : {"route":"no"} , "route" : "yes" }"#,
            r#"{"a":[1,{"b":"}"}],"route":"c\"d","route":"e"}"#,
            r#"{"route":"first","route":"second"}"#,
            r#"{"route":""}"#,
            r#"{"route":7}"#,
            r#"{"route":null}"#,
            r#"{"ro\u0075te":"escaped key"}"#,
            r#"{"a":"x\"y","route":"after an escape"}"#,
            r#"{}"#,
            r#"null"#,
            r#"[1,2]"#,
            r#""route""#,
            "{\n  \"a\": {\n    \"route\": \"x\"\n  },\n  \"route\": \"é\"\n}",
        ];
        for json in cases {
            let raw: &RawValue = serde_json::from_str(json).unwrap();
            assert_eq!(lookup(raw, "route"), by_serde(json, "route"), "{json}");
        }
        // The plain cases do take the byte path.
        assert_eq!(
            lookup_plain(cases[1], "route"),
            Some(Some(Cow::Borrowed("yes")))
        );
        assert_eq!(lookup_plain(cases[9], "route"), Some(None));
    }

    #[test]
    fn a_preview_decodes_only_the_start_of_a_long_string() {
        let long = format!("\"{}\"", r"\u003cb\u003e \ud83d\ude80 é \n".repeat(100));
        let raw: &RawValue = serde_json::from_str(&long).unwrap();
        let whole = raw_text(raw);
        for max in [0, 1, 5, 6, 7, 12, 13, 17, 18, 19, 40, 100] {
            let (start, more) = raw_text_prefix(raw, max);
            assert!(more, "{max}");
            assert!(whole.starts_with(&*start), "{max}: {start:?}");
            assert!(start.len() <= max + 4, "{max}: {start:?}");
        }
        let (all, more) = raw_text_prefix(raw, long.len());
        assert_eq!((all, more), (whole.clone(), false));
        let number: &RawValue = serde_json::from_str("12345678").unwrap();
        assert_eq!(
            raw_text_prefix(number, 2),
            (Cow::Borrowed("12345678"), false)
        );
    }

    proptest::proptest! {
        /// A preview is the start of the whole text, and all of it when nothing is cut.
        #[test]
        fn a_preview_is_the_start_of_the_text(s in "\\PC{0,60}", max in 0usize..200) {
            let mut json = Vec::new();
            agentcli_synth::go_string(&mut json, &s);
            let json = String::from_utf8(json).unwrap();
            let raw: &RawValue = serde_json::from_str(&json).unwrap();
            let (start, more) = raw_text_prefix(raw, max);
            proptest::prop_assert!(s.starts_with(&*start));
            proptest::prop_assert_eq!(more, start.len() < s.len());
        }
    }

    #[test]
    fn object_keys_skip_values_whatever_they_hold() {
        let raw: &RawValue = serde_json::from_str(
            r#"{
  "a": {"b": [1, {"}": "]"}], "c": "x\"}"},
  "d": [[], [{}], "[", "\\"],
  "e" : -1.5e3,
  "f": "}, \"g\": 1",
  "h": null
}"#,
        )
        .unwrap();
        assert_eq!(
            object_keys(raw).collect::<Vec<_>>(),
            ["a", "d", "e", "f", "h"]
        );
        for other in ["{}", "{ }", "[1]", "\"a\"", "2"] {
            let raw: &RawValue = serde_json::from_str(other).unwrap();
            assert_eq!(object_keys(raw).count(), 0, "{other}");
        }
    }

    #[test]
    fn exactly_the_characters_unsafe_on_a_terminal_are_escaped() {
        for c in ('\u{7f}'..='\u{ffff}').chain(['\u{1f916}']) {
            let mut out = Vec::new();
            let text = format!("a{c}b");
            safe_string(text.as_bytes(), &mut out).unwrap();
            let escaped = out != text.as_bytes();
            assert_eq!(escaped, crate::text::is_unsafe(c), "{:04x}", c as u32);
        }
    }

    #[test]
    fn json_is_reindented_as_written() {
        assert_eq!(
            indented_text("{\n      \"a\": [1.50, {}],  \"b\": \"x,{y}\\\"\" ,\"c\":[ ]}"),
            "{\n  \"a\": [\n    1.50,\n    {}\n  ],\n  \"b\": \"x,{y}\\\"\",\n  \"c\": []\n}"
        );
    }

    /// Found reading the path of a 100,000-level value (fixtures/bad): each level was
    /// indented on a line of its own, 20 GB of output for 200 KB of input.
    #[test]
    fn deep_values_stay_on_one_line_below_the_indentation_limit() {
        let depth = 100_000;
        let json = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let shown = indented_text(&json);
        assert!(shown.len() < 2 * json.len() + 2 * MAX_INDENT_DEPTH.pow(2));
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 2 * MAX_INDENT_DEPTH + 1);
        let deepest = lines[MAX_INDENT_DEPTH];
        assert_eq!(
            deepest,
            format!(
                "{}{}1{}",
                " ".repeat(2 * MAX_INDENT_DEPTH),
                "[".repeat(depth - MAX_INDENT_DEPTH),
                "]".repeat(depth - MAX_INDENT_DEPTH)
            )
        );
        assert_eq!(
            indented_text(r#"{"a":{"b":[1,{"c":2}]}}"#),
            "{\n  \"a\": {\n    \"b\": [\n      1,\n      {\n        \"c\": 2\n      }\n    ]\n  }\n}"
        );
    }

    #[test]
    fn a_compact_prefix_stops_at_the_character_that_reaches_the_limit() {
        let json = "{\n  \"a\": [1, 2],\n  \"é\": \"x y\"\n}";
        assert_eq!(
            compact_prefix(json, 100),
            (r#"{"a":[1,2],"é":"x y"}"#.to_owned(), true)
        );
        assert_eq!(compact_prefix(json, 7), (r#"{"a":[1"#.to_owned(), false));
        // `é` is two bytes: the limit inside it takes all of it.
        assert_eq!(
            compact_prefix(json, 13),
            (r#"{"a":[1,2],"é"#.to_owned(), false)
        );
        let whole = r#"{"a":[1,2],"é":"x y"}"#;
        assert_eq!(compact_prefix(json, whole.len()), (whole.to_owned(), true));
        assert_eq!(compact_prefix(json, 0), (String::new(), false));
    }
}
