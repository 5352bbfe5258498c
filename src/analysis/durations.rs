//! Durations collected without keeping them: exact count, total, minimum and maximum, the
//! seed documentation's response-time buckets, and quantiles from a high-dynamic-range
//! histogram whose error is bounded (see [`QUANTILE_ERROR`]) whatever the number of values.
//!
//! The histogram is HdrHistogram's log-linear layout at 3 significant digits (values below
//! 2048 µs exact, above that 1024 buckets per power of two), kept in memory that follows the
//! values seen rather than their range: a handful of buckets in a sorted list (the runs of one
//! agent in one session of `analyze`'s ten thousand: nothing to clear, next to nothing to
//! merge), counts in one array spanning the buckets used once there are many.

use serde::{Deserialize, Serialize};

/// What a reported quantile may be off by, as `--help` states it.
pub const QUANTILE_ERROR: &str = "p50, p95 and p99 come from a high-dynamic-range histogram \
    (3 significant digits): each is within 0.1% (or 1 µs) of the exact nearest-rank value, \
    whatever the number of runs; counts, min, mean, max and totals are exact";

/// The relative error bound of [`QUANTILE_ERROR`], for tests and tools.
pub const QUANTILE_RELATIVE_ERROR: f64 = 0.001;
/// The absolute error bound of [`QUANTILE_ERROR`] in milliseconds (values are kept in µs).
pub const QUANTILE_ABSOLUTE_ERROR_MS: f64 = 0.001;

const NANOS_PER_MILLI: f64 = 1e6;

/// Upper bounds (exclusive, in ns) of the seed's response-time buckets; the last is open.
const BUCKET_LIMITS_NS: [u64; 6] = [
    10_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
    1_000_000_000,
    5_000_000_000,
];

/// The labels of the response-time buckets, as the seed documentation names them.
pub const BUCKET_LABELS: [&str; 7] = [
    "0-10ms",
    "10-50ms",
    "50-100ms",
    "100-500ms",
    "500ms-1s",
    "1s-5s",
    "5s+",
];

/// A set of durations, summarised as they arrive. Mergeable, so sessions read in parallel
/// can be combined.
#[derive(Debug, Clone)]
pub struct Durations {
    histogram: Histogram,
    count: u64,
    total_ns: u128,
    min_ns: u64,
    max_ns: u64,
    buckets: [u64; 7],
}

impl Default for Durations {
    fn default() -> Self {
        Durations::new()
    }
}

impl Durations {
    #[allow(
        clippy::expect_used,
        reason = "3 significant digits is a precision hdrhistogram accepts"
    )]
    pub fn new() -> Durations {
        Durations {
            histogram: Histogram::default(),
            count: 0,
            total_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            buckets: [0; 7],
        }
    }

    /// Adds one duration, in nanoseconds.
    pub fn record(&mut self, ns: u64) {
        self.count += 1;
        self.total_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
        let bucket = BUCKET_LIMITS_NS
            .iter()
            .position(|limit| ns < *limit)
            .unwrap_or(BUCKET_LIMITS_NS.len());
        self.buckets[bucket] += 1;
        self.histogram.add(bucket_of(micros(ns)), 1);
    }

    /// Adds every duration of `other`.
    pub fn merge(&mut self, other: &Durations) {
        if other.count == 0 {
            return;
        }
        self.count += other.count;
        self.total_ns += other.total_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += theirs;
        }
        for (bucket, count) in other.histogram.counts() {
            self.histogram.add(bucket, count);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum of all durations, in milliseconds.
    pub fn total_ms(&self) -> f64 {
        self.total_ns as f64 / NANOS_PER_MILLI
    }

    /// The nearest-rank quantile `q` (0 to 1) in milliseconds, within the stated error: the
    /// highest value of the histogram bucket that holds it (the lowest for `q` = 0), as
    /// HdrHistogram reports it.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.min(1.0) * self.count as f64).ceil() as u64).max(1);
        let mut below = 0;
        let bucket = self.histogram.counts().find(|(_, count)| {
            below += count;
            below >= rank
        });
        let micros = bucket.map_or(u64::MAX, |(bucket, _)| {
            let (lowest, highest) = bucket_range(bucket);
            if q == 0.0 { lowest } else { highest }
        });
        // A bucket's highest value can pass the largest value recorded: never report more
        // (or less) than was seen.
        let ns = (micros.saturating_mul(1000)).clamp(self.min_ns, self.max_ns);
        Some(ns as f64 / NANOS_PER_MILLI)
    }

    /// Everything a report shows about these durations.
    pub fn summary(&self) -> DurationSummary {
        let ms = |ns: u64| (self.count > 0).then(|| ns as f64 / NANOS_PER_MILLI);
        DurationSummary {
            count: self.count,
            total_ms: self.total_ms(),
            min_ms: ms(self.min_ns),
            mean_ms: (self.count > 0).then(|| self.total_ms() / self.count as f64),
            p50_ms: self.quantile_ms(0.50),
            p95_ms: self.quantile_ms(0.95),
            p99_ms: self.quantile_ms(0.99),
            max_ms: ms(self.max_ns),
            buckets: Buckets::from_counts(self.buckets),
        }
    }
}

