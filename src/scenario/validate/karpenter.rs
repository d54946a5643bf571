//! The Karpenter parts of a scenario: NodePool manifests (inline or from files), controller
//! settings and the spot market.

use super::{Ctx, ScenarioError};
use crate::controllers::KarpenterConfig;
use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use crate::k8s::cron::parse_utc_minute;
use crate::k8s::nodepool::{load_nodepools, NodePool};
use crate::market::spot::{Bucket, HistoricInterruption, HistoricPrice, OfferingKey, SpotMarket};
use crate::market::Catalog;
use crate::scenario::schema::RawScenario;
use crate::sim::{IntOrPercent, Pdb};
use serde_json::Value;
use std::sync::Arc;

/// What the Karpenter parts validate to.
pub(super) struct KarpenterParts {
    pub nodepools: Arc<[NodePool]>,
    pub config: KarpenterConfig,
    pub market: SpotMarket,
    pub start_unix_minute: i64,
    pub pdbs: Vec<Pdb>,
    pub warnings: Vec<String>,
}

pub(super) fn karpenter_parts(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    catalog: &Catalog,
) -> Result<KarpenterParts, ScenarioError> {
    let market = market(cx, raw, catalog)?;
    let mut warnings = Vec::new();
    let docs = super::manifest_items(cx, "nodepools", &raw.nodepools, "a NodePool manifest")?;
    // The same documents on the same catalog and market load the same pools (sweeps vary
    // other fields): load them once.
    let key = format!(
        "{}|{:?}|{market:?}",
        serde_json::to_string(&docs).unwrap_or_default(),
        raw.catalog.as_deref().map(|c| cx.path(c))
    );
    let loaded = super::Files::get(&cx.files.nodepools, &key, || {
        let (pools, w) = load_nodepools(&docs, catalog, &market).map_err(|e| ScenarioError::Field {
            file: e.origin,
            field: e.field,
            message: e.message,
        })?;
        Ok((pools.into(), w))
    })?;
    let (nodepools, w) = (loaded.0.clone(), loaded.1.clone());
    if !raw.nodepools.is_empty() && nodepools.is_empty() {
        return Err(cx.err(
            "nodepools",
            "no NodePool in the manifests listed (empty files, or only `---`, or other kinds); expected `kind: NodePool` (karpenter.sh/v1)",
        ));
    }
    warnings.extend(w);
    if raw.market.interruption.is_none() {
        warnings.extend(advisor_note(cx, raw, catalog, &nodepools));
    }
    let k = &raw.karpenter;
    let d = |f: &str, v: &str| cx.duration(&format!("karpenter.{f}"), v);
    let config = KarpenterConfig {
        batch_idle: d("batch_idle_duration", &k.batch_idle_duration)?,
        batch_max: d("batch_max_duration", &k.batch_max_duration)?,
        poll: d("disruption_poll", &k.disruption_poll)?,
        unavailable_ttl: d("unavailable_offering_ttl", &k.unavailable_offering_ttl)?,
        spot_to_spot: k.spot_to_spot_consolidation,
        vm_memory_overhead_basis: crate::controllers::karpenter::aws::overhead_basis(k.vm_memory_overhead_percent)
            .ok_or_else(|| {
                cx.err(
                    "karpenter.vm_memory_overhead_percent",
                    format!(
                        "{}; expected a fraction 0 <= x < 1 with at most 4 decimals (0.075)",
                        k.vm_memory_overhead_percent
                    ),
                )
            })?,
        min_values_policy: crate::controllers::karpenter::MinValuesPolicy::parse(&k.min_values_policy).ok_or_else(
            || {
                cx.err(
                    "karpenter.min_values_policy",
                    format!("`{}`; expected Strict or BestEffort", k.min_values_policy),
                )
            },
        )?,
    };
    if config.poll.0 == 0 {
        return Err(cx.err("karpenter.disruption_poll", "expected a positive duration"));
    }
    if config.batch_max < config.batch_idle {
        return Err(cx.err("karpenter.batch_max_duration", "must not be shorter than batch_idle_duration"));
    }
    let start_unix_minute = parse_utc_minute(&raw.simulation.start).map_err(|m| cx.err("simulation.start", m))?;
    let mut pdbs = Vec::new();
    for (i, doc) in raw.pod_disruption_budgets.iter().enumerate() {
        let p = pdb(cx, doc, i, &mut warnings)?;
        if pdbs.iter().any(|q: &Pdb| q.name == p.name) {
            return Err(cx.err(
                format!("pod_disruption_budgets[{i}].metadata.name"),
                format!("`{}` is defined twice; a namespace's PodDisruptionBudget names are unique", p.name),
            ));
        }
        pdbs.push(p);
    }
    Ok(KarpenterParts { nodepools, config, market, start_unix_minute, pdbs, warnings })
}

