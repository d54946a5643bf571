//! The one cloud every launch goes through: what is in stock, what spot capacity costs now, and
//! when a spot instance is reclaimed.
//!
//! A controller asks for an instance the way a real one calls the cloud's API (EC2 `CreateFleet`,
//! ECS `RunInstances`): the answer comes at once, an instance taken from stock or an
//! insufficient-capacity error. Three kinds of stock limit a launch, and a launch needs room in
//! every one that covers it:
//! - **group stock**: instances per zone of one node pool (`pools[].stock`; ACK node pools
//!   draw on their vSwitches' zones), given back when the instance terminates;
//! - **offering stock**: instances per offering (`market.stock`: `TYPE`, `TYPE/ZONE`,
//!   `TYPE/CAPACITY`, `TYPE/ZONE/CAPACITY`, the most specific key applies), given back when the
//!   instance terminates (the capacity returns to the pool);
//! - **region stock**: instances of a type left in the region (a fleet's inventory), which a
//!   termination does not give back (seed 001: the inventory is what the region can still sell).
//!
//! Absent limits are unlimited.

use super::spot::{most_specific, CapacityType, OfferingKey, SpotMarket};
use crate::engine::{SimTime, Stream};
use std::collections::BTreeMap;

/// The cloud a run starts with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudSpec {
    /// Spot prices, interruptions and offering stock.
    pub market: SpotMarket,
    /// Instances in stock per (node pool, zone).
    pub group_stock: BTreeMap<(String, String), u32>,
}

/// What a launch took from stock, given back (but for region stock) when the instance ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    group: Option<(String, String)>,
    offering: Option<OfferingKey>,
}

/// An instance asked for: a node pool's (`group`) instance type in a zone at a capacity type.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// The node pool or NodePool launching it (its group stock, if any, applies).
    pub group: &'a str,
    /// Instance type.
    pub instance_type: &'a str,
    /// Zone.
    pub zone: &'a str,
    /// Capacity type.
    pub capacity: CapacityType,
}

/// The cloud during a run.
#[derive(Debug, Clone)]
pub struct Cloud {
    market: SpotMarket,
    group: BTreeMap<(String, String), u32>,
    offering: BTreeMap<OfferingKey, u32>,
    region: BTreeMap<String, u32>,
    spot_price: BTreeMap<(String, String), u64>,
    interruptions: Stream,
}

impl Cloud {
    /// The cloud of `spec`, drawing spot interruptions from `interruptions`.
    pub fn new(spec: &CloudSpec, interruptions: Stream) -> Cloud {
        Cloud {
            offering: spec.market.stock.clone(),
            group: spec.group_stock.clone(),
            market: spec.market.clone(),
            region: BTreeMap::new(),
            spot_price: BTreeMap::new(),
            interruptions,
        }
    }

    /// The spot market (buckets, notice, histories).
    pub fn market(&self) -> &SpotMarket {
        &self.market
    }

    /// Whether `ask` would get an instance now.
    pub fn available(&self, ask: Ask<'_>) -> bool {
        let group = self.group.get(&(ask.group.to_string(), ask.zone.to_string()));
        let offering = most_specific(&self.offering, ask.instance_type, ask.zone, ask.capacity).map(|(_, v)| v);
        let region = self.region.get(ask.instance_type);
        [group, offering, region].into_iter().flatten().all(|&n| n > 0)
    }

    /// Whether the region has `instance_type` left (a fleet's inventory; no level means yes).
    pub fn region_has(&self, instance_type: &str) -> bool {
        self.region.get(instance_type).is_none_or(|&n| n > 0)
    }

    /// Takes one instance for `ask`, or `None` (insufficient capacity) when a stock covering it
    /// is exhausted.
    pub fn take(&mut self, ask: Ask<'_>) -> Option<Grant> {
        if !self.available(ask) {
            return None;
        }
        let gkey = (ask.group.to_string(), ask.zone.to_string());
        let group = self.group.get_mut(&gkey).map(|n| *n -= 1).map(|_| gkey);
        let okey = most_specific(&self.offering, ask.instance_type, ask.zone, ask.capacity).map(|(k, _)| k.clone());
        if let Some(k) = &okey {
            *self.offering.get_mut(k).expect("present") -= 1;
        }
        if let Some(n) = self.region.get_mut(ask.instance_type) {
            *n -= 1;
        }
        Some(Grant { group, offering: okey })
    }

