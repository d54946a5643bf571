//! Raw scenario → validated [`Scenario`]: quantities parsed, names checked, traces loaded.

use super::schema::{RawScenario, RawWindow};
use crate::controllers::Setup;
use crate::core::quantity::parse_bytes;
use crate::core::quantity::{parse_cpu_milli, parse_memory_mib};
use crate::core::{NodeSpec, PolicyName, Taint};
use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use crate::market::Catalog;
use crate::sim::{ClusterSpec, Latency, Lifecycle, TimelineOp, Unschedulable};
use crate::workload::{TraceError, TracePod};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod fleet;
mod karpenter;
mod loader;
mod pods;
mod pools;
mod service;
mod synthetic;

pub(crate) use loader::Files;
pub use loader::Loader;
use pods::{checkpoint_of, deployment_spec, do_not_disrupt, pod_group, pod_template, toleration};
pub use pods::{PodTemplateFields, POD_RESOURCES};
pub use pools::ack_pools;
use pools::{catalog, gpu_sharing, pool_specs, read_catalog, scaler_config};

/// A scenario that cannot be loaded: the file, where in it, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The YAML does not parse or does not match the schema.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A field has an invalid value.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// Path of the field, e.g. `workload.pods[0].requests.cpu`.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A trace file referenced by the scenario is malformed.
    #[error("{0}")]
    Trace(#[from] TraceError),
}

pub use crate::sim::NodeMeta;

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Workload label for outputs (the trace's file stem, or `inline`).
    pub workload_name: String,
    /// Nodes with their metadata.
    pub nodes: Arc<Vec<(NodeSpec, NodeMeta)>>,
    /// Trace and inline pods sorted by creation, before inflation.
    pub pods: Arc<Vec<TracePod>>,
    /// Whether trace pods leave at their deletion time.
    pub departures: bool,
    /// Inflation target, % of GPU capacity.
    pub inflate_gpu_pct: Option<u32>,
    /// Placement policy.
    pub policy: PolicyName,
    /// Pending-pod rule.
    pub unschedulable: Unschedulable,
    /// End time.
    pub end: Option<SimTime>,
    /// Sampling interval.
    pub sample_interval: SimTime,
    /// Outputs.
    pub output: super::schema::RawOutput,
    /// The raw scenario, as resolved (for hashing).
    pub raw: RawScenario,
    /// The cluster's settings and controllers, when the scenario autoscales (or has a timeline,
    /// services, gangs or priorities).
    pub autoscale: Option<Arc<Setup>>,
    /// The fleet, when the scenario is one (its `autoscale` holds the fleet's timeline).
    pub fleet: Option<Arc<crate::controllers::fleet::FleetSpec>>,
    /// Things the user should know that do not stop the run (fields of imported manifests that
    /// fleetsim does not model).
    pub warnings: Vec<String>,
}

impl Scenario {
    /// The same scenario with its node autoscalers (smart hosting, cluster-autoscaler, Karpenter)
    /// replaced by `scaler`, a controller of one's own: what runs a shipped scenario with it. The
    /// resolved scenario records it in `controllers:` (so its hash differs). Not for fleets (each
    /// member has its own) or static clusters (nothing scales).
    pub fn with_node_scaler(&self, scaler: crate::controllers::ControllerSpec) -> Result<Scenario, String> {
        if self.fleet.is_some() {
            return Err(format!("{}: a fleet's node autoscalers are its members'", self.name));
        }
        let Some(setup) = &self.autoscale else {
            return Err(format!(
                "{}: a static cluster (the packing experiment) has no node autoscaler to replace",
                self.name
            ));
        };
        let mut s = self.clone();
        s.raw.controllers.push(serde_json::json!({ "name": scaler.name(), "replaces": "node autoscalers" }));
        s.autoscale = Some(Arc::new(setup.with_node_scaler(scaler)));
        Ok(s)
    }
}

struct Ctx<'a> {
    file: &'a str,
    dir: &'a Path,
    files: &'a Files,
}

