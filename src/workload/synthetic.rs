//! Synthetic workloads: pods arriving by a Poisson or Gamma renewal process whose rate follows a
//! daily cycle, a weekday/weekend factor and bursts, with heavy-tailed run times and a GPU
//! request mix. Each generator draws from its own seeded stream (`workload/synthetic/<name>`),
//! so adding a generator does not change another's pods.
//!
//! Sampling is by inverse transforms and Marsaglia–Tsang (Gamma) on uniform words from the
//! stream, with `libm` for the transcendental functions: the same pods on every platform.
//! Times are whole seconds, so a generated workload written by `fleetsim trace` reads back
//! exactly.
//!
//! A time-varying rate is obtained by thinning: candidates arrive at the peak rate and each is kept
//! with probability rate(t) / peak. For Poisson arrivals this is exact (a non-homogeneous
//! Poisson process); for Gamma arrivals the burstiness of the renewal process is kept but its
//! inter-arrival law is only approximately Gamma once thinned (said in the README).

use crate::core::PodSpec;
use crate::engine::{SimTime, Stream};
use crate::workload::TracePod;

/// How long a pod runs once started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Duration {
    /// Always this long.
    Fixed(SimTime),
    /// Exponential.
    Exponential {
        /// Mean, seconds.
        mean_s: f64,
    },
    /// Lognormal.
    Lognormal {
        /// Median, seconds.
        median_s: f64,
        /// Sigma of the log.
        sigma: f64,
    },
    /// Pareto.
    Pareto {
        /// Minimum, seconds.
        min_s: f64,
        /// Tail index.
        alpha: f64,
    },
}

/// Arrival process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrivals {
    /// Poisson: exponential inter-arrival times.
    Poisson,
    /// Gamma renewal process with this coefficient of variation of inter-arrival times (1 is
    /// Poisson; above 1, burstier).
    Gamma {
        /// Coefficient of variation.
        cv: f64,
    },
}

/// A burst: the rate is multiplied by `factor` in `[at, at + duration)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    /// Start.
    pub at: SimTime,
    /// Length.
    pub duration: SimTime,
    /// Rate multiplier.
    pub factor: f64,
}

/// A rate that varies over time: a mean, a daily cycle, a weekend factor and bursts.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Mean rate, per second (before the cycle, the weekend and the bursts).
    pub rate_per_s: f64,
    /// Daily cycle: amplitude in [0, 1) and the peak's time of day, in seconds after midnight.
    pub diurnal: Option<(f64, u64)>,
    /// Rate factor on Saturdays and Sundays.
    pub weekend: Option<f64>,
    /// Day of week of simulated time 0 (0 = Sunday) and its second of the day.
    pub clock: (u32, u64),
    /// Bursts.
    pub bursts: Vec<Burst>,
}

impl Profile {
    /// A constant rate.
    pub fn constant(rate_per_s: f64) -> Profile {
        Profile { rate_per_s, diurnal: None, weekend: None, clock: (0, 0), bursts: Vec::new() }
    }

    /// The highest rate the profile reaches.
    pub fn peak(&self) -> f64 {
        let d = self.diurnal.map_or(1.0, |(a, _)| 1.0 + a);
        let w = self.weekend.map_or(1.0, |f| f.max(1.0));
        let b = self.bursts.iter().map(|b| b.factor).fold(1.0, f64::max);
        self.rate_per_s * d * w * b
    }

    /// The rate at `t`, per second.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let s = t.0 / 1000 + self.clock.1;
        let mut r = self.rate_per_s;
        if let Some((a, peak)) = self.diurnal {
            let phase = ((s % 86_400) as f64 - peak as f64) / 86_400.0;
            r *= 1.0 + a * libm::cos(2.0 * std::f64::consts::PI * phase);
        }
        if let Some(f) = self.weekend {
            let day = (self.clock.0 as u64 + s / 86_400) % 7;
            if day == 0 || day == 6 {
                r *= f;
            }
        }
        for b in &self.bursts {
            if t >= b.at && t < b.at.plus(b.duration) {
                r *= b.factor;
            }
        }
        r
    }
}

