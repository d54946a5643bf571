//! ACK node pools and the cluster-autoscaler / smart hosting settings, as a scenario (or a
//! `fleetsim plan --pools` file) writes them.

use super::{Ctx, ScenarioError};
use crate::controllers::node_pool::Expanders;
use crate::controllers::{PoolMode, PoolSpec, ScalerConfig, ShareMode};
use crate::core::Taint;
use crate::engine::SimTime;
use crate::market::Catalog;
use crate::scenario::schema::RawScenario;
use crate::scenario::schema::{RawGpuSharing, RawPool, RawPoolFile, RawScaler};
use std::path::Path;
use std::sync::Arc;

/// The `pools:` of a scenario (or of a `fleetsim plan --pools` file), validated against `cat`.
pub(super) fn pool_specs(
    cx: &Ctx<'_>,
    raw_pools: &[RawPool],
    cat: &Catalog,
    sharing: &Sharing,
) -> Result<Vec<PoolSpec>, ScenarioError> {
    let mut pools = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, p) in raw_pools.iter().enumerate() {
        let f = |k: &str| format!("pools[{i}].{k}");
        if !names.insert(p.name.clone()) {
            return Err(cx.err(f("name"), format!("pool `{}` is defined twice", p.name)));
        }
        let mode = match p.mode.as_str() {
            "autoscaler" => PoolMode::Autoscaler,
            "smart-hosting" => PoolMode::SmartHosting,
            m => return Err(cx.err(f("mode"), format!("`{m}`; expected autoscaler or smart-hosting"))),
        };
        if p.instance_types.is_empty() {
            return Err(cx.err(f("instance_types"), "expected at least one instance type"));
        }
        let mut types = Vec::new();
        for (j, t) in p.instance_types.iter().enumerate() {
            let it = cat.types.get(t).ok_or_else(|| {
                let known: Vec<&str> = cat.types.keys().map(String::as_str).collect();
                cx.err(
                    f(&format!("instance_types[{j}]")),
                    format!("`{t}` is not in the catalog; it has: {}", known.join(", ")),
                )
            })?;
            types.push(it.clone());
        }
        let zones = if p.zones.is_empty() { types[0].on_demand.keys().cloned().collect() } else { p.zones.clone() };
        for (j, z) in zones.iter().enumerate() {
            if !types.iter().any(|t| t.on_demand.contains_key(z)) {
                return Err(
                    cx.err(f(&format!("zones[{j}]")), format!("no instance type of the pool is sold in zone `{z}`"))
                );
            }
        }
        for z in p.stock.keys() {
            if !zones.contains(z) {
                return Err(cx.err(
                    f(&format!("stock.{z}")),
                    format!("zone `{z}` is not one of the pool's zones ({})", zones.join(", ")),
                ));
            }
        }
        if p.max == 0 || p.max > 100_000 {
            return Err(cx.err(f("max"), format!("{}; expected 1..=100000", p.max)));
        }
        if p.min > p.max {
            return Err(cx.err(f("min"), format!("min {} is above max {}", p.min, p.max)));
        }
        if mode == PoolMode::SmartHosting && p.min > 0 {
            return Err(cx.err(f("min"), "smart hosting pools have no minimum size; remove `min`"));
        }
        let mut taints = Vec::new();
        for (j, t) in p.taints.iter().enumerate() {
            taints.push(Taint::parse(t).ok_or_else(|| {
                cx.err(f(&format!("taints[{j}]")), format!("`{t}` is not a taint; expected `key=value:Effect`"))
            })?);
        }
        let share = share_mode(cx, &f, p, &types, sharing)?;
        pools.push(PoolSpec {
            name: p.name.clone(),
            mode,
            types,
            zones,
            min: p.min,
            max: p.max,
            labels: p.labels.clone(),
            taints,
            priority: p.priority,
            stock: p.stock.clone(),
            share,
        });
    }
    Ok(pools)
}