impl Ctx<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Field { file: self.file.to_string(), field: field.into(), message: message.into() }
    }
    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
    /// A trace file's error; one that could not be opened at all is the scenario's field's error
    /// (the scenario named a file that is not there).
    fn unreadable(&self, field: &str, e: TraceError) -> ScenarioError {
        if e.line.is_none() && e.message.starts_with("cannot open") {
            let why = e.message.trim_start_matches("cannot open: ");
            self.err(field, format!("cannot read {}: {why}", e.path.display()))
        } else {
            e.into()
        }
    }
    fn duration(&self, field: &str, v: &str) -> Result<SimTime, ScenarioError> {
        parse_duration(v).map_err(|m| self.err(field, m))
    }
}

/// Validates `raw`, read from `file` (relative paths resolve against `dir`), reading trace files
/// through `loader`.
pub fn validate(raw: RawScenario, file: &str, dir: &Path, loader: &mut Loader) -> Result<Scenario, ScenarioError> {
    let files = loader.files.clone();
    let cx = Ctx { file, dir, files: &files };
    let name = raw.name.clone().unwrap_or_else(|| {
        Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into())
    });

    // Runs of a sweep that differ only in policy or seed share one copy of nodes and pods.
    // Synthetic pods depend on the seed and the simulation's start and end too.
    let synthetic_key = if raw.workload.synthetic.is_empty() {
        String::new()
    } else {
        format!("{}|{}", raw.seed, serde_json::to_string(&raw.simulation).unwrap_or_default())
    };
    let share_key = format!(
        "{}|{}|{}|{synthetic_key}",
        dir.display(),
        serde_json::to_string(&raw.cluster).unwrap_or_default(),
        serde_json::to_string(&raw.workload).unwrap_or_default()
    );
    let (nodes, pods) = match loader.built.get(&share_key) {
        Some(v) => v.clone(),
        None => {
            let (n, p) = build_nodes_and_pods(&cx, &raw, loader)?;
            let v = (Arc::new(n), Arc::new(p));
            loader.built.insert(share_key, v.clone());
            v
        }
    };
    let mut workload_name = "inline".to_string();
    let mut departures = true;
    let mut inflate = None;
    if let Some(t) = &raw.workload.trace {
        workload_name = cx.path(&t.pods_csv).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(p) = t.inflate_gpu_pct {
            if p == 0 || p > 1000 {
                return Err(cx.err(
                    "workload.trace.inflate_gpu_pct",
                    format!("{p} is out of range; expected 1..=1000 (% of GPU capacity)"),
                ));
            }
        }
        departures = t.departures;
        inflate = t.inflate_gpu_pct;
    }

    if let Some(rel) = &raw.catalog {
        read_catalog(&cx, rel)?; // a catalog named is read, even where no pool buys from it
    }
    let policy = PolicyName::parse(&raw.placement.policy).map_err(|m| {
        let near = crate::yaml::closest(&raw.placement.policy, PolicyName::ALL.iter().map(|p| p.as_str()));
        cx.err("placement.policy", near.map(|c| format!("{m} (did you mean `{c}`?)")).unwrap_or(m))
    })?;
    let unschedulable = match raw.placement.unschedulable.as_str() {
        "wait" => Unschedulable::Wait,
        "drop" => Unschedulable::Drop,
        other => return Err(cx.err("placement.unschedulable", format!("`{other}`; expected `wait` or `drop`"))),
    };
    let end = raw.simulation.end.as_deref().map(|e| cx.duration("simulation.end", e)).transpose()?;
    let sample_interval = cx.duration("simulation.sample_interval", &raw.simulation.sample_interval)?;
    if sample_interval == SimTime::ZERO {
        return Err(cx.err("simulation.sample_interval", "expected a positive duration"));
    }
    if let Some(p) = raw.output.allocation_curve {
        if p == 0 || p > 1000 {
            return Err(cx.err(
                "output.allocation_curve",
                format!("{p} is out of range; expected 1..=1000 (% of GPU capacity)"),
            ));
        }
    }
    let mut warnings = Vec::new();
    // Gang scheduling and priorities are modelled by the autoscaling run loop (with or without
    // pools); the packing engine places pods one by one in arrival order.
    let jobs = pods.iter().any(|p| p.gang.is_some() || p.priority != 0);
    let autoscale = if raw.pools.is_empty()
        && raw.timeline.is_empty()
        && raw.nodepools.is_empty()
        && raw.services.is_empty()
        && raw.controllers.is_empty()
        && !jobs
    {
        // Nothing scales, so no controller reads the scaler, sharing, lifecycle, Karpenter,
        // market or PDB settings; a bad value there is still an error rather than passed over.
        autoscale_spec(&cx, &raw, unschedulable, &loader.registry, &mut Vec::new())?;
        None
    } else {
        if end.is_none() {
            return Err(cx.err(
                "simulation.end",
                "a scenario with autoscaling, services, gang-scheduled jobs or priorities needs an end time (e.g. `2h`)",
            ));
        }
        Some(Arc::new(autoscale_spec(&cx, &raw, unschedulable, &loader.registry, &mut warnings)?))
    };
    let fleet = match &raw.fleet {
        None => None,
        Some(f) => {
            if end.is_none() {
                return Err(cx.err("simulation.end", "a fleet scenario needs an end time (e.g. `1h`)"));
            }
            let timeline = autoscale.as_ref().map(|a| &a.cluster.timeline[..]).unwrap_or(&[]);
            Some(Arc::new(fleet::fleet_spec(&cx, &raw, f, timeline, loader, &mut warnings)?))
        }
    };
    Ok(Scenario {
        autoscale,
        fleet,
        warnings,
        name,
        seed: raw.seed,
        workload_name,
        nodes,
        pods,
        departures,
        inflate_gpu_pct: inflate,
        policy,
        unschedulable,
        end,
        sample_interval,
        output: raw.output.clone(),
        raw,
    })
}

