//! Follow mode end to end: the monitor, then the follower on files written as it watches.

use super::watch::Wake;
use super::*;
use std::fs::File;
use std::io::Write;
use std::ops::ControlFlow;
use std::thread;
use std::time::{Duration, Instant};

/// An entry as the writer appends it (after the first: `,` and a newline before it).
fn entry(agent: &str) -> String {
    format!(
        "{{\n  \"timestamp\": \"2025-05-02T14:32:15.123+05:30\",\n  \"agent_id\": \"{agent}\",\n  \"hook\": \"AfterAgentRun\"\n}}\n"
    )
}

fn trace_of(agents: &[&str]) -> String {
    let mut out = String::from("[\n");
    for (i, agent) in agents.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&entry(agent));
    }
    out
}

fn append(path: &Path, text: &str) {
    let mut file = File::options()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Follows `plan` until `done` holds for what was seen (as short lines), or 10 s pass.
fn watch_until(plan: Plan, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut follower = Follower::new(plan.clone()).unwrap();
    let mut monitor = plan.monitor();
    let stopper = monitor.stopper();
    let deadline = Instant::now() + Duration::from_secs(10);
    thread::spawn(move || {
        thread::sleep(deadline - Instant::now());
        stopper.stop();
    });
    let mut seen = Vec::new();
    while let Some(session) = follower
        .next_session(&mut monitor, &mut |_| seen.push("waiting".to_owned()))
        .unwrap()
    {
        seen.push(format!("session {}", session.id));
        let ended = follower
            .follow(&mut monitor, &mut |update| {
                match update {
                    Update::Entry(e) => seen.push(e.entry.agent_id.to_string()),
                    Update::Problem(p) => seen.push(format!("problem {}", p.message)),
                    Update::CaughtUp => return Ok(ControlFlow::Continue(())),
                    Update::Restarted { cause, .. } => seen.push(format!("{cause:?}")),
                    Update::Deleted { .. } => seen.push("deleted".to_owned()),
                }
                Ok(if done(&seen) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .unwrap();
        if ended != Ended::Newer {
            break;
        }
    }
    seen
}

fn plan(dir: &Path, arg: &str, switch_to_new: bool, watching: Watching) -> Plan {
    Plan::new(arg, dir, switch_to_new, watching).unwrap()
}

/// Runs `write` on another thread after a moment (once the follower is waiting).
fn later(write: impl FnOnce() + Send + 'static) {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(150));
        write();
    });
}

#[test]
fn the_monitor_passes_on_only_changes_to_paths_of_interest() {
    let dir = tempfile::tempdir().unwrap();
    let dir = fs::canonicalize(dir.path()).unwrap();
    let wanted = dir.join("a.trace.json");
    let interest = Interest {
        paths: vec![wanted.clone()],
        traces_in: None,
    };
    let mut monitor = Monitor::new(std::slice::from_ref(&dir), interest, Watching::Notify);
    assert!(!monitor.polling(), "{:?}", monitor.unavailable());
    let (other, path) = (dir.join("b.trace.json"), wanted.clone());
    later(move || {
        append(&other, "x");
        append(&path, "x");
    });
    let mut wakes = Vec::new();
    let got = monitor
        .run(|wake| {
            wakes.push(wake.clone());
            Ok(match wake {
                Wake::Changed(paths) => ControlFlow::Break(paths),
                Wake::Look => ControlFlow::Continue(()),
            })
        })
        .unwrap();
    assert_eq!(got, Some(vec![wanted]), "{wakes:?}");
}

#[test]
fn a_stopped_monitor_stops_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut monitor = Monitor::new(&[], Interest::default(), Watching::Poll);
    let stopper = monitor.stopper();
    later(move || stopper.stop());
    let mut looks = 0;
    let got: Option<()> = monitor
        .run(|_| {
            looks += 1;
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
    assert_eq!(got, None);
    assert!(monitor.is_stopped());
    assert!(looks >= 1, "polling looks every 100 ms");
    let mut follower = Follower::new(plan(dir.path(), "x", false, Watching::Poll)).unwrap();
    assert_eq!(
        follower.next_session(&mut monitor, &mut |_| {}).unwrap(),
        None
    );
}

#[test]
fn entries_are_passed_on_once_as_they_are_completed() {
    for watching in [Watching::Notify, Watching::Poll] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.trace.json");
        append(&path, &trace_of(&["a", "b"]));
        let writer = path.clone();
        later(move || {
            // The third entry in three writes, the cut inside a string.
            let third = format!(",\n{}", entry("c"));
            let (one, two) = third.split_at(30);
            append(&writer, one);
            thread::sleep(Duration::from_millis(120));
            append(&writer, &two[..5]);
            thread::sleep(Duration::from_millis(120));
            append(&writer, &two[5..]);
            append(&writer, &format!(",\n{}", entry("d")));
        });
        let seen = watch_until(plan(dir.path(), "s", false, watching), |seen| {
            seen.len() >= 5
        });
        assert_eq!(seen, ["session s", "a", "b", "c", "d"], "{watching:?}");
    }
}

#[test]
fn a_file_that_appears_later_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.trace.json");
    let plan = plan(dir.path(), "new", false, Watching::Notify);
    assert_eq!(
        plan.target,
        Target::Session {
            id: "new".to_owned(),
            paths: session::SUFFIXES
                .iter()
                .map(|s| fs::canonicalize(dir.path())
                    .unwrap()
                    .join(format!("new{s}")))
                .collect()
        }
    );
    later(move || append(&path, &trace_of(&["a"])));
    let seen = watch_until(plan, |seen| seen.len() >= 3);
    assert_eq!(seen, ["waiting", "session new", "a"]);
}

#[test]
fn a_truncated_replaced_or_recreated_file_is_read_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.trace.json");
    append(&path, &trace_of(&["a", "b"]));
    let writer = path.clone();
    let temp = dir.path().join("s.tmp");
    later(move || {
        let pause = || thread::sleep(Duration::from_millis(150));
        // A new run: the file truncated, then written longer than before.
        fs::write(&writer, trace_of(&["c", "d", "e"])).unwrap();
        pause();
        fs::write(&temp, trace_of(&["f"])).unwrap();
        fs::rename(&temp, &writer).unwrap();
        pause();
        fs::remove_file(&writer).unwrap();
        pause();
        append(&writer, &trace_of(&["g"]));
    });
    let seen = watch_until(plan(dir.path(), "s", false, Watching::Notify), |seen| {
        seen.last().is_some_and(|s| s == "g")
    });
    assert_eq!(
        seen,
        [
            "session s",
            "a",
            "b",
            "Truncated",
            "c",
            "d",
            "e",
            "Replaced",
            "f",
            "deleted",
            "Recreated",
            "g"
        ]
    );
}

#[test]
fn switching_goes_to_each_newer_session() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("old.trace.json"), &trace_of(&["a"]));
    let newer = dir.path().join("newer.trace.json");
    later(move || append(&newer, &trace_of(&["b"])));
    let seen = watch_until(plan(dir.path(), "latest", true, Watching::Notify), |seen| {
        seen.len() >= 4
    });
    assert_eq!(seen, ["session old", "a", "session newer", "b"]);
}

#[test]
fn latest_waits_for_a_first_session() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.trace.json");
    later(move || append(&first, &trace_of(&["a"])));
    let seen = watch_until(plan(dir.path(), "latest", false, Watching::Poll), |seen| {
        seen.len() >= 3
    });
    assert_eq!(seen, ["waiting", "session first", "a"]);
}
