//! Spot capacity: prices, the interruption process and offering stock.
//!
//! - **Prices.** The catalog's per-zone `spot` price where given; elsewhere
//!   `market.spot_price_ratio` × the on-demand price (default 0.3: seed 003's table puts spot at
//!   about 70 % below on-demand for every GPU type it lists).
//! - **Interruptions.** Per offering, the AWS Spot Instance Advisor's "frequency of interruption"
//!   bucket: `<5%`, `5-10%`, `10-15%`, `15-20%`, `>20%` of instances interrupted in a month.
//!   fleetsim reads a bucket as its midpoint (2.5 %, 7.5 %, 12.5 %, 17.5 %; 25 % for `>20%`, a
//!   choice: the advisor gives no upper bound) and draws each spot node's time to interruption
//!   from the exponential distribution with that probability of an interruption within 30 days.
//!   Draws use [`libm`] so they are identical on every platform. An interruption history file
//!   (`at,instance_type,zone[,count]`) can replace or add to the process. AWS gives a two-minute
//!   notice before reclaiming the instance (EC2 User Guide, "Spot Instance interruption notices").
//! - **Stock.** Instances available per offering (`g5.xlarge`, `g5.xlarge/spot`,
//!   `g5.xlarge/us-east-1a/spot`; the most specific key applies, absent means unlimited). A launch
//!   into an exhausted offering fails as EC2's InsufficientInstanceCapacity does.
//! - **Price history.** A file of `at,instance_type,zone,price` rows (USD/h, as
//!   `aws ec2 describe-spot-price-history` reports them, with `at` relative to the scenario's
//!   start) replaces an offering's spot price from `at` on, for decisions and for the billing of
//!   the spot nodes already running.

use crate::engine::{SimTime, Stream};
use std::collections::BTreeMap;

/// Spot Instance Advisor interruption-frequency bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    /// No interruptions modelled.
    None,
    /// `<5%`.
    Under5,
    /// `5-10%`.
    From5To10,
    /// `10-15%`.
    From10To15,
    /// `15-20%`.
    From15To20,
    /// `>20%`.
    Over20,
}

impl Bucket {
    /// Parses the advisor's spelling (or `none`).
    pub fn parse(s: &str) -> Result<Bucket, String> {
        Ok(match s.trim() {
            "none" => Bucket::None,
            "<5%" => Bucket::Under5,
            "5-10%" => Bucket::From5To10,
            "10-15%" => Bucket::From10To15,
            "15-20%" => Bucket::From15To20,
            ">20%" => Bucket::Over20,
            o => return Err(format!("`{o}`; expected one of none, <5%, 5-10%, 10-15%, 15-20%, >20%")),
        })
    }

    /// The advisor's spelling (`none` for no interruptions).
    pub fn label(self) -> &'static str {
        match self {
            Bucket::None => "none",
            Bucket::Under5 => "<5%",
            Bucket::From5To10 => "5-10%",
            Bucket::From10To15 => "10-15%",
            Bucket::From15To20 => "15-20%",
            Bucket::Over20 => ">20%",
        }
    }

    /// Probability of an interruption within 30 days, per mille (the bucket's midpoint).
    pub fn monthly_permille(self) -> u32 {
        match self {
            Bucket::None => 0,
            Bucket::Under5 => 25,
            Bucket::From5To10 => 75,
            Bucket::From10To15 => 125,
            Bucket::From15To20 => 175,
            Bucket::Over20 => 250,
        }
    }

    /// Draws a node's time from launch to its interruption notice; `None` when the bucket is
    /// `none`. Exponential with `P(T <= 30 d) = monthly rate`.
    pub fn draw(self, rng: &mut Stream) -> Option<SimTime> {
        let p = self.monthly_permille();
        if p == 0 {
            return None;
        }
        let u = ((crate::core::RandomSource::next_u64(rng) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let month_ms = 30.0 * 86_400_000.0;
        let t = libm::log(u) / libm::log1p(-(p as f64) / 1000.0) * month_ms;
        Some(SimTime(if t >= 1e15 { 1_000_000_000_000_000 } else { t as u64 }))
    }
}

/// Capacity type of an offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CapacityType {
    /// Spot.
    Spot,
    /// On-demand.
    OnDemand,
}

impl CapacityType {
    /// Spot when `spot`, else on-demand.
    pub fn of_spot(spot: bool) -> CapacityType {
        if spot {
            CapacityType::Spot
        } else {
            CapacityType::OnDemand
        }
    }

    /// Karpenter's label value (`karpenter.sh/capacity-type`).
    pub fn as_str(self) -> &'static str {
        match self {
            CapacityType::Spot => "spot",
            CapacityType::OnDemand => "on-demand",
        }
    }
}

/// A key into [`SpotMarket::stock`] and the interruption overrides: an instance type with an
/// optional zone and capacity type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OfferingKey {
    /// Instance type.
    pub instance_type: String,
    /// Zone, or any.
    pub zone: Option<String>,
    /// Capacity type, or any.
    pub capacity: Option<CapacityType>,
}