/// A validated generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    /// Name: pods are `<name>-<k>`, the stream `workload/synthetic/<name>`.
    pub name: String,
    /// Arrival rate over time, pods per second.
    pub profile: Profile,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Arrivals in `[start, end)`.
    pub start: SimTime,
    /// See `start`.
    pub end: SimTime,
    /// At most this many pods.
    pub count: Option<u64>,
    /// Run time.
    pub duration: Duration,
    /// Pod templates with their weights.
    pub mix: Vec<(u64, PodSpec)>,
    /// Checkpoint interval of the pods.
    pub checkpoint: Option<SimTime>,
    /// `karpenter.sh/do-not-disrupt`.
    pub do_not_disrupt: bool,
}

/// A uniform draw in (0, 1).
fn unit(rng: &mut Stream) -> f64 {
    ((crate::core::RandomSource::next_u64(rng) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box–Muller, one of the pair).
fn normal(rng: &mut Stream) -> f64 {
    let (u, v) = (unit(rng), unit(rng));
    libm::sqrt(-2.0 * libm::log(u)) * libm::cos(2.0 * std::f64::consts::PI * v)
}

/// A Gamma(shape k, scale 1) draw (Marsaglia–Tsang; boosted for k < 1).
fn gamma(rng: &mut Stream, k: f64) -> f64 {
    if k < 1.0 {
        return gamma(rng, k + 1.0) * libm::pow(unit(rng), 1.0 / k);
    }
    let d = k - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = unit(rng);
        if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
            return d * v;
        }
    }
}

impl Duration {
    fn draw_s(&self, rng: &mut Stream) -> f64 {
        match *self {
            Duration::Fixed(t) => t.0 as f64 / 1000.0,
            Duration::Exponential { mean_s } => -mean_s * libm::log(unit(rng)),
            Duration::Lognormal { median_s, sigma } => median_s * libm::exp(sigma * normal(rng)),
            Duration::Pareto { min_s, alpha } => min_s * libm::pow(unit(rng), -1.0 / alpha),
        }
    }
}

