//! Where a JSON object or array ends, 64 bytes at a time, and where a run of plain characters in
//! a JSON string ends, 16 at a time: the one place where the crate uses SIMD (SSE2, which every
//! x86_64 processor has), and the one module of the library with `unsafe` blocks (each only
//! calls an SSE2 function, which is unsafe to call because Rust does not know SSE2 is there).
//!
//! Skipping a nested value is most of what reading state data costs when only its keys, or none
//! of it, are wanted: a byte-at-a-time scan, or a `memchr` call from one quote or bracket to
//! the next, spends tens of instructions on every short string of pretty-printed data. Here a
//! block of 64 bytes becomes four bit masks (quotes, backslashes, the opening and the closing
//! bracket), escapes and strings are worked out on the masks with a few integer operations (as
//! simdjson does), and only the brackets outside strings are looked at one by one.
//!
//! The rule is the same as [`container_end_bytewise`]'s, which is the reference the tests and
//! the property test hold this to: a backslash escapes the byte after it, quotes that are not
//! escaped open and close strings, and the value's own kind of bracket is counted outside
//! strings and escapes (in valid JSON the other kind pairs up inside it, and backslashes occur
//! only in strings). Invalid JSON gets an answer too, the same from both, whatever the blocks.

/// Bytes per block: one bit of a `u64` mask each.
const BLOCK: usize = 64;

/// The index just past the object or array whose opening bracket is `bytes[start]` (`{` or
/// `[`), or `None` when it does not end within `bytes`.
pub(crate) fn container_end(bytes: &[u8], start: usize) -> Option<usize> {
    let open = *bytes.get(start)?;
    debug_assert!(matches!(open, b'{' | b'['));
    // `}` and `]` follow their openers in ASCII by two.
    let close = open + 2;
    let mut depth = 0u64;
    // Carried from block to block: whether the block starts inside a string, and whether its
    // first byte is escaped by a backslash at the end of the one before.
    let mut inside = 0u64;
    let mut escape_carry = 0u64;
    let mut at = start;
    while at < bytes.len() {
        let mut block = [0u8; BLOCK];
        let len = (bytes.len() - at).min(BLOCK);
        block[..len].copy_from_slice(&bytes[at..at + len]);
        let [quotes, backslashes, opens, closes] = masks(&block, [b'"', b'\\', open, close]);
        let escaped = escaped(backslashes, &mut escape_carry);
        let quotes = quotes & !escaped;
        // Bit i is set from an opening quote up to (not including) its closing quote.
        let in_string = prefix_xor(quotes) ^ inside;
        inside = 0u64.wrapping_sub(in_string >> 63);
        // Padding is zeros, never a bracket: no need to mask it off.
        let mut brackets = (opens | closes) & !in_string & !escaped;
        while brackets != 0 {
            let bit = brackets.trailing_zeros();
            if opens >> bit & 1 == 1 {
                depth += 1;
            } else {
                depth -= 1;
                if depth == 0 {
                    return Some(at + bit as usize + 1);
                }
            }
            brackets &= brackets - 1;
        }
        at += BLOCK;
    }
    None
}

/// The bytes escaped by a backslash: each one after an odd run of backslashes. `carry` says
/// whether the block's first byte is escaped, and is set for the next block. (simdjson's
/// branchless escape finder.)
fn escaped(backslashes: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    // A backslash that is itself escaped escapes nothing.
    let backslashes = backslashes & !*carry;
    let follows_backslash = backslashes << 1 | *carry;
    // Runs of backslashes that start on an odd bit, then adding the runs to their starts
    // carries out of each run: to an even bit after a run of odd length started on an odd bit.
    let odd_starts = backslashes & !EVEN & !follows_backslash;
    let (sum, overflow) = odd_starts.overflowing_add(backslashes);
    *carry = u64::from(overflow);
    let flip = sum << 1;
    (EVEN ^ flip) & follows_backslash
}

/// Bit i of the result is the XOR of bits 0 to i of `x`: set between an odd-numbered quote
/// (inclusive) and the next (exclusive).
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// For each of `needles`, a mask of where `block` holds it (bit i for byte i).
#[cfg(target_arch = "x86_64")]
fn masks(block: &[u8; BLOCK], needles: [u8; 4]) -> [u64; 4] {
    // SAFETY: SSE2 is part of the x86_64 baseline: every processor this code can run on has it.
    unsafe { masks_sse2(block, needles) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn masks_sse2(block: &[u8; BLOCK], needles: [u8; 4]) -> [u64; 4] {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8};
    let mut out = [0u64; 4];
    for (part, bytes) in block.chunks_exact(16).enumerate() {
        let (low, high) = bytes.split_at(8);
        let word = |b: &[u8]| i64::from_le_bytes(b.try_into().unwrap_or_default());
        let v = _mm_set_epi64x(word(high), word(low));
        for (mask, &needle) in out.iter_mut().zip(&needles) {
            let hits = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8)));
            *mask |= u64::from(hits as u16) << (16 * part);
        }
    }
    out
}

