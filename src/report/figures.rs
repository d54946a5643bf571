//! The report's charts, each answering one question of a group of runs:
//! - what does each policy cost for how long pods wait (or, for services, for how many tokens it
//!   serves in time): one labelled point per policy, both axes from zero, the Pareto front ringed
//!   when there are policies to trade between;
//! - how many pods wait, over the day: a step function from each pod's exact creation and
//!   scheduling times (`pods.csv`), not from samples;
//! - how the GPUs are used over the day (`timeseries.csv` samples, held until the next one);
//! - how many nodes of which pool run: one small panel per policy, the pools' colours the same in
//!   every panel;
//! - how long pods wait, all repetitions: the distribution on a log time axis.
//!
//! A policy keeps one colour in every chart of the report. Time-series charts show one
//! repetition (seed or trace day), the same for every policy: the busiest (most pods), named in
//! the caption.

use super::compare::{Line, Report};
use super::svg::{self, Axis, Entry, Plot, Point, Series};
use std::collections::BTreeMap;
use std::path::Path;

/// A chart with its caption.
pub(super) struct Figure {
    pub file: String,
    pub caption: String,
    pub svg: String,
}

type Row = BTreeMap<String, String>;

/// Rows of a CSV file as maps (None when the file is absent).
fn read_csv(path: &Path) -> Result<Option<Vec<Row>>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let mut r = csv::Reader::from_path(path).map_err(|x| format!("{}: {x}", path.display()))?;
    let head: Vec<String> =
        r.headers().map_err(|x| format!("{}: {x}", path.display()))?.iter().map(String::from).collect();
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec =
            rec.map_err(|x| format!("{}: line {}: {}", path.display(), i + 2, crate::workload::csv_message(&x)))?;
        out.push(head.iter().cloned().zip(rec.iter().map(String::from)).collect());
    }
    Ok(Some(out))
}

fn f(row: &Row, k: &str) -> f64 {
    row.get(k).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// Rows by run id, in file order within a run.
fn by_run(rows: &[Row]) -> BTreeMap<&str, Vec<&Row>> {
    let mut m: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        m.entry(r.get("run_id").map_or("", String::as_str)).or_default().push(r);
    }
    m
}

/// The points not dominated: no other point is at most as costly and as bad and better in one
/// of them (`(cost, badness)`, both to be small).
pub(super) fn pareto(points: &[(f64, f64)]) -> Vec<bool> {
    // A point without both figures (a policy that scheduled nothing has no p95) is on no front.
    let known = |&(c, p): &(f64, f64)| c.is_finite() && p.is_finite();
    points
        .iter()
        .map(|&(c, p)| {
            known(&(c, p))
                && !points.iter().filter(|q| known(q)).any(|&(c2, p2)| c2 <= c && p2 <= p && (c2 < c || p2 < p))
        })
        .collect()
}

/// A step function from `(time_s, change)` events: the count after each distinct time, in hours,
/// from 0 to `end_s`.
fn steps(mut events: Vec<(f64, i64)>, end_s: f64) -> Vec<(f64, f64)> {
    // Departures before arrivals at one instant: a pod created and scheduled at once never shows.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut pts = vec![(0.0, 0.0)];
    let mut n = 0i64;
    for (i, &(t, d)) in events.iter().enumerate() {
        n += d;
        if events.get(i + 1).is_none_or(|next| next.0 != t) {
            pts.push((t / 3600.0, n as f64));
        }
    }
    let last = pts.last().map_or(0.0, |p| p.1);
    if end_s.is_finite() && end_s / 3600.0 > pts.last().map_or(0.0, |p| p.0) {
        pts.push((end_s / 3600.0, last));
    }
    pts
}

