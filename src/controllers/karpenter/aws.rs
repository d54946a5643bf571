//! What a node launched by Karpenter's AWS provider has to give pods: its capacity less the VM's
//! memory overhead, and its allocatable after kube-reserved, system-reserved and the eviction
//! threshold, with its pod limit. As aws/karpenter-provider-aws computes them at commit 1d927085
//! (`pkg/providers/instancetype/types.go`: `memory`, `pods`, `ENILimitedPods`,
//! `kubeReservedResources`, `evictionThreshold`; kubernetes-sigs/karpenter 22664681
//! `pkg/cloudprovider/types.go` `computeAllocatable`):
//!
//! - memory capacity: the type's MiB (less 64 MiB on arm64) less `ceil(MiB * 0.075)`, the
//!   `--vm-memory-overhead-percent` default (upstream later learns a joined node's real memory;
//!   fleetsim keeps the estimate);
//! - pods: the EC2NodeClass's `kubelet.maxPods`, else the ENI-limited count
//!   `ENIs * (IPv4 per ENI - 1) + 2` (the catalog's `max_pods`, from the provider's generated
//!   instance-type reference), else 110; then at most `podsPerCore * vCPU` (not on Bottlerocket);
//! - kube-reserved CPU: 6 % of the first core, 1 % of the second, 0.5 % of the third and fourth,
//!   0.25 % of every further one, each band in whole millicores; kube-reserved memory
//!   `11 * pods + 255` MiB with the ENI-limited pod count (AL2, AL2023, custom AMIs) or the node's
//!   pod count (Bottlerocket, Windows); each replaced by `kubelet.kubeReserved` where given;
//! - eviction: `memory.available` 100Mi unless `kubelet.evictionHard` says otherwise;
//!   `systemReserved` none unless given.
//!
//! Limits (`spec.limits`) are counted on capacity, not allocatable, as upstream counts them.

use crate::core::provision::Usage;
use crate::k8s::nodeclass::{AmiFamily, Eviction, Kubelet};
use crate::market::InstanceType;

/// The pod limit of a type whose ENI-limited density is not known (Windows AMIs, catalogs
/// without `max_pods`): the kubelet's default `maxPods`.
pub const DEFAULT_MAX_PODS: u32 = 110;

/// The default memory eviction threshold, MiB (`memory.available<100Mi`).
pub const EVICTION_MEMORY_MIB: u64 = 100;

/// A node's resources as Karpenter's scheduler sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// Capacity (what `spec.limits` count): milli-CPU, memory MiB after the VM overhead, GPUs.
    pub capacity: Usage,
    /// Allocatable milli-CPU.
    pub cpu_milli: u64,
    /// Allocatable memory, MiB.
    pub memory_mib: u64,
    /// Allocatable `pods`.
    pub pods: u32,
}

/// `--vm-memory-overhead-percent`'s default, 0.075, in hundredths of a percent.
pub const VM_MEMORY_OVERHEAD_BASIS: u32 = 750;

/// `VM_MEMORY_OVERHEAD_PERCENT` as upstream writes it (a fraction, `0.075`) in hundredths of a
/// percent; `None` outside `0..1` or finer than 4 decimals.
pub fn overhead_basis(fraction: f64) -> Option<u32> {
    let b = (fraction * 10_000.0).round();
    ((0.0..10_000.0).contains(&b) && (b - fraction * 10_000.0).abs() < 1e-6).then_some(b as u32)
}

/// Memory capacity after the VM's overhead (`basis` hundredths of a percent), MiB.
pub fn memory_capacity_mib(it: &InstanceType, basis: u32) -> u64 {
    let mib = if it.arch == "arm64" { it.memory_mib.saturating_sub(64) } else { it.memory_mib };
    // Upstream's float arithmetic, kept: IEEE multiplication and division round the same on
    // every platform, so the ceiling is the same whole MiB everywhere (750 / 10000 is the
    // double nearest 0.075, upstream's default).
    let bytes = mib as f64 * 1024.0 * 1024.0;
    let overhead = (bytes * (f64::from(basis) / 10_000.0) / 1024.0 / 1024.0).ceil() as u64;
    mib.saturating_sub(overhead)
}

/// Kube-reserved CPU of a node with `vcpu` cores, milli.
pub fn kube_reserved_cpu_milli(vcpu: u64) -> u64 {
    // (first core, last core of the band, per-core reservation in thousandths of a millicore).
    const BANDS: [(u64, u64, u64); 4] = [(0, 1, 60_000), (1, 2, 10_000), (2, 4, 5_000), (4, u64::MAX, 2_500)];
    BANDS.iter().map(|&(lo, hi, per)| vcpu.clamp(lo, hi).saturating_sub(lo) * per / 1000).sum()
}

