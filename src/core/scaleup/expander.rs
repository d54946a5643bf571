//! cluster-autoscaler's expanders: which of the scale-up options a loop takes.
//!
//! Upstream reference: kubernetes/autoscaler `cluster-autoscaler/expander/` at commit f7bb0c36
//! (2026-07-20, the last in-tree version before the core moved to `sigs.k8s.io/cluster-autoscaler`).
//! `--expander` is a comma-separated chain (`factory/expander_factory.go`, `Factory.Build`): each
//! expander filters the options the previous one kept, the chain stops as soon as one is left
//! (`factory/chain.go`, `chainStrategy.BestOption`), and what ties remain at the end go to a
//! random pick. Every filter keeps its ties in the options' order (group order, then type order).
//!
//! - `least-waste` (`waste/waste.go`): the least wasted CPU share plus wasted memory share of the
//!   new nodes' capacity once the option's pods run. Upstream scores CPU and memory only, GPU
//!   nodes included.
//! - `most-pods` (`mostpods/mostpods.go`): the options that help the most pods.
//! - `least-nodes` (`leastnodes/leastnodes.go`): the options that add the fewest nodes.
//! - `price` (`price/price.go`): the lowest `suppressed unfitness · (node price + S) / (pod price + S)`,
//!   see [`price_score`].
//! - `priority` (`priority/priority.go`): the options of the groups with the highest priority; a
//!   group that no priority names is left out; priorities below -1 are never picked; when no
//!   option is left, every option is kept (upstream warns and ignores its ConfigMap then).
//! - `random` (`random/random.go`): one option at random; upstream allows it only last.

use super::{NodeGroup, ScaleUpOption};

/// One expander of the `--expander` chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expander {
    /// One option at random.
    Random,
    /// The options that schedule the most pods.
    MostPods,
    /// The options that leave the least idle CPU and memory (shares added).
    LeastWaste,
    /// The options that add the fewest nodes.
    LeastNodes,
    /// The options with the lowest price score ([`price_score`]).
    Price,
    /// The options of the groups with the highest priority.
    Priority,
}

const NAMES: [(&str, Expander); 6] = [
    ("random", Expander::Random),
    ("most-pods", Expander::MostPods),
    ("least-waste", Expander::LeastWaste),
    ("least-nodes", Expander::LeastNodes),
    ("price", Expander::Price),
    ("priority", Expander::Priority),
];

impl Expander {
    /// Parses one expander's spelling; the error lists the valid ones.
    pub fn parse(s: &str) -> Result<Self, String> {
        NAMES.iter().find(|(n, _)| *n == s).map(|&(_, e)| e).ok_or_else(|| {
            let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
            format!("`{s}` is not an expander; expected {}", names.join(", "))
        })
    }

    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        NAMES.iter().find(|(_, e)| *e == self).map(|(n, _)| *n).unwrap_or("random")
    }
}

/// The `--expander` chain: one or more expanders applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanders(Vec<Expander>);

impl Expanders {
    /// A chain of one expander.
    pub fn one(e: Expander) -> Self {
        Expanders(vec![e])
    }

    /// Parses `--expander` as upstream's factory builds it (`Factory.Build`): names split at
    /// commas without trimming; a name given twice, an unknown one, or any after `random` (which
    /// always leaves one option) is an error.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut chain: Vec<Expander> = Vec::new();
        for name in s.split(',') {
            let e = Expander::parse(name)?;
            if chain.contains(&e) {
                return Err(format!("`{name}` is given twice; each expander may appear once"));
            }
            if chain.last() == Some(&Expander::Random) {
                return Err(format!(
                    "`{name}` comes after `random`, which always leaves one option; put `random` last"
                ));
            }
            chain.push(e);
        }
        Ok(Expanders(chain))
    }

    /// The expanders in order.
    pub fn iter(&self) -> impl Iterator<Item = Expander> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Display for Expanders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|e| e.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// The option the chain picks, `None` when there is none (or a filter left none). `cluster_nodes`
