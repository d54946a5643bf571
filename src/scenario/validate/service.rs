//! `services:`: inference services validated into a Deployment (applied at t=0) and a
//! [`ServiceSpec`] with its traffic binned per second.

use super::{deployment_spec, Ctx, ScenarioError};
use crate::controllers::hpa::{Behavior, Hpa, Metric, Policy, Rules, Select};
use crate::controllers::serving::{Overload, ServiceSpec};
use crate::core::quantity::parse_bytes;
use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use crate::k8s::cron::parse_utc_minute;
use crate::scenario::schema::{RawHpa, RawScalingRules, RawService, RawTraffic};
use crate::sim::DeploymentSpec;
use crate::workload::synthetic::Profile;
use std::path::Path;

/// At most a year of per-second bins.
const MAX_BINS: usize = 366 * 86_400;

pub(super) fn services(
    cx: &Ctx<'_>,
    scenario: &crate::scenario::schema::RawScenario,
    end: Option<SimTime>,
) -> Result<Vec<(DeploymentSpec, ServiceSpec)>, ScenarioError> {
    let raw: &[RawService] = &scenario.services;
    let clock = if raw.is_empty() { (0, 0) } else { super::synthetic::clock(cx, scenario)? };
    let mut out = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let f = |k: &str| format!("services[{i}].{k}");
        let dep = deployment_spec(cx, &|k: &str| f(&format!("deployment.{k}")), &s.deployment)?;
        if out.iter().any(|(d, _): &(DeploymentSpec, ServiceSpec)| d.name == dep.name) {
            return Err(cx.err(f("deployment.name"), format!("service `{}` is defined twice", dep.name)));
        }
        let (requests, tokens) = traffic(cx, &f, &s.traffic, end, clock)?;
        if s.capacity.tokens_per_s == 0 || s.capacity.tokens_per_s > 100_000_000 {
            return Err(cx.err(f("capacity.tokens_per_s"), format!("{}; expected 1..=10^8", s.capacity.tokens_per_s)));
        }
        for (m, v) in &s.capacity.by_gpu_model {
            if *v == 0 || *v > 100_000_000 {
                return Err(cx.err(f(&format!("capacity.by_gpu_model.{m}")), format!("{v}; expected 1..=10^8")));
            }
        }
        let model_load = match &s.model {
            None => SimTime::ZERO,
            Some(m) => {
                let size = parse_bytes(&m.size).map_err(|e| cx.err(f("model.size"), e.to_string()))?;
                let bw =
                    parse_bytes(&m.load_bandwidth).map_err(|e| cx.err(f("model.load_bandwidth"), e.to_string()))?;
                if bw == 0 {
                    return Err(cx.err(f("model.load_bandwidth"), "expected a positive number of bytes per second"));
                }
                SimTime((size as u128 * 1000 / bw as u128) as u64)
            }
        };
        let overload = match s.overload.as_str() {
            "queue" => Overload::Queue,
            "drop" => Overload::Drop,
            o => return Err(cx.err(f("overload"), format!("`{o}`; expected queue or drop"))),
        };
        let hpa = s.hpa.as_ref().map(|h| hpa_spec(cx, &f, h)).transpose()?;
        let mut hpa_updates: Vec<(SimTime, Hpa)> = Vec::new();
        for (j, u) in s.hpa_updates.iter().enumerate() {
            let g = |k: &str| f(&format!("hpa_updates[{j}].{k}"));
            let at = cx.duration(&g("at"), &u.at)?;
            if let Some(&(before, _)) = hpa_updates.last() {
                if at < before {
                    let said = &s.hpa_updates[j - 1].at;
                    return Err(cx.err(
                        g("at"),
                        format!("{}, before the update above it ({said}); expected the updates in time order", u.at),
                    ));
                }
            }
            hpa_updates.push((at, hpa_spec(cx, &g, &u.hpa)?));
        }
        let spec = ServiceSpec {
            deployment: dep.name.clone(),
            requests,
            tokens,
            repeat: s.traffic.repeat,
            tokens_per_s: s.capacity.tokens_per_s,
            by_gpu_model: s.capacity.by_gpu_model.clone(),
            model_load,
            overload,
            hpa,
            hpa_updates,
        };
        out.push((dep, spec));
    }
    Ok(out)
}

