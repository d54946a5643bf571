//! `workload.synthetic`: generator settings validated into [`Generator`]s and their pods.

use super::{checkpoint_of, do_not_disrupt, pod_template, toleration, Ctx, PodTemplateFields, ScenarioError};
use crate::engine::{RngStreams, SimTime};
use crate::k8s::cron::{parse_utc_minute, Civil};
use crate::scenario::schema::{RawDurationDist, RawGenerator, RawScenario};
use crate::workload::synthetic::{Arrivals, Burst, Duration, Generator, Profile};
use crate::workload::TracePod;

/// Parses `120/h`, `2/m`, `0.5/s`, `1000/d` into pods per second.
pub(super) fn rate(s: &str) -> Result<f64, String> {
    let bad = || format!("`{s}`; expected a rate such as `120/h`, `2/m`, `0.5/s` or `1000/d`");
    let (n, unit) = s.trim().split_once('/').ok_or_else(bad)?;
    let n: f64 = n.trim().parse().map_err(|_| bad())?;
    let per = match unit.trim() {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(bad()),
    };
    if !(n.is_finite() && n > 0.0 && n / per <= 1000.0) {
        return Err(format!("`{s}`: expected a positive rate of at most 1000 pods a second"));
    }
    Ok(n / per)
}

/// The generators' pods, each from its own stream of the scenario seed.
pub(super) fn synthetic_pods(cx: &Ctx<'_>, raw: &RawScenario) -> Result<Vec<TracePod>, ScenarioError> {
    let mut out = Vec::new();
    if raw.workload.synthetic.is_empty() {
        return Ok(out);
    }
    let streams = RngStreams::new(raw.seed);
    let clock = clock(cx, raw)?;
    let sim_end = raw.simulation.end.as_deref().map(|e| cx.duration("simulation.end", e)).transpose()?;
    let mut names = std::collections::BTreeSet::new();
    for (i, g) in raw.workload.synthetic.iter().enumerate() {
        let gen = generator(cx, i, g, clock, sim_end)?;
        if !names.insert(gen.name.clone()) {
            return Err(cx.err(format!("workload.synthetic[{i}].name"), format!("`{}` is used twice", gen.name)));
        }
        out.extend(gen.generate(&mut streams.stream(&format!("workload/synthetic/{}", gen.name))));
    }
    Ok(out)
}

