//! Alibaba's GPU cluster trace v2023 (`openb_*`), as published with the FGD paper.
//!
//! Nodes (`openb_node_list_*.csv`): `sn, cpu_milli, memory_mib, gpu, model`.
//! Pods (`openb_pod_list_*.csv`): `name, cpu_milli, memory_mib, num_gpu, gpu_milli` are required;
//! `gpu_spec`, `creation_time`, `deletion_time` (seconds) and the rest are optional — the
//! `multigpu*` variants carry only the required five, and then pods arrive in file order at t = 0
//! with no departure time. Every value is checked; an error names the file, the line and the
//! column, and says what was expected.

use crate::core::{GpuRequest, NodeSpec, PodSpec};
use crate::engine::SimTime;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A malformed trace file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct TraceError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// One pod of the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TracePod {
    /// The pod.
    pub spec: PodSpec,
    /// Creation time (the trace's seconds, converted once here).
    pub created: SimTime,
    /// Deletion time, if the trace has one.
    pub deleted: Option<SimTime>,
    /// Checkpoint interval of the job (none: an evicted pod starts over).
    pub checkpoint: Option<SimTime>,
    /// Annotated `karpenter.sh/do-not-disrupt: "true"`.
    pub do_not_disrupt: bool,
    /// The gang (job id, workers) it belongs to: all workers start together or none does.
    pub gang: Option<(u64, u32)>,
    /// Scheduling priority (higher first).
    pub priority: i32,
}

/// Largest plausible values; beyond them a row is rejected as absurd.
const MAX_CPU_MILLI: u64 = 100_000_000; // 100k cores
const MAX_MEMORY_MIB: u64 = 1 << 34; // 16 PiB
const MAX_GPUS: u64 = 1024;

struct Columns {
    idx: BTreeMap<String, usize>,
}

