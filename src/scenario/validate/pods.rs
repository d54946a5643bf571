//! Pods as a scenario spells them (Kubernetes' names where Kubernetes has them): pod groups,
//! Deployment templates, tolerations, affinity.

use super::{Ctx, ScenarioError};
use crate::core::quantity::{parse_bytes, parse_count, parse_cpu_milli, parse_memory_mib};
use crate::core::requests::{pod_request, InitContainer};
use crate::core::{
    GpuRequest, NodeAffinity, PodSpec, Requirement, SelectorOperator, TaintEffect, Toleration, TolerationOperator,
};
use crate::engine::SimTime;
use crate::scenario::schema::{RawAffinity, RawPodGroup, RawToleration};
use crate::sim::DeploymentSpec;
use crate::workload::TracePod;
use std::collections::BTreeMap;

pub(super) fn toleration(cx: &Ctx<'_>, field: &str, t: &RawToleration) -> Result<Toleration, ScenarioError> {
    let operator = match t.operator.as_deref().unwrap_or("Equal") {
        "Equal" => TolerationOperator::Equal,
        "Exists" => TolerationOperator::Exists,
        o => return Err(cx.err(format!("{field}.operator"), format!("`{o}`; expected Equal or Exists"))),
    };
    let effect = match t.effect.as_deref() {
        None | Some("") => None,
        Some(e) => Some(TaintEffect::parse(e).ok_or_else(|| {
            cx.err(format!("{field}.effect"), format!("`{e}`; expected NoSchedule, NoExecute or PreferNoSchedule"))
        })?),
    };
    Ok(Toleration { key: t.key.clone(), operator, value: t.value.clone(), effect })
}

/// Resource names a pod group may request.
pub const POD_RESOURCES: [&str; 5] =
    ["cpu", "memory", "nvidia.com/gpu", "alibabacloud.com/gpu-milli", "aliyun.com/gpu-mem"];

/// The parts of a pod a scenario spells like Kubernetes, shared by `workload.pods` groups and
/// timeline Deployments.
pub struct PodTemplateFields<'a> {
    /// Requests by resource name.
    pub requests: &'a BTreeMap<String, String>,
    /// Limits by resource name (requests default to them).
    pub limits: Option<&'a BTreeMap<String, String>>,
    /// Accepted GPU models.
    pub gpu_models: &'a [String],
    /// nodeSelector.
    pub node_selector: &'a BTreeMap<String, String>,
    /// Tolerations.
    pub tolerations: &'a [RawToleration],
    /// Affinity.
    pub affinity: &'a Option<RawAffinity>,
}

pub(super) fn pod_template(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    g: PodTemplateFields<'_>,
    name: String,
) -> Result<PodSpec, ScenarioError> {
    let empty = BTreeMap::new();
    let limits = g.limits.unwrap_or(&empty);
    for (part, keys) in [("requests", g.requests), ("limits", limits)] {
        for k in keys.keys() {
            if !POD_RESOURCES.contains(&k.as_str()) {
                return Err(cx.err(
                    f(&format!("{part}.{k}")),
                    format!(
                        "unknown resource{}; expected one of {}",
                        crate::yaml::closest(k, POD_RESOURCES.iter().copied())
                            .map(|c| format!(" (did you mean `{c}`?)"))
                            .unwrap_or_default(),
                        POD_RESOURCES.join(", ")
                    ),
                ));
            }
        }
    }
    // A resource with a limit and no request is requested at its limit (Kubernetes defaulting).
    let q =
        |k: &str, parse: fn(&str) -> Result<u64, crate::core::quantity::QuantityError>| -> Result<u64, ScenarioError> {
            let (part, v) = match (g.requests.get(k), limits.get(k)) {
                (Some(v), _) => ("requests", v),
                (None, Some(v)) => ("limits", v),
                (None, None) => return Ok(0),
            };
            parse(v).map_err(|e| cx.err(f(&format!("{part}.{k}")), e.to_string()))
        };
    let cpu = q("cpu", parse_cpu_milli)?;
    let mem = q("memory", parse_memory_mib)?;
    let gpus = q("nvidia.com/gpu", parse_count)?;
    let share = q("alibabacloud.com/gpu-milli", parse_count)?;
    let mem_units = q("aliyun.com/gpu-mem", parse_count)?;
    if mem_units > 0 {
        if gpus > 0 || share > 0 {
            return Err(cx.err(
                f("requests"),
                "give one of nvidia.com/gpu, alibabacloud.com/gpu-milli and aliyun.com/gpu-mem, not several",
            ));
        }
        if mem_units > 1 << 20 {
            return Err(cx.err(
                f("requests.aliyun.com/gpu-mem"),
                format!("{mem_units} memory units is absurd; expected a count of the cluster's GPU memory unit"),
            ));
        }
    }
    let gpu = match (gpus, share) {
        _ if mem_units > 0 => GpuRequest::Memory { units: mem_units as u32 },
        (0, 0) => GpuRequest::None,
        (0, m) if m < 1000 => GpuRequest::Shared { milli: m as u32 },
        (0, m) => {
            return Err(cx.err(
                f("requests.alibabacloud.com/gpu-milli"),
                format!("{m}; expected 1..=999 (use nvidia.com/gpu for whole GPUs)"),
            ))
        }
        (n, 0) if n <= 1024 => GpuRequest::Whole { count: n as u32 },
        (n, 0) => return Err(cx.err(f("requests.nvidia.com/gpu"), format!("{n} is absurd; expected at most 1024"))),
        _ => {
            return Err(cx.err(
                f("requests"),
                "give either nvidia.com/gpu (whole GPUs) or alibabacloud.com/gpu-milli (a share), not both",
            ))
        }
    };
    let (_, tolerations, affinity) = constraints(cx, f, &BTreeMap::new(), g.tolerations, g.affinity)?;
    Ok(PodSpec {
        name,
        cpu_milli: cpu,
        memory_mib: mem,
        gpu,
        gpu_models: g.gpu_models.to_vec(),
        node_selector: g.node_selector.clone(),
        affinity,
        tolerations,
    })
}