/// A `policy/v1` PodDisruptionBudget manifest. Read leniently: fields not modelled
/// (`metadata.namespace`, `matchExpressions`, `unhealthyPodEvictionPolicy`, ...) are listed in a
/// warning.
fn pdb(cx: &Ctx<'_>, doc: &Value, i: usize, warnings: &mut Vec<String>) -> Result<Pdb, ScenarioError> {
    let at = |f: &str| format!("pod_disruption_budgets[{i}].{f}");
    let mut ignored = Vec::new();
    let Some(top) = doc.as_object() else {
        return Err(cx.err(format!("pod_disruption_budgets[{i}]"), "expected a PodDisruptionBudget manifest"));
    };
    for k in top.keys().filter(|k| !["apiVersion", "kind", "metadata", "spec"].contains(&k.as_str())) {
        ignored.push(k.clone());
    }
    let kind = top.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "PodDisruptionBudget" {
        return Err(cx.err(at("kind"), format!("`{kind}`; expected PodDisruptionBudget")));
    }
    let api = top.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if api != "policy/v1" {
        return Err(cx.err(at("apiVersion"), format!("`{api}`; expected policy/v1")));
    }
    let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(cx.err(at("metadata.name"), "missing; a PodDisruptionBudget needs a name"));
    }
    if let Some(m) = top.get("metadata").and_then(Value::as_object) {
        ignored.extend(m.keys().filter(|k| *k != "name").map(|k| format!("metadata.{k}")));
    }
    let empty = serde_json::Map::new();
    let spec = top.get("spec").and_then(Value::as_object).unwrap_or(&empty);
    ignored.extend(
        spec.keys()
            .filter(|k| !["minAvailable", "maxUnavailable", "selector"].contains(&k.as_str()))
            .map(|k| format!("spec.{k}")),
    );
    let count = |f: &str, v: Option<&Value>| -> Result<Option<IntOrPercent>, ScenarioError> {
        let Some(v) = v else { return Ok(None) };
        let bad = || cx.err(at(f), format!("{v}; expected a count (`2`) or a percentage (`50%`)"));
        if let Some(n) = v.as_u64() {
            return u32::try_from(n).map(|n| Some(IntOrPercent::Int(n))).map_err(|_| bad());
        }
        let s = v.as_str().ok_or_else(bad)?;
        match s.strip_suffix('%') {
            Some(p) => {
                p.parse::<u32>().ok().filter(|&p| p <= 100).map(|p| Some(IntOrPercent::Percent(p))).ok_or_else(bad)
            }
            None => s.parse::<u32>().map(|n| Some(IntOrPercent::Int(n))).map_err(|_| bad()),
        }
    };
    let min_available = count("spec.minAvailable", spec.get("minAvailable"))?;
    let max_unavailable = count("spec.maxUnavailable", spec.get("maxUnavailable"))?;
    if min_available.is_some() == max_unavailable.is_some() {
        return Err(cx.err(at("spec"), "expected exactly one of minAvailable and maxUnavailable"));
    }
    let mut selector = std::collections::BTreeMap::new();
    if let Some(sel) = spec.get("selector").and_then(Value::as_object) {
        ignored.extend(sel.keys().filter(|k| *k != "matchLabels").map(|k| format!("spec.selector.{k}")));
        if let Some(other) = sel.get("matchLabels").filter(|v| !v.is_object()) {
            let found = if other.is_array() { ", found a list" } else { "" };
            return Err(cx.err(at("spec.selector.matchLabels"), format!("expected a mapping of labels{found}")));
        }
        if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in ml {
                let v = v
                    .as_str()
                    .ok_or_else(|| cx.err(at(&format!("spec.selector.matchLabels.{k}")), "expected a string"))?;
                selector.insert(k.clone(), v.to_string());
            }
        }
    }
    if selector.is_empty() {
        return Err(
            cx.err(at("spec.selector.matchLabels"), "expected at least one label (fleetsim selects by matchLabels)")
        );
    }
    if !ignored.is_empty() {
        warnings.push(format!(
            "{}: PodDisruptionBudget {name}: fields fleetsim does not model, ignored: {}",
            cx.file,
            ignored.join(", ")
        ));
    }
    Ok(Pdb { name, selector, min_available, max_unavailable })
}

