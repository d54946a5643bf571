//! Sweep files: a base scenario and a matrix of values addressed by field path; each combination
//! is a run with a stable `run_id` derived from its parameters.
//!
//! ```yaml
//! name: fgd-openb
//! base:            # a scenario, inline (or `base_file: other.yaml`)
//!   cluster: { nodes_csv: ../traces/alibaba-gpu-v2023/openb_node_list_all_node.csv }
//!   workload: { trace: { pods_csv: ..., departures: false, inflate_gpu_pct: 130 } }
//!   placement: { policy: fgd, unschedulable: drop }
//! matrix:          # combinations in order, the first key outermost
//!   workload.trace.pods_csv: [a.csv, b.csv]
//!   placement.policy: [best-fit, fgd]
//!   seed: { from: 42, to: 51 }
//! ```
//!
//! `variants` names whole alternatives (each a set of field paths and values) when one matrix
//! value is not enough, e.g. a pool autoscaler against smart hosting, which differ in their whole
//! `pools` list. It is the outermost axis, named `variant`:
//!
//! ```yaml
//! variants:
//!   pool-autoscaler: { pools: [ ... ], scaler.expander: least-waste }
//!   smart-hosting:   { pools: [ ... ] }
//! matrix:          # optional when variants are given
//!   seed: { from: 1, to: 3 }
//! ```

use super::schema::RawScenario;
use super::validate::{validate, Loader, Scenario, ScenarioError};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Values of one matrix axis: a list, or an inclusive integer range.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    deny_unknown_fields,
    expecting = "expected a list of values (`[a, b]`) or a range of whole numbers (`{from: 1, to: 5}`)"
)]
enum Axis {
    Range { from: i64, to: i64 },
    List(Vec<Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    base: Option<RawScenario>,
    #[serde(default)]
    base_file: Option<String>,
    /// Several base scenarios: an outermost axis `base` (labels: the files' stems).
    #[serde(default)]
    base_files: Vec<String>,
    #[serde(default)]
    variants: IndexMap<String, IndexMap<String, Value>>,
    #[serde(default)]
    matrix: IndexMap<String, Axis>,
}

/// One value of an axis: its label (in run ids and parameter columns) and the fields it sets.
#[derive(Debug, Clone)]
pub struct Choice {
    label: String,
    sets: Vec<(String, Value)>,
    /// The directory the run's relative paths resolve against, when the choice brings its own
    /// base file.
    dir: Option<std::path::PathBuf>,
}

impl Choice {
    fn value(path: &str, v: Value) -> Choice {
        Choice { label: short(&v), sets: vec![(path.to_string(), v)], dir: None }
    }
}

/// One run of a sweep: its id and parameters, and the recipe for its scenario, built when the
/// run is about to start ([`RunSpec::scenario`]) so a sweep of many runs holds only their names.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Stable id from the parameters, e.g. `pods_csv=openb_pod_list_default|policy=fgd|seed=42`.
    pub run_id: String,
    /// (matrix path, value) in matrix order.
    pub params: Vec<(String, String)>,
    /// The hash of the run's resolved settings (as `experiment::scenario_hash` gives it for the
    /// built scenario): the key of its stored result.
    pub settings_hash: String,
    plan: Arc<Plan>,
    index: usize,
}

impl RunSpec {
    /// The run's validated scenario. Every run was validated when the sweep was loaded, so this
    /// fails only when a file it reads changed since.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        let (raw, dir) = self.plan.raw(self.index)?.2;
        let mut loader = self.plan.loader.lock().unwrap_or_else(|p| p.into_inner());
        validate(raw, &self.plan.file, &dir, &mut loader)
    }
}

/// A sweep's base and axes, from which run `i` is made.
#[derive(Debug)]
struct Plan {
    name: String,
    base: Value,
    matrix: Vec<(String, Vec<Choice>)>,
    file: String,
    dir: PathBuf,
    /// Trace and manifest files read once for every run.
    loader: Mutex<Loader>,
}