type Bins = (Vec<u32>, Vec<u64>);

fn traffic(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    t: &RawTraffic,
    end: Option<SimTime>,
    clock: (u32, u64),
) -> Result<Bins, ScenarioError> {
    if !(t.scale.is_finite() && t.scale > 0.0 && t.scale <= 10_000.0) {
        return Err(cx.err(f("traffic.scale"), format!("{}; expected a factor in (0, 10000]", t.scale)));
    }
    let (mut req, mut tok): (Vec<f64>, Vec<f64>) = match (&t.azure_csv, &t.rates_csv, &t.rate) {
        (Some(p), None, None) => azure(cx, &f("traffic.azure_csv"), &cx.path(p))?,
        (None, Some(p), None) => rates(cx, &f("traffic.rates_csv"), &cx.path(p), end)?,
        (None, None, Some(r)) => {
            let per_s = super::synthetic::rate(r).map_err(|m| cx.err(f("traffic.rate"), m))?;
            let tpr = t.tokens_per_request.unwrap_or(1000) as f64;
            let n = end.map_or(86_400, |e| e.0.div_ceil(1000) as usize).min(MAX_BINS);
            let fd = |k: &str| f(&format!("traffic.{k}"));
            match super::synthetic::diurnal(cx, &fd, t.diurnal.as_ref())? {
                None => (vec![per_s; n], vec![per_s * tpr; n]),
                Some(d) => {
                    // The generators' daily profile, as a rate per second.
                    let g = Profile { diurnal: Some(d), clock, ..Profile::constant(per_s) };
                    let r: Vec<f64> = (0..n as u64).map(|s| g.rate_at(SimTime::from_secs(s))).collect();
                    let tk = r.iter().map(|x| x * tpr).collect();
                    (r, tk)
                }
            }
        }
        _ => return Err(cx.err(f("traffic"), "expected exactly one of azure_csv, rates_csv and rate")),
    };
    if t.diurnal.is_some() && t.rate.is_none() {
        return Err(cx.err(f("traffic.diurnal"), "only a `rate` takes a daily cycle (a rates_csv carries its own)"));
    }
    if t.tokens_per_request.is_some() && t.rate.is_none() {
        return Err(cx.err(f("traffic.tokens_per_request"), "only a `rate` takes tokens_per_request"));
    }
    for v in req.iter_mut().chain(tok.iter_mut()) {
        *v *= t.scale;
    }
    // Fractional rates accumulate, so a rate of 0.5/s gives a request every other second.
    let round = |v: &[f64]| -> Vec<u64> {
        let mut carry = 0.0;
        v.iter()
            .map(|x| {
                carry += x;
                let whole = carry.floor();
                carry -= whole;
                whole as u64
            })
            .collect()
    };
    Ok((round(&req).into_iter().map(|x| x.min(u32::MAX as u64) as u32).collect(), round(&tok)))
}