type NodesAndPods = (Vec<(NodeSpec, NodeMeta)>, Vec<TracePod>);

fn build_nodes_and_pods(cx: &Ctx<'_>, raw: &RawScenario, loader: &mut Loader) -> Result<NodesAndPods, ScenarioError> {
    // Nodes.
    let mut nodes = Vec::new();
    if let Some(csv) = &raw.cluster.nodes_csv {
        for spec in loader.nodes(&cx.path(csv)).map_err(|e| cx.unreadable("cluster.nodes_csv", e))?.iter().cloned() {
            let it = format!(
                "openb/{}-{}c-{}g",
                spec.gpu_model.as_deref().unwrap_or("cpu"),
                spec.cpu_milli / 1000,
                spec.gpu_count
            );
            nodes.push((spec, NodeMeta { pool: "trace".into(), instance_type: it }));
        }
    }
    for (i, g) in raw.cluster.nodes.iter().enumerate() {
        let f = |k: &str| format!("cluster.nodes[{i}].{k}");
        let cpu = parse_cpu_milli(&g.cpu).map_err(|e| cx.err(f("cpu"), e.to_string()))?;
        let mem = parse_memory_mib(&g.memory).map_err(|e| cx.err(f("memory"), e.to_string()))?;
        if g.gpus > crate::core::MAX_GPUS_PER_NODE {
            return Err(cx.err(f("gpus"), format!("{}; expected at most {}", g.gpus, crate::core::MAX_GPUS_PER_NODE)));
        }
        if g.gpus > 0 && g.gpu_model.as_deref().is_none_or(str::is_empty) {
            return Err(cx.err(f("gpu_model"), format!("{} GPUs need a gpu_model (e.g. A10, V100M16)", g.gpus)));
        }
        if g.count == 0 {
            return Err(cx.err(f("count"), "expected at least 1"));
        }
        // fleetsim's bound, ten times the largest cluster the benchmarks build: a mistyped count
        // is an error, not an allocation the machine cannot make.
        const MAX_INLINE_NODES: u64 = 200_000;
        let so_far = nodes.len() as u64;
        if g.count as u64 > MAX_INLINE_NODES.saturating_sub(so_far) {
            return Err(cx.err(
                f("count"),
                format!(
                    "{} nodes, {} with the groups before it; inline nodes are at most {MAX_INLINE_NODES}",
                    g.count,
                    g.count as u64 + so_far
                ),
            ));
        }
        let mut taints = Vec::new();
        for (j, t) in g.taints.iter().enumerate() {
            taints.push(Taint::parse(t).ok_or_else(|| {
                cx.err(
                    f(&format!("taints[{j}]")),
                    format!("`{t}` is not a taint; expected `key=value:Effect` with Effect NoSchedule, NoExecute or PreferNoSchedule"),
                )
            })?);
        }
        for k in 0..g.count {
            let spec = NodeSpec {
                name: format!("{}-{k}", g.name),
                cpu_milli: cpu,
                memory_mib: mem,
                gpu_count: g.gpus,
                gpu_model: if g.gpus > 0 { g.gpu_model.clone() } else { None },
                labels: g.labels.clone(),
                taints: taints.clone(),
                gpu_share: None,
                max_pods: None,
            };
            nodes.push((spec, NodeMeta { pool: g.name.clone(), instance_type: g.name.clone() }));
        }
    }
    let autoscaling = !raw.pools.is_empty()
        || !raw.timeline.is_empty()
        || !raw.nodepools.is_empty()
        || !raw.services.is_empty()
        || !raw.controllers.is_empty();
    if nodes.is_empty()
        && raw.pools.is_empty()
        && raw.nodepools.is_empty()
        && raw.fleet.is_none()
        && raw.controllers.is_empty()
    {
        return Err(
            cx.err("cluster", "no nodes; give `nodes_csv`, at least one entry under `nodes`, `pools` or `nodepools`")
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (n, _) in &nodes {
        if !seen.insert(n.name.clone()) {
            return Err(cx.err("cluster", format!("node name `{}` is used twice", n.name)));
        }
    }

    // Pods.
    let mut pods = Vec::new();
    if let Some(t) = &raw.workload.trace {
        if t.format != "alibaba" {
            return Err(
                cx.err("workload.trace.format", format!("unknown trace format `{}`; expected: alibaba", t.format))
            );
        }
        let path = cx.path(&t.pods_csv);
        let trace = loader.pods(&path).map_err(|e| cx.unreadable("workload.trace.pods_csv", e))?;
        let windowed: Vec<TracePod>;
        let trace: &[TracePod] = match &t.window {
            None => &trace,
            Some(w) => {
                let (wf, wt) = match w {
                    RawWindow::Bounds { from, to } => (from.as_str(), to.as_str()),
                    RawWindow::Range(r) => r.split_once("..").ok_or_else(|| {
                        cx.err("workload.trace.window", format!("`{r}` is not a window; expected e.g. `147d..148d`"))
                    })?,
                };
                let from = cx.duration("workload.trace.window.from", wf)?;
                let to = cx.duration("workload.trace.window.to", wt)?;
                if to <= from {
                    return Err(cx.err("workload.trace.window", format!("`to` ({wt}) must be after `from` ({wf})")));
                }
                windowed = trace
                    .iter()
                    .filter(|p| p.created >= from && p.created < to)
                    .map(|p| TracePod {
                        created: SimTime(p.created.0 - from.0),
                        deleted: p.deleted.map(|d| SimTime(d.0.saturating_sub(from.0))),
                        ..p.clone()
                    })
                    .collect();
                if windowed.is_empty() {
                    return Err(cx.err(
                        "workload.trace.window",
                        format!("no pod of {} was created in [{wf}, {wt})", t.pods_csv),
                    ));
                }
                &windowed
            }
        };
        let take = match t.limit {
            Some(0) => return Err(cx.err("workload.trace.limit", "expected at least 1")),
            Some(l) => (l as usize).min(trace.len()),
            None => trace.len(),
        };
        let checkpoint = checkpoint_of(cx, "workload.trace.checkpoint_interval", &t.checkpoint_interval)?;
        let dnd = do_not_disrupt(&t.annotations);
        let by_class = pods::trace_constraints(cx, t)?;
        pods.extend(trace[..take].iter().map(|p| {
            let mut p = TracePod { checkpoint, do_not_disrupt: dnd, ..p.clone() };
            by_class.apply(&mut p.spec);
            p
        }));
    }
    let traced = pods.len();
    for (i, g) in raw.workload.pods.iter().enumerate() {
        let so_far = (pods.len() - traced) as u64;
        pods.extend(pod_group(cx, i, g, so_far)?);
    }
    pods.extend(synthetic::synthetic_pods(cx, raw)?);
    if pods.is_empty() && !autoscaling {
        return Err(cx.err(
            "workload",
            "no pods; give a `trace`, at least one entry under `pods` or `synthetic`, or a `timeline`",
        ));
    }
    pods.sort_by_key(|p| p.created);

    Ok((nodes, pods))
}

/// The manifests listed under `field`, each item one written inline (a mapping) or the path of a
/// YAML file of documents (`---`), as (origin, document) in order; `what` names the expected
/// manifest in errors. Empty documents are skipped.
fn manifest_items(
    cx: &Ctx<'_>,
    field: &str,
    items: &[serde_json::Value],
    what: &str,
) -> Result<Vec<(String, serde_json::Value)>, ScenarioError> {
    let mut docs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            serde_json::Value::String(rel) => {
                let path = cx.path(rel);
                let read = Files::get(&cx.files.manifests, &path.to_path_buf(), || {
                    let file = path.display().to_string();
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| cx.err(format!("{field}[{i}]"), format!("cannot read {file}: {e}")))?;
                    crate::k8s::nodepool::manifest_documents(&file, &text)
                        .map_err(|message| ScenarioError::Parse { file: file.clone(), message })
                })?;
                docs.extend(read.iter().cloned());
            }
            serde_json::Value::Object(_) => docs.push((format!("{}: {field}[{i}]", cx.file), item.clone())),
            _ => {
                return Err(cx.err(
                    format!("{field}[{i}]"),
                    format!("expected {what} (a mapping) or the path of a YAML file of manifests"),
                ))
            }
        }
    }
    Ok(docs)
}

