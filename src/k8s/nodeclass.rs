//! Karpenter AWS `EC2NodeClass`es (`apiVersion: karpenter.k8s.aws/v1`): what fleetsim reads of
//! them is what decides a node's allocatable resources, the AMI family and the `spec.kubelet`
//! settings (aws/karpenter-provider-aws `pkg/apis/v1/ec2nodeclass.go`, commit 1d927085). The
//! other fields (subnets, security groups, role, block devices, ...) decide nothing fleetsim
//! models and are listed in [`NodeClass::ignored`], reported as a warning.

use super::manifest::{ManifestError, Reader};
use crate::core::quantity::{parse_cpu_milli, parse_memory_mib};
use serde_json::Value;

/// The AMI family, as far as it changes a node's pods and reservations (aws/karpenter-provider-aws
/// `pkg/providers/amifamily/{resolver,bottlerocket,windows}.go`, commit 1d927085).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmiFamily {
    /// AL2, AL2023 and custom AMIs: ENI-limited pod density, `podsPerCore` honoured, kube-reserved
    /// memory from the ENI-limited pod count.
    #[default]
    Default,
    /// Bottlerocket: ignores `podsPerCore`; kube-reserved memory from the node's pod count.
    Bottlerocket,
    /// Windows: no ENI-limited density (110 pods); kube-reserved memory from the pod count.
    Windows,
}

/// `spec.kubelet` of an EC2NodeClass, with the AMI family (absent fields: upstream's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kubelet {
    /// AMI family.
    pub family: AmiFamily,
    /// `maxPods`.
    pub max_pods: Option<u32>,
    /// `podsPerCore`.
    pub pods_per_core: Option<u32>,
    /// `kubeReserved.cpu` (milli), replacing the computed default.
    pub kube_reserved_cpu: Option<u64>,
    /// `kubeReserved.memory` (MiB), replacing the computed default.
    pub kube_reserved_mem: Option<u64>,
    /// `systemReserved.cpu` (milli).
    pub system_reserved_cpu: u64,
    /// `systemReserved.memory` (MiB).
    pub system_reserved_mem: u64,
    /// `evictionHard["memory.available"]`: MiB, or a percentage of capacity.
    pub eviction_memory: Option<Eviction>,
}

/// A memory eviction threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// A quantity, MiB.
    Mib(u64),
    /// A percentage of the node's memory capacity, in hundredths of a percent (`5%` is 500).
    Basis(u32),
}

/// A validated EC2NodeClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeClass {
    /// `metadata.name`.
    pub name: String,
    /// What decides allocatable.
    pub kubelet: Kubelet,
    /// Paths of fields present that fleetsim does not model.
    pub ignored: Vec<String>,
}