/// A required node affinity; `f` names fields under the pod.
pub(super) fn node_affinity(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    a: &RawAffinity,
) -> Result<NodeAffinity, ScenarioError> {
    let mut terms = Vec::new();
    for (ti, term) in a.node_affinity.required.terms.iter().enumerate() {
        let mut reqs = Vec::new();
        for (ei, e) in term.match_expressions.iter().enumerate() {
            let field = f(&format!(
                "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{ti}].matchExpressions[{ei}]"
            ));
            let operator = SelectorOperator::parse(&e.operator).ok_or_else(|| {
                cx.err(
                    format!("{field}.operator"),
                    format!("`{}`; expected In, NotIn, Exists, DoesNotExist, Gt or Lt", e.operator),
                )
            })?;
            let r = Requirement { key: e.key.clone(), operator, values: e.values.clone() };
            r.validate().map_err(|m| cx.err(field.clone(), m))?;
            reqs.push(r);
        }
        terms.push(reqs);
    }
    Ok(NodeAffinity { terms })
}

/// Scheduling constraints validated: (nodeSelector, tolerations, required node affinity).
pub(super) type Constraints = (BTreeMap<String, String>, Vec<crate::core::Toleration>, Option<NodeAffinity>);

/// Validates a `nodeSelector`, tolerations and affinity given at `f`.
pub(super) fn constraints(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    node_selector: &BTreeMap<String, String>,
    tolerations: &[RawToleration],
    affinity: &Option<RawAffinity>,
) -> Result<Constraints, ScenarioError> {
    let tol = tolerations
        .iter()
        .enumerate()
        .map(|(j, t)| toleration(cx, &f(&format!("tolerations[{j}]")), t))
        .collect::<Result<Vec<_>, _>>()?;
    let aff = affinity.as_ref().map(|a| node_affinity(cx, f, a)).transpose()?;
    Ok((node_selector.clone(), tol, aff))
}

/// Adds `c` to `pod`: selectors merged (a key given twice with two values is the caller's
/// error, checked before), tolerations appended, affinities ANDed (Kubernetes ORs a node
/// affinity's terms, so both must hold: every pair of terms, joined).
pub(super) fn constrain(pod: &mut PodSpec, c: &Constraints) {
    pod.node_selector.extend(c.0.iter().map(|(k, v)| (k.clone(), v.clone())));
    pod.tolerations.extend(c.1.iter().cloned());
    pod.affinity = match (pod.affinity.take(), &c.2) {
        (None, b) => b.clone(),
        (a, None) => a,
        (Some(a), Some(b)) => Some(NodeAffinity {
            terms: a
                .terms
                .iter()
                .flat_map(|x| b.terms.iter().map(move |y| x.iter().chain(y).cloned().collect()))
                .collect(),
        }),
    };
}

/// A trace's scheduling constraints: those of every pod, and those of each GPU-request class
/// (whole GPUs, a share, none) on top.
pub(super) struct TraceConstraints {
    all: Constraints,
    by_class: [Option<Constraints>; 3],
}

impl TraceConstraints {
    /// Adds the constraints `pod` takes.
    pub(super) fn apply(&self, pod: &mut PodSpec) {
        constrain(pod, &self.all);
        let class = match pod.gpu {
            GpuRequest::Whole { .. } => 0,
            GpuRequest::Shared { .. } | GpuRequest::Memory { .. } => 1,
            GpuRequest::None => 2,
        };
        if let Some(c) = &self.by_class[class] {
            constrain(pod, c);
        }
    }
}

