//! Sweep outputs that survive interruption and split across machines.
//!
//! Each finished run leaves its [`Fragment`] (its rows of every output file) in
//! `DIR/.runs/<key>/`, written under a temporary name and renamed, so a directory there is
//! always complete. The key hashes the fleetsim version, the run id and the resolved scenario, so
//! a changed scenario or a new version runs again while an unchanged run is reused. The output
//! files are then assembled from the fragments in matrix order ([`crate::report::assemble`]):
//! the same bytes whether the runs came from one process, several threads, a resumed sweep or
//! shards merged. `DIR/sweep.json` lists the whole sweep (every run id and key, in order), which
//! is what `fleetsim merge` checks shards against.

use super::{write_atomic, Fragment, FORMAT_VERSION, ROW_FILES};
use crate::experiment::{RunOutput, RunSink, Shard};
use crate::scenario::RunSpec;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The key of a run's fragment: the fleetsim version, the summary's columns and the other row
/// files' headers (so a build that writes other columns does not reuse a stored run) and the
/// run's id and resolved scenario.
pub fn run_key(run_id: &str, scenario_hash: &str) -> String {
    let columns = crate::metrics::columns().join(",");
    let rows = crate::report::row_headers();
    crate::experiment::stable_hash(
        format!("{}\n{columns}\n{rows}\n{run_id}\n{scenario_hash}", env!("CARGO_PKG_VERSION")).as_bytes(),
    )
}

/// The fragments of one output directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store of output directory `out` (`out/.runs`).
    pub fn new(out: &Path) -> Store {
        Store { root: out.join(".runs") }
    }

    /// The output directory the store belongs to.
    pub fn dir(&self) -> &Path {
        self.root.parent().unwrap_or(Path::new("."))
    }

    /// Whether the run with `key` finished here.
    pub fn has(&self, key: &str) -> bool {
        self.root.join(key).is_dir()
    }

    /// Stores a finished run's fragment (atomically: a directory renamed into place).
    pub fn put(&self, key: &str, frag: &Fragment) -> io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        let tmp = self.root.join(format!(".tmp-{key}-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        for (name, text) in frag {
            std::fs::write(tmp.join(name), text)?;
        }
        let dest = self.root.join(key);
        if dest.is_dir() {
            // Another process finished the same run first; its fragment is the same.
            return std::fs::remove_dir_all(&tmp);
        }
        std::fs::rename(&tmp, dest)
    }

    /// A stored fragment.
    pub fn get(&self, key: &str) -> io::Result<Fragment> {
        let dir = self.root.join(key);
        let mut out = Vec::new();
        for name in ROW_FILES {
            match std::fs::read_to_string(dir.join(name)) {
                Ok(t) => out.push((name.to_string(), t)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display()))),
            }
        }
        if out.is_empty() {
            return Err(io::Error::other(format!("{}: an empty run record", dir.display())));
        }
        Ok(out)
    }

    /// Copies the fragment `key` of `other` into this store (no-op when present).
    pub fn copy_from(&self, other: &Store, key: &str) -> io::Result<()> {
        if self.has(key) || self.root == other.root {
            return Ok(());
        }
        self.put(key, &other.get(key)?)
    }
}

/// One run of a sweep as `sweep.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManifestRun {
    /// Run id.
    pub run_id: String,
    /// Fragment key.
    pub key: String,
}

/// `sweep.json`: the whole sweep, whichever share of it a directory holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Output format version.
    pub format_version: u32,
    /// fleetsim version.
    pub fleetsim_version: String,
    /// Sweep name.
    pub name: String,
    /// Matrix paths (parameter columns).
    pub axes: Vec<String>,
    /// `I/N` of the shard that wrote the directory (`0/1` for a whole sweep or a merge).
    pub shard: String,
    /// Every run of the sweep, in matrix order.
    pub runs: Vec<ManifestRun>,
}

impl Manifest {
    /// A manifest for `runs` (id, key) of sweep `name`.
    pub fn new(name: &str, axes: &[String], shard: Shard, runs: Vec<ManifestRun>) -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            fleetsim_version: env!("CARGO_PKG_VERSION").to_string(),
            name: name.to_string(),
            axes: axes.to_vec(),
            shard: format!("{}/{}", shard.index, shard.count),
            runs,
        }
    }

    /// Writes `dir/sweep.json`.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        write_atomic(&dir.join("sweep.json"), format!("{text}\n").as_bytes())
    }

    /// Reads `dir/sweep.json`.
    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let p = dir.join("sweep.json");
        let text = std::fs::read_to_string(&p).map_err(|e| {
            format!("{}: cannot read ({e}); is {} the output of `fleetsim sweep`?", p.display(), dir.display())
        })?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            let what = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(_)) => e.to_string(),
                Ok(serde_json::Value::Array(_)) => "expected a mapping, found a list".into(),
                Ok(_) => "expected a mapping (the manifest `fleetsim sweep` writes)".into(),
                Err(_) => format!("not JSON: {e}"),
            };
            format!("{}: not a sweep manifest: {what}", p.display())
        })?;
        if m.format_version != FORMAT_VERSION {
            return Err(format!(
                "{}: format_version {} is not one this fleetsim reads; expected {FORMAT_VERSION} (written by fleetsim {})",
                p.display(),
                m.format_version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        Ok(m)
    }
}

/// A sweep's sink: each finished run's fragment goes into the store under its key as soon as the
/// run finishes (on the worker thread, so an interruption loses only runs in flight).
pub struct StoreSink<'a> {
    /// The store.
    pub store: &'a Store,
    /// Each run id's fragment key.
    pub keys: BTreeMap<&'a str, &'a str>,
    /// The sweep's parameter columns.
    pub axes: &'a [String],
}

impl RunSink<()> for StoreSink<'_> {
    fn accept(&self, spec: &RunSpec, out: RunOutput) -> Result<(), String> {
        let key = self.keys.get(spec.run_id.as_str()).ok_or("no key")?;
        self.store
            .put(key, &super::fragment(&out, self.axes))
            .map_err(|e| format!("storing the run in {}: {e}", self.store.dir().display()))
    }
}