/// is the number of nodes in the cluster (the price expander's preferred node size);
/// `random(n)` draws a uniform index in `0..n`, called only when a random pick is needed.
pub fn expand(
    opts: &[ScaleUpOption],
    groups: &[NodeGroup],
    chain: &Expanders,
    cluster_nodes: usize,
    mut random: impl FnMut(u64) -> u64,
) -> Option<usize> {
    let mut kept: Vec<usize> = (0..opts.len()).collect();
    for e in chain.iter() {
        kept = filter(e, &kept, opts, groups, cluster_nodes, &mut random);
        if kept.len() == 1 {
            return Some(kept[0]);
        }
    }
    match kept.len() {
        0 => None,
        n => Some(kept[random(n as u64) as usize]),
    }
}

/// The options of `kept` that expander `e` keeps, in order.
fn filter(
    e: Expander,
    kept: &[usize],
    opts: &[ScaleUpOption],
    groups: &[NodeGroup],
    cluster_nodes: usize,
    random: &mut dyn FnMut(u64) -> u64,
) -> Vec<usize> {
    match e {
        Expander::Random if kept.is_empty() => Vec::new(),
        Expander::Random => vec![kept[random(kept.len() as u64) as usize]],
        Expander::MostPods => best(kept, |i| -(opts[i].pods.len() as f64)),
        Expander::LeastNodes => {
            let live: Vec<usize> = kept.iter().copied().filter(|&i| opts[i].nodes > 0).collect();
            best(&live, |i| opts[i].nodes as f64)
        }
        Expander::LeastWaste => best(kept, |i| waste_score(&opts[i], &groups[opts[i].group])),
        Expander::Price => {
            let pref = preferred_node_cpu_milli(cluster_nodes);
            best(kept, |i| price_score(&PriceTerms::of(&opts[i], &groups[opts[i].group]), pref))
        }
        Expander::Priority => {
            // `priority.BestOptions`: the running maximum starts at -1.
            let mut top = -1i64;
            let mut out = Vec::new();
            for &i in kept {
                let Some(p) = groups[opts[i].group].priority.map(i64::from) else { continue };
                if p > top {
                    top = p;
                    out.clear();
                }
                if p == top {
                    out.push(i);
                }
            }
            if out.is_empty() {
                kept.to_vec()
            } else {
                out
            }
        }
    }
}

/// The options of `kept` with the lowest `score`, in order (exact float ties kept).
fn best(kept: &[usize], score: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut low = f64::INFINITY;
    for &i in kept {
        let s = score(i);
        if s.is_nan() {
            continue;
        }
        if s < low {
            low = s;
            out.clear();
        }
        if s == low {
            out.push(i);
        }
    }
    out
}

/// least-waste's score (`waste.BestOptions`): the idle share of the new nodes' CPU plus that of
/// their memory once the option's pods run, from the node's capacity times the node count.
pub fn waste_score(o: &ScaleUpOption, g: &NodeGroup) -> f64 {
    let node = &g.types[o.ty].node;
    let cpu = node.cpu_milli as f64 * o.nodes as f64;
    let mem = node.memory_mib as f64 * o.nodes as f64;
    (cpu - o.pod_cpu_milli as f64) / cpu + (mem - o.pod_memory_mib as f64) / mem
}

/// The price expander's pod price, USD per hour: the pricing model of GCE's provider, the only
/// in-tree model the expander runs on at scale (`cloudprovider/gce/gce_price_info.go` at commit
/// e72c7c68: $0.033174 per core, $0.004446 per GiB, $0.700 per GPU). The AWS and Alibaba Cloud
/// providers implement no pricing model (`Pricing()` returns ErrNotImplemented), so there
/// upstream's cluster-autoscaler refuses to start with `--expander=price`; fleetsim prices
/// nodes from its catalog and pods with these rates.
pub fn pod_price_usd_h(cpu_milli: u64, memory_mib: u64, gpu_milli: u64) -> f64 {
    cpu_milli as f64 / 1000.0 * 0.033174 + memory_mib as f64 / 1024.0 * 0.004446 + gpu_milli as f64 / 1000.0 * 0.700
}