/// Validates `workload.trace`'s nodeSelector, tolerations, affinity and `classes`.
pub(super) fn trace_constraints(
    cx: &Ctx<'_>,
    t: &crate::scenario::schema::RawTrace,
) -> Result<TraceConstraints, ScenarioError> {
    let fw = |k: &str| format!("workload.trace.{k}");
    let all = constraints(cx, &fw, &t.node_selector, &t.tolerations, &t.affinity)?;
    let mut by_class: [Option<Constraints>; 3] = [None, None, None];
    if let Some(c) = &t.classes {
        for (k, (name, raw)) in [("gpu", &c.gpu), ("shared", &c.shared), ("cpu", &c.cpu)].into_iter().enumerate() {
            let Some(raw) = raw else { continue };
            let fc = |x: &str| format!("workload.trace.classes.{name}.{x}");
            for (key, v) in &raw.node_selector {
                if all.0.get(key).is_some_and(|w| w != v) {
                    return Err(cx.err(
                        fc(&format!("nodeSelector.{key}")),
                        format!(
                            "`{v}`, but workload.trace.nodeSelector gives `{}`; a pod cannot need both",
                            all.0[key]
                        ),
                    ));
                }
            }
            by_class[k] = Some(constraints(cx, &fc, &raw.node_selector, &raw.tolerations, &raw.affinity)?);
        }
    }
    Ok(TraceConstraints { all, by_class })
}

/// The most pods `workload.pods` may make in all (count × parallelism, summed over the groups):
/// fleetsim's choice, five times the million-pod day the benchmarks run, so that a mistyped count
/// is an error rather than an allocation the machine cannot make.
pub(super) const MAX_INLINE_PODS: u64 = 5_000_000;

/// The pods of group `i`; `so_far` is how many the groups before it made.
pub(super) fn pod_group(cx: &Ctx<'_>, i: usize, g: &RawPodGroup, so_far: u64) -> Result<Vec<TracePod>, ScenarioError> {
    let f = |k: &str| format!("workload.pods[{i}].{k}");
    let fields = PodTemplateFields {
        requests: &g.requests,
        limits: None,
        gpu_models: &g.gpu_models,
        node_selector: &g.node_selector,
        tolerations: &g.tolerations,
        affinity: &g.affinity,
    };
    let template = pod_template(cx, &f, fields, String::new())?;
    if g.count == 0 {
        return Err(cx.err(f("count"), "expected at least 1"));
    }
    let at = cx.duration(&f("at"), &g.at)?;
    let every = g.every.as_deref().map(|e| cx.duration(&f("every"), e)).transpose()?.unwrap_or(SimTime::ZERO);
    let duration = g.duration.as_deref().map(|d| cx.duration(&f("duration"), d)).transpose()?;
    let checkpoint = checkpoint_of(cx, &f("checkpoint_interval"), &g.checkpoint_interval)?;
    let workers = match g.parallelism {
        None => None,
        Some(0) | Some(10_001..) => {
            return Err(cx.err(
                f("parallelism"),
                format!("`{}`; expected 1..=10000 workers a job", g.parallelism.unwrap_or_default()),
            ))
        }
        Some(n) => Some(n),
    };
    if g.priority.unsigned_abs() > 1_000_000_000 {
        return Err(cx.err(f("priority"), format!("{}; expected -1e9..=1e9", g.priority)));
    }
    let total = g.count as u64 * workers.unwrap_or(1) as u64;
    if total > MAX_INLINE_PODS.saturating_sub(so_far) {
        return Err(cx.err(
            f("count"),
            format!(
                "{}{}; inline pods are at most {MAX_INLINE_PODS} (a trace or a synthetic workload holds more)",
                match workers {
                    Some(w) => format!("{} jobs of {w} workers make {total} pods", g.count),
                    None => format!("{total} pods"),
                },
                if so_far > 0 { format!(", {} with the groups before it", total + so_far) } else { String::new() }
            ),
        ));
    }
    let mut out = Vec::new();
    for k in 0..g.count as u64 {
        let t = SimTime(at.0 + every.0 * k);
        let base = TracePod {
            spec: PodSpec { name: format!("{}-{k}", g.name), ..template.clone() },
            created: t,
            deleted: duration.map(|d| t.plus(d)),
            checkpoint,
            do_not_disrupt: do_not_disrupt(&g.annotations),
            gang: None,
            priority: g.priority,
        };
        match workers {
            None => out.push(base),
            // A job of `n` workers: `<name>-<k>-w<j>`, one gang (ids unique per pod group and job).
            Some(n) => out.extend((0..n).map(|j| TracePod {
                spec: PodSpec { name: format!("{}-{k}-w{j}", g.name), ..base.spec.clone() },
                gang: Some(((i as u64) << 32 | k, n)),
                ..base.clone()
            })),
        }
    }
    Ok(out)
}