/// The cluster-wide limits of `scaler:` (`MIN:MAX` as upstream's flags take them).
fn cluster_limits(cx: &Ctx<'_>, s: &RawScaler) -> Result<crate::core::scaleup::ClusterLimits, ScenarioError> {
    let range = |field: &str, v: &str| -> Result<u64, ScenarioError> {
        let bad = || cx.err(format!("scaler.{field}"), format!("`{v}`; expected MIN:MAX, two integers (`0:320000`)"));
        let (min, max) = v.split_once(':').ok_or_else(bad)?;
        let (min, max): (u64, u64) = (min.trim().parse().map_err(|_| bad())?, max.trim().parse().map_err(|_| bad())?);
        if min > max {
            return Err(cx.err(format!("scaler.{field}"), format!("`{v}`: the minimum is above the maximum")));
        }
        if min > 0 {
            return Err(cx.err(
                format!("scaler.{field}"),
                format!("`{v}`: a minimum above 0 is not modelled (cluster-autoscaler's scale-down floor); expected 0:{max}"),
            ));
        }
        Ok(max)
    };
    let mut limits = crate::core::scaleup::ClusterLimits {
        max_nodes: s.max_nodes_total,
        max_cores: range("cores_total", &s.cores_total)?,
        max_memory_gib: range("memory_total", &s.memory_total)?,
        max_gpus: None,
    };
    for (i, g) in s.gpu_total.iter().enumerate() {
        let field = format!("gpu_total[{i}]");
        match g.split_once(':') {
            Some(("nvidia.com/gpu", r)) => limits.max_gpus = Some(range(&field, r)?),
            _ => {
                return Err(cx.err(
                    format!("scaler.{field}"),
                    format!("`{g}`; expected nvidia.com/gpu:MIN:MAX (fleetsim's GPUs are nvidia.com/gpu)"),
                ))
            }
        }
    }
    Ok(limits)
}

/// The `scaler:` settings, validated.
pub(super) fn scaler_config(cx: &Ctx<'_>, s: &RawScaler) -> Result<ScalerConfig, ScenarioError> {
    let d = |k: &str, v: &str| cx.duration(&format!("scaler.{k}"), v);
    let th = s.scale_down_utilization_threshold;
    if !(0.0..=1.0).contains(&th) {
        return Err(cx.err("scaler.scale_down_utilization_threshold", format!("{th}; expected 0.0..=1.0")));
    }
    let scaler = ScalerConfig {
        scan_interval: d("scan_interval", &s.scan_interval)?,
        unneeded_time: d("scale_down_unneeded_time", &s.scale_down_unneeded_time)?,
        delay_after_add: d("scale_down_delay_after_add", &s.scale_down_delay_after_add)?,
        threshold_permille: (th * 1000.0).round() as u64,
        max_provision_time: d("max_node_provision_time", &s.max_node_provision_time)?,
        backoff: d("backoff", &s.backoff)?,
        expander: Expanders::parse(&s.expander).map_err(|m| cx.err("scaler.expander", m))?,
        scale_in_delay: d("scale_in_delay", &s.scale_in_delay)?,
        limits: cluster_limits(cx, s)?,
        ignore_daemonsets_utilization: s.ignore_daemonsets_utilization,
        ignore_mirror_pods_utilization: s.ignore_mirror_pods_utilization,
    };
    if scaler.scan_interval == SimTime::ZERO {
        return Err(cx.err("scaler.scan_interval", "expected a positive duration"));
    }
    Ok(scaler)
}

