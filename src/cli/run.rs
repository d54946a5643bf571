//! `fleetsim run`, `sweep` and `merge`: runs, a sweep's runs across threads and shards, and the
//! shards' outputs assembled.

use super::load;
use fleetsim::experiment::Shard;
use fleetsim::experiment::{run_each, run_scenario};
use fleetsim::report::store::{run_key, Manifest, ManifestRun, Store, StoreSink};
use fleetsim::report::{assemble, write_outputs, RunMeta, SummaryRow};
use fleetsim::scenario::Loaded;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prints the summary: one row per run, or side by side (one column per run) for a comparison of
/// a few runs.
pub(super) fn print_summary(runs: &[SummaryRow]) {
    if runs.is_empty() {
        return;
    }
    for line in super::summary::table(runs) {
        outln!("{line}");
    }
    // Pods that never ran are the first thing to know: how many, and why (the top reasons; every
    // pod's is in pods.csv).
    for r in runs {
        let n = r.get("pods_never_scheduled");
        if n.parse::<u64>().is_ok_and(|n| n > 0) {
            let of = r.get("pods");
            let said = format!("{}: {n} of {of} pods never scheduled: {}", r.run_id, r.get("never_scheduled_reasons"));
            for line in super::summary::wrap(&said) {
                outln!("{line}");
            }
        }
    }
}