/// The preferred node's CPU, milli-cores, for a cluster of `nodes` nodes (`price/preferred.go`,
/// `SimplePreferredNodeProvider`): 1 core up to 2 nodes, 2 up to 6, 4 up to 20, 8 up to 60, 16 up
/// to 200, 32 above.
pub fn preferred_node_cpu_milli(nodes: usize) -> u64 {
    match nodes {
        0..=2 => 1000,
        3..=6 => 2000,
        7..=20 => 4000,
        21..=60 => 8000,
        61..=200 => 16_000,
        _ => 32_000,
    }
}

/// What the price expander scores an option on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceTerms {
    /// The new node's CPU capacity, milli-cores.
    pub node_cpu_milli: u64,
    /// Whether the node has GPUs (its unfitness is then 1000).
    pub gpu: bool,
    /// Nodes the option adds.
    pub nodes: u32,
    /// Their price together, per hour.
    pub nodes_price: f64,
    /// The price of the pods they would run, per hour.
    pub pods_price: f64,
    /// The stabilization pod's price `S`, per hour.
    pub stabilization: f64,
}

impl PriceTerms {
    /// The terms of option `o` of group `g`, priced as fleetsim prices them (nodes from the
    /// catalog, pods with [`pod_price_usd_h`]).
    pub fn of(o: &ScaleUpOption, g: &NodeGroup) -> Self {
        let node = &g.types[o.ty].node;
        PriceTerms {
            node_cpu_milli: node.cpu_milli,
            gpu: node.gpu_count > 0,
            nodes: o.nodes,
            nodes_price: o.price_micro_h as f64 / 1e6,
            pods_price: pod_price_usd_h(o.pod_cpu_milli, o.pod_memory_mib, o.pod_gpu_milli),
            stabilization: pod_price_usd_h(500, 500, 0),
        }
    }
}

/// The price expander's score, lower better (`priceBased.BestOptions`):
/// `suppressed · (nodes price + S) / (pods price + S)`, where `S` is the price of a 500m / 500 MiB
/// stabilization pod; the unfitness `U = max(pref/cpu, cpu/pref)` of the node's CPU against the
/// preferred node's (`SimpleNodeUnfitness`) is suppressed for large scale-ups,
/// `(U - 1)(1 - tanh((nodes - 1)/15)) + 1`, and is 1000 for GPU nodes (`gpuUnfitnessOverride`).
/// Upstream doubles the score of node groups that do not exist yet (autoprovisioning); ACK node
/// pools always exist.
pub fn price_score(t: &PriceTerms, preferred_cpu_milli: u64) -> f64 {
    let ratio = (t.nodes_price + t.stabilization) / (t.pods_price + t.stabilization);
    let (pref, cpu) = (preferred_cpu_milli as f64, t.node_cpu_milli.max(1) as f64);
    let unfit = (pref / cpu).max(cpu / pref);
    let suppressed = if t.gpu { 1000.0 } else { (unfit - 1.0) * (1.0 - tanh((t.nodes as f64 - 1.0) / 15.0)) + 1.0 };
    suppressed * ratio
}

/// `tanh` from additions and multiplications only, so that scores are the same bits on every
/// platform (the platform's libm may differ in the last bit). Exact to within a few ulps.
pub(crate) fn tanh(x: f64) -> f64 {
    if x < 0.0 {
        return -tanh(-x);
    }
    if x > 20.0 {
        return 1.0;
    }
    let e = exp_neg(2.0 * x);
    (1.0 - e) / (1.0 + e)
}

/// `e^-y` for `0 <= y <= 40`: `y = k·ln 2 + r` with `0 <= r < ln 2`, Taylor series of `e^-r`,
/// halved `k` times.
fn exp_neg(y: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let k = (y / LN2) as u32;
    let r = y - k as f64 * LN2;
    let (mut sum, mut term) = (1.0f64, 1.0f64);
    for n in 1..30 {
        term *= -r / n as f64;
        sum += term;
    }
    for _ in 0..k {
        sum *= 0.5;
    }
    sum
}

#[cfg(test)]
mod tests;
