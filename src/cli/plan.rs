//! `fleetsim plan`: a dump and its node autoscalers' manifests in, the plan out.

use super::read_json;
use std::path::Path;

/// The AWS GPU catalog shipped with the scenarios: `fleetsim plan`'s default.
/// The shipped full EC2 catalog, us-east-1 (every type Karpenter's AWS provider prices there).
const AWS_CATALOG: &str = include_str!("../../scenarios/catalogs/aws-us-east-1.yaml");

/// The node autoscalers of a `--pools` file: Karpenter NodePool manifests (launching from
/// `catalog`, default the shipped AWS GPU catalog), or one mapping with ACK `pools:` (launching
/// from `catalog` or the file's own `catalog:`). Warnings go to stderr.
fn plan_pools(pools: &Path, catalog: Option<&Path>) -> Result<fleetsim::plan::Scalers, i32> {
    let fail = |file: &Path, m: String| {
        eprintln!("error: {}: {m}", file.display());
        2
    };
    let cat = match catalog {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| fail(p, format!("cannot read: {e}")))?;
            Some(parse_catalog(&p.display().to_string(), &text)?)
        }
        None => None,
    };
    let text = std::fs::read_to_string(pools).map_err(|e| fail(pools, format!("cannot read: {e}")))?;
    let file = pools.display().to_string();
    let docs = fleetsim::k8s::nodepool::manifest_documents(&file, &text).map_err(|m| fail(pools, m))?;
    let (ack, manifests): (Vec<_>, Vec<_>) =
        docs.into_iter().partition(|(_, d)| d.get("kind").is_none() && d.get("pools").is_some());
    let mut scalers = fleetsim::plan::Scalers::default();
    if let Some((_, doc)) = ack.into_iter().next() {
        if manifests.iter().any(|(_, d)| !d.is_null()) {
            return Err(fail(
                pools,
                "both ACK `pools:` and Karpenter manifests; a cluster runs one node autoscaler".into(),
            ));
        }
        let dir = pools.parent().unwrap_or(Path::new("."));
        let (specs, cfg) = fleetsim::scenario::validate::ack_pools(&file, dir, doc, cat).map_err(|e| {
            eprintln!("error: {e}");
            2
        })?;
        scalers.pools = specs;
        scalers.ack = Some(cfg);
        return Ok(scalers);
    }
    let cat = match cat {
        Some(c) => c,
        None => parse_catalog("the built-in AWS catalog (scenarios/catalogs/aws-us-east-1.yaml)", AWS_CATALOG)?,
    };
    let (nps, warnings) = fleetsim::k8s::nodepool::load_nodepools(&manifests, &cat, &scalers.market).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if nps.is_empty() {
        return Err(fail(
            pools,
            "no NodePool in the file; expected `kind: NodePool` manifests (karpenter.sh/v1) or ACK `pools:`".into(),
        ));
    }
    scalers.nodepools = nps;
    Ok(scalers)
}

/// An instance catalog read from `file` (named in errors).
fn parse_catalog(file: &str, text: &str) -> Result<fleetsim::market::Catalog, i32> {
    fleetsim::market::Catalog::from_yaml(text).map_err(|(field, m)| {
        match field {
            Some(f) => eprintln!("error: {file}: field `{f}`: {m}"),
            None => eprintln!("error: {file}: {m}"),
        }
        2
    })
}

/// The two dumps `plan` reads, and what to do with pods on nodes the node dump lacks.
pub(super) struct Dumps<'a> {
    /// `--nodes`.
    pub nodes: &'a Path,
    /// `--pods`.
    pub pods: &'a Path,
    /// `--pods-on-missing-nodes`.
    pub missing: fleetsim::k8s::MissingNodes,
}