/// The repetition the time-series charts show (the busiest: most pods, the first of equals) and
/// each policy's run of it.
fn chosen<'a>(rep: &'a Report, lines: &'a [Line]) -> (Option<String>, Vec<(&'a str, &'a str)>) {
    let runs = rep.runs_of(lines);
    let reps: Vec<&str> = {
        let mut v: Vec<&str> = runs.iter().map(|r| r.rep.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Among the repetitions every policy ran, so each policy's panel shows the same one.
    let everyone = |rep: &str| lines.iter().all(|l| runs.iter().any(|r| r.policy == l.policy && r.rep == rep));
    let busiest = lines.first().and_then(|l| {
        let mine: Vec<_> = runs.iter().filter(|r| r.policy == l.policy && everyone(&r.rep)).collect();
        let best = mine.iter().map(|r| r.num("pods").unwrap_or(0.0)).fold(f64::NEG_INFINITY, f64::max);
        mine.into_iter().find(|r| r.num("pods").unwrap_or(0.0) == best).map(|r| r.rep.as_str())
    });
    let pick: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| {
            let id = runs.iter().find(|r| r.policy == l.policy && Some(r.rep.as_str()) == busiest)?.id.as_str();
            Some((l.policy.as_str(), id))
        })
        .collect();
    let named =
        (reps.len() > 1).then(|| format!("{}, the busiest of {} repetitions", busiest.unwrap_or(""), reps.len()));
    (named, pick)
}

fn entries(rep: &Report, lines: &[Line]) -> Vec<Entry> {
    lines.iter().map(|l| Entry { name: l.policy.clone(), style: rep.style_of(&l.policy) }).collect()
}

/// Cost against pending p95 (services: against tokens served in time), one labelled point per
/// policy.
fn cost_figure(rep: &Report, group: &str, lines: &[Line], file: String) -> Option<Figure> {
    if !lines.iter().any(|l| l.cells["cost_usd"].0 > 0.0) {
        return None;
    }
    let service = lines.iter().any(|l| !l.cells["svc_tokens_in_time_pct"].0.is_nan());
    let y_of = |l: &Line| if service { l.cells["svc_tokens_in_time_pct"].0 } else { l.cells["pending_p95_s"].0 };
    let pts: Vec<(f64, f64)> = lines.iter().map(|l| (l.cells["cost_usd"].0, y_of(l))).collect();
    // Services: more tokens in time is better, so the front minimises cost and the shortfall.
    let front = pareto(&pts.iter().map(|&(c, y)| (c, if service { -y } else { y })).collect::<Vec<_>>());
    let trade = lines.len() >= 2;
    let y = if service { Axis::percent("tokens served in time (%)") } else { Axis::linear("pending p95 (s)", false) };
    let mut p = Plot::new(group, Axis::linear("cost (USD)", false), y);
    for (l, (&at, &on)) in lines.iter().zip(pts.iter().zip(&front)) {
        let c = l.cells["cost_usd"];
        let mut hover = format!("{}: cost ${:.2}", l.policy, c.0);
        if c.1 > 0.0 {
            hover += &format!(" ± {:.2}", c.1);
        }
        hover += &format!(", pending p95 {:.1} s", l.cells["pending_p95_s"].0);
        if service {
            hover += &format!(", {:.1} % of tokens served in time", at.1);
        }
        hover += &format!(" ({} runs)", l.runs.len());
        p.points.push(Point {
            label: l.policy.clone(),
            hover,
            style: rep.style_of(&l.policy),
            at,
            ringed: trade && on,
        });
    }
    if trade {
        let mut fp: Vec<(f64, f64)> = pts.iter().zip(&front).filter(|(_, on)| **on).map(|(q, _)| *q).collect();
        fp.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        p.front = fp;
    }
    let reps = lines.iter().map(|l| l.runs.len()).max().unwrap_or(1);
    let mean = if reps > 1 { format!("mean over {reps} repetitions; ") } else { String::new() };
    let question = if service {
        "cost against the share of tokens served in the second they arrived"
    } else {
        "cost against p95 pending time"
    };
    let ring = if trade {
        if service {
            "; ringed and joined: the Pareto front (no other policy is cheaper and serves more in time)"
        } else {
            "; ringed and joined: the Pareto front (no other policy is cheaper and faster)"
        }
    } else {
        ""
    };
    Some(Figure {
        file,
        caption: format!("{group}: {question} ({mean}both axes from zero; hover a point for its figures){ring}"),
        svg: svg::chart(&p, Some(&[])),
    })
}

