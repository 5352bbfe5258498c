//! Every shape of input the reader takes, read through the binary.

use crate::common::{Workdir, json_of};

/// (file, status, entries) as `list --verbose` reports them.
fn listed(w: &Workdir) -> Vec<(String, String, u64)> {
    json_of(w.run(&["list", "-v", "--format", "json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let file = std::path::Path::new(s["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let status = s["status"].as_str().unwrap().to_owned();
            (file, status, s["entries"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn every_shape_is_read() {
    let w = Workdir::with(&[
        "shapes/empty.trace.json",
        "shapes/only-bracket.trace.json",
        "shapes/one-line.trace.json",
        "shapes/lines.trace.jsonl",
        "shapes/bom-crlf.trace.json",
        "shapes/archived.trace.json.gz",
        "shapes/disguised.trace.json",
        "shapes/lines.trace.jsonl.gz",
        "shapes/mixed-layout.trace.json",
        "req-17461592.trace.json",
    ]);
    let mut got = listed(&w);
    got.sort();
    let expect = [
        ("archived.trace.json.gz", "closed", 70),
        ("bom-crlf.trace.json", "open", 3),
        ("disguised.trace.json", "open", 3),
        ("empty.trace.json", "empty", 0),
        ("lines.trace.jsonl", "open", 3),
        ("lines.trace.jsonl.gz", "open", 3),
        // The file writer's layout, then the in-memory tracer's, then the file writer's: all 7.
        ("mixed-layout.trace.json", "closed", 7),
        ("one-line.trace.json", "closed", 3),
        ("only-bracket.trace.json", "open", 0),
        // Cut in the middle of its 40th entry: 39 whole entries, and no problem.
        ("req-17461592.trace.json", "open", 39),
    ];
    let expect: Vec<_> = expect
        .iter()
        .map(|(f, s, n)| (f.to_string(), s.to_string(), *n))
        .collect();
    assert_eq!(got, expect);
    w.run(&["list", "-v"]).assert().success().stderr("");
}
