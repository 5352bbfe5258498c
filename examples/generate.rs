//! Writes realistic synthetic traces (see `crates/synth`) for tests and benchmarks:
//!
//! ```text
//! cargo run --release --example generate -- --size 100MB --out big.trace.json
//! cargo run --release --example generate -- --sessions 10000 --dir traces/ --seed 7
//! cargo run --release --example generate -- --profile real --size 300MB --out real.trace.json
//! ```

use agentcli_synth::{
    EPOCH_UNIX_NANOS, Ending, Profile, Rng, SessionSpec, ZONES, directory_session, write_profiled,
};
use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use rayon::prelude::*;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Write synthetic AgenticGoKit traces, deterministically from a seed")]
struct Args {
    /// Seed: the same seed and options give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// One session of about this size (`100MB`, `1GB`, `64KiB`, bytes), written to --out.
    #[arg(long, value_parser = parse_size, requires = "out", conflicts_with = "sessions")]
    size: Option<u64>,
    /// The file for --size (`-` for stdout).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// How the --size file ends.
    #[arg(long, value_enum, default_value_t = EndingArg::Open)]
    ending: EndingArg,
    /// The session id of the --size file (default: from the file name).
    #[arg(long)]
    session: Option<String>,
    /// A directory of this many sessions, written to --dir (sizes vary around --session-size;
    /// most open, some closed, a few cut mid-entry).
    #[arg(long, requires = "dir")]
    sessions: Option<u64>,
    /// The directory for --sessions (created if missing).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The average size of a session of --sessions.
    #[arg(long, value_parser = parse_size, default_value = "100KB")]
    session_size: u64,
    /// Fill `state` on agent entries with the event's input, as the in-memory tracer does.
    #[arg(long)]
    with_state: bool,
    /// How big agents' output states are: `big` (long LLM text, ~940 B per entry), `real` (as
    /// the file logger writes real sessions, ~730 B per entry), `light` (~350 B per entry).
    #[arg(long, value_enum, default_value_t = ProfileArg::Big)]
    profile: ProfileArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Big,
    Real,
    Light,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Big => Profile::Big,
            ProfileArg::Real => Profile::Real,
            ProfileArg::Light => Profile::Light,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum EndingArg {
    Open,
    Closed,
    Cut,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 100MB"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KB, MB, GB, KiB, MiB, GiB"
            ));
        }
    };
    Ok((number * scale) as u64)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let (Some(size), Some(out)) = (args.size, &args.out) {
        let id = args.session.clone().unwrap_or_else(|| {
            let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            name.split('.').next().unwrap_or_default().to_owned()
        });
        let spec = SessionSpec {
            id: if id.is_empty() || id == "-" {
                "req-17461590".to_owned()
            } else {
                id
            },
            target_bytes: size,
            ending: match args.ending {
                EndingArg::Open => Ending::Open,
                EndingArg::Closed => Ending::Closed,
                EndingArg::Cut => Ending::Cut,
            },
            start_unix_nanos: EPOCH_UNIX_NANOS,
            offset_secs: ZONES[(args.seed % ZONES.len() as u64) as usize],
            with_state: args.with_state,
        };
        let mut rng = Rng::new(args.seed);
        let written = if out.as_os_str() == "-" {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            let written = write_profiled(&mut w, &mut rng, &spec, args.profile.into())?;
            w.flush()?;
            written
        } else {
            let file = File::create(out).with_context(|| format!("create {}", out.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let written = write_profiled(&mut w, &mut rng, &spec, args.profile.into())?;
            w.flush()?;
            written
        };
        eprintln!(
            "wrote {} bytes: {} entries, {} events",
            written.bytes, written.entries, written.events
        );
        return Ok(());
    }
    let (Some(count), Some(dir)) = (args.sessions, &args.dir) else {
        bail!("give --size SIZE --out FILE, or --sessions N --dir DIR");
    };
    fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let totals = (0..count)
        .into_par_iter()
        .map(|n| -> anyhow::Result<(u64, u64)> {
            let (mut spec, mut rng) = directory_session(args.seed, n, args.session_size);
            spec.with_state = args.with_state;
            let path = dir.join(format!("{}.trace.json", spec.id));
            let file = File::create(&path).with_context(|| format!("create {}", path.display()))?;
            let mut w = BufWriter::with_capacity(256 * 1024, file);
            let written = write_profiled(&mut w, &mut rng, &spec, args.profile.into())?;
            w.flush()?;
            Ok((written.bytes, written.entries))
        })
        .try_reduce(|| (0, 0), |a, b| Ok((a.0 + b.0, a.1 + b.1)))?;
    eprintln!(
        "wrote {count} sessions in {}: {} bytes, {} entries",
        dir.display(),
        totals.0,
        totals.1
    );
    Ok(())
}