/// Loads one EC2NodeClass manifest.
pub fn load_nodeclass(doc: &Value, origin: &str) -> Result<NodeClass, ManifestError> {
    let mut ignored = Vec::new();
    let mut r = Reader { origin: origin.to_string(), ignored: &mut ignored, kind: "EC2NodeClass" };
    let top = r.object(doc, "", &["apiVersion", "kind", "metadata", "spec"])?;
    let api = top.get("apiVersion").map(|v| r.string(v, "apiVersion")).transpose()?.unwrap_or_default();
    if api != "karpenter.k8s.aws/v1" {
        return Err(r.err("apiVersion", format!("`{api}`; expected karpenter.k8s.aws/v1")));
    }
    let name = doc.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(r.err("metadata.name", "missing; an EC2NodeClass needs a name"));
    }
    r.origin = format!("{origin} (EC2NodeClass {name})");
    let empty = Value::Object(Default::default());
    let spec = r.object(top.get("spec").unwrap_or(&empty), "spec", &["amiFamily", "amiSelectorTerms", "kubelet"])?;
    let mut k = Kubelet::default();
    // The family: `amiFamily`, else the alias of the first `amiSelectorTerms` entry (`al2023@latest`).
    let alias = spec
        .get("amiSelectorTerms")
        .and_then(Value::as_array)
        .and_then(|t| t.iter().find_map(|t| t.get("alias").and_then(Value::as_str)))
        .map(|a| a.split('@').next().unwrap_or("").to_string());
    let family = match spec.get("amiFamily") {
        Some(v) => Some(r.string(v, "spec.amiFamily")?.to_lowercase()),
        None => alias,
    };
    k.family = match family.as_deref() {
        None | Some("al2") | Some("al2023") | Some("custom") => AmiFamily::Default,
        Some("bottlerocket") => AmiFamily::Bottlerocket,
        Some("windows2019") | Some("windows2022") | Some("windows2025") => AmiFamily::Windows,
        Some(o) => {
            return Err(r.err(
                "spec.amiFamily",
                format!("`{o}`; expected AL2, AL2023, Bottlerocket, Windows2019, Windows2022, Windows2025 or Custom"),
            ))
        }
    };
    if let Some(kv) = spec.get("kubelet") {
        let kv = r.object(
            kv,
            "spec.kubelet",
            &["maxPods", "podsPerCore", "kubeReserved", "systemReserved", "evictionHard"],
        )?;
        let count = |r: &Reader<'_>, f: &str| -> Result<Option<u32>, ManifestError> {
            let Some(v) = kv.get(f) else { return Ok(None) };
            let p = format!("spec.kubelet.{f}");
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| r.err(&p, format!("{v}; expected a non-negative integer")))
        };
        k.max_pods = count(&r, "maxPods")?;
        k.pods_per_core = count(&r, "podsPerCore")?;
        let reserved = |r: &mut Reader<'_>, f: &str| -> Result<(Option<u64>, Option<u64>), ManifestError> {
            let Some(v) = kv.get(f) else { return Ok((None, None)) };
            let p = format!("spec.kubelet.{f}");
            let m = r.object(v, &p, &["cpu", "memory", "ephemeral-storage", "pid"])?;
            let cpu = m.get("cpu").map(|v| r.string(v, &format!("{p}.cpu"))).transpose()?;
            let mem = m.get("memory").map(|v| r.string(v, &format!("{p}.memory"))).transpose()?;
            let cpu = cpu.map(|s| parse_cpu_milli(&s).map_err(|e| r.err(&format!("{p}.cpu"), e.to_string())));
            let mem = mem.map(|s| parse_memory_mib(&s).map_err(|e| r.err(&format!("{p}.memory"), e.to_string())));
            Ok((cpu.transpose()?, mem.transpose()?))
        };
        (k.kube_reserved_cpu, k.kube_reserved_mem) = reserved(&mut r, "kubeReserved")?;
        let (cpu, mem) = reserved(&mut r, "systemReserved")?;
        (k.system_reserved_cpu, k.system_reserved_mem) = (cpu.unwrap_or(0), mem.unwrap_or(0));
        if let Some(v) = kv.get("evictionHard") {
            let p = "spec.kubelet.evictionHard";
            let m = r.object(
                v,
                p,
                &[
                    "memory.available",
                    "nodefs.available",
                    "nodefs.inodesFree",
                    "imagefs.available",
                    "imagefs.inodesFree",
                    "pid.available",
                ],
            )?;
            if let Some(v) = m.get("memory.available") {
                let f = format!("{p}.memory.available");
                let s = r.string(v, &f)?;
                k.eviction_memory = Some(match s.strip_suffix('%') {
                    Some(pct) => Eviction::Basis(percent_basis(pct).ok_or_else(|| {
                        r.err(&f, format!("`{s}`; expected a quantity (`100Mi`) or a percentage 0%..100%"))
                    })?),
                    None => Eviction::Mib(parse_memory_mib(&s).map_err(|e| r.err(&f, e.to_string()))?),
                });
            }
        }
    }
    drop(r);
    Ok(NodeClass { name, kubelet: k, ignored })
}

/// `5`, `7.5` (a percentage) in hundredths of a percent, at most 100 %.
fn percent_basis(s: &str) -> Option<u32> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 2 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = int.parse::<u32>().ok()?.checked_mul(100)? + format!("{frac:0<2}").parse::<u32>().ok()?;
    (v <= 10_000).then_some(v)
}