/// Histogram buckets per power of two past the exact range: a value is kept to within 1/1024
/// of itself, the 3 significant digits of [`QUANTILE_ERROR`].
const SUB_BUCKET_BITS: u32 = 10;
/// Values below this are their own bucket.
const EXACT_BELOW: u64 = 2 << SUB_BUCKET_BITS;

/// The histogram bucket of a value (in µs): the value itself below [`EXACT_BELOW`]; above, its
/// power of two and its next [`SUB_BUCKET_BITS`] bits, numbered on from there.
fn bucket_of(value: u64) -> u32 {
    if value < EXACT_BELOW {
        return value as u32;
    }
    let shift = 64 - value.leading_zeros() - SUB_BUCKET_BITS - 1;
    (shift << SUB_BUCKET_BITS) + (value >> shift) as u32
}

/// The lowest and highest values of a bucket.
fn bucket_range(bucket: u32) -> (u64, u64) {
    if u64::from(bucket) < EXACT_BELOW {
        return (u64::from(bucket), u64::from(bucket));
    }
    let shift = (bucket >> SUB_BUCKET_BITS) - 1;
    let lowest = u64::from(bucket - (shift << SUB_BUCKET_BITS)) << shift;
    (lowest, lowest + ((1 << shift) - 1))
}

/// Buckets kept in a sorted list before counts go to an array.
const LISTED_BUCKETS: usize = 256;

/// How many values fell in each bucket (see the module docs).
#[derive(Debug, Clone)]
enum Histogram {
    /// Buckets used, in order, with their counts.
    Listed(Vec<(u32, u64)>),
    /// The count of every bucket from `first` on.
    Spanned { first: u32, counts: Vec<u64> },
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::Listed(Vec::new())
    }
}

impl Histogram {
    fn add(&mut self, bucket: u32, count: u64) {
        match self {
            Histogram::Listed(listed) => match listed.binary_search_by_key(&bucket, |(b, _)| *b) {
                Ok(i) => listed[i].1 += count,
                Err(i) if listed.len() < LISTED_BUCKETS => listed.insert(i, (bucket, count)),
                Err(_) => {
                    let (first, last) = (
                        listed[0].0.min(bucket),
                        listed[listed.len() - 1].0.max(bucket),
                    );
                    let mut counts = vec![0; (last - first) as usize + 1];
                    for (b, n) in listed.iter().copied().chain([(bucket, count)]) {
                        counts[(b - first) as usize] += n;
                    }
                    *self = Histogram::Spanned { first, counts };
                }
            },
            Histogram::Spanned { first, counts } => {
                if bucket < *first {
                    let grown = (*first - bucket) as usize;
                    counts.splice(0..0, std::iter::repeat_n(0, grown));
                    *first = bucket;
                }
                let i = (bucket - *first) as usize;
                if i >= counts.len() {
                    counts.resize(i + 1, 0);
                }
                counts[i] += count;
            }
        }
    }

    /// The buckets used, in order, with their counts.
    fn counts(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        let (listed, first, spanned): (&[(u32, u64)], u32, &[u64]) = match self {
            Histogram::Listed(listed) => (listed, 0, &[]),
            Histogram::Spanned { first, counts } => (&[], *first, counts),
        };
        let spanned = (first..).zip(spanned.iter().copied());
        listed
            .iter()
            .copied()
            .chain(spanned.filter(|(_, n)| *n > 0))
    }
}

/// Nanoseconds to the histogram's unit, microseconds, rounded to the nearest.
fn micros(ns: u64) -> u64 {
    ns / 1000 + u64::from(ns % 1000 >= 500)
}

/// A set of durations as reports show it. Milliseconds; the statistics are absent (`null`)
/// when there are no durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationSummary {
    pub count: u64,
    pub total_ms: f64,
    pub min_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub buckets: Buckets,
}

