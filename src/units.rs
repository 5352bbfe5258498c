//! Human-readable sizes, durations and reported numbers, as tables show them.

/// A byte count: `512 B`, `17.3 KiB`, `1.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A duration in milliseconds: `0.4ms`, `850ms`, `1.26s`, `2m03s`, `1h02m`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return "-".to_owned();
    }
    let sign = if ms < 0.0 { "-" } else { "" };
    let ms = ms.abs();
    if ms < 10.0 {
        let text = format!("{ms:.1}");
        let text = text.strip_suffix(".0").unwrap_or(&text);
        return format!("{sign}{text}ms");
    }
    if ms < 1000.0 {
        return format!("{sign}{ms:.0}ms");
    }
    let secs = ms / 1000.0;
    if secs < 60.0 {
        return format!("{sign}{secs:.2}s");
    }
    let whole = secs.round() as u64;
    if whole < 3600 {
        return format!("{sign}{}m{:02}s", whole / 60, whole % 60);
    }
    format!("{sign}{}h{:02}m", whole / 3600, whole / 60 % 60)
}

/// A metric's value as the tables show it: whole numbers whole, others to four decimals at
/// most (costs of a fraction of a cent stay visible; one from 100 up), trailing zeros dropped.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    let s = if n.abs() >= 100.0 {
        format!("{n:.1}")
    } else {
        format!("{n:.4}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" || s == "-0" {
        format!("{n:.2e}")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(17_715), "17.3 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms(0.0), "0ms");
        assert_eq!(duration_ms(0.42), "0.4ms");
        assert_eq!(duration_ms(108.5), "108ms");
        assert_eq!(duration_ms(1262.0), "1.26s");
        assert_eq!(duration_ms(123_000.0), "2m03s");
        assert_eq!(duration_ms(3_720_000.0), "1h02m");
        assert_eq!(duration_ms(-5.0), "-5ms");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(2151.0), "2151");
        assert_eq!(number(0.05), "0.05");
        assert_eq!(number(0.12345), "0.1235");
        assert_eq!(number(0.00001), "1.00e-5");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(2549.5556), "2549.6");
    }
}
