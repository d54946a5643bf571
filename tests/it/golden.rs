//! Golden outputs: every shipped result under `results/` regenerates byte for byte from the
//! command `results/README.md` gives for it (every CSV, `allocation_table.md` and `sweep.json`;
//! `run.json` records wall time and the reports are drawn from the CSVs, so neither is compared).
//!
//! Under `cargo test` (an unoptimised build) the packing experiment's 240 runs would take minutes,
//! so it runs one shard of them (`--shard 7/13`: 18 runs across every workload, policy and several
//! seeds) and its rows are compared with the committed rows of the same runs. `.ci/run` runs the
//! whole set with the release binary:
//!
//! ```text
//! FLEETSIM_BIN=target/release/fleetsim FLEETSIM_GOLDEN_FULL=1 cargo test --test it golden
//! ```
//!
//! A deliberate change regenerates the results with `FLEETSIM_GOLDEN_BLESS=1` added to that
//! command (the compared files are written into `results/`; where a report's figures moved, redraw
//! it with the README's `fleetsim report` command), and says in `results/README.md` what moved and
//! why.

use crate::common::{root, tmp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One result directory and the command that makes it.
struct Golden {
    /// `run` or `sweep`.
    sub: String,
    /// The scenario or sweep file, relative to the root.
    file: String,
    /// The directory under `results/`.
    dir: String,
}

/// The commands of `results/README.md`, in the order it lists them.
fn goldens() -> Vec<Golden> {
    let text = std::fs::read_to_string(root().join("results/README.md")).unwrap();
    let mut out: Vec<Golden> = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if let ["fleetsim", sub @ ("run" | "sweep"), file, "--out", dir] = w.as_slice() {
            out.push(Golden {
                sub: sub.to_string(),
                file: file.to_string(),
                dir: dir.trim_start_matches("results/").to_string(),
            });
        }
    }
    out
}

fn bin() -> PathBuf {
    std::env::var_os("FLEETSIM_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_fleetsim")))
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// The files of a result directory that are compared.
fn compared(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") || n == "allocation_table.md" || n == "sweep.json")
        .collect();
    names.sort();
    names
}

/// The first line where `a` and `b` differ, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  committed: {x}\n  now:       {y}", i + 1);
        }
    }
    format!("{} lines committed, {} now", a.lines().count(), b.lines().count())
}

/// A CSV as its header and its rows keyed by their `run_id` (the first column where there is
/// none) plus the row's position among rows of that run (pods, nodes and curve files have many).
fn keyed_rows(text: &str) -> (String, BTreeMap<(String, usize), String>) {
    let mut lines = text.lines();
    let head = lines.next().unwrap_or_default().to_string();
    let col = head.split(',').position(|c| c == "run_id").unwrap_or(0);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = BTreeMap::new();
    for l in lines {
        let key = l.split(',').nth(col).unwrap_or_default().to_string();
        let n = seen.entry(key.clone()).or_default();
        rows.insert((key, *n), l.to_string());
        *n += 1;
    }
    (head, rows)
}

#[test]
fn every_shipped_result_regenerates_byte_identical() {
    let full = flag("FLEETSIM_GOLDEN_FULL");
    let bless = flag("FLEETSIM_GOLDEN_BLESS");
    assert!(!bless || full, "FLEETSIM_GOLDEN_BLESS=1 needs FLEETSIM_GOLDEN_FULL=1 (every run)");
    let all = goldens();
    assert!(all.len() >= 10, "results/README.md should list every shipped result's command");
    let mut failures = Vec::new();
    for g in &all {
        let committed = root().join("results").join(&g.dir);
        assert!(committed.is_dir(), "results/{} is listed in results/README.md but missing", g.dir);
        let out = tmp(&format!("golden-{}", g.dir));
        // The packing experiment is too slow unoptimised: one shard of its runs, rows compared.
        let shard = !full && g.dir == "fgd-openb";
        let mut cmd = Command::new(bin());
        cmd.current_dir(root()).args([&g.sub, &g.file, "--out", out.to_str().unwrap()]);
        if shard {
            cmd.args(["--shard", "7/13"]);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{} {}: {}", g.sub, g.file, String::from_utf8_lossy(&o.stderr));
        for name in compared(&committed) {
            if shard && name == "sweep.json" {
                continue; // a shard's manifest names the shard
            }
            let want = std::fs::read_to_string(committed.join(&name)).unwrap();
            let Ok(got) = std::fs::read_to_string(out.join(&name)) else {
                failures.push(format!("results/{}/{name}: not written any more", g.dir));
                continue;
            };
            if bless {
                std::fs::write(committed.join(&name), &got).unwrap();
                continue;
            }
            if shard && name.ends_with(".csv") {
                let ((wh, want), (gh, got)) = (keyed_rows(&want), keyed_rows(&got));
                if wh != gh {
                    failures.push(format!("results/{}/{name}: header\n  committed: {wh}\n  now:       {gh}", g.dir));
                }
                assert!(!got.is_empty(), "the shard of {} wrote no rows to {name}", g.dir);
                for (k, row) in &got {
                    if want.get(k) != Some(row) {
                        failures.push(format!(
                            "results/{}/{name}: run {} row {}\n  committed: {}\n  now:       {row}",
                            g.dir,
                            k.0,
                            k.1,
                            want.get(k).map(String::as_str).unwrap_or("(none)")
                        ));
                        break;
                    }
                }
            } else if shard {
                // allocation_table.md summarises every run; the shard's rows stand for it.
            } else if want != got {
                failures.push(format!("results/{}/{name}: {}", g.dir, first_difference(&want, &got)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} shipped result file(s) differ from what this build writes (regenerate deliberately, see the module docs):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