impl Generator {
    /// Generates the pods, in creation order.
    pub fn generate(&self, rng: &mut Stream) -> Vec<TracePod> {
        let peak = self.profile.peak();
        let mut out = Vec::new();
        if peak <= 0.0 || self.mix.is_empty() {
            return out;
        }
        let total_weight: u64 = self.mix.iter().map(|m| m.0).sum();
        let mut t = self.start.0 as f64 / 1000.0;
        let end = self.end.0 as f64 / 1000.0;
        loop {
            let gap = match self.arrivals {
                Arrivals::Poisson => -libm::log(unit(rng)) / peak,
                Arrivals::Gamma { cv } => {
                    let k = 1.0 / (cv * cv);
                    gamma(rng, k) / (k * peak)
                }
            };
            t += gap;
            if t >= end || self.count.is_some_and(|c| out.len() as u64 >= c) {
                break;
            }
            let at = SimTime((t.floor() as u64) * 1000);
            if unit(rng) * peak >= self.profile.rate_at(at) {
                continue; // thinned
            }
            let mut pick = crate::engine::Stream::below(rng, total_weight);
            let template = self
                .mix
                .iter()
                .find(|(w, _)| {
                    if pick < *w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .map(|m| &m.1)
                .expect("weights sum to total");
            let run_s = self.duration.draw_s(rng).clamp(1.0, 365.0 * 86_400.0).round() as u64;
            out.push(TracePod {
                spec: PodSpec { name: format!("{}-{}", self.name, out.len()), ..template.clone() },
                created: at,
                deleted: Some(at.plus(SimTime::from_secs(run_s))),
                checkpoint: self.checkpoint,
                do_not_disrupt: self.do_not_disrupt,
                gang: None,
                priority: 0,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::GpuRequest;
    use crate::engine::RngStreams;

    fn gen(arrivals: Arrivals, duration: Duration) -> Generator {
        Generator {
            name: "g".into(),
            profile: Profile { clock: (1, 0), ..Profile::constant(1.0 / 60.0) },
            arrivals,
            start: SimTime::ZERO,
            end: SimTime(30 * 86_400_000),
            count: None,
            duration,
            mix: vec![
                (3, PodSpec { gpu: GpuRequest::Whole { count: 1 }, ..Default::default() }),
                (1, PodSpec { gpu: GpuRequest::Whole { count: 4 }, ..Default::default() }),
            ],
            checkpoint: None,
            do_not_disrupt: false,
        }
    }

    #[test]
    fn poisson_rate_mix_and_lognormal_median_come_out_as_declared() {
        let g = gen(Arrivals::Poisson, Duration::Lognormal { median_s: 1800.0, sigma: 1.0 });
        let pods = g.generate(&mut RngStreams::new(1).stream("workload/synthetic/g"));
        // 1 per minute for 30 days: 43,200 expected (sd 208).
        assert!((42_500..43_900).contains(&pods.len()), "{}", pods.len());
        let quads = pods.iter().filter(|p| p.spec.gpu.gpus() == 4).count() as f64 / pods.len() as f64;
        assert!((quads - 0.25).abs() < 0.01, "weight 1 of 4: {quads}");
        let mut runs: Vec<u64> = pods.iter().map(|p| p.deleted.unwrap().0 - p.created.0).collect();
        runs.sort_unstable();
        let median = runs[runs.len() / 2] as f64 / 1000.0;
        assert!((median - 1800.0).abs() < 60.0, "median {median}");
        assert!(pods.windows(2).all(|w| w[0].created <= w[1].created), "creation order");
        assert!(pods.iter().all(|p| p.created.0 % 1000 == 0), "whole seconds");
        // Same seed, same pods; another generator's stream, other pods.
        let again = g.generate(&mut RngStreams::new(1).stream("workload/synthetic/g"));
        assert_eq!(pods, again);
        let other = g.generate(&mut RngStreams::new(1).stream("workload/synthetic/h"));
        assert_ne!(pods.len(), other.len());
    }

    #[test]
    fn diurnal_weekend_and_bursts_shape_the_rate() {
        let mut g = gen(Arrivals::Poisson, Duration::Fixed(SimTime::from_secs(60)));
        g.profile.diurnal = Some((0.8, 14 * 3600));
        g.profile.weekend = Some(0.25);
        g.profile.bursts = vec![Burst { at: SimTime(2 * 86_400_000), duration: SimTime(3_600_000), factor: 10.0 }];
        let pods = g.generate(&mut RngStreams::new(2).stream("x"));
        let in_hour =
            |day: u64, hour: u64| pods.iter().filter(|p| p.created.0 / 3_600_000 == day * 24 + hour).count() as f64;
        // Weekdays (time 0 is a Monday): 14:00 against 02:00 is (1 + 0.8) / (1 - 0.8) = 9x.
        let (peak, trough): (f64, f64) = (0..5)
            .filter(|d| *d != 2)
            .map(|d| (in_hour(d, 14), in_hour(d, 2)))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!(peak > 5.0 * trough, "peak {peak} trough {trough}");
        // Saturday at 14:00 runs at a quarter of Friday's.
        let (fri, sat): (f64, f64) = (0..4)
            .map(|w| (in_hour(4 + 7 * w, 14), in_hour(5 + 7 * w, 14)))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!(sat < 0.5 * fri, "fri {fri} sat {sat}");
        // The burst hour (day 2, 00:00-01:00) against the same hour a day later.
        assert!(in_hour(2, 0) > 4.0 * in_hour(3, 0).max(1.0), "{} vs {}", in_hour(2, 0), in_hour(3, 0));
    }

    #[test]
    fn gamma_arrivals_are_burstier_than_poisson_at_the_same_rate() {
        let cv_of = |arrivals| {
            let pods = gen(arrivals, Duration::Pareto { min_s: 60.0, alpha: 1.5 })
                .generate(&mut RngStreams::new(3).stream("workload/synthetic/g"));
            let gaps: Vec<f64> = pods.windows(2).map(|w| (w[1].created.0 - w[0].created.0) as f64).collect();
            let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let sd = (gaps.iter().map(|g| (g - m) * (g - m)).sum::<f64>() / gaps.len() as f64).sqrt();
            (pods.len(), sd / m)
        };
        let (n_p, cv_p) = cv_of(Arrivals::Poisson);
        let (n_g, cv_g) = cv_of(Arrivals::Gamma { cv: 3.0 });
        assert!((cv_p - 1.0).abs() < 0.05, "Poisson cv {cv_p}");
        assert!(cv_g > 2.5, "Gamma cv {cv_g}");
        assert!((n_g as f64 / n_p as f64 - 1.0).abs() < 0.1, "same mean rate: {n_p} vs {n_g}");
    }
}