/// Azure's LLM inference trace: per second from the first request, requests and tokens
/// (context + generated).
fn azure(cx: &Ctx<'_>, field: &str, path: &Path) -> Result<(Vec<f64>, Vec<f64>), ScenarioError> {
    let file = path.display().to_string();
    let ferr = |line: u64, m: String| ScenarioError::Parse { file: file.clone(), message: format!("line {line}: {m}") };
    let mut rd = csv::Reader::from_path(path).map_err(|e| cx.err(field, format!("cannot read {file}: {e}")))?;
    let head: Vec<String> = rd.headers().map_err(|e| ferr(1, e.to_string()))?.iter().map(str::to_string).collect();
    if head != ["TIMESTAMP", "ContextTokens", "GeneratedTokens"] {
        return Err(ferr(1, format!("header `{}`; expected TIMESTAMP,ContextTokens,GeneratedTokens", head.join(","))));
    }
    let mut points: Vec<(i64, u64)> = Vec::new();
    let mut last_ts = String::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ferr(line, crate::workload::csv_message(&e)))?;
        let ts = rec.get(0).unwrap_or("");
        let (date, time) = ts
            .split_once(' ')
            .ok_or_else(|| ferr(line, format!("TIMESTAMP `{ts}`; expected `YYYY-MM-DD HH:MM:SS.fffffff`")))?;
        let expect = "expected `YYYY-MM-DD HH:MM:SS.fffffff` (UTC, as the Azure trace writes it)";
        let (hm, sec) = time.rsplit_once(':').ok_or_else(|| ferr(line, format!("TIMESTAMP `{ts}`; {expect}")))?;
        let minute = parse_utc_minute(&format!("{date}T{hm}Z"))
            .map_err(|_| ferr(line, format!("TIMESTAMP `{ts}`; {expect}")))?;
        let secs: f64 = sec
            .parse()
            .ok()
            .filter(|s: &f64| (0.0..61.0).contains(s))
            .ok_or_else(|| ferr(line, format!("TIMESTAMP `{ts}`: seconds `{sec}`; {expect}")))?;
        let num = |k: usize, name: &str| -> Result<u64, ScenarioError> {
            rec.get(k)
                .unwrap_or("")
                .trim()
                .parse()
                .map_err(|_| ferr(line, format!("{name} `{}`; expected a count", rec.get(k).unwrap_or(""))))
        };
        let tokens = num(1, "ContextTokens")?.checked_add(num(2, "GeneratedTokens")?).ok_or_else(|| {
            ferr(line, "ContextTokens + GeneratedTokens overflow; expected token counts of a request".into())
        })?;
        // Same-width timestamps compare as text; the trace is in arrival order.
        if ts < last_ts.as_str() {
            return Err(ferr(
                line,
                format!("TIMESTAMP `{ts}` is before the previous row's `{last_ts}`; expected arrival order"),
            ));
        }
        last_ts = ts.to_string();
        points.push((minute * 60 + secs.floor() as i64, tokens));
    }
    if points.is_empty() {
        return Err(ferr(2, "no requests".into()));
    }
    let t0 = points.iter().map(|p| p.0).min().expect("non-empty");
    let span = (points.iter().map(|p| p.0).max().expect("non-empty") - t0) as usize + 1;
    if span > MAX_BINS {
        return Err(ferr(2, format!("the trace spans {span} s; at most a year is supported")));
    }
    let (mut req, mut tok) = (vec![0.0; span], vec![0.0; span]);
    for (t, k) in points {
        req[(t - t0) as usize] += 1.0;
        tok[(t - t0) as usize] += k as f64;
    }
    Ok((req, tok))
}