/// What a run whose `market.interruption` is unset assumes of its spot NodePools' risk: the
/// catalog's Spot Instance Advisor buckets (said, with their source), and none for the types the
/// catalog gives none (warned), unless the scenario names them.
fn advisor_note(cx: &Ctx<'_>, raw: &RawScenario, catalog: &Catalog, nodepools: &[NodePool]) -> Option<String> {
    let m = &raw.market;
    let mut spot_pools = Vec::new();
    let mut types = std::collections::BTreeSet::new();
    for np in nodepools {
        let spot: Vec<_> =
            np.offerings.iter().filter(|o| o.capacity == crate::market::spot::CapacityType::Spot).collect();
        if !spot.is_empty() {
            spot_pools.push(np.name.as_str());
        }
        types.extend(spot.iter().map(|o| np.types[o.ty].name.as_str()));
    }
    if spot_pools.is_empty() || m.interruptions_csv.is_some() {
        return None;
    }
    // Types the scenario names itself (`interruption_by_offering`) are its own choice.
    let named = |t: &str| m.interruption_by_offering.keys().any(|k| k.split('/').next() == Some(t));
    let (mut advised, mut bare) = (Vec::new(), Vec::new());
    for t in types.into_iter().filter(|t| !named(t)) {
        match catalog.types[t].spot_interruption {
            Some(b) => advised.push(format!("{t} {}", b.label())),
            None => bare.push(t),
        }
    }
    let mut parts = Vec::new();
    if !advised.is_empty() {
        parts.push(format!(
            "spot offerings take the catalog's Spot Instance Advisor buckets ({}): {}",
            catalog.spot_interruption_source.as_deref().unwrap_or("no source given"),
            advised.join(", ")
        ));
    }
    if !bare.is_empty() {
        parts.push(format!("{} have no bucket in the catalog and are never interrupted", bare.join(", ")));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "{}: `market.interruption` is not set for the spot NodePool(s) {}: {}; set it (or `interruption_by_offering`) to the risk you assume, or to `none`",
            cx.file,
            spot_pools.join(", "),
            parts.join("; ")
        )
    })
}

fn market(cx: &Ctx<'_>, raw: &RawScenario, catalog: &Catalog) -> Result<SpotMarket, ScenarioError> {
    let m = &raw.market;
    if !(m.spot_price_ratio > 0.0 && m.spot_price_ratio <= 1.0) {
        return Err(cx.err("market.spot_price_ratio", format!("{}; expected a share in (0, 1]", m.spot_price_ratio)));
    }
    let interruption =
        Bucket::parse(m.interruption.as_deref().unwrap_or("none")).map_err(|e| cx.err("market.interruption", e))?;
    let key = |field: &str, k: &str| -> Result<OfferingKey, ScenarioError> {
        let key = OfferingKey::parse(k).map_err(|e| cx.err(field, e))?;
        let it = catalog
            .types
            .get(&key.instance_type)
            .ok_or_else(|| cx.err(field, format!("`{}` is not in the catalog", key.instance_type)))?;
        if let Some(z) = &key.zone {
            if !it.on_demand.contains_key(z) {
                return Err(cx.err(field, format!("{} is not sold in zone `{z}`", it.name)));
            }
        }
        Ok(key)
    };
    let mut by = std::collections::BTreeMap::new();
    for (k, v) in &m.interruption_by_offering {
        let f = format!("market.interruption_by_offering.{k}");
        by.insert(key(&f, k)?, Bucket::parse(v).map_err(|e| cx.err(&f, e))?);
    }
    // Unset, and no history replayed: each type the catalog gives an advisor bucket takes it
    // (the scenario's own keys first; they are as specific or more).
    if m.interruption.is_none() && m.interruptions_csv.is_none() {
        for it in catalog.types.values() {
            if let Some(b) = it.spot_interruption {
                by.entry(OfferingKey { instance_type: it.name.clone(), zone: None, capacity: None }).or_insert(b);
            }
        }
    }
    let mut stock = std::collections::BTreeMap::new();
    for (k, v) in &m.stock {
        stock.insert(key(&format!("market.stock.{k}"), k)?, *v);
    }
    let notice = cx.duration("market.interruption_notice", &m.interruption_notice)?;
    let history = match &m.interruptions_csv {
        None => Vec::new(),
        Some(rel) => read_history(cx, &cx.path(rel), catalog)?,
    };
    let price_history = match &m.spot_prices_csv {
        None => Vec::new(),
        Some(rel) => read_prices(cx, &cx.path(rel), catalog)?,
    };
    Ok(SpotMarket {
        price_ratio_permille: (m.spot_price_ratio * 1000.0).round() as u64,
        interruption,
        interruption_by_offering: by,
        notice,
        history,
        price_history,
        stock,
    })
}