/// ACK node pools as `fleetsim plan --pools` reads them: a YAML mapping with a scenario's
/// `pools:` list, optionally its `scaler:` settings (the expander, the scale-down threshold) and a
/// `catalog:` path (relative to `file`'s directory `dir`). `catalog` (the `--catalog` flag)
/// overrides the file's.
pub fn ack_pools(
    file: &str,
    dir: &Path,
    doc: serde_json::Value,
    catalog: Option<Catalog>,
) -> Result<(Vec<PoolSpec>, ScalerConfig), ScenarioError> {
    let files = super::Files::default();
    let cx = Ctx { file, dir, files: &files };
    let raw: RawPoolFile = crate::yaml::from_value(doc).map_err(|(field, message)| {
        if field.is_empty() {
            ScenarioError::Parse {
                file: file.to_string(),
                message: format!(
                    "{message}; expected `pools:` (a scenario's node pools), and optionally `scaler:` and `catalog:`"
                ),
            }
        } else {
            ScenarioError::Field { file: file.to_string(), field, message }
        }
    })?;
    let cat =
        match (catalog, &raw.catalog) {
            (Some(c), _) => Arc::new(c),
            (None, Some(rel)) => read_catalog(&cx, rel)?,
            (None, None) => return Err(cx.err(
                "catalog",
                "ACK pools need an instance catalog: `catalog: catalogs/alibaba-a10.yaml` in the file, or --catalog",
            )),
        };
    if raw.pools.is_empty() {
        return Err(cx.err("pools", "expected at least one pool"));
    }
    let sharing = gpu_sharing(&cx, &RawGpuSharing::default())?;
    Ok((pool_specs(&cx, &raw.pools, &cat, &sharing)?, scaler_config(&cx, &raw.scaler)?))
}

/// The cluster's shared GPU scheduling settings.
pub(super) struct Sharing {
    pub(super) unit_mib: u64,
    pub(super) spread: bool,
}

pub(super) fn gpu_sharing(cx: &Ctx<'_>, raw: &RawGpuSharing) -> Result<Sharing, ScenarioError> {
    let unit_mib = match raw.gpu_memory_unit.as_str() {
        "1GiB" | "1Gi" => 1024,
        "128MiB" | "128Mi" => 128,
        u => {
            return Err(cx.err(
                "gpu_sharing.gpuMemoryUnit",
                format!("`{u}`; expected 1GiB (the default) or 128MiB, the two units ACK supports"),
            ))
        }
    };
    let spread = match raw.gpu_selection.as_str() {
        "binpack" => false,
        "spread" => true,
        s => return Err(cx.err("gpu_sharing.gpu_selection", format!("`{s}`; expected binpack or spread"))),
    };
    Ok(Sharing { unit_mib, spread })
}

/// A pool's GPU sharing, from its `ack.node.gpu.schedule` label: `share` (sharing without memory
/// isolation) or `cgpu` (with cGPU isolation); other values share nothing. Every type of a sharing
/// pool needs GPUs and their memory in the catalog.
fn share_mode(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    p: &RawPool,
    types: &[crate::market::InstanceType],
    sharing: &Sharing,
) -> Result<Option<ShareMode>, ScenarioError> {
    let cgpu = match p.labels.get("ack.node.gpu.schedule").map(String::as_str) {
        Some("share") => false,
        Some("cgpu") => true,
        _ => return Ok(None),
    };
    for (j, t) in types.iter().enumerate() {
        if t.gpus == 0 || t.gpu_memory_mib < sharing.unit_mib {
            return Err(cx.err(
                f(&format!("instance_types[{j}]")),
                format!(
                    "`{}` cannot share GPUs by memory: it needs GPUs and `gpu_memory` in the catalog of at least the {} MiB unit",
                    t.name, sharing.unit_mib
                ),
            ));
        }
    }
    Ok(Some(ShareMode { unit_mib: sharing.unit_mib, cgpu, spread: sharing.spread }))
}

pub(super) fn catalog(cx: &Ctx<'_>, raw: &RawScenario) -> Result<Arc<Catalog>, ScenarioError> {
    let Some(rel) = &raw.catalog else {
        return Err(cx.err("catalog", "pools need an instance catalog, e.g. `catalog: catalogs/alibaba-a10.yaml`"));
    };
    read_catalog(cx, rel)
}

/// The catalog file at `rel` (relative to the scenario's directory).
pub(super) fn read_catalog(cx: &Ctx<'_>, rel: &str) -> Result<Arc<Catalog>, ScenarioError> {
    let path = cx.path(rel);
    super::Files::get(&cx.files.catalogs, &path.to_path_buf(), || {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| cx.err("catalog", format!("cannot read {file}: {e}")))?;
        Catalog::from_yaml(&text).map_err(|(field, message)| match field {
            None => ScenarioError::Parse { file: file.clone(), message },
            Some(field) => ScenarioError::Field { file: file.clone(), field, message },
        })
    })
}