/// A Deployment as written, validated; `fa` names its fields for errors.
pub(crate) fn deployment_spec(
    cx: &Ctx<'_>,
    fa: &dyn Fn(&str) -> String,
    d: &crate::scenario::schema::RawDeployment,
) -> Result<DeploymentSpec, ScenarioError> {
    let fields = PodTemplateFields {
        requests: &d.requests,
        limits: Some(&d.limits),
        gpu_models: &d.gpu_models,
        node_selector: &d.node_selector,
        tolerations: &d.tolerations,
        affinity: &d.affinity,
    };
    let mut template = pod_template(cx, fa, fields, String::new())?;
    if !d.init_containers.is_empty() {
        let (cpu, mem) = init_containers(cx, fa, &d.init_containers)?;
        template.cpu_milli = pod_request([template.cpu_milli], cpu, 0);
        template.memory_mib = pod_request([template.memory_mib], mem, 0);
    }
    let image_bytes = match &d.image_size {
        Some(v) => parse_bytes(v).map_err(|e| cx.err(fa("image_size"), e.to_string()))?,
        None => 0,
    };
    if d.replicas > 100_000 {
        return Err(cx.err(fa("replicas"), format!("{} is absurd; expected at most 100000", d.replicas)));
    }
    Ok(DeploymentSpec {
        name: d.name.clone(),
        replicas: d.replicas,
        template,
        image: d.image.clone().unwrap_or_else(|| if image_bytes > 0 { d.name.clone() } else { String::new() }),
        image_bytes,
        grace: SimTime::from_secs(d.termination_grace_period_seconds),
        do_not_disrupt: do_not_disrupt(&d.annotations),
        labels: d.labels.clone(),
    })
}

/// A Deployment's init containers' CPU and memory requests, validated.
fn init_containers(
    cx: &Ctx<'_>,
    fa: &dyn Fn(&str) -> String,
    list: &[crate::scenario::schema::RawInitContainer],
) -> Result<(Vec<InitContainer>, Vec<InitContainer>), ScenarioError> {
    let (mut cpu, mut mem) = (Vec::new(), Vec::new());
    for (i, c) in list.iter().enumerate() {
        let fi = |k: &str| fa(&format!("initContainers[{i}].{k}"));
        let sidecar = match c.restart_policy.as_deref() {
            None => false,
            Some("Always") => true,
            Some(o) => return Err(cx.err(fi("restartPolicy"), format!("`{o}`; expected Always or no field"))),
        };
        for (part, keys) in [("requests", &c.requests), ("limits", &c.limits)] {
            if let Some(k) = keys.keys().find(|k| !["cpu", "memory"].contains(&k.as_str())) {
                return Err(cx.err(
                    fi(&format!("{part}.{k}")),
                    "an init container may request cpu and memory here; GPUs and other resources in init containers are not modelled",
                ));
            }
        }
        let q = |k: &str, parse: fn(&str) -> Result<u64, crate::core::quantity::QuantityError>| {
            let (part, v) = match (c.requests.get(k), c.limits.get(k)) {
                (Some(v), _) => ("requests", v),
                (None, Some(v)) => ("limits", v),
                (None, None) => return Ok(0),
            };
            parse(v).map_err(|e| cx.err(fi(&format!("{part}.{k}")), e.to_string()))
        };
        cpu.push(InitContainer { request: q("cpu", parse_cpu_milli)?, sidecar });
        mem.push(InitContainer { request: q("memory", parse_memory_mib)?, sidecar });
    }
    Ok((cpu, mem))
}

/// A positive checkpoint interval, if given.
pub(super) fn checkpoint_of(cx: &Ctx<'_>, field: &str, v: &Option<String>) -> Result<Option<SimTime>, ScenarioError> {
    match v.as_deref() {
        None => Ok(None),
        Some(s) => match cx.duration(field, s)? {
            SimTime::ZERO => Err(cx.err(field, "expected a positive interval (omit it for no checkpoints)")),
            d => Ok(Some(d)),
        },
    }
}

/// Whether annotations carry `karpenter.sh/do-not-disrupt: "true"`.
pub(super) fn do_not_disrupt(annotations: &BTreeMap<String, String>) -> bool {
    annotations.get("karpenter.sh/do-not-disrupt").is_some_and(|v| v == "true")
}