/// The resources of `it` under `kubelet`, with a VM memory overhead of `vm_basis` hundredths of
/// a percent ([`VM_MEMORY_OVERHEAD_BASIS`] by default).
pub fn resources(it: &InstanceType, kubelet: &Kubelet, vm_basis: u32) -> Resources {
    let vcpu = it.cpu_milli / 1000;
    let eni_pods = match kubelet.family {
        AmiFamily::Windows => None,
        _ => it.max_pods,
    };
    let mut pods = kubelet.max_pods.unwrap_or(eni_pods.unwrap_or(DEFAULT_MAX_PODS));
    if let (Some(ppc), true) = (kubelet.pods_per_core, kubelet.family != AmiFamily::Bottlerocket) {
        if ppc > 0 {
            pods = pods.min(u32::try_from(u64::from(ppc) * vcpu).unwrap_or(u32::MAX));
        }
    }
    let reserve_pods = match kubelet.family {
        AmiFamily::Default => eni_pods.unwrap_or(pods),
        AmiFamily::Bottlerocket | AmiFamily::Windows => pods,
    };
    let memory = memory_capacity_mib(it, vm_basis);
    let kube_cpu = kubelet.kube_reserved_cpu.unwrap_or_else(|| kube_reserved_cpu_milli(vcpu));
    let kube_mem = kubelet.kube_reserved_mem.unwrap_or(11 * u64::from(reserve_pods) + 255);
    let eviction = match kubelet.eviction_memory {
        None => EVICTION_MEMORY_MIB,
        Some(Eviction::Mib(m)) => m,
        Some(Eviction::Basis(b)) => (memory * u64::from(b)).div_ceil(10_000),
    };
    Resources {
        capacity: Usage {
            cpu_milli: it.cpu_milli,
            memory_mib: memory,
            gpus: u64::from(it.gpus),
            nodes: 1,
            pods: u64::from(pods),
        },
        cpu_milli: it.cpu_milli.saturating_sub(kube_cpu + kubelet.system_reserved_cpu),
        memory_mib: memory.saturating_sub(kube_mem + kubelet.system_reserved_mem + eviction),
        pods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(name: &str) -> InstanceType {
        let cat = crate::market::Catalog::from_yaml(include_str!("../../../scenarios/catalogs/aws-gpu.yaml")).unwrap();
        cat.types[name].clone()
    }

    /// Every type of the full us-east-1 catalog: the allocatable the provider's reference lists
    /// (tests/fixtures/aws-allocatable.csv, written with the catalog by scripts/catalog_aws.py).
    #[test]
    fn allocatable_of_every_catalog_type_as_the_provider_reference_lists_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cat = crate::market::Catalog::from_yaml(
            &std::fs::read_to_string(root.join("scenarios/catalogs/aws-us-east-1.yaml")).unwrap(),
        )
        .unwrap();
        let rows = std::fs::read_to_string(root.join("tests/fixtures/aws-allocatable.csv")).unwrap();
        let k = Kubelet::default();
        let (mut checked, mut wrong) = (0, Vec::new());
        for line in rows.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let want: Vec<u64> = f[1..4].iter().map(|x| x.parse().unwrap()).collect();
            let r = resources(&cat.types[f[0]], &k, VM_MEMORY_OVERHEAD_BASIS);
            if [r.cpu_milli, r.memory_mib, r.pods as u64] != want[..] {
                wrong.push(format!("{}: {:?}, reference {:?}", f[0], (r.cpu_milli, r.memory_mib, r.pods), want));
            }
            checked += 1;
        }
        assert!(checked > 1000, "{checked} types");
        assert!(wrong.is_empty(), "{} of {checked} differ:\n{}", wrong.len(), wrong.join("\n"));
    }

    /// Karpenter's generated instance-type reference (aws/karpenter-provider-aws
    /// `website/content/en/preview/reference/instance-types.md`, commit 692ccdd0) lists each
    /// type's allocatable as the provider computes it; fleetsim gives the same figures.
    #[test]
    fn allocatable_as_the_provider_reference_lists_it() {
        let k = Kubelet::default();
        let r = resources(&ty("g5.xlarge"), &k, VM_MEMORY_OVERHEAD_BASIS);
        assert_eq!((r.cpu_milli, r.memory_mib, r.pods), (3920, 14162, 58));
        let r = resources(&ty("g5.12xlarge"), &k, VM_MEMORY_OVERHEAD_BASIS);
        assert_eq!((r.cpu_milli, r.memory_mib, r.pods), (47810, 173400, 737));
        assert_eq!(r.capacity.memory_mib, 181862);
    }

    #[test]
    fn kube_reserved_cpu_bands() {
        let got: Vec<u64> = [1, 2, 4, 8, 48, 96, 192].iter().map(|&c| kube_reserved_cpu_milli(c)).collect();
        assert_eq!(got, [60, 70, 80, 90, 190, 310, 550]);
    }

    #[test]
    fn kubelet_settings_override_the_defaults() {
        let it = ty("g5.12xlarge");
        // maxPods replaces the ENI count; AL2023's kube-reserved memory stays on the ENI count.
        let k = Kubelet { max_pods: Some(20), ..Default::default() };
        let r = resources(&it, &k, VM_MEMORY_OVERHEAD_BASIS);
        assert_eq!((r.pods, r.memory_mib), (20, 173400));
        // podsPerCore caps it (48 cores x 2 = 96 < 737), but not on Bottlerocket, where the
        // reservation follows the node's own count.
        let k = Kubelet { pods_per_core: Some(2), ..Default::default() };
        assert_eq!(resources(&it, &k, VM_MEMORY_OVERHEAD_BASIS).pods, 96);
        let k = Kubelet { pods_per_core: Some(2), family: AmiFamily::Bottlerocket, ..Default::default() };
        assert_eq!(resources(&it, &k, VM_MEMORY_OVERHEAD_BASIS).pods, 737);
        let k = Kubelet { max_pods: Some(110), family: AmiFamily::Bottlerocket, ..Default::default() };
        assert_eq!(resources(&it, &k, VM_MEMORY_OVERHEAD_BASIS).memory_mib, 181862 - (11 * 110 + 255) - 100);
        // kubeReserved and systemReserved replace or add per resource; a percentage eviction.
        let k = Kubelet {
            kube_reserved_cpu: Some(1000),
            system_reserved_mem: 1024,
            eviction_memory: Some(Eviction::Basis(500)),
            ..Default::default()
        };
        let r = resources(&it, &k, VM_MEMORY_OVERHEAD_BASIS);
        assert_eq!(r.cpu_milli, 47000);
        assert_eq!(r.memory_mib, 181862 - 8362 - 1024 - 9094);
    }
}