pub(super) fn cmd_plan(
    dumps: Dumps<'_>,
    pools: Option<&Path>,
    catalog: Option<&Path>,
    karpenter: &super::KarpenterFlags,
    policy: &str,
    output: &str,
) -> i32 {
    let Dumps { nodes, pods, missing } = dumps;
    let vm_overhead = karpenter.vm_memory_overhead_percent;
    let Some(vm_basis) = fleetsim::controllers::karpenter::aws::overhead_basis(vm_overhead) else {
        eprintln!("error: --vm-memory-overhead-percent {vm_overhead}; expected a fraction 0 <= x < 1 with at most 4 decimals (0.075)");
        return 2;
    };
    let policy = match fleetsim::core::PolicyName::parse(policy) {
        Ok(p) => p,
        Err(m) => {
            eprintln!("error: --policy: {m}");
            return 2;
        }
    };
    if output != "table" && output != "json" {
        eprintln!("error: --output `{output}`; expected table or json");
        return 2;
    }
    if nodes == Path::new("-") && pods == Path::new("-") {
        eprintln!("error: --nodes - and --pods -: standard input holds one dump; give the other as a file");
        return 2;
    }
    let (n, p) = match (read_json(nodes), read_json(pods)) {
        (Ok(n), Ok(p)) => (n, p),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let snap = match fleetsim::k8s::snapshot_with(&n, &p, missing) {
        Ok(s) => {
            if !s.elsewhere.is_empty() {
                let shown: Vec<&str> = s.elsewhere.iter().take(5).map(String::as_str).collect();
                let more = if s.elsewhere.len() > 5 { ", ..." } else { "" };
                eprintln!(
                    "warning: {} bound to nodes the node dump does not hold ({}{more}): counted as running on nodes out of view (--pods-on-missing-nodes)",
                    if s.elsewhere.len() == 1 { "1 pod is".to_string() } else { format!("{} pods are", s.elsewhere.len()) },
                    shown.join(", ")
                );
            }
            s
        }
        Err(e) => {
            let file = if e.object.starts_with("pod") || e.object.contains("PodList") { pods } else { nodes };
            let name = if file == Path::new("-") { "standard input".to_string() } else { file.display().to_string() };
            eprintln!("error: {name}: {e}");
            return 2;
        }
    };
    let mut scalers = match pools {
        Some(f) => match plan_pools(f, catalog) {
            Ok(x) => x,
            Err(code) => return code,
        },
        None => fleetsim::plan::Scalers::default(),
    };
    scalers.karpenter.vm_memory_overhead_basis = vm_basis;
    scalers.karpenter.min_values_policy =
        fleetsim::controllers::karpenter::MinValuesPolicy::parse(&karpenter.min_values_policy).unwrap_or_default();
    let plan = match fleetsim::plan::plan_for(&snap, policy, &scalers) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if output == "json" {
        let doc = serde_json::json!({
            "format_version": 1,
            // Pods bound to nodes the node dump lacks (--pods-on-missing-nodes): counted as running
            // out of view, listed so a script sees what the plan did not look at.
            "pods_on_nodes_out_of_view": snap.elsewhere,
            "placements": plan.placements.iter().map(|p| serde_json::json!({"pod": p.pod, "node": p.node})).collect::<Vec<_>>(),
            "launches": plan.launches.iter().map(|l| serde_json::json!({
                "scaler": l.scaler, "nodepool": l.nodepool, "instance_type": l.instance_type, "capacity_type": l.capacity_type,
                "zone": l.zone, "hourly_cost_usd": l.price_micro_h as f64 / 1e6, "pods": l.pods,
            })).collect::<Vec<_>>(),
            "unschedulable": plan.unplaced.iter().map(|u| serde_json::json!({"pod": u.pod, "reason": u.reason})).collect::<Vec<_>>(),
            "scale_down_candidates": plan.candidates.iter().map(|c| serde_json::json!({"node": c.node, "pods": c.pods, "reason": c.reason, "nodepool": c.nodepool, "drift": c.drift})).collect::<Vec<_>>(),
            "scale_up_options": plan.scale_up_options.iter().map(|o| serde_json::json!({
                "nodepool": o.nodepool, "instance_type": o.instance_type, "nodes": o.nodes, "pods": o.pods,
                "waste_permille": o.waste_permille, "hourly_cost_usd": o.price_micro_h as f64 / 1e6, "picked": o.picked,
            })).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return 0;
    }
    // Every node of the dump, cordoned ones included (they run pods but take no new ones).
    let out_of_view = if snap.elsewhere.is_empty() {
        String::new()
    } else {
        format!(", {} on nodes out of view", count(snap.elsewhere.len(), "pod"))
    };
    outln!(
        "{} ({} cordoned), {}, {}{out_of_view}; policy {}",
        count(snap.nodes.len() + snap.cordoned.len(), "node"),
        snap.cordoned.len(),
        count(snap.bound.len(), "bound pod"),
        count(snap.pending.len(), "pending pod"),
        policy
    );
    outln!("\npending pods that fit now:");
    for p in &plan.placements {
        outln!("  {:<40} -> {}", p.pod, p.node);
    }
    if plan.placements.is_empty() {
        outln!("  (none)");
    }
    if pools.is_some() {
        outln!("\nnew nodes to launch:");
        // Columns as wide as their widest entry.
        let w = |f: &dyn Fn(&fleetsim::plan::Launch) -> usize| plan.launches.iter().map(f).max().unwrap_or(0);
        let ws = [
            w(&|l| l.scaler.len()),
            w(&|l| l.nodepool.len()),
            w(&|l| l.instance_type.len()),
            w(&|l| l.capacity_type.len()),
            w(&|l| l.zone.len()),
            w(&|l| dollars(l.price_micro_h).len()),
        ];
        for l in &plan.launches {
            outln!(
                "  {:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {:<w4$}  {:>w5$}/h  for {}",
                l.scaler,
                l.nodepool,
                l.instance_type,
                l.capacity_type,
                l.zone,
                dollars(l.price_micro_h),
                l.pods.join(", "),
                w0 = ws[0],
                w1 = ws[1],
                w2 = ws[2],
                w3 = ws[3],
                w4 = ws[4],
                w5 = ws[5],
            );
        }
        if plan.launches.is_empty() {
            outln!("  (none)");
        }
    }
    if let Some(cfg) = &scalers.ack {
        let e = &cfg.expander;
        let note = "; ties the chain leaves go to a random pick, the plan shows the first";
        outln!("\ncluster-autoscaler's scale-up options (expander {e}{note}):");
        for o in &plan.scale_up_options {
            outln!(
                "  {} {:<20} {:<24} +{} for {}, {} per mille idle, {}/h",
                if o.picked { "*" } else { " " },
                o.nodepool,
                o.instance_type,
                count(o.nodes as usize, "node"),
                count(o.pods, "pod"),
                o.waste_permille,
                dollars(o.price_micro_h)
            );
        }
        if plan.scale_up_options.is_empty() {
            outln!("  (none)");
        }
    }
    outln!("\npending pods that fit on no node{}:", if pools.is_some() { " and no new node" } else { "" });
    for u in &plan.unplaced {
        outln!("  {:<40} {}", u.pod, u.reason);
    }
    if plan.unplaced.is_empty() {
        outln!("  (none)");
    }
    outln!("\nscale-down candidates:");
    for c in &plan.candidates {
        let kind = if scalers.ack.is_some() { "pool" } else { "NodePool" };
        let by = c.nodepool.as_ref().map(|p| format!(", {kind} {p}")).unwrap_or_default();
        let drift = c.drift.as_ref().map(|d| format!(": no longer meets {d}")).unwrap_or_default();
        outln!("  {:<40} {}{drift} ({}{by})", c.node, c.reason, count(c.pods, "pod"));
    }
    if plan.candidates.is_empty() {
        outln!("  (none)");
    }
    0
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// An hourly price from micro-dollars: to cents, or to a hundredth of a cent below $0.10.
fn dollars(micro: u64) -> String {
    let x = micro as f64 / 1e6;
    if x < 0.1 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}