fn latency(cx: &Ctx<'_>, field: &str, v: &str) -> Result<Latency, ScenarioError> {
    Latency::parse(v).map_err(|m| cx.err(field, format!("{m}; expected a duration (`60s`) or a range (`45s..90s`)")))
}

fn autoscale_spec(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    unschedulable: Unschedulable,
    registry: &crate::controllers::Registry,
    warnings: &mut Vec<String>,
) -> Result<Setup, ScenarioError> {
    let cat = if raw.pools.is_empty() && raw.nodepools.is_empty() && raw.catalog.is_none() {
        Arc::new(Catalog::default())
    } else {
        catalog(cx, raw)?
    };
    let mut user = Vec::new();
    for (i, item) in raw.controllers.iter().enumerate() {
        let f = format!("controllers[{i}]");
        let m = item
            .as_object()
            .ok_or_else(|| cx.err(&f, "expected a mapping: the registered controller's `name` and its settings"))?;
        let name = m.get("name").and_then(serde_json::Value::as_str).ok_or_else(|| {
            cx.err(format!("{f}.name"), "missing; expected the name the controller is registered under")
        })?;
        let mut settings = m.clone();
        settings.remove("name");
        user.push(registry.build(name, &settings, &cat).map_err(|e| cx.err(&f, e))?);
    }
    let kp = karpenter::karpenter_parts(cx, raw, &cat)?;
    warnings.extend(kp.warnings);
    let sharing = gpu_sharing(cx, &raw.gpu_sharing)?;
    let pools = pool_specs(cx, &raw.pools, &cat, &sharing)?;
    let scaler = scaler_config(cx, &raw.scaler)?;
    let l = &raw.lifecycle;
    let bw =
        parse_bytes(&l.image_pull_bandwidth).map_err(|e| cx.err("lifecycle.image_pull_bandwidth", e.to_string()))?;
    if bw == 0 {
        return Err(cx.err("lifecycle.image_pull_bandwidth", "expected a positive number of bytes per second"));
    }
    let lifecycle = Lifecycle {
        instance_running: latency(cx, "lifecycle.instance_running", &l.instance_running)?,
        node_ready: latency(cx, "lifecycle.node_ready", &l.node_ready)?,
        gpu_advertised: latency(cx, "lifecycle.gpu_advertised", &l.gpu_advertised)?,
        pull_bytes_per_s: bw,
        container_start: latency(cx, "lifecycle.container_start", &l.container_start)?,
    };
    let mut timeline = Vec::new();
    // Services' Deployments are applied first, at t=0; the timeline may scale or delete them.
    let end = raw.simulation.end.as_deref().map(|e| cx.duration("simulation.end", e)).transpose()?;
    let services = service::services(cx, raw, end)?;
    let mut known: std::collections::BTreeSet<String> = services.iter().map(|(d, _)| d.name.clone()).collect();
    for (i, a) in raw.timeline.iter().enumerate() {
        let f = |k: &str| format!("timeline[{i}].{k}");
        let at = cx.duration(&f("at"), &a.at)?;
        let op = match (&a.apply, &a.scale, &a.delete) {
            (Some(d), None, None) => {
                if services.iter().any(|(s, _)| s.name == d.name) {
                    return Err(
                        cx.err(f("apply.name"), format!("`{}` is a service's Deployment, applied at t=0", d.name))
                    );
                }
                known.insert(d.name.clone());
                TimelineOp::Apply(Box::new(deployment_spec(cx, &|k: &str| f(&format!("apply.{k}")), d)?))
            }
            (None, Some(sc), None) => {
                if !known.contains(&sc.deployment) {
                    return Err(cx.err(
                        f("scale.deployment"),
                        format!("no deployment `{}` is applied before this step", sc.deployment),
                    ));
                }
                if sc.replicas > 100_000 {
                    return Err(
                        cx.err(f("scale.replicas"), format!("{} is absurd; expected at most 100000", sc.replicas))
                    );
                }
                TimelineOp::Scale { name: sc.deployment.clone(), replicas: sc.replicas }
            }
            (None, None, Some(de)) => {
                if !known.contains(&de.deployment) {
                    return Err(cx.err(
                        f("delete.deployment"),
                        format!("no deployment `{}` is applied before this step", de.deployment),
                    ));
                }
                TimelineOp::Delete { name: de.deployment.clone() }
            }
            _ => return Err(cx.err(format!("timeline[{i}]"), "expected exactly one of `apply`, `scale`, `delete`")),
        };
        timeline.push((at, op));
    }
    let mut applies: Vec<(SimTime, TimelineOp)> =
        services.iter().map(|(d, _)| (SimTime::ZERO, TimelineOp::Apply(Box::new(d.clone())))).collect();
    applies.append(&mut timeline);
    let mut timeline = applies;
    // Steps are checked in file order above; they run in time order (stable for equal times).
    timeline.sort_by_key(|(t, _)| *t);
    let mut group_stock = BTreeMap::new();
    for p in &pools {
        for (z, &n) in &p.stock {
            group_stock.insert((p.name.clone(), z.clone()), n);
        }
    }
    let cluster = ClusterSpec {
        lifecycle: Some(lifecycle),
        timeline,
        pdbs: kp.pdbs,
        gpu_memory_unit_mib: sharing.unit_mib,
        start_unix_minute: kp.start_unix_minute,
        cloud: crate::market::cloud::CloudSpec { market: kp.market, group_stock },
        unschedulable,
    };
    let services = services.into_iter().map(|(_, s)| s).collect();
    Ok(Setup::new(cluster, pools, scaler, kp.nodepools, kp.config, services, user))
}