/// Reads a CSV whose rows start `at,instance_type,zone` (a header row first; `at` a duration
/// such as `90m`), the fourth column parsed by `fourth` (`None` when absent). Rows come back in
/// time order (stable).
fn read_offering_rows<T>(
    cx: &Ctx<'_>,
    field: &str,
    path: &std::path::Path,
    catalog: &Catalog,
    fourth_name: &str,
    fourth: impl Fn(Option<&str>) -> Result<T, String>,
) -> Result<Vec<(SimTime, String, String, T)>, ScenarioError> {
    let file = path.display().to_string();
    let ferr = |line: u64, m: String| ScenarioError::Parse { file: file.clone(), message: format!("line {line}: {m}") };
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| cx.err(field, format!("cannot read {file}: {e}")))?;
    let head: Vec<String> =
        rd.headers().map_err(|e| ferr(1, e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
    if head.len() < 3 || head[0] != "at" || head[1] != "instance_type" || head[2] != "zone" {
        return Err(ferr(1, format!("header `{}`; expected `at,instance_type,zone,{fourth_name}`", head.join(","))));
    }
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ferr(line, crate::workload::csv_message(&e)))?;
        let at = parse_duration(rec.get(0).unwrap_or("").trim()).map_err(|e| ferr(line, format!("at: {e}")))?;
        let ty = rec.get(1).unwrap_or("").trim().to_string();
        let zone = rec.get(2).unwrap_or("").trim().to_string();
        let it =
            catalog.types.get(&ty).ok_or_else(|| ferr(line, format!("instance type `{ty}` is not in the catalog")))?;
        if !it.on_demand.contains_key(&zone) {
            return Err(ferr(line, format!("{ty} is not sold in zone `{zone}`")));
        }
        let v = fourth(rec.get(3).map(str::trim).filter(|s| !s.is_empty()))
            .map_err(|e| ferr(line, format!("{fourth_name}: {e}")))?;
        out.push((at, ty, zone, v));
    }
    if out.is_empty() {
        return Err(ferr(2, format!("no rows; expected at least one (or drop `{field}`)")));
    }
    out.sort_by_key(|r| r.0);
    Ok(out)
}

/// `at,instance_type,zone[,count]`: interruptions to replay.
fn read_history(
    cx: &Ctx<'_>,
    path: &std::path::Path,
    catalog: &Catalog,
) -> Result<Vec<HistoricInterruption>, ScenarioError> {
    let rows = read_offering_rows(cx, "market.interruptions_csv", path, catalog, "count", |c| match c {
        None => Ok(1),
        Some(c) => {
            c.parse::<u32>().ok().filter(|&c| (1..=10_000).contains(&c)).ok_or(format!("`{c}`; expected 1..=10000"))
        }
    })?;
    Ok(rows
        .into_iter()
        .map(|(at, instance_type, zone, count)| HistoricInterruption { at, instance_type, zone, count })
        .collect())
}

/// `at,instance_type,zone,price`: spot prices to replay (USD per hour).
fn read_prices(cx: &Ctx<'_>, path: &std::path::Path, catalog: &Catalog) -> Result<Vec<HistoricPrice>, ScenarioError> {
    let rows = read_offering_rows(cx, "market.spot_prices_csv", path, catalog, "price", |p| {
        let p = p.ok_or("missing; expected a price in USD/h")?;
        p.parse::<f64>().ok().and_then(crate::market::micro_usd).ok_or(format!("`{p}`; expected a price in USD/h"))
    })?;
    Ok(rows
        .into_iter()
        .map(|(at, instance_type, zone, price)| HistoricPrice { at, instance_type, zone, price })
        .collect())
}