pub(super) fn cmd_run(path: &Path, out: &Path) -> i32 {
    if let Err(code) = super::out_dir(out) {
        return code;
    }
    let t0 = Instant::now();
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => s,
        // A comparison file (variants or a matrix) runs every combination, as `sweep` does.
        Ok(Loaded::Sweep(_)) => return cmd_sweep(path, out, None, Shard::ALL),
        Err(code) => return code,
    };
    let r = match run_scenario(&s.name, &[], &s) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: run `{}` failed: {e}", s.name);
            return 1;
        }
    };
    let meta = RunMeta { name: s.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads: 1 };
    match write_outputs(out, &[&r], &[], &meta) {
        Ok(w) => {
            print_summary(&w.summary);
            outln!("wrote {} in {}", w.files.join(", "), out.display());
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

pub(super) fn cmd_sweep(path: &Path, out: &Path, threads: Option<usize>, shard: Shard) -> i32 {
    if let Err(code) = super::out_dir(out) {
        return code;
    }
    let t0 = Instant::now();
    let sweep = match load(path) {
        Ok(Loaded::Sweep(s)) => s,
        Ok(Loaded::Scenario(_)) => {
            eprintln!(
                "error: {} is a single scenario (no `matrix` or `variants`); run it with `fleetsim run {}`",
                path.display(),
                path.display()
            );
            return 2;
        }
        Err(code) => return code,
    };
    let manifest_runs: Vec<ManifestRun> = sweep
        .runs
        .iter()
        .map(|r| ManifestRun { run_id: r.run_id.clone(), key: run_key(&r.run_id, &r.settings_hash) })
        .collect();
    let store = Store::new(out);
    let mine: Vec<usize> = (0..sweep.runs.len()).filter(|&i| shard.owns(i)).collect();
    let todo: Vec<usize> = mine.iter().copied().filter(|&i| !store.has(&manifest_runs[i].key)).collect();
    if todo.len() < mine.len() {
        eprintln!(
            "{} of {} runs already finished in {}; reusing them",
            mine.len() - todo.len(),
            mine.len(),
            out.display()
        );
    }
    // More threads than runs or cores only waits (and thousands exhaust the system's): cap.
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let useful = cores.min(todo.len()).max(1);
    let threads = match threads {
        Some(t) if t > useful => {
            eprintln!("note: --threads {t} capped at {useful} ({} runs to do, {cores} cores)", todo.len());
            useful
        }
        Some(t) => t.max(1),
        None => useful,
    };
    let tty = std::io::stderr().is_terminal();
    let bar = if tty && !todo.is_empty() {
        let b = indicatif::ProgressBar::new(todo.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let step = (todo.len() / 10).max(1);
    let progress = |done: usize, total: usize| match &bar {
        Some(b) => b.set_position(done as u64),
        None if done % step == 0 || done == total => eprintln!("{done}/{total} runs done"),
        None => {}
    };
    let specs: Vec<&fleetsim::scenario::RunSpec> = todo.iter().map(|&i| &sweep.runs[i]).collect();
    let keys: std::collections::BTreeMap<&str, &str> =
        manifest_runs.iter().map(|m| (m.run_id.as_str(), m.key.as_str())).collect();
    let sink = StoreSink { store: &store, keys, axes: &sweep.axes };
    let results = match run_each(&specs, threads, &progress, &sink) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut failed = 0;
    for f in results.iter().filter_map(|r| r.as_ref().err()) {
        failed += 1;
        let params: Vec<String> = f.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        eprintln!("error: run {} ({}) failed: {}", f.run_id, params.join(", "), f.message);
    }
    let manifest = Manifest::new(&sweep.name, &sweep.axes, shard, manifest_runs);
    let meta = RunMeta { name: sweep.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads };
    let code = write_from_store(out, &manifest, &mine, std::slice::from_ref(&store), &meta, &t0);
    if failed > 0 {
        eprintln!("{failed} of {} runs failed; run the same command again to retry only those", mine.len());
        return 1;
    }
    code
}

/// Assembles the outputs of the manifest's runs at `indices` (those found in `stores`, copied into
/// `out`'s own store) into `out`, writes `sweep.json`, prints the summary.
fn write_from_store(
    out: &Path,
    manifest: &Manifest,
    indices: &[usize],
    stores: &[Store],
    meta: &RunMeta,
    t0: &Instant,
) -> i32 {
    let own = Store::new(out);
    let mut frags = Vec::new();
    for &i in indices {
        let key = &manifest.runs[i].key;
        let Some(src) = stores.iter().find(|s| s.has(key)) else { continue };
        let got = own.copy_from(src, key).and_then(|_| own.get(key));
        match got {
            Ok(f) => frags.push(f),
            Err(e) => {
                eprintln!("error: run {}: {e}", manifest.runs[i].run_id);
                return 1;
            }
        }
    }
    let written = manifest.write(out).and_then(|_| assemble(out, &frags, meta));
    match written {
        Ok(w) => {
            if w.summary.len() <= 20 {
                print_summary(&w.summary);
            }
            outln!(
                "{} runs in {:.1} s on {} threads; wrote {}, sweep.json in {}",
                frags.len(),
                t0.elapsed().as_secs_f64(),
                meta.threads,
                w.files.join(", "),
                out.display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

pub(super) fn cmd_merge(dirs: &[PathBuf], out: &Path) -> i32 {
    let t0 = Instant::now();
    for (i, d) in dirs.iter().enumerate() {
        if dirs[..i].iter().any(|e| e == d) {
            eprintln!("error: {} is given twice; give each shard's directory once", d.display());
            return 2;
        }
    }
    let mut manifests = Vec::new();
    for d in dirs {
        match Manifest::read(d) {
            Ok(m) => manifests.push(m),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    }
    let Some(first) = manifests.first() else {
        eprintln!("error: give at least one sweep output directory to merge");
        return 2;
    };
    for (d, m) in dirs.iter().zip(&manifests) {
        if m.name != first.name || m.axes != first.axes || m.runs != first.runs {
            eprintln!(
                "error: {} holds a different sweep than {} (name, matrix or fleetsim version differ); merge only shards of one sweep",
                d.display(),
                dirs[0].display()
            );
            return 2;
        }
    }
    let stores: Vec<Store> = dirs.iter().map(|d| Store::new(d)).collect();
    let missing: Vec<&str> =
        first.runs.iter().filter(|r| !stores.iter().any(|s| s.has(&r.key))).map(|r| r.run_id.as_str()).collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).copied().collect();
        eprintln!(
            "error: {} of {} runs are in none of the directories (a shard missing or failed?): {}{}",
            missing.len(),
            first.runs.len(),
            shown.join(", "),
            if missing.len() > shown.len() { ", ..." } else { "" }
        );
        return 1;
    }
    let manifest = Manifest::new(&first.name, &first.axes, Shard::ALL, first.runs.clone());
    let meta = RunMeta { name: first.name.clone(), wall_time_s: t0.elapsed().as_secs_f64(), threads: 1 };
    let all: Vec<usize> = (0..manifest.runs.len()).collect();
    write_from_store(out, &manifest, &all, &stores, &meta, &t0)
}