/// `t,requests_per_s,tokens_per_s`: piecewise-constant rates, the last holding to the run's end.
fn rates(cx: &Ctx<'_>, field: &str, path: &Path, end: Option<SimTime>) -> Result<(Vec<f64>, Vec<f64>), ScenarioError> {
    let file = path.display().to_string();
    let ferr = |line: u64, m: String| ScenarioError::Parse { file: file.clone(), message: format!("line {line}: {m}") };
    let mut rd = csv::Reader::from_path(path).map_err(|e| cx.err(field, format!("cannot read {file}: {e}")))?;
    let head: Vec<String> =
        rd.headers().map_err(|e| ferr(1, e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
    if head != ["t", "requests_per_s", "tokens_per_s"] {
        return Err(ferr(1, format!("header `{}`; expected t,requests_per_s,tokens_per_s", head.join(","))));
    }
    let mut rows: Vec<(u64, f64, f64)> = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| ferr(line, crate::workload::csv_message(&e)))?;
        let t = parse_duration(rec.get(0).unwrap_or("")).map_err(|m| ferr(line, format!("t: {m}")))?;
        let v = |k: usize, name: &str| -> Result<f64, ScenarioError> {
            let s = rec.get(k).unwrap_or("").trim();
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| ferr(line, format!("{name} `{s}`; expected a rate >= 0")))
        };
        let row = (t.0 / 1000, v(1, "requests_per_s")?, v(2, "tokens_per_s")?);
        if rows.last().is_some_and(|r| r.0 >= row.0) {
            return Err(ferr(line, "times must increase".into()));
        }
        rows.push(row);
    }
    let Some(last) = rows.last() else { return Err(ferr(2, "no rows".into())) };
    let span = (last.0 as usize + 1).max(end.map_or(0, |e| e.0.div_ceil(1000) as usize));
    if span > MAX_BINS {
        return Err(ferr(rows.len() as u64 + 1, "more than a year of rates".into()));
    }
    let (mut req, mut tok) = (vec![0.0; span], vec![0.0; span]);
    for (k, r) in rows.iter().enumerate() {
        let to = rows.get(k + 1).map_or(span, |n| n.0 as usize);
        for s in r.0 as usize..to {
            req[s] = r.1;
            tok[s] = r.2;
        }
    }
    Ok((req, tok))
}

fn hpa_spec(cx: &Ctx<'_>, f: &dyn Fn(&str) -> String, h: &RawHpa) -> Result<Hpa, ScenarioError> {
    if h.max_replicas == 0 || h.max_replicas > 10_000 || h.min_replicas > h.max_replicas {
        return Err(cx.err(
            f("hpa"),
            format!(
                "minReplicas {} / maxReplicas {}; expected 0 <= min <= max <= 10000, max >= 1",
                h.min_replicas, h.max_replicas
            ),
        ));
    }
    // Each target: (its value, its field, the largest value, what the range counts, the metric).
    type Target<'a> = (Option<u64>, &'a str, u64, &'a str, fn(u64) -> Metric);
    let targets: [Target; 7] = [
        (h.target_utilization.map(u64::from), "targetUtilization", 1000, "1000 (percent)", |u| {
            Metric::TokensUtilization(u * 10)
        }),
        (h.target_average_value, "targetAverageValue", 100_000_000, "10^8 tokens/s per replica", Metric::TokensAverage),
        (
            h.target_requests_average_value,
            "targetRequestsAverageValue",
            10_000_000,
            "10^7 requests/s per replica",
            Metric::RequestsAverage,
        ),
        (
            h.target_queue_average_value,
            "targetQueueAverageValue",
            1_000_000_000,
            "10^9 queued tokens per replica",
            Metric::QueueAverage,
        ),
        (h.target_queue_value, "targetQueueValue", 1_000_000_000_000, "10^12 queued tokens in all", Metric::QueueValue),
        (
            h.target_ingress_requests_value,
            "targetIngressRequestsValue",
            1_000_000_000,
            "10^9 requests/s in all",
            Metric::IngressValue,
        ),
        (
            h.target_ingress_requests_average_value,
            "targetIngressRequestsAverageValue",
            10_000_000,
            "10^7 requests/s per replica",
            Metric::IngressAverage,
        ),
    ];
    let mut metrics = Vec::new();
    for (value, name, most, range, metric) in targets {
        match value {
            Some(v) if (1..=most).contains(&v) => metrics.push(metric(v)),
            Some(v) => return Err(cx.err(f(&format!("hpa.{name}")), format!("{v}; expected 1..={range}"))),
            None => {}
        }
    }
    if metrics.is_empty() {
        return Err(cx.err(
            f("hpa"),
            "expected a target: targetUtilization (percent of capacity), targetAverageValue (tokens/s per replica), targetRequestsAverageValue (requests/s per replica), targetQueueAverageValue (queued tokens per replica), targetQueueValue (queued tokens in all), targetIngressRequestsValue (requests/s in all) or targetIngressRequestsAverageValue (requests/s per replica, on the Ingress); several scale on the largest proposal",
        ));
    }
    if h.target_utilization.is_some() && h.target_average_value.is_some() {
        return Err(
            cx.err(f("hpa"), "targetUtilization and targetAverageValue both target tokens/s; expected one of them")
        );
    }
    if !(0.0..1.0).contains(&h.tolerance) {
        return Err(cx.err(f("hpa.tolerance"), format!("{}; expected 0 <= tolerance < 1", h.tolerance)));
    }
    let sync = cx.duration(&f("hpa.syncPeriod"), &h.sync_period)?;
    if sync.0 < 1000 {
        return Err(cx.err(f("hpa.syncPeriod"), "expected at least 1s"));
    }
    // A behavior is defaulted field by field only when given (the API server's
    // `SetDefaults_HorizontalPodAutoscalerBehavior`); without one the controller's older rules
    // apply.
    let behavior = match h.behavior.as_ref() {
        None => None,
        Some(b) => Some(Behavior {
            up: rules(
                cx,
                &|k: &str| f(&format!("hpa.behavior.scaleUp.{k}")),
                b.scale_up.as_ref(),
                Rules::default_up(),
            )?,
            down: rules(
                cx,
                &|k: &str| f(&format!("hpa.behavior.scaleDown.{k}")),
                b.scale_down.as_ref(),
                Rules::default_down(),
            )?,
        }),
    };
    Ok(Hpa {
        min: h.min_replicas,
        max: h.max_replicas,
        metrics,
        sync,
        tolerance_permille: (h.tolerance * 1000.0).round() as u64,
        behavior,
        downscale_stabilization: SimTime::from_secs(300),
    })
}

