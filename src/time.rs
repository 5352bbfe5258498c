//! Points in time: trace timestamps (parsed fast, kept with the zone they were written in) and
//! the time expressions users type (`--since 2h`, `since=2024-01-01`).

use crate::text;
use chrono::{DateTime, FixedOffset, Local, NaiveDate, TimeZone, Utc};
use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// An instant as written in a trace: nanoseconds since the Unix epoch, and the writer's UTC
/// offset (in seconds), so it can be shown in the zone it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    pub unix_nanos: i64,
    pub offset_secs: i32,
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    /// Instants compare by when they happened, whatever zone they were written in.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_nanos.cmp(&other.unix_nanos)
    }
}

/// Which zone to show times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayZone {
    /// The zone the trace was written in (the default: times read as the writer saw them).
    #[default]
    Written,
    Utc,
    Local,
}

impl Timestamp {
    /// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which the writer uses for "not set".
    pub fn is_go_zero(&self) -> bool {
        self.unix_nanos == GO_ZERO_UNIX_NANOS
    }

    /// Parses RFC 3339 (`2025-05-02T14:32:15.123456789+05:30`, `...Z`), also accepting a
    /// space or lower-case `t` between date and time, and no zone (read as UTC).
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        // Go's zero time, as the writer spells it: most results' start and end times.
        if s == "0001-01-01T00:00:00Z" {
            return Some(Timestamp {
                unix_nanos: GO_ZERO_UNIX_NANOS,
                offset_secs: 0,
            });
        }
        let b = s.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let year = digits(&b[0..4])? as i64;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let minute = digits(&b[14..16])?;
        let second = digits(&b[17..19])?;
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut nanos: i64 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + (b[i] - b'0') as i64;
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return None;
            }
            for _ in n..9 {
                nanos *= 10;
            }
        }
        let offset_secs = match &b[i..] {
            [] | [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), rest @ ..] => {
                let (h, m) = match rest {
                    [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                        (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                    }
                    [h1, h2] => (digits(&[*h1, *h2])?, 0),
                    _ => return None,
                };
                if h > 23 || m > 59 {
                    return None;
                }
                let secs = (h * 3600 + m * 60) as i32;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let local_secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
        let unix_secs = local_secs - offset_secs as i64;
        let unix_nanos = match unix_secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => n.checked_add(nanos)?,
            // Nanoseconds since 1970 in an i64 reach back to 1677 only; the one earlier time
            // traces hold is Go's zero time, the writer's "not set".
            None if year == 1 => GO_ZERO_UNIX_NANOS,
            None => return None,
        };
        Some(Timestamp {
            unix_nanos,
            offset_secs,
        })
    }

    /// A Unix epoch number, in seconds, milliseconds, microseconds or nanoseconds (told apart
    /// by magnitude, as log tools do), shown in UTC.
    pub fn from_epoch_number(n: f64) -> Option<Timestamp> {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        let nanos = if n < 1e11 {
            n * 1e9
        } else if n < 1e14 {
            n * 1e6
        } else if n < 1e17 {
            n * 1e3
        } else {
            n
        };
        if nanos >= i64::MAX as f64 {
            return None;
        }
        Some(Timestamp {
            unix_nanos: nanos as i64,
            offset_secs: 0,
        })
    }

    /// From a chrono time, keeping its offset.
    pub fn from_chrono(t: DateTime<FixedOffset>) -> Option<Timestamp> {
        Some(Timestamp {
            unix_nanos: t.timestamp_nanos_opt()?,
            offset_secs: t.offset().local_minus_utc(),
        })
    }

    /// This instant in the chosen zone.
    pub fn to_chrono(self, zone: DisplayZone) -> DateTime<FixedOffset> {
        let (secs, nanos) = self.unix_secs_and_nanos();
        let utc = DateTime::<Utc>::from_timestamp(secs, nanos)
            .unwrap_or_else(|| DateTime::<Utc>::from_timestamp_nanos(self.unix_nanos));
        match zone {
            DisplayZone::Written => {
                let offset = FixedOffset::east_opt(self.offset_secs).unwrap_or(UTC_OFFSET);
                utc.with_timezone(&offset)
            }
            DisplayZone::Utc => utc.with_timezone(&UTC_OFFSET),
            DisplayZone::Local => utc.with_timezone(&Local).fixed_offset(),
        }
    }

    /// Seconds since the Unix epoch and nanoseconds into that second; Go's zero time is
    /// 0001-01-01T00:00:00Z (its stand-in, `i64::MIN` nanoseconds, is in 1677).
    fn unix_secs_and_nanos(self) -> (i64, u32) {
        if self.is_go_zero() {
            return (GO_ZERO_UNIX_SECS, 0);
        }
        let nanos = self.unix_nanos.rem_euclid(NANOS_PER_SEC);
        (
            self.unix_nanos.div_euclid(NANOS_PER_SEC),
            u32::try_from(nanos).unwrap_or(0),
        )
    }

    /// `HH:MM:SS.mmm` in the chosen zone, as the timeline shows it.
    pub fn clock_millis(self, zone: DisplayZone) -> String {
        let clock = self.clock_millis_ascii(zone);
        String::from_utf8_lossy(&clock).into_owned()
    }

    /// `HH:MM:SS.mmm` as ASCII bytes, without allocating (for tables written row by row).
    pub fn clock_millis_ascii(self, zone: DisplayZone) -> [u8; 12] {
        let offset = match zone {
            DisplayZone::Written => self.offset_secs as i64,
            DisplayZone::Utc => 0,
            DisplayZone::Local => self.to_chrono(zone).offset().local_minus_utc() as i64,
        };
        let (secs, nanos) = self.unix_secs_and_nanos();
        let local = secs + offset;
        let millis = i64::from(nanos) / 1_000_000;
        let of_day = local.rem_euclid(86_400);
        let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let [h1, h2] = two(of_day / 3600);
        let [m1, m2] = two(of_day / 60 % 60);
        let [s1, s2] = two(of_day % 60);
        let ms = [
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ];
        [
            h1, h2, b':', m1, m2, b':', s1, s2, b'.', ms[0], ms[1], ms[2],
        ]
    }

    /// Full RFC 3339 with nanoseconds, in the chosen zone (the exports' form).
    pub fn rfc3339(self, zone: DisplayZone) -> String {
        self.to_chrono(zone)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    /// RFC 3339 with all nine digits of nanoseconds in the chosen zone, `Z` for UTC (the
    /// normalised form of the exports); Go's zero time as Go writes it.
    pub fn rfc3339_nanos(self, zone: DisplayZone) -> Rfc3339 {
        if self.is_go_zero() {
            return Rfc3339::Text("0001-01-01T00:00:00.000000000Z".to_owned());
        }
        let offset = match zone {
            DisplayZone::Written => self.offset_secs,
            DisplayZone::Utc => 0,
            DisplayZone::Local => self.in_zone(zone).offset_secs,
        };
        match self.rfc3339_nanos_ascii(offset) {
            Some(ascii) => Rfc3339::Ascii(ascii),
            None => Rfc3339::Text(
                self.to_chrono(zone)
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            ),
        }
    }

    /// [`Timestamp::rfc3339_nanos`] written out here, as chrono writes it, for the times that
    /// traces hold: years 0 to 9999, offsets in whole minutes under a day.
    fn rfc3339_nanos_ascii(self, offset_secs: i32) -> Option<[u8; 35]> {
        if offset_secs % 60 != 0 || offset_secs.abs() >= 86_400 {
            return None;
        }
        let local = self
            .unix_nanos
            .div_euclid(NANOS_PER_SEC)
            .checked_add(i64::from(offset_secs))?;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let of_day = local.rem_euclid(86_400);
        let mut out = [b'0'; 35];
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, i64::from(month));
        put(8, 2, i64::from(day));
        put(11, 2, of_day / 3600);
        put(14, 2, of_day / 60 % 60);
        put(17, 2, of_day % 60);
        put(20, 9, self.unix_nanos.rem_euclid(NANOS_PER_SEC));
        let minutes = offset_secs.abs() / 60;
        put(30, 2, i64::from(minutes / 60));
        put(33, 2, i64::from(minutes % 60));
        for (at, c) in [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
        ] {
            out[at] = c;
        }
        out[29] = if offset_secs < 0 { b'-' } else { b'+' };
        out[32] = b':';
        if offset_secs == 0 {
            // `Z`, and the bytes after it unused.
            out[29] = b'Z';
        }
        Some(out)
    }

    /// `YYYY-MM-DD HH:MM:SS ±HH:MM` in the chosen zone (lists' form: precise to the second).
    pub fn date_time(self, zone: DisplayZone) -> String {
        self.to_chrono(zone)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }

    /// Milliseconds from `self` to `later` (negative when `later` is earlier).
    pub fn millis_until(self, later: Timestamp) -> f64 {
        // In i128: Go's zero time and the far future are both in real traces.
        (i128::from(later.unix_nanos) - i128::from(self.unix_nanos)) as f64 / 1e6
    }

    /// The same instant, to be written in `zone` (only its offset changes).
    pub fn in_zone(self, zone: DisplayZone) -> Timestamp {
        match zone {
            DisplayZone::Written => self,
            DisplayZone::Utc | DisplayZone::Local => Timestamp {
                unix_nanos: self.unix_nanos,
                offset_secs: self.to_chrono(zone).offset().local_minus_utc(),
            },
        }
    }
}