/// What the report draws for the outputs in `dir`.
pub(super) fn figures(dir: &Path, rep: &Report) -> Result<Vec<Figure>, String> {
    let mut figs = Vec::new();
    // A fleet's series are its totals (`fleet`), not each member's (a member may be named
    // `default` too: a run with `fleet` rows keeps those alone).
    let ts = read_csv(&dir.join("timeseries.csv"))?.map(|rows| {
        let fleets: std::collections::BTreeSet<String> = rows
            .iter()
            .filter(|r| r.get("cluster").is_some_and(|c| c == "fleet"))
            .filter_map(|r| r.get("run_id").cloned())
            .collect();
        rows.into_iter()
            .filter(|r| match r.get("cluster").map(String::as_str) {
                None => true,
                Some("fleet") => true,
                Some("default") => !r.get("run_id").is_some_and(|id| fleets.contains(id)),
                Some(_) => false,
            })
            .collect::<Vec<_>>()
    });
    let pods = read_csv(&dir.join("pods.csv"))?;
    let nodes = read_csv(&dir.join("nodes.csv"))?;
    let ts_by = ts.as_deref().map(by_run);
    let pods_by = pods.as_deref().map(by_run);
    let nodes_by = nodes.as_deref().map(by_run);
    for (gi, (group, lines)) in rep.groups.iter().enumerate() {
        let tag = |what: &str| format!("report-{}-{what}.svg", gi + 1);
        figs.extend(cost_figure(rep, group, lines, tag("cost-p95")));
        let (which, picked) = chosen(rep, lines);
        let shown = which.map(|w| format!("; {w}")).unwrap_or_default();
        let legend = entries(rep, lines);
        if let Some(pods_by) = &pods_by {
            let series: Vec<Series> = picked
                .iter()
                .filter_map(|(policy, id)| {
                    let rows = pods_by.get(id)?;
                    let mut ev = Vec::with_capacity(rows.len() * 2);
                    for r in rows {
                        let created = f(r, "created_s");
                        let left = [f(r, "scheduled_s"), f(r, "finished_s")].into_iter().find(|t| t.is_finite());
                        if created.is_finite() {
                            ev.push((created, 1));
                            if let Some(t) = left {
                                ev.push((t, -1));
                            }
                        }
                    }
                    let end = rep.run(id).and_then(|r| r.num("sim_end_s")).unwrap_or(f64::NAN);
                    Some(Series {
                        name: policy.to_string(),
                        style: rep.style_of(policy),
                        points: steps(ev, end),
                        step: true,
                    })
                })
                .collect();
            if series.iter().any(|s| s.points.iter().any(|p| p.1 > 0.0)) {
                figs.push(Figure {
                    file: tag("pending"),
                    caption: format!("{group}: pods pending over time, from each pod's creation to its first scheduling (exact event times, pods.csv){}{shown}", panels_note(series.len())),
                    svg: over_time(&format!("{group}: pods pending"), series, Axis::linear("pods pending", true)),
                });
            }
        }
        if let (None, Some(ts_by)) = (&pods_by, &ts_by) {
            // Without pods.csv (the scenario's `output.pods: false`), the samples are what there is.
            let (every, series) = sampled(rep, &picked, ts_by, |r| f(r, "pods_pending"));
            if series.iter().any(|s| s.points.iter().any(|p| p.1 > 0.0)) {
                figs.push(Figure {
                    file: tag("pending"),
                    caption: format!("{group}: pods pending, sampled {} (timeseries.csv; write pods.csv, `output.pods: true`, for every wait at its exact times){}{shown}", every_words(every), panels_note(series.len())),
                    svg: over_time(&format!("{group}: pods pending"), series, Axis::linear("pods pending", true)),
                });
            }
        }
        if let Some(ts_by) = &ts_by {
            let (every, series) = sampled(rep, &picked, ts_by, |r| {
                let g = f(r, "gpus_total");
                if g > 0.0 {
                    f(r, "gpus_allocated_milli") / 10.0 / g
                } else {
                    0.0
                }
            });
            if !series.is_empty() {
                let panels = panels_note(series.len());
                let svg = over_time(&format!("{group}: GPU allocation"), series, Axis::percent("GPUs allocated (%)"));
                let sampled = if every.is_finite() {
                    format!(", sampled every {} (timeseries.csv)", duration(every))
                } else {
                    String::new()
                };
                figs.push(Figure {
                    file: tag("gpu-alloc"),
                    caption: format!("{group}: GPU allocation, % of the GPUs present{sampled}{panels}{shown}"),
                    svg,
                });
            }
        }
        if let Some(nodes_by) = &nodes_by {
            if let Some(fig) = nodes_figure(rep, group, &picked, nodes_by, &shown, tag("nodes")) {
                figs.push(fig);
            }
        }
        if let Some(pods_by) = &pods_by {
            let mut p = Plot::new(
                &format!("{group}: pending time"),
                Axis::log_seconds("pending, creation to Running (log scale)"),
                Axis::percent("pods (%)"),
            );
            for l in lines {
                let mut v: Vec<f64> = l
                    .runs
                    .iter()
                    .filter_map(|id| pods_by.get(id.as_str()))
                    .flatten()
                    .map(|r| f(r, "pending_s"))
                    .filter(|x| x.is_finite())
                    .collect();
                if v.is_empty() {
                    continue;
                }
                v.sort_by(f64::total_cmp);
                // At most ~400 steps a line: every pod of a small run, quantiles of a big one (the
                // last pod always, so the line reaches 100 %).
                let n = v.len();
                let step = n.div_ceil(400);
                let mut pts = vec![(v[0], 0.0)];
                pts.extend(
                    (0..n)
                        .filter(|i| (i + 1) % step == 0 || i + 1 == n)
                        .map(|i| (v[i], (i + 1) as f64 * 100.0 / n as f64)),
                );
                p.series.push(Series {
                    name: l.policy.clone(),
                    style: rep.style_of(&l.policy),
                    points: pts,
                    step: true,
                });
            }
            if !p.series.is_empty() {
                figs.push(Figure {
                    file: tag("pending-cdf"),
                    caption: format!("{group}: share of pods that waited at most so long, every repetition (waits under 1 s drawn at 1 s)"),
                    svg: svg::chart(&p, Some(&legend)),
                });
            }
        }
    }
    Ok(figs)
}