/// Fields left out take the default's value, as the API server fills them.
fn rules(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    r: Option<&RawScalingRules>,
    default: Rules,
) -> Result<Rules, ScenarioError> {
    let Some(r) = r else { return Ok(default) };
    let window = match r.stabilization_window_seconds {
        Some(w) if w > 3600 => return Err(cx.err(f("stabilizationWindowSeconds"), format!("{w}; expected 0..=3600"))),
        Some(w) => SimTime::from_secs(w),
        None => default.window,
    };
    let select = match r.select_policy.as_deref() {
        None | Some("Max") => Select::Max,
        Some("Min") => Select::Min,
        Some("Disabled") => Select::Disabled,
        Some(o) => return Err(cx.err(f("selectPolicy"), format!("`{o}`; expected Max, Min or Disabled"))),
    };
    let policies = match &r.policies {
        None => default.policies,
        Some(ps) => {
            let mut out = Vec::new();
            for (j, p) in ps.iter().enumerate() {
                let fp = |k: &str| f(&format!("policies[{j}].{k}"));
                if p.period_seconds == 0 || p.period_seconds > 1800 {
                    return Err(cx.err(fp("periodSeconds"), format!("{}; expected 1..=1800", p.period_seconds)));
                }
                if p.value == 0 {
                    return Err(cx.err(fp("value"), "expected a positive value"));
                }
                let period = SimTime::from_secs(p.period_seconds);
                out.push(match p.kind.as_str() {
                    "Pods" => Policy::Pods { value: p.value, period },
                    "Percent" => Policy::Percent { value: p.value, period },
                    o => return Err(cx.err(fp("type"), format!("`{o}`; expected Pods or Percent"))),
                });
            }
            if out.is_empty() && select != Select::Disabled {
                return Err(cx.err(f("policies"), "expected at least one policy (or selectPolicy: Disabled)"));
            }
            out
        }
    };
    Ok(Rules { window, policies, select })
}
