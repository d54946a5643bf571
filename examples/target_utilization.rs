//! A node autoscaler of your own, plugged into fleetsim and compared with the shipped ones.
//!
//! `target-utilization` keeps the cluster's GPU allocation near a target: every minute it buys
//! one node of its instance type when pods wait for a node or allocation is above the target
//! (one at a time: never while one is on its way), and gives back one node that has been empty
//! for five minutes when allocation is below half the target.
//!
//! ```text
//! cargo run --release --example target_utilization -- scenarios/quickstart.yaml out/mine g5.12xlarge
//! fleetsim report out/mine      # the shipped scalers and this one, side by side
//! ```
//!
//! A scenario can also name it, once registered (`fleetsim::scenario::load_file_with`):
//! `controllers: [{name: target-utilization, instance_type: g5.12xlarge, target: 0.7}]`.

use fleetsim::controllers::{Builder, ControllerFactory, ControllerSpec, Registry};
use fleetsim::core::scaleup::GroupType;
use fleetsim::core::{PodSpec, RandomSource};
use fleetsim::engine::SimTime;
use fleetsim::experiment::{run_scenario, RunOutput};
use fleetsim::market::cloud::Ask;
use fleetsim::market::spot::CapacityType;
use fleetsim::market::{Catalog, InstanceType};
use fleetsim::scenario::{load_file_with, Loaded, ScenarioError};
use fleetsim::sim::{Action, Cause, Controller, Launch, Phase, SimError, View};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The controller's settings.
#[derive(Debug, Clone)]
pub struct TargetUtilization {
    /// The type it buys, and where.
    pub instance: InstanceType,
    /// Zone.
    pub zone: String,
    /// Most nodes it runs.
    pub max: usize,
    /// Target GPU allocation, per mille.
    pub target_permille: u64,
    /// Loop period.
    pub every: SimTime,
}

impl ControllerFactory for TargetUtilization {
    fn name(&self) -> &str {
        "target-utilization"
    }
    fn build(&self) -> Box<dyn Controller> {
        let node = self.instance.node_spec(String::new(), BTreeMap::new(), Vec::new());
        Box::new(Scaler {
            kind: GroupType::new(self.instance.name.clone(), node, 0),
            cfg: self.clone(),
            ups: 0,
            downs: 0,
        })
    }
}

struct Scaler {
    cfg: TargetUtilization,
    kind: GroupType,
    ups: u64,
    downs: u64,
}

impl Scaler {
    fn admits(&self, pod: &PodSpec) -> bool {
        self.kind.admits(pod).is_ok()
    }
}

impl Controller for Scaler {
    fn name(&self) -> &'static str {
        "target-utilization"
    }

    fn start(&mut self, _view: &mut View<'_>) -> Result<Vec<Action>, SimError> {
        Ok(vec![Action::WakeAt { at: SimTime::ZERO, phase: Phase::Scaler, token: 0 }])
    }

    fn react(
        &mut self,
        cause: Cause,
        view: &mut View<'_>,
        _rng: &mut dyn RandomSource,
    ) -> Result<Vec<Action>, SimError> {
        let Cause::Wake(_) = cause else { return Ok(Vec::new()) };
        let (o, c, now) = (view.objects, &self.cfg, view.now);
        let mut out = vec![Action::WakeAt { at: now.plus(c.every), phase: Phase::Scaler, token: 0 }];
        let mine: Vec<usize> = o.nodes_of(view.me).collect();
        let t = view.cluster.state().totals();
        let alloc = t.gpu_milli_allocated.checked_div(t.gpus).unwrap_or(0); // per mille of the GPUs present
        let waiting = o.unschedulable().any(|p| self.admits(&o.pod(p).spec));
        let on_the_way = mine.iter().any(|&n| o.node(n).joined().is_none());
        if !on_the_way && mine.len() < c.max && (waiting || alloc > c.target_permille) {
            let it = &c.instance;
            let ask = Ask {
                group: "target-utilization",
                instance_type: &it.name,
                zone: &c.zone,
                capacity: CapacityType::OnDemand,
            };
            if let Some(grant) = view.cloud.take(ask) {
                let node = view.names.new_node("target");
                let name = node.name().to_string();
                let price = it.on_demand[&c.zone];
                let spec = it.node_spec(name.clone(), BTreeMap::new(), Vec::new());
                let (instance_type, zone) = (it.name.clone(), c.zone.clone());
                let launch = Launch {
                    node,
                    spec,
                    group: 0,
                    group_name: "target-utilization".into(),
                    instance_type,
                    zone,
                    capacity: CapacityType::OnDemand,
                    price_micro_h: price,
                    on_demand_micro_h: price,
                    grant,
                };
                out.push(Action::Launch(Box::new(launch)));
                out.push(Action::event(
                    "ProvisionNode",
                    format!("node/{name}"),
                    format!("target-utilization: GPU allocation {alloc}‰"),
                ));
                self.ups += 1;
            }
        } else if alloc < c.target_permille / 2 {
            let idle = |&&n: &&usize| {
                o.node(n).joined().is_some()
                    && o.node(n).pods.is_empty()
                    && o.node(n).empty_since.is_some_and(|e| now.0 - e.0 >= 300_000)
            };
            if let Some(&n) = mine.iter().find(idle) {
                out.push(Action::Terminate { node: n, reason: "target-utilization: idle".into() });
                self.downs += 1;
            }
        }
        Ok(out)
    }

    fn figures(&self) -> Vec<(&'static str, u64)> {
        vec![("scale_ups", self.ups), ("scale_downs", self.downs)]
    }
}