/// Nodes alive by pool and capacity type, one panel per policy, from exact launch and
/// termination times.
fn nodes_figure(
    rep: &Report,
    group: &str,
    picked: &[(&str, &str)],
    nodes_by: &BTreeMap<&str, Vec<&Row>>,
    shown: &str,
    file: String,
) -> Option<Figure> {
    // Every pool of the report, in name order: one style each, the same in every panel.
    let mut kinds: Vec<(String, String)> = nodes_by
        .values()
        .flatten()
        .map(|n| (n.get("pool").cloned().unwrap_or_default(), n.get("capacity_type").cloned().unwrap_or_default()))
        .collect();
    kinds.sort();
    kinds.dedup();
    let name = |k: &(String, String)| format!("{} ({})", k.0, k.1);
    let mut used = vec![false; kinds.len()];
    let mut panels = Vec::new();
    let mut varies = false;
    for (policy, id) in picked {
        let rows = nodes_by.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let end = rep.run(id).and_then(|r| r.num("sim_end_s")).unwrap_or(f64::NAN);
        let mut p = Plot::new(policy, Axis::hours("time (h)"), Axis::linear("nodes", true));
        for (ki, k) in kinds.iter().enumerate() {
            let mine: Vec<&&Row> =
                rows.iter().filter(|n| n.get("pool") == Some(&k.0) && n.get("capacity_type") == Some(&k.1)).collect();
            if mine.is_empty() {
                continue;
            }
            used[ki] = true;
            let mut ev = Vec::new();
            for n in mine.into_iter().filter(|n| f(n, "launched_s").is_finite()) {
                ev.push((f(n, "launched_s"), 1));
                let t = f(n, "terminated_s");
                if t.is_finite() {
                    ev.push((t, -1));
                }
            }
            let points = steps(ev, end);
            // Past the first launches, does the count change at all?
            varies |= points.get(1..).is_some_and(|v| v.windows(2).any(|w| w[0].1 != w[1].1));
            p.series.push(Series { name: name(k), style: svg::pool_style(ki), points, step: true });
        }
        panels.push(p);
    }
    if !varies || panels.is_empty() {
        return None; // a static cluster's flat lines say nothing
    }
    let legend: Vec<Entry> = kinds
        .iter()
        .enumerate()
        .filter(|(i, _)| used[*i])
        .map(|(i, k)| Entry { name: name(k), style: svg::pool_style(i) })
        .collect();
    Some(Figure {
        file,
        caption: format!("{group}: nodes running by pool and capacity type, one panel per policy on one scale (exact launch and termination times, nodes.csv){shown}"),
        svg: svg::small_multiples(&format!("{group}: nodes"), &panels, 3, &legend),
    })
}