impl Columns {
    fn new(path: &Path, headers: &csv::StringRecord, required: &[&str]) -> Result<Self, TraceError> {
        let idx: BTreeMap<String, usize> = headers.iter().enumerate().map(|(i, h)| (h.trim().to_string(), i)).collect();
        let missing: Vec<&str> = required.iter().copied().filter(|c| !idx.contains_key(*c)).collect();
        if !missing.is_empty() {
            return Err(TraceError {
                path: path.into(),
                line: Some(1),
                message: format!(
                    "missing column(s) {}; the header must name {} (found: {})",
                    missing.join(", "),
                    required.join(", "),
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        Ok(Columns { idx })
    }

    fn get<'r>(&self, rec: &'r csv::StringRecord, col: &str) -> Option<&'r str> {
        self.idx.get(col).and_then(|&i| rec.get(i)).map(str::trim)
    }
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, TraceError> {
    let f = std::fs::File::open(path).map_err(|e| TraceError {
        path: path.into(),
        line: None,
        message: format!("cannot open: {e}"),
    })?;
    Ok(csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(f))
}

fn headers(path: &Path, r: &mut csv::Reader<std::fs::File>) -> Result<csv::StringRecord, TraceError> {
    let h = r.headers().map_err(|e| csv_err(path, e))?.clone();
    if h.is_empty() || (h.len() == 1 && h.get(0).is_some_and(|s| s.trim().is_empty())) {
        return Err(TraceError {
            path: path.into(),
            line: Some(1),
            message: "the file is empty; expected a CSV header row".into(),
        });
    }
    Ok(h)
}

fn csv_err(path: &Path, e: csv::Error) -> TraceError {
    TraceError { path: path.into(), line: e.position().map(|p| p.line()), message: csv_message(&e) }
}

/// A CSV reader's error in the reader's words (without the crate's record and byte offsets; the
/// caller names the line).
pub fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields, expected {expected_len} like the header (truncated or malformed row?)")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    }
}

fn uint(path: &Path, line: u64, col: &str, v: Option<&str>, max: u64) -> Result<u64, TraceError> {
    let err = |m: String| TraceError { path: path.into(), line: Some(line), message: m };
    let s = v.ok_or_else(|| err(format!("column `{col}` is missing")))?;
    let n: u64 = s.parse().map_err(|_| {
        if s.starts_with('-') {
            err(format!("column `{col}` is `{s}`: negative; expected a whole number >= 0"))
        } else if s.is_empty() {
            err(format!("column `{col}` is empty; expected a whole number >= 0"))
        } else {
            err(format!("column `{col}` is `{s}`; expected a whole number >= 0"))
        }
    })?;
    if n > max {
        return Err(err(format!("column `{col}` is {n}, which is absurd; expected at most {max}")));
    }
    Ok(n)
}

/// Reads a node list. Nodes get labels `fleetsim.io/gpu-model` (when they have GPUs).
pub fn read_nodes(path: &Path) -> Result<Vec<NodeSpec>, TraceError> {
    let mut r = open(path)?;
    let h = headers(path, &mut r)?;
    let cols = Columns::new(path, &h, &["sn", "cpu_milli", "memory_mib", "gpu", "model"])?;
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_err(path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let err = |m: String| TraceError { path: path.into(), line: Some(line), message: m };
        let name = cols.get(&rec, "sn").unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(err("column `sn` (node name) is empty".into()));
        }
        if !names.insert(name.clone()) {
            return Err(err(format!("node `{name}` appears twice")));
        }
        let gpus = uint(path, line, "gpu", cols.get(&rec, "gpu"), crate::core::MAX_GPUS_PER_NODE as u64)? as u32;
        let model = cols.get(&rec, "model").unwrap_or_default().to_string();
        if gpus > 0 && model.is_empty() {
            return Err(err(format!("node `{name}` has {gpus} GPUs but no `model`")));
        }
        let mut labels = BTreeMap::new();
        if gpus > 0 {
            labels.insert("fleetsim.io/gpu-model".to_string(), model.clone());
        }
        out.push(NodeSpec {
            name,
            cpu_milli: uint(path, line, "cpu_milli", cols.get(&rec, "cpu_milli"), MAX_CPU_MILLI)?,
            memory_mib: uint(path, line, "memory_mib", cols.get(&rec, "memory_mib"), MAX_MEMORY_MIB)?,
            gpu_count: gpus,
            gpu_model: if gpus > 0 { Some(model) } else { None },
            labels,
            taints: Vec::new(),
            gpu_share: None,
            max_pods: None,
        });
    }
    if out.is_empty() {
        return Err(TraceError {
            path: path.into(),
            line: None,
            message: "no nodes; expected at least one data row".into(),
        });
    }
    Ok(out)
}

/// Writes pods as an Alibaba `openb_pod_list` CSV that [`read_pods`] reads back to the same pods:
/// `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time` (times in
/// whole seconds, rounded down; `gpu_milli` is per GPU, 1000 for whole GPUs). This is fleetsim's
/// generic pod-list format: tolerations, node selectors and affinity are not carried.
pub fn write_pods(pods: &[TracePod]) -> Result<String, String> {
    let mut out = String::from("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n");
    for p in pods {
        let (n, m) = match p.spec.gpu {
            GpuRequest::None => (0, 0),
            GpuRequest::Shared { milli } => (1, milli),
            GpuRequest::Whole { count } => (count, crate::core::MILLI_PER_GPU),
            GpuRequest::Memory { .. } => {
                return Err(format!("pod {}: GPU-memory requests have no openb pod-list form", p.spec.name))
            }
        };
        if p.spec.name.trim() != p.spec.name {
            return Err(format!(
                "pod {:?}: a name with leading or trailing whitespace has no pod-list form (the reader trims fields)",
                p.spec.name
            ));
        }
        let name = if p.spec.name.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", p.spec.name.replace('"', "\"\""))
        } else {
            p.spec.name.clone()
        };
        out.push_str(&format!(
            "{name},{},{},{n},{m},{},{},{}\n",
            p.spec.cpu_milli,
            p.spec.memory_mib,
            p.spec.gpu_models.join("|"),
            p.created.0 / 1000,
            p.deleted.map(|d| (d.0 / 1000).to_string()).unwrap_or_default()
        ));
    }
    Ok(out)
}