impl serde::Serialize for Timestamp {
    /// As RFC 3339 in the zone it carries (see [`Timestamp::in_zone`]).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "invalid timestamp {}: expected RFC 3339",
                crate::text::quote_for_message(&text)
            ))
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339(DisplayZone::Written))
    }
}

const UTC_OFFSET: FixedOffset = match FixedOffset::east_opt(0) {
    Some(o) => o,
    None => unreachable!(),
};

/// Stands for Go's zero time, `0001-01-01T00:00:00Z`, which is out of an i64's reach.
const GO_ZERO_UNIX_NANOS: i64 = i64::MIN;
/// Go's zero time in seconds since the Unix epoch.
const GO_ZERO_UNIX_SECS: i64 = -62_135_596_800;

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
/// A timestamp as [`Timestamp::rfc3339_nanos`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rfc3339 {
    /// Written here, without allocating: 35 ASCII bytes, or 30 when it ends in `Z`.
    Ascii([u8; 35]),
    Text(String),
}

impl Rfc3339 {
    pub fn as_str(&self) -> &str {
        match self {
            Rfc3339::Ascii(ascii) => {
                let len = if ascii[29] == b'Z' { 30 } else { 35 };
                std::str::from_utf8(&ascii[..len]).unwrap_or_default()
            }
            Rfc3339::Text(text) => text,
        }
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (the inverse of
/// [`days_from_civil`]; Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a time bound typed by a user, relative to `now`: a date (`2024-01-01`, local
/// midnight), an RFC 3339 time, or an age (`90s`, `90m`, `2h`, `3d`, `1w`: that long before now).
pub fn parse_time_bound(s: &str, now: DateTime<Local>) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        // A time without a zone is meant in the user's own zone.
        if !has_zone(s) {
            let naive = DateTime::<Utc>::from_timestamp_nanos(t.unix_nanos).naive_utc();
            if let Some(local) = Local.from_local_datetime(&naive).earliest() {
                return Timestamp::from_chrono(local.fixed_offset()).ok_or_else(|| bad_time(s));
            }
        }
        return Ok(t);
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(|| bad_time(s))?;
        let local = Local
            .from_local_datetime(&midnight)
            .earliest()
            .ok_or_else(|| bad_time(s))?;
        return Timestamp::from_chrono(local.fixed_offset()).ok_or_else(|| bad_time(s));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad_time(s))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad_time(s)),
    };
    let age = n.checked_mul(secs).ok_or_else(|| bad_time(s))?;
    let then = now
        .fixed_offset()
        .checked_sub_signed(chrono::TimeDelta::try_seconds(age).ok_or_else(|| bad_time(s))?)
        .ok_or_else(|| bad_time(s))?;
    Timestamp::from_chrono(then).ok_or_else(|| bad_time(s))
}

