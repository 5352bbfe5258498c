//! Human-readable sizes and durations, as tables show them.

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
}