impl Plan {
    /// Run `index`'s (run id, params, (raw scenario, directory)); the last axis varies fastest.
    #[allow(clippy::type_complexity)]
    fn raw(&self, index: usize) -> Result<(String, Vec<(String, String)>, (RawScenario, PathBuf)), ScenarioError> {
        let mut pick = vec![0usize; self.matrix.len()];
        let mut rest = index;
        for (a, (_, vals)) in self.matrix.iter().enumerate().rev() {
            pick[a] = rest % vals.len();
            rest /= vals.len();
        }
        let mut j = self.base.clone();
        let mut params = Vec::with_capacity(self.matrix.len());
        let mut run_dir = &self.dir;
        for (a, (k, vals)) in self.matrix.iter().enumerate() {
            let c = &vals[pick[a]];
            if let Some(d) = &c.dir {
                run_dir = d;
            }
            for (path, v) in &c.sets {
                if path.is_empty() {
                    j = v.clone(); // a whole base scenario
                    continue;
                }
                set_path(&mut j, path, v.clone()).map_err(|m| ScenarioError::Field {
                    file: self.file.clone(),
                    field: if k == "variant" { format!("variants.{}.{path}", c.label) } else { format!("matrix.{k}") },
                    message: m,
                })?;
            }
            params.push((k.clone(), c.label.clone()));
        }
        let run_id = params
            .iter()
            .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
            .collect::<Vec<_>>()
            .join("|");
        let mut raw: RawScenario = crate::yaml::from_value(j).map_err(|(path, message)| {
            // The base parsed on its own, so the value that does not fit is one an axis set:
            // name the axis (or the variant) whose path holds the field.
            let field = self
                .matrix
                .iter()
                .zip(&pick)
                .flat_map(|((k, vals), &p)| vals[p].sets.iter().map(move |(set, _)| (k, &vals[p].label, set)))
                .filter(|(_, _, set)| {
                    !set.is_empty()
                        && (path == **set
                            || path.starts_with(&format!("{set}."))
                            || path.starts_with(&format!("{set}[")))
                })
                .map(
                    |(k, label, set)| {
                        if k == "variant" {
                            format!("variants.{label}.{set}")
                        } else {
                            format!("matrix.{k}")
                        }
                    },
                )
                .next_back()
                .unwrap_or_else(|| if path.is_empty() { "matrix".into() } else { path.clone() });
            ScenarioError::Field { file: self.file.clone(), field, message: format!("run {run_id}: {message}") }
        })?;
        if raw.name.is_none() {
            raw.name = Some(self.name.clone());
        }
        Ok((run_id, params, (raw, run_dir.clone())))
    }
}

/// An expanded sweep: its runs' names in matrix order, each built on demand.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Name.
    pub name: String,
    /// Matrix paths in order.
    pub axes: Vec<String>,
    /// Runs in matrix order.
    pub runs: Vec<RunSpec>,
    /// The runs' warnings, once each, sorted.
    pub warnings: Vec<String>,
}

/// A loaded file.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// A single scenario.
    Scenario(Box<Scenario>),
    /// A sweep.
    Sweep(Sweep),
}

fn parse_err(file: &str, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::Parse { file: file.to_string(), message: e.to_string() }
}

/// Loads a scenario or sweep file (a sweep has a top-level `matrix` or `variants`) with the
/// built-in controllers only.
pub fn load_file(path: &Path) -> Result<Loaded, ScenarioError> {
    load_file_with(path, &crate::controllers::Registry::default())
}

/// Loads a scenario or sweep file whose `controllers:` may name the controllers of `registry`.
pub fn load_file_with(path: &Path, registry: &crate::controllers::Registry) -> Result<Loaded, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| parse_err(&file, format!("cannot read: {e}")))?;
    load_str(&text, path, registry)
}