/// Reads its settings from a scenario's `controllers:` item, against the scenario's catalog.
pub fn builder() -> Builder {
    Arc::new(|s: &serde_json::Map<String, serde_json::Value>, cat: &Catalog| {
        if let Some(k) = s.keys().find(|k| !["instance_type", "zone", "max", "target", "every"].contains(&k.as_str())) {
            return Err(format!("unknown setting `{k}`; expected instance_type, zone, max, target, every"));
        }
        let ty = s.get("instance_type").and_then(|v| v.as_str()).ok_or("`instance_type` is missing")?;
        let it = cat.types.get(ty).ok_or_else(|| format!("instance_type `{ty}` is not in the scenario's catalog"))?;
        Ok(Arc::new(settings(it, s)?) as Arc<dyn ControllerFactory>)
    })
}

fn settings(it: &InstanceType, s: &serde_json::Map<String, serde_json::Value>) -> Result<TargetUtilization, String> {
    let target = s.get("target").and_then(|v| v.as_f64()).unwrap_or(0.7);
    if !(0.0..=1.0).contains(&target) {
        return Err(format!("target {target}; expected 0.0..=1.0"));
    }
    let zone = match s.get("zone").and_then(|v| v.as_str()) {
        Some(z) => z.to_string(),
        None => it.on_demand.keys().next().cloned().ok_or("the type is sold nowhere")?,
    };
    let every = fleetsim::engine::time::parse_duration(s.get("every").and_then(|v| v.as_str()).unwrap_or("1m"))?;
    let max = s.get("max").and_then(|v| v.as_u64()).unwrap_or(20) as usize;
    Ok(TargetUtilization { instance: it.clone(), zone, max, target_permille: (target * 1000.0) as u64, every })
}

/// The registry with this controller.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    r.register("target-utilization", builder());
    r
}

/// Runs `file`'s runs as shipped, and for each combination of its other axes one more run whose
/// node autoscalers are replaced by this controller buying `instance_type` (variant
/// `target-utilization`); writes them all to `out` for `fleetsim report`.
pub fn compare(file: &Path, out: &Path, instance_type: &str) -> Result<Vec<RunOutput>, String> {
    let (runs, mut axes) = match load_file_with(file, &registry()).map_err(|e| e.to_string())? {
        Loaded::Scenario(s) => (vec![(s.name.clone(), Vec::new(), *s)], Vec::new()),
        Loaded::Sweep(w) => {
            let runs = w.runs.into_iter().map(|r| Ok((r.run_id.clone(), r.params.clone(), r.scenario()?)));
            (runs.collect::<Result<Vec<_>, ScenarioError>>().map_err(|e| e.to_string())?, w.axes)
        }
    };
    if !axes.iter().any(|a| a == "variant") {
        axes.insert(0, "variant".into());
    }
    let mut outs = Vec::new();
    let mut mine = Vec::new();
    for (id, params, s) in &runs {
        outs.push(run_scenario(id, params, s).map_err(|e| e.to_string())?);
        let others: Vec<_> = params.iter().filter(|(k, _)| k != "variant").cloned().collect();
        if mine.iter().any(|(p, _): &(Vec<(String, String)>, _)| *p == others) {
            continue;
        }
        let setup = s.autoscale.as_ref().ok_or("a static cluster: nothing to scale")?;
        let it = setup.pools().flat_map(|p| &p.types).chain(setup.nodepools().flat_map(|p| &p.types));
        let it = it
            .into_iter()
            .find(|t| t.name == instance_type)
            .ok_or(format!("no pool of {id} offers {instance_type}"))?;
        let spec = ControllerSpec::User(Arc::new(settings(it, &serde_json::Map::new())?));
        mine.push((others, s.with_node_scaler(spec)?));
    }
    for (others, s) in mine {
        let mut params = vec![("variant".to_string(), "target-utilization".to_string())];
        params.extend(others);
        let id = params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("|");
        outs.push(run_scenario(&id, &params, &s).map_err(|e| e.to_string())?);
    }
    let meta = fleetsim::report::RunMeta { name: "target-utilization".into(), wall_time_s: 0.0, threads: 1 };
    let refs: Vec<&RunOutput> = outs.iter().collect();
    fleetsim::report::write_outputs(out, &refs, &axes, &meta).map_err(|e| e.to_string())?;
    Ok(outs)
}

#[allow(dead_code)] // a test includes this file as a module
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).map_or("scenarios/quickstart.yaml", String::as_str);
    let out = args.get(2).map_or("out/target-utilization", String::as_str);
    let ty = args.get(3).map_or("g5.12xlarge", String::as_str);
    match compare(Path::new(file), Path::new(out), ty) {
        Ok(runs) => {
            for r in &runs {
                let f = |k: &str| r.summary.figures.iter().find(|x| x.0 == k).map_or("", |x| x.1.as_str()).to_string();
                println!(
                    "{:<28} cost ${:>10}  pending p95 {:>8} s  nodes {}",
                    r.run_id,
                    f("cost_usd"),
                    f("pending_p95_s"),
                    f("nodes_launched")
                );
            }
            println!("wrote {out}; compare with `fleetsim report {out}`");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
