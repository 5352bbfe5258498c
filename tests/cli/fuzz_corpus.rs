//! The fuzz targets as plain tests: every file of the committed corpus (`fuzz/corpus/<target>/`)
//! and every input that once crashed a target (`fuzz/regressions/<target>/`) run through the
//! target's checks. `cargo fuzz` needs nightly; this runs on stable, in `cargo test`.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::fs;
use std::path::Path;

/// Runs every input of one target; says which file failed.
fn run_inputs(target: &str) {
    let check = targets::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("a target of that name");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(files) = fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        for file in files {
            let path = file.expect("a corpus entry").path();
            let input = fs::read(&path).expect("a corpus file");
            if std::panic::catch_unwind(|| check(&input)).is_err() {
                panic!("{target} fails on {}", path.display());
            }
            ran += 1;
        }
    }
    assert!(ran > 0, "no corpus for {target}");
}

#[test]
fn reader_whole_corpus() {
    run_inputs("reader_whole");
}

#[test]
fn reader_chunked_corpus() {
    run_inputs("reader_chunked");
}

#[test]
fn filter_expression_corpus() {
    run_inputs("filter_expression");
}

#[test]
fn time_expression_corpus() {
    run_inputs("time_expression");
}

#[test]
fn renderers_corpus() {
    run_inputs("renderers");
}

#[test]
fn redact_corpus() {
    run_inputs("redact");
}

#[test]
fn every_target_has_a_test() {
    let names: Vec<&str> = targets::TARGETS.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "reader_whole",
            "reader_chunked",
            "filter_expression",
            "time_expression",
            "renderers",
            "redact"
        ]
    );
}