/// Loads a scenario or sweep from `text`, as if read from `path` (messages name it; relative paths
/// resolve against its directory; nothing is read at `path` itself).
pub fn load_str(text: &str, path: &Path, registry: &crate::controllers::Registry) -> Result<Loaded, ScenarioError> {
    let file = path.display().to_string();
    if text.trim().is_empty() {
        return Err(parse_err(
            &file,
            "the file is empty; expected a scenario (cluster, workload, placement) or a sweep (base, matrix)",
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let top: IndexMap<String, serde::de::IgnoredAny> = crate::yaml::from_str(text).map_err(|e| parse_err(&file, e))?;
    let mut loader = Loader::default();
    loader.registry = registry.clone();
    // A sweep: axes, or several base files (an axis by itself).
    if ["matrix", "variants", "base_files"].iter().any(|k| top.contains_key(*k)) {
        let raw: RawSweep = crate::yaml::from_str(text).map_err(|e| parse_err(&file, e))?;
        let name = raw.name.clone().unwrap_or_else(|| stem(path));
        let mut matrix = raw.matrix_pairs(&file)?;
        let read_base = |f: &str| -> Result<(RawScenario, std::path::PathBuf), ScenarioError> {
            let p = dir.join(f);
            let t = std::fs::read_to_string(&p)
                .map_err(|e| parse_err(&file, format!("base file `{f}`: cannot read: {e}")))?;
            let raw: RawScenario = crate::yaml::from_str(&t).map_err(|e| parse_err(&p.display().to_string(), e))?;
            Ok((raw, p.parent().unwrap_or(Path::new(".")).to_path_buf()))
        };
        // A base file's relative paths resolve against its own directory.
        let (base, base_dir) = match (raw.base, raw.base_file, raw.base_files.is_empty()) {
            (Some(b), None, true) => (b, dir.to_path_buf()),
            (None, Some(f), true) => read_base(&f)?,
            (None, None, false) => {
                let mut choices = Vec::new();
                let mut first = None;
                for f in &raw.base_files {
                    let (b, d) = read_base(f)?;
                    let v = serde_json::to_value(&b).map_err(|e| parse_err(&file, e))?;
                    choices.push(Choice {
                        label: stem(Path::new(f)),
                        sets: vec![(String::new(), v)],
                        dir: Some(d.clone()),
                    });
                    first.get_or_insert((b, d));
                }
                matrix.insert(0, ("base".to_string(), choices));
                first.expect("base_files is not empty")
            }
            _ => {
                return Err(parse_err(
                    &file,
                    "a sweep needs exactly one of `base` (inline scenario), `base_file` or `base_files` (a list)",
                ))
            }
        };
        return Ok(Loaded::Sweep(expand(&name, &base, &matrix, &file, &base_dir, loader)?));
    }
    let raw: RawScenario = crate::yaml::from_str(text).map_err(|e| parse_err(&file, e))?;
    Ok(Loaded::Scenario(Box::new(validate(raw, &file, dir, &mut loader)?)))
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "sweep".into())
}

impl RawSweep {
    fn matrix_pairs(&self, file: &str) -> Result<Vec<(String, Vec<Choice>)>, ScenarioError> {
        let mut out = Vec::new();
        if !self.variants.is_empty() {
            let choices = self
                .variants
                .iter()
                .map(|(name, sets)| Choice {
                    label: name.clone(),
                    sets: sets.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    dir: None,
                })
                .collect();
            out.push(("variant".to_string(), choices));
        }
        for (k, axis) in &self.matrix {
            let vals: Vec<Value> = match axis {
                Axis::List(v) => v.clone(),
                Axis::Range { from, to } => {
                    let n = (*to as i128 - *from as i128 + 1).max(0);
                    if n > MAX_RUNS as i128 {
                        return Err(ScenarioError::Field {
                            file: file.to_string(),
                            field: format!("matrix.{k}"),
                            message: format!(
                                "{{from: {from}, to: {to}}} is {n} values; a sweep has at most {MAX_RUNS} runs (split it into several sweeps or shards)"
                            ),
                        });
                    }
                    (*from..=*to).map(Value::from).collect()
                }
            };
            out.push((k.clone(), vals.into_iter().map(|v| Choice::value(k, v)).collect()));
        }
        Ok(out)
    }
}

/// Short text of a value for run ids and parameter columns: file stems for paths.
fn short(v: &Value) -> String {
    match v {
        Value::String(s) if s.contains('/') || s.ends_with(".csv") || s.ends_with(".yaml") => stem(Path::new(s)),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && out.is_empty() {
            return None;
        }
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            out.push(Seg::Index(r[..close].parse().ok()?));
            rest = &r[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

fn set_path(root: &mut Value, path: &str, v: Value) -> Result<(), String> {
    let segs = segments(path).ok_or_else(|| {
        format!("`{path}` is not a field path; expected e.g. `placement.policy` or `cluster.nodes[0].count`")
    })?;
    let mut cur = root;
    let mut walked = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Default::default());
                }
                let Value::Object(map) = cur else {
                    return Err(format!("`{walked}` is not a mapping, so `{path}` names no field"));
                };
                if !map.contains_key(k) && !map.is_empty() {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    let near = keys
                        .iter()
                        .min_by_key(|c| crate::yaml::edit_distance(c, k))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default();
                    let at = if walked.is_empty() { "the top level".to_string() } else { format!("`{walked}`") };
                    return Err(format!(
                        "`{path}` names no field: `{k}` is not a field of {at}{near}; fields there: {}",
                        keys.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
                walked = if walked.is_empty() { k.clone() } else { format!("{walked}.{k}") };
                let slot = map.entry(k.clone()).or_insert(Value::Null);
                if last {
                    *slot = v;
                    return Ok(());
                }
                cur = slot;
            }
            Seg::Index(ix) => {
                let Value::Array(items) = cur else {
                    return Err(format!("`{walked}` is not a list, so `{path}` names no field"));
                };
                let n = items.len();
                let slot = items
                    .get_mut(*ix)
                    .ok_or_else(|| format!("`{walked}[{ix}]`: the base has only {n} entries there"))?;
                walked = format!("{walked}[{ix}]");
                if last {
                    *slot = v;
                    return Ok(());
                }
                cur = slot;
            }
        }
    }
    Ok(())
}

/// The most runs a sweep may have (fleetsim's choice: 100 times the largest shipped sweep): checked
/// before a run is expanded, so a mistyped range is an error rather than an allocation the machine
/// cannot make.
pub const MAX_RUNS: usize = 100_000;

/// Expands a matrix over `base` into runs. Every combination is built and validated before any
/// run starts (and then dropped: a run's scenario is built again when it starts, so memory does
/// not grow with the number of runs).
pub fn expand(
    name: &str,
    base: &RawScenario,
    matrix: &[(String, Vec<Choice>)],
    file: &str,
    dir: &Path,
    loader: Loader,
) -> Result<Sweep, ScenarioError> {
    if matrix.is_empty() {
        return Err(parse_err(
            file,
            "`matrix` and `variants` are empty; give at least one field path with a list of values",
        ));
    }
    for (k, vals) in matrix {
        if vals.is_empty() {
            return Err(ScenarioError::Field {
                file: file.into(),
                field: format!("matrix.{k}"),
                message: "no values; expected a non-empty list or {from, to}".into(),
            });
        }
    }
    let total = matrix.iter().try_fold(1usize, |t, (_, v)| t.checked_mul(v.len())).filter(|&t| t <= MAX_RUNS);
    let Some(total) = total else {
        let sizes: Vec<String> = matrix.iter().map(|(k, v)| format!("{k}: {}", v.len())).collect();
        return Err(parse_err(
            file,
            format!(
                "the matrix makes more than {MAX_RUNS} runs ({}); split it into several sweeps or shards",
                sizes.join(" × ")
            ),
        ));
    };
    let plan = Arc::new(Plan {
        name: name.to_string(),
        base: serde_json::to_value(base).map_err(|e| parse_err(file, e))?,
        matrix: matrix.to_vec(),
        file: file.to_string(),
        dir: dir.to_path_buf(),
        loader: Mutex::new(loader),
    });
    let mut runs = Vec::with_capacity(total);
    let mut warnings = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for index in 0..total {
        let (run_id, params, (raw, run_dir)) = plan.raw(index)?;
        if !seen.insert(run_id.clone()) {
            return Err(parse_err(file, format!("two runs share the id `{run_id}`; make the matrix values distinct")));
        }
        let scenario = validate(raw, file, &run_dir, &mut plan.loader.lock().unwrap_or_else(|p| p.into_inner()))?;
        let json = serde_json::to_string(&scenario.raw).map_err(|e| parse_err(file, e))?;
        warnings.extend(scenario.warnings);
        runs.push(RunSpec {
            run_id,
            params,
            settings_hash: format!("{:016x}", crate::engine::rng::fnv1a(json.as_bytes())),
            plan: plan.clone(),
            index,
        });
    }
    Ok(Sweep {
        name: name.to_string(),
        axes: matrix.iter().map(|(k, _)| k.clone()).collect(),
        runs,
        warnings: warnings.into_iter().collect(),
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_path_reports_unknown_fields_with_a_suggestion() {
        let mut v = serde_json::json!({"placement": {"policy": "fgd", "unschedulable": "wait"}, "seed": 1});
        set_path(&mut v, "placement.policy", Value::from("best-fit")).unwrap();
        assert_eq!(v["placement"]["policy"], "best-fit");
        let e = set_path(&mut v, "placement.polcy", Value::from("x")).unwrap_err();
        assert!(e.contains("did you mean `policy`"), "{e}");
        let e = set_path(&mut v, "seed.x", Value::from(1)).unwrap_err();
        assert!(e.contains("not a mapping"), "{e}");
        assert!(set_path(&mut v, "a..b", Value::from(1)).is_err());
        let mut l = serde_json::json!({"nodes": [{"count": 1}]});
        set_path(&mut l, "nodes[0].count", Value::from(5)).unwrap();
        assert_eq!(l["nodes"][0]["count"], 5);
        assert!(set_path(&mut l, "nodes[3].count", Value::from(5)).unwrap_err().contains("only 1"));
    }
}