/// The portable version of [`masks`].
#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8; BLOCK], needles: [u8; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, &b) in block.iter().enumerate() {
        for (mask, &needle) in out.iter_mut().zip(&needles) {
            *mask |= u64::from(b == needle) << i;
        }
    }
    out
}

/// The index of the first byte at or after `from` that ends a run of plain characters in a JSON
/// string: a quote, a backslash or a control character (below 0x20); `None` when `bytes` has
/// none. The entry scanner's inner loop: about twenty strings an entry, keys included.
pub(crate) fn string_special(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes.get(at..at + 16) {
        let word = u128::from_le_bytes(block.try_into().unwrap_or_default());
        // SAFETY: SSE2 is part of the x86_64 baseline: every processor this code can run on has
        // it.
        let hits = unsafe { string_specials_sse2(word) };
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize);
        }
        at += 16;
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|k| at + k)
}

/// A mask of the bytes of `word` (little-endian: bit i for byte i) that are a quote, a
/// backslash or below 0x20.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn string_specials_sse2(word: u128) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };
    let v = _mm_set_epi64x((word >> 64) as i64, word as i64);
    // Unsigned `b <= 0x1f` is `min(b, 0x1f) == b`.
    let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
}

/// [`container_end`] a byte at a time: the reference it is tested against.
#[cfg(test)]
fn container_end_bytewise(bytes: &[u8], start: usize) -> Option<usize> {
    let open = bytes[start];
    let close = open + 2;
    let (mut depth, mut in_string, mut i) = (0u64, false, start);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => in_string = !in_string,
            b if b == open && !in_string => depth += 1,
            b if b == close && !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_end_where_their_bracket_closes() {
        let cases: &[(&str, Option<usize>)] = &[
            ("{}", Some(2)),
            ("[1, [2, [3]], \"]\"] tail", Some(18)),
            (r#"{"a": "}\"}", "b\\": {"c": "\\\\"}} x"#, Some(35)),
            (r#"{"a": ["}", {"b": "{"}]}"#, Some(24)),
            ("{\"open", None),
            ("[[]", None),
        ];
        for &(json, end) in cases {
            assert_eq!(container_end(json.as_bytes(), 0), end, "{json}");
            assert_eq!(container_end_bytewise(json.as_bytes(), 0), end, "{json}");
        }
    }

    #[test]
    fn strings_and_escapes_that_cross_blocks_are_followed() {
        // A string, then a run of backslashes, ending at every place around a block's edge.
        for pad in 0..3 * BLOCK {
            for run in 0..5 {
                let json = format!(
                    "{{\"{}{}\": \"}}\", \"k\": [\"{{\"]}}  ",
                    "x".repeat(pad),
                    "\\\\".repeat(run)
                );
                let b = json.as_bytes();
                assert_eq!(container_end(b, 0), container_end_bytewise(b, 0), "{json}");
                assert_eq!(container_end(b, 0), Some(json.len() - 2), "{json}");
            }
        }
    }

    #[test]
    fn string_runs_end_at_quotes_backslashes_and_control_characters() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..40 {
                let mut bytes = vec![b'a'; 40];
                // Bytes that a signed comparison would take as below 0x20.
                bytes[at / 2] = 0xc3;
                bytes[at] = special;
                for from in 0..=at {
                    assert_eq!(string_special(&bytes, from), Some(at), "{special} at {at}");
                }
                assert_eq!(string_special(&bytes, at + 1), None);
            }
        }
        assert_eq!(string_special(b"abc", 3), None);
        assert_eq!(string_special(b"abc", 4), None);
        assert_eq!(string_special(&[0x20, 0x7f, 0xff, b'"'], 0), Some(3));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Any bytes: the first special byte, as a byte-at-a-time search finds it.
        #[test]
        fn the_blockwise_string_run_is_the_bytewise_one(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"\"\\ax \n\x00\x1f\x20\x7f\x80\xff".to_vec()),
                0..100,
            ),
            from in 0usize..110,
        ) {
            let bytewise = bytes
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, b)| matches!(b, b'"' | b'\\' | 0..=0x1f))
                .map(|(i, _)| i);
            proptest::prop_assert_eq!(string_special(&bytes, from), bytewise);
        }

        /// Any bytes, valid JSON or not: the same end as the byte-at-a-time reference.
        #[test]
        fn the_blockwise_end_is_the_bytewise_end(
            body in proptest::collection::vec(
                proptest::sample::select(b"{}[]\"\\ax \n".to_vec()),
                0..400,
            ),
            array: bool,
        ) {
            let mut bytes = vec![if array { b'[' } else { b'{' }];
            bytes.extend(body);
            proptest::prop_assert_eq!(container_end(&bytes, 0), container_end_bytewise(&bytes, 0));
        }
    }
}