    /// Gives back what `grant` took (region stock excepted).
    pub fn release(&mut self, grant: &Grant) {
        if let Some(n) = grant.group.as_ref().and_then(|k| self.group.get_mut(k)) {
            *n += 1;
        }
        if let Some(n) = grant.offering.as_ref().and_then(|k| self.offering.get_mut(k)) {
            *n += 1;
        }
    }

    /// Instances left in group stock for (`group`, `zone`), `None` when unlimited.
    pub fn group_stock(&self, group: &str, zone: &str) -> Option<u32> {
        self.group.get(&(group.to_string(), zone.to_string())).copied()
    }

    /// Instances of `instance_type` left in the region, `None` when unlimited.
    pub fn region_stock(&self, instance_type: &str) -> Option<u32> {
        self.region.get(instance_type).copied()
    }

    /// Sets the region's stock of `instance_type` (a fleet's inventory level).
    pub fn set_region_stock(&mut self, instance_type: &str, stock: u32) {
        self.region.insert(instance_type.to_string(), stock);
    }

    /// The spot price of `instance_type` in `zone` now, when the price history has set one.
    pub fn spot_price(&self, instance_type: &str, zone: &str) -> Option<u64> {
        if self.spot_price.is_empty() {
            return None; // the common case, without building a key
        }
        self.spot_price.get(&(instance_type.to_string(), zone.to_string())).copied()
    }

    /// The spot price of an offering changes (the price history's row).
    pub fn set_spot_price(&mut self, instance_type: &str, zone: &str, price: u64) {
        self.spot_price.insert((instance_type.to_string(), zone.to_string()), price);
    }

    /// When a spot instance of `instance_type` in `zone` launched now gets its interruption
    /// notice, after the launch: drawn from its Spot Advisor bucket; `None` if never.
    pub fn draw_interruption(&mut self, instance_type: &str, zone: &str) -> Option<SimTime> {
        self.market.bucket(instance_type, zone).draw(&mut self.interruptions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn ask<'a>(group: &'a str, ty: &'a str, zone: &'a str, capacity: CapacityType) -> Ask<'a> {
        Ask { group, instance_type: ty, zone, capacity }
    }

    #[test]
    fn every_stock_covering_a_launch_must_have_room_and_only_region_stock_is_not_given_back() {
        let mut spec = CloudSpec::default();
        spec.group_stock.insert(("pool".into(), "a".into()), 2);
        spec.market.stock.insert(OfferingKey::parse("g5.xlarge/spot").unwrap(), 1);
        let mut c = Cloud::new(&spec, RngStreams::new(1).stream("spot/interruptions"));
        c.set_region_stock("g5.xlarge", 2);
        let od = ask("pool", "g5.xlarge", "a", CapacityType::OnDemand);
        let spot = ask("np", "g5.xlarge", "b", CapacityType::Spot);
        let g1 = c.take(od).unwrap();
        assert_eq!((c.group_stock("pool", "a"), c.region_stock("g5.xlarge")), (Some(1), Some(1)));
        let g2 = c.take(spot).unwrap();
        assert!(!c.available(spot), "the spot offering's stock is used up");
        assert!(!c.available(od), "so is the region's, though the pool's zone has one left");
        c.release(&g1);
        c.release(&g2);
        assert_eq!(c.group_stock("pool", "a"), Some(2));
        assert!(c.available(ask("np", "g4dn.xlarge", "b", CapacityType::Spot)), "no limit covers it");
        assert!(!c.available(spot), "terminations give no region stock back");
        c.set_region_stock("g5.xlarge", 5);
        assert!(c.take(spot).is_some());
    }
}