/// Reads a pod list, sorted stably by creation time.
pub fn read_pods(path: &Path) -> Result<Vec<TracePod>, TraceError> {
    let mut r = open(path)?;
    let h = headers(path, &mut r)?;
    let cols = Columns::new(path, &h, &["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"])?;
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| csv_err(path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let err = |m: String| TraceError { path: path.into(), line: Some(line), message: m };
        let name = cols.get(&rec, "name").unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(err("column `name` is empty".into()));
        }
        if !names.insert(name.clone()) {
            return Err(err(format!("pod `{name}` appears twice; a pod list's names are unique")));
        }
        let num_gpu = uint(path, line, "num_gpu", cols.get(&rec, "num_gpu"), MAX_GPUS)? as u32;
        let gpu_milli = uint(path, line, "gpu_milli", cols.get(&rec, "gpu_milli"), 1000)? as u32;
        let gpu = GpuRequest::from_counts(num_gpu, gpu_milli).map_err(|m| err(format!("pod `{name}`: {m}")))?;
        let gpu_models: Vec<String> = cols
            .get(&rec, "gpu_spec")
            .unwrap_or_default()
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let creation_s = match cols.get(&rec, "creation_time") {
            Some(v) => uint(path, line, "creation_time", Some(v), u64::MAX / 1000)?,
            None => 0,
        };
        let deletion_s = match cols.get(&rec, "deletion_time") {
            Some("") | None => None,
            Some(v) => Some(uint(path, line, "deletion_time", Some(v), u64::MAX / 1000)?),
        };
        if let Some(d) = deletion_s {
            if d < creation_s {
                return Err(err(format!("pod `{name}`: deletion_time {d} is before creation_time {creation_s}")));
            }
        }
        out.push(TracePod {
            spec: PodSpec {
                name,
                cpu_milli: uint(path, line, "cpu_milli", cols.get(&rec, "cpu_milli"), MAX_CPU_MILLI)?,
                memory_mib: uint(path, line, "memory_mib", cols.get(&rec, "memory_mib"), MAX_MEMORY_MIB)?,
                gpu,
                gpu_models,
                ..Default::default()
            },
            created: SimTime::from_secs(creation_s),
            deleted: deletion_s.map(SimTime::from_secs),
            checkpoint: None,
            do_not_disrupt: false,
            gang: None,
            priority: 0,
        });
    }
    if out.is_empty() {
        return Err(TraceError {
            path: path.into(),
            line: None,
            message: "no pods; expected at least one data row".into(),
        });
    }
    out.sort_by_key(|p| p.created);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, body: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fleetsim-alibaba-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("{name}.csv"));
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn reads_pods_with_optional_columns() {
        let p = write(
            "ok",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,creation_time,deletion_time\n\
             a,1000,512,1,460,V100M16|V100M32,5,10\n\
             b,2000,1024,8,1000,,1,\n",
        );
        let pods = read_pods(&p).unwrap();
        assert_eq!(pods[0].spec.name, "b", "sorted by creation time");
        assert_eq!(pods[0].spec.gpu, GpuRequest::Whole { count: 8 });
        assert_eq!(pods[0].deleted, None);
        assert_eq!(pods[1].spec.gpu_models, vec!["V100M16", "V100M32"]);
        assert_eq!(pods[1].spec.gpu, GpuRequest::Shared { milli: 460 });
        let minimal = write("min", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1,1,0,0\n");
        assert_eq!(read_pods(&minimal).unwrap()[0].created, SimTime::ZERO);
    }

    #[test]
    fn bad_rows_name_file_line_and_column() {
        let neg = write("neg", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1000,512,0,0\nb,-5,512,0,0\n");
        let e = read_pods(&neg).unwrap_err();
        assert_eq!(e.line, Some(3));
        let msg = e.to_string();
        assert!(msg.contains("neg.csv:3") && msg.contains("cpu_milli") && msg.contains("negative"), "{msg}");
        let missing = write("missing", "name,cpu_milli,memory_mib,num_gpu\na,1,1,0\n");
        let msg = read_pods(&missing).unwrap_err().to_string();
        assert!(msg.contains("missing column(s) gpu_milli"), "{msg}");
        let trunc = write("trunc", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,1,0,0\nb,1,1\n");
        let msg = read_pods(&trunc).unwrap_err().to_string();
        assert!(msg.contains(":3") && msg.contains("3 fields, expected 5"), "{msg}");
        let text = write("text", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,lots,1,0,0\n");
        assert!(read_pods(&text).unwrap_err().to_string().contains("`lots`"));
        let frac = write("frac", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,1,2,500\n");
        assert!(read_pods(&frac).unwrap_err().to_string().contains("only possible on one GPU"));
        let empty = write("empty", "");
        assert!(read_pods(&empty).unwrap_err().to_string().contains("empty"));
        let header_only = write("hdr", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n");
        assert!(read_pods(&header_only).unwrap_err().to_string().contains("no pods"));
        let absurd = write("absurd", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,1,5000,1000\n");
        assert!(read_pods(&absurd).unwrap_err().to_string().contains("absurd"));
    }

    #[test]
    fn reads_nodes() {
        let p = write("nodes", "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,393216,8,G2\nn1,32000,262144,0,\n");
        let n = read_nodes(&p).unwrap();
        assert_eq!(n[0].gpu_model.as_deref(), Some("G2"));
        assert_eq!(n[1].gpu_model, None);
        let dup = write("dup", "sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,0,\nn0,1,1,0,\n");
        assert!(read_nodes(&dup).unwrap_err().to_string().contains("twice"));
        let nomodel = write("nomodel", "sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,2,\n");
        assert!(read_nodes(&nomodel).unwrap_err().to_string().contains("no `model`"));
        let huge = write("huge", "sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,300,A10\n");
        let msg = read_nodes(&huge).unwrap_err().to_string();
        assert!(msg.contains("huge.csv:2") && msg.contains("`gpu` is 300") && msg.contains("at most 256"), "{msg}");
    }
}