impl OfferingKey {
    /// Parses `type`, `type/zone`, `type/capacity` or `type/zone/capacity`.
    pub fn parse(s: &str) -> Result<OfferingKey, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let cap = |p: &str| match p {
            "spot" => Some(CapacityType::Spot),
            "on-demand" => Some(CapacityType::OnDemand),
            _ => None,
        };
        let key = |zone: Option<&str>, capacity| OfferingKey {
            instance_type: parts[0].to_string(),
            zone: zone.map(str::to_string),
            capacity,
        };
        match parts.as_slice() {
            [t] if !t.is_empty() => Ok(key(None, None)),
            [_, p] if cap(p).is_some() => Ok(key(None, cap(p))),
            [_, z] if !z.is_empty() => Ok(key(Some(z), None)),
            [_, z, p] if cap(p).is_some() => Ok(key(Some(z), cap(p))),
            _ => Err(format!(
                "`{s}`; expected TYPE, TYPE/ZONE, TYPE/CAPACITY or TYPE/ZONE/CAPACITY (CAPACITY spot or on-demand)"
            )),
        }
    }

    /// How specific the key is (more specific keys win).
    fn rank(&self) -> u8 {
        u8::from(self.zone.is_some()) * 2 + u8::from(self.capacity.is_some())
    }

    fn covers(&self, ty: &str, zone: &str, cap: CapacityType) -> bool {
        self.instance_type == ty
            && self.zone.as_deref().is_none_or(|z| z == zone)
            && self.capacity.is_none_or(|c| c == cap)
    }
}

/// The most specific key of `map` covering the offering.
pub fn most_specific<'a, V>(
    map: &'a BTreeMap<OfferingKey, V>,
    ty: &str,
    zone: &str,
    cap: CapacityType,
) -> Option<(&'a OfferingKey, &'a V)> {
    map.iter().filter(|(k, _)| k.covers(ty, zone, cap)).max_by_key(|(k, _)| k.rank())
}

/// One row of an interruption history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricInterruption {
    /// When the notice comes.
    pub at: SimTime,
    /// Instance type.
    pub instance_type: String,
    /// Zone.
    pub zone: String,
    /// How many running spot nodes of that offering get the notice (oldest first).
    pub count: u32,
}

/// One row of a spot price history file: from `at` on, the offering's spot price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricPrice {
    /// From when.
    pub at: SimTime,
    /// Instance type.
    pub instance_type: String,
    /// Zone.
    pub zone: String,
    /// Price, micro-USD per hour.
    pub price: u64,
}

/// Validated spot market settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotMarket {
    /// Spot price as a share of on-demand where the catalog has none, per mille.
    pub price_ratio_permille: u64,
    /// Bucket of every spot offering without an override.
    pub interruption: Bucket,
    /// Per-offering buckets.
    pub interruption_by_offering: BTreeMap<OfferingKey, Bucket>,
    /// Notice before the instance is reclaimed.
    pub notice: SimTime,
    /// Interruptions replayed from a file.
    pub history: Vec<HistoricInterruption>,
    /// Spot prices replayed from a file, in time order.
    pub price_history: Vec<HistoricPrice>,
    /// Instances available per offering; absent offerings are unlimited.
    pub stock: BTreeMap<OfferingKey, u32>,
}

impl Default for SpotMarket {
    fn default() -> Self {
        SpotMarket {
            price_ratio_permille: 300,
            interruption: Bucket::None,
            interruption_by_offering: BTreeMap::new(),
            notice: SimTime::from_secs(120),
            history: Vec::new(),
            price_history: Vec::new(),
            stock: BTreeMap::new(),
        }
    }
}

impl SpotMarket {
    /// The bucket of a spot offering.
    pub fn bucket(&self, ty: &str, zone: &str) -> Bucket {
        most_specific(&self.interruption_by_offering, ty, zone, CapacityType::Spot)
            .map(|(_, b)| *b)
            .unwrap_or(self.interruption)
    }

    /// The hourly spot price of `it` in `zone`, micro-USD, if it is sold there.
    pub fn spot_price(&self, it: &super::InstanceType, zone: &str) -> Option<u64> {
        let od = *it.on_demand.get(zone)?;
        Some(it.spot.get(zone).copied().unwrap_or(od * self.price_ratio_permille / 1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn buckets_draw_the_advertised_monthly_rate() {
        let mut rng = RngStreams::new(7).stream("spot/interruptions");
        let month = SimTime(30 * 86_400_000);
        for (b, lo, hi) in [(Bucket::Under5, 15, 35), (Bucket::Over20, 230, 270)] {
            let n = 20_000;
            let hits = (0..n).filter(|_| b.draw(&mut rng).unwrap() <= month).count() as u32;
            let permille = hits * 1000 / n;
            assert!((lo..=hi).contains(&permille), "{b:?}: {permille} per mille within a month");
        }
        assert_eq!(Bucket::None.draw(&mut rng), None);
        assert!(Bucket::parse("5 to 10").unwrap_err().contains("5-10%"));
    }

    #[test]
    fn most_specific_key_wins() {
        let mut m = BTreeMap::new();
        m.insert(OfferingKey::parse("g5.xlarge").unwrap(), 5);
        m.insert(OfferingKey::parse("g5.xlarge/spot").unwrap(), 3);
        m.insert(OfferingKey::parse("g5.xlarge/us-east-1a/spot").unwrap(), 0);
        let v = |z, c| most_specific(&m, "g5.xlarge", z, c).map(|(_, v)| *v);
        assert_eq!(v("us-east-1a", CapacityType::Spot), Some(0));
        assert_eq!(v("us-east-1b", CapacityType::Spot), Some(3));
        assert_eq!(v("us-east-1b", CapacityType::OnDemand), Some(5));
        assert_eq!(most_specific(&m, "g4dn.xlarge", "us-east-1a", CapacityType::Spot), None);
        assert!(OfferingKey::parse("a/b/c/d").is_err());
        assert!(OfferingKey::parse("g5.xlarge/us-east-1a/reserved").is_err());
    }
}