fn has_zone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 19 && {
        let tail = &s[19..];
        tail.ends_with(['Z', 'z']) || tail.contains(['+', '-'])
    }
}

/// The message for a time that does not parse; what was typed is escaped and shortened (it may
/// be anything, control characters and line breaks included).
fn bad_time(s: &str) -> String {
    format!(
        "invalid time '{}': expected a date (2024-01-01), an RFC 3339 time \
         (2024-01-01T09:30:00Z) or an age (90s, 90m, 2h, 3d, 1w)",
        text::truncate(&text::escape(s, false), 60)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_writers_timestamps() {
        let t = Timestamp::parse_rfc3339("2025-05-02T14:32:15.123456789+05:30").unwrap();
        assert_eq!(t.offset_secs, 19_800);
        assert_eq!(
            t.rfc3339(DisplayZone::Utc),
            "2025-05-02T09:02:15.123456789Z"
        );
        assert_eq!(t.clock_millis(DisplayZone::Written), "14:32:15.123");
        assert_eq!(t.clock_millis(DisplayZone::Utc), "09:02:15.123");
        let short = Timestamp::parse_rfc3339("2025-05-02T14:32:15.1Z").unwrap();
        assert_eq!(short.unix_nanos % NANOS_PER_SEC, 100_000_000);
        let whole = Timestamp::parse_rfc3339("2025-05-02 14:32:15-07:00").unwrap();
        assert_eq!(whole.rfc3339(DisplayZone::Utc), "2025-05-02T21:32:15Z");
    }

    #[test]
    fn agrees_with_chrono() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59.999999999+14:00",
            "2024-12-31T00:00:00.5-12:30",
            "1969-07-20T20:17:40Z",
        ] {
            let ours = Timestamp::parse_rfc3339(s).unwrap();
            let theirs = DateTime::parse_from_rfc3339(s).unwrap();
            assert_eq!(
                ours.unix_nanos,
                theirs.timestamp_nanos_opt().unwrap(),
                "{s}"
            );
        }
    }

    proptest::proptest! {
        /// The exports' timestamps are written as chrono writes them, in every zone.
        #[test]
        fn rfc3339_nanos_is_what_chrono_writes(
            unix_nanos: i64,
            offset_minutes in -1440i32..=1440,
            zone in proptest::sample::select(vec![DisplayZone::Written, DisplayZone::Utc]),
        ) {
            let t = Timestamp { unix_nanos, offset_secs: offset_minutes * 60 };
            let theirs = t.to_chrono(zone).to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            let ours = t.rfc3339_nanos(zone);
            proptest::prop_assert_eq!(ours.as_str(), theirs);
        }
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2025-13-01T00:00:00Z",
            "2025-02-30T00:00:00Z",
            "2025-05-02T24:00:00Z",
            "2025-05-02T14:32:15.Z",
            "2025-05-02T14:32:15+5",
            "2025-05-02T14:32:15Q",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn the_go_zero_time_is_recognised() {
        let zero = Timestamp::parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert!(zero.is_go_zero());
        // The writer's spelling takes a shortcut; other spellings of the same instant agree.
        for other in [
            "0001-01-01T00:00:00.000Z",
            "0001-01-01t00:00:00+00:00",
            "0001-01-01 00:00:00",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(other), Some(zero), "{other}");
        }
        // Shown as written, not as its i64 stand-in (1677-09-21T00:12:43.145224192Z).
        assert_eq!(zero.rfc3339(DisplayZone::Utc), "0001-01-01T00:00:00Z");
        assert_eq!(zero.clock_millis(DisplayZone::Written), "00:00:00.000");
        assert_eq!(
            zero.date_time(DisplayZone::Utc),
            "0001-01-01 00:00:00 +00:00"
        );
        assert!(
            !Timestamp::parse_rfc3339("1970-01-01T00:00:00Z")
                .unwrap()
                .is_go_zero()
        );
    }

    #[test]
    fn time_bounds() {
        let now = Local.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        let two_hours = parse_time_bound("2h", now).unwrap();
        assert_eq!(
            two_hours.unix_nanos,
            (now.timestamp() - 7200) * NANOS_PER_SEC
        );
        let date = parse_time_bound("2024-01-01", now).unwrap();
        assert_eq!(
            date.to_chrono(DisplayZone::Local)
                .format("%F %T")
                .to_string(),
            "2024-01-01 00:00:00"
        );
        assert!(parse_time_bound("2024-01-01T00:00:00Z", now).is_ok());
        let err = parse_time_bound("soon", now).unwrap_err();
        assert!(err.contains("invalid time 'soon'"), "{err}");
    }

    /// Found by the time_expression fuzz target: the text typed reached the terminal raw (NUL
    /// bytes, escape sequences, line breaks) and whole.
    #[test]
    fn a_bad_time_is_quoted_escaped_and_shortened() {
        let now = Local.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        let err = parse_time_bound("2024-02-29T\0\x1b[2J\n23:59:60+14:00", now).unwrap_err();
        assert!(
            err.starts_with("invalid time '2024-02-29T\\x00\\x1b[2J\\n23:59:60+14:00': expected"),
            "{err}"
        );
        let err = parse_time_bound(&"9".repeat(500), now).unwrap_err();
        assert!(
            err.starts_with(&format!("invalid time '{}…': ", "9".repeat(59))),
            "{err}"
        );
    }
}