/// How many durations fell in each of the seed documentation's response-time buckets (lower
/// bound included, upper bound excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Buckets {
    #[serde(rename = "0-10ms")]
    pub under_10ms: u64,
    #[serde(rename = "10-50ms")]
    pub under_50ms: u64,
    #[serde(rename = "50-100ms")]
    pub under_100ms: u64,
    #[serde(rename = "100-500ms")]
    pub under_500ms: u64,
    #[serde(rename = "500ms-1s")]
    pub under_1s: u64,
    #[serde(rename = "1s-5s")]
    pub under_5s: u64,
    #[serde(rename = "5s+")]
    pub over_5s: u64,
}

impl Buckets {
    fn from_counts(c: [u64; 7]) -> Buckets {
        Buckets {
            under_10ms: c[0],
            under_50ms: c[1],
            under_100ms: c[2],
            under_500ms: c[3],
            under_1s: c[4],
            under_5s: c[5],
            over_5s: c[6],
        }
    }

    /// The counts in the order of [`BUCKET_LABELS`].
    pub fn counts(&self) -> [u64; 7] {
        [
            self.under_10ms,
            self.under_50ms,
            self.under_100ms,
            self.under_500ms,
            self.under_1s,
            self.under_5s,
            self.over_5s,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact nearest-rank quantile of sorted values.
    fn exact(sorted: &[u64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1] as f64 / NANOS_PER_MILLI
    }

    fn within_bound(estimate: f64, truth: f64) -> bool {
        (estimate - truth).abs() <= truth * QUANTILE_RELATIVE_ERROR + QUANTILE_ABSOLUTE_ERROR_MS
    }

    #[test]
    fn exact_figures_and_buckets() {
        let mut d = Durations::new();
        for ms in [
            5, 10, 49, 50, 99, 100, 499, 500, 999, 1000, 4999, 5000, 60_000,
        ] {
            d.record(ms * 1_000_000);
        }
        let s = d.summary();
        assert_eq!(s.count, 13);
        assert_eq!(s.min_ms, Some(5.0));
        assert_eq!(s.max_ms, Some(60_000.0));
        assert_eq!(s.total_ms, 73_310.0);
        assert_eq!(s.buckets.counts(), [1, 2, 2, 2, 2, 2, 2]);
        assert!(within_bound(s.p50_ms.unwrap(), 499.0), "{s:?}");
        assert_eq!(Durations::new().summary().p50_ms, None);
    }

    #[test]
    fn buckets_are_exact_below_2048_and_then_1024_per_power_of_two() {
        assert_eq!(bucket_range(bucket_of(2047)), (2047, 2047));
        assert_eq!(bucket_range(bucket_of(2048)), (2048, 2049));
        assert_eq!(bucket_range(bucket_of(4096)), (4096, 4099));
        assert_eq!(bucket_of(4095) + 1, bucket_of(4096));
        assert_eq!(bucket_range(bucket_of(u64::MAX)).1, u64::MAX);
    }

    proptest::proptest! {
        /// Every value is in its bucket, buckets follow each other, and none is wider than
        /// 1/1024 of its values.
        #[test]
        fn a_bucket_holds_its_values_within_the_error_bound(value: u64) {
            let bucket = bucket_of(value);
            let (lowest, highest) = bucket_range(bucket);
            proptest::prop_assert!(lowest <= value && value <= highest);
            proptest::prop_assert!(highest - lowest <= lowest / 1024);
            proptest::prop_assert_eq!(bucket_of(lowest), bucket);
            proptest::prop_assert_eq!(bucket_of(highest), bucket);
            if lowest > 0 {
                proptest::prop_assert_eq!(bucket_of(lowest - 1) + 1, bucket);
            }
        }

        /// Quantiles stay within the stated bound, and merging equals recording together.
        #[test]
        fn quantiles_are_within_the_stated_bound(
            values in proptest::collection::vec(0u64..20_000_000_000, 1..400),
            split in 0usize..400,
        ) {
            let mut whole = Durations::new();
            let (mut left, mut right) = (Durations::new(), Durations::new());
            for (i, v) in values.iter().enumerate() {
                whole.record(*v);
                if i < split { left.record(*v) } else { right.record(*v) }
            }
            left.merge(&right);
            let mut sorted = values.clone();
            sorted.sort_unstable();
            for q in [0.5, 0.95, 0.99, 1.0] {
                let estimate = whole.quantile_ms(q).unwrap();
                proptest::prop_assert!(within_bound(estimate, exact(&sorted, q)),
                    "q={q} estimate={estimate} exact={}", exact(&sorted, q));
                proptest::prop_assert_eq!(left.quantile_ms(q), whole.quantile_ms(q));
            }
            proptest::prop_assert_eq!(left.summary(), whole.summary());
        }
    }
}