/// One sampled column of `timeseries.csv` for each picked run, and the sample interval.
fn sampled(
    rep: &Report,
    picked: &[(&str, &str)],
    ts_by: &BTreeMap<&str, Vec<&Row>>,
    col: impl Fn(&Row) -> f64,
) -> (f64, Vec<Series>) {
    let mut every = f64::NAN;
    let series = picked
        .iter()
        .filter_map(|(policy, id)| {
            let rows = ts_by.get(id)?;
            if rows.len() >= 2 && every.is_nan() {
                every = f(rows[1], "t_s") - f(rows[0], "t_s");
            }
            let pts = rows.iter().map(|r| (f(r, "t_s") / 3600.0, col(r))).collect();
            Some(Series { name: policy.to_string(), style: rep.style_of(policy), points: pts, step: true })
        })
        .collect();
    (every, series)
}

/// Lines over the day: one panel per policy on one scale when there are several (overlaid step
/// lines hide each other), else one chart.
fn over_time(title: &str, series: Vec<Series>, y: Axis) -> String {
    if series.len() == 1 {
        let mut p = Plot::new(title, Axis::hours("time (h)"), y);
        p.series = series;
        return svg::chart(&p, None);
    }
    let panels: Vec<Plot> = series
        .into_iter()
        .map(|s| {
            let mut p = Plot::new(&s.name, Axis::hours("time (h)"), y.clone());
            p.series.push(s);
            p
        })
        .collect();
    let cols = panels.len().min(3);
    svg::small_multiples(title, &panels, cols, &[])
}

fn panels_note(n: usize) -> &'static str {
    if n > 1 {
        "; one panel per policy, on one scale"
    } else {
        ""
    }
}

/// `every 10 min`, or `at one time` without two samples.
fn every_words(every: f64) -> String {
    if every.is_finite() {
        format!("every {}", duration(every))
    } else {
        "at one time".into()
    }
}

/// A sample interval in words.
fn duration(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_front() {
        // (cost, p95): b dominates c; a and b trade off; d ties a on cost but is slower.
        let front = pareto(&[(1.0, 10.0), (2.0, 5.0), (3.0, 6.0), (1.0, 11.0)]);
        assert_eq!(front, [true, true, false, false]);
        assert_eq!(pareto(&[(0.0, f64::NAN), (1.0, 5.0)]), [false, true], "no p95, no place on the front");
    }

    #[test]
    fn pending_steps_count_exact_waits_and_hold_to_the_end() {
        // Two pods: one waits 0 s (never shows), one waits from 60 s to 180 s (a 2-minute wait a
        // 10-minute sample would miss).
        let pts = steps(vec![(30.0, 1), (30.0, -1), (60.0, 1), (180.0, -1)], 7200.0);
        assert_eq!(pts, [(0.0, 0.0), (30.0 / 3600.0, 0.0), (60.0 / 3600.0, 1.0), (180.0 / 3600.0, 0.0), (2.0, 0.0)]);
    }
}