/// A daily cycle: (amplitude, peak second of the day).
pub(super) fn diurnal(
    cx: &Ctx<'_>,
    f: &dyn Fn(&str) -> String,
    d: Option<&crate::scenario::schema::RawDiurnal>,
) -> Result<Option<(f64, u64)>, ScenarioError> {
    let Some(d) = d else { return Ok(None) };
    if !(0.0..1.0).contains(&d.amplitude) {
        return Err(cx.err(f("diurnal.amplitude"), format!("{}; expected 0 <= a < 1", d.amplitude)));
    }
    let bad = || cx.err(f("diurnal.peak"), format!("`{}`; expected HH:MM (UTC)", d.peak));
    let (h, m) = d.peak.split_once(':').ok_or_else(bad)?;
    let (h, m): (u64, u64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(Some((d.amplitude, h * 3600 + m * 60)))
}

/// Day of week (0 = Sunday) and second of the day at simulated time 0.
pub(super) fn clock(cx: &Ctx<'_>, raw: &RawScenario) -> Result<(u32, u64), ScenarioError> {
    let start_min = parse_utc_minute(&raw.simulation.start).map_err(|m| cx.err("simulation.start", m))?;
    let c = Civil::of_minute(start_min);
    Ok((c.weekday, (c.hour * 3600 + c.minute * 60) as u64))
}

fn generator(
    cx: &Ctx<'_>,
    i: usize,
    g: &RawGenerator,
    clock: (u32, u64),
    sim_end: Option<SimTime>,
) -> Result<Generator, ScenarioError> {
    let f = |k: &str| format!("workload.synthetic[{i}].{k}");
    if g.name.is_empty() {
        return Err(cx.err(f("name"), "expected a name"));
    }
    let rate_per_s = rate(&g.rate).map_err(|m| cx.err(f("rate"), m))?;
    let arrivals = match (g.process.as_str(), g.cv) {
        ("poisson", None) => Arrivals::Poisson,
        ("poisson", Some(_)) => return Err(cx.err(f("cv"), "only `process: gamma` takes a cv")),
        ("gamma", cv) => {
            let cv = cv.unwrap_or(2.0);
            if !(0.05..=20.0).contains(&cv) {
                return Err(cx.err(f("cv"), format!("{cv}; expected 0.05..=20")));
            }
            Arrivals::Gamma { cv }
        }
        (p, _) => return Err(cx.err(f("process"), format!("`{p}`; expected poisson or gamma"))),
    };
    let start = cx.duration(&f("start"), &g.start)?;
    let end = match (&g.end, sim_end) {
        (Some(e), _) => cx.duration(&f("end"), e)?,
        (None, Some(e)) => e,
        (None, None) => return Err(cx.err(f("end"), "expected an end time (or a `simulation.end`)")),
    };
    if end <= start {
        return Err(cx.err(f("end"), "must be after `start`"));
    }
    if g.count == Some(0) {
        return Err(cx.err(f("count"), "expected at least 1 (or leave it out)"));
    }
    let diurnal = diurnal(cx, &f, g.diurnal.as_ref())?;
    let positive = |field: &str, v: f64| {
        if v.is_finite() && v > 0.0 && v <= 1000.0 {
            Ok(v)
        } else {
            Err(cx.err(f(field), format!("{v}; expected a positive factor up to 1000")))
        }
    };
    let weekend = g.weekend_factor.map(|w| positive("weekend_factor", w)).transpose()?;
    let mut bursts = Vec::new();
    for (j, b) in g.bursts.iter().enumerate() {
        bursts.push(Burst {
            at: cx.duration(&f(&format!("bursts[{j}].at")), &b.at)?,
            duration: match cx.duration(&f(&format!("bursts[{j}].duration")), &b.duration)? {
                SimTime(0) => {
                    return Err(cx.err(f(&format!("bursts[{j}].duration")), "`0s`; expected a positive duration"))
                }
                d => d,
            },
            factor: positive(&format!("bursts[{j}].factor"), b.factor)?,
        });
    }
    let secs = |field: &str, v: &str| -> Result<f64, ScenarioError> {
        let t = cx.duration(&f(field), v)?;
        if t.0 < 1000 {
            return Err(cx.err(f(field), format!("`{v}`; expected at least 1s")));
        }
        Ok(t.0 as f64 / 1000.0)
    };
    let duration = match &g.duration {
        RawDurationDist::Fixed(v) => Duration::Fixed(SimTime((secs("duration.fixed", v)? * 1000.0) as u64)),
        RawDurationDist::Exponential { mean } => {
            Duration::Exponential { mean_s: secs("duration.exponential.mean", mean)? }
        }
        RawDurationDist::Lognormal { median, sigma } => {
            if !(0.0..=5.0).contains(sigma) {
                return Err(cx.err(f("duration.lognormal.sigma"), format!("{sigma}; expected 0..=5")));
            }
            Duration::Lognormal { median_s: secs("duration.lognormal.median", median)?, sigma: *sigma }
        }
        RawDurationDist::Pareto { min, alpha } => {
            if !(*alpha > 0.5 && *alpha <= 10.0) {
                return Err(cx.err(f("duration.pareto.alpha"), format!("{alpha}; expected 0.5 < alpha <= 10")));
            }
            Duration::Pareto { min_s: secs("duration.pareto.min", min)?, alpha: *alpha }
        }
    };
    if g.mix.is_empty() {
        return Err(cx.err(f("mix"), "expected at least one pod template"));
    }
    let mut tolerations = Vec::new();
    for (j, t) in g.tolerations.iter().enumerate() {
        tolerations.push(toleration(cx, &f(&format!("tolerations[{j}]")), t)?);
    }
    let mut mix = Vec::new();
    for (j, m) in g.mix.iter().enumerate() {
        if m.weight == 0 || m.weight > 1_000_000 {
            return Err(cx.err(f(&format!("mix[{j}].weight")), format!("{}; expected 1..=1000000", m.weight)));
        }
        let fm = |k: &str| f(&format!("mix[{j}].{k}"));
        let fields = PodTemplateFields {
            requests: &m.requests,
            limits: None,
            gpu_models: &m.gpu_models,
            node_selector: &g.node_selector,
            tolerations: &[],
            affinity: &None,
        };
        let mut spec = pod_template(cx, &fm, fields, String::new())?;
        spec.tolerations = tolerations.clone();
        mix.push((m.weight, spec));
    }
    Ok(Generator {
        name: g.name.clone(),
        profile: Profile { rate_per_s, diurnal, weekend, clock, bursts },
        arrivals,
        start,
        end,
        count: g.count,
        duration,
        mix,
        checkpoint: checkpoint_of(cx, &f("checkpoint_interval"), &g.checkpoint_interval)?,
        do_not_disrupt: do_not_disrupt(&g.annotations),
    })
}
