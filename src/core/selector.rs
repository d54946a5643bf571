//! Taints, tolerations, `nodeSelector` and required node affinity, with Kubernetes semantics
//! (`k8s.io/component-helpers/scheduling/corev1`): a pod may land on a node only if it tolerates
//! every `NoSchedule`/`NoExecute` taint, every `nodeSelector` pair matches a label, and at least one
//! `requiredDuringSchedulingIgnoredDuringExecution` term matches (terms are ORed, the expressions
//! inside a term are ANDed).

use std::collections::BTreeMap;

/// A taint's effect. `PreferNoSchedule` never blocks placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintEffect {
    /// New pods that do not tolerate the taint are not placed.
    NoSchedule,
    /// Like `NoSchedule` and, in Kubernetes, running pods are evicted.
    NoExecute,
    /// A soft preference; fleetsim's placement ignores it.
    PreferNoSchedule,
}

impl TaintEffect {
    /// Parses the Kubernetes spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "NoSchedule" => Some(Self::NoSchedule),
            "NoExecute" => Some(Self::NoExecute),
            "PreferNoSchedule" => Some(Self::PreferNoSchedule),
            _ => None,
        }
    }
}

/// A node taint, e.g. `nvidia.com/gpu=true:NoSchedule`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    /// Taint key.
    pub key: String,
    /// Taint value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
}

impl Taint {
    /// Parses `key=value:Effect` or `key:Effect` as kubectl writes them.
    pub fn parse(s: &str) -> Option<Self> {
        let (kv, effect) = s.rsplit_once(':')?;
        let effect = TaintEffect::parse(effect)?;
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        if key.is_empty() {
            return None;
        }
        Some(Taint { key: key.into(), value: value.into(), effect })
    }
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TolerationOperator {
    /// Key and value must match (the Kubernetes default).
    Equal,
    /// Only the key must match; an empty key with `Exists` tolerates everything.
    Exists,
}

/// A pod toleration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Toleration {
    /// Key; empty with `Exists` matches every key.
    pub key: String,
    /// Operator.
    pub operator: TolerationOperator,
    /// Value compared under `Equal`.
    pub value: String,
    /// `None` tolerates every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// Whether this toleration tolerates `taint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(e) = self.effect {
            if e != taint.effect {
                return false;
            }
        }
        match self.operator {
            TolerationOperator::Exists => self.key.is_empty() || self.key == taint.key,
            TolerationOperator::Equal => self.key == taint.key && self.value == taint.value,
        }
    }
}

/// Whether `tolerations` tolerate every taint that blocks scheduling; returns the first one that
/// is not tolerated.
pub fn untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| t.effect != TaintEffect::PreferNoSchedule)
        .find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// Node selector operator (`In NotIn Exists DoesNotExist Gt Lt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectorOperator {
    /// Label value is one of the values.
    In,
    /// Label absent or its value is none of the values.
    NotIn,
    /// Label present.
    Exists,
    /// Label absent.
    DoesNotExist,
    /// Label value, as an integer, is greater than the single value.
    Gt,
    /// Label value, as an integer, is less than the single value.
    Lt,
    /// Label value, as an integer, is at least the single value (Karpenter's operator, NodePool
    /// requirements only: kubernetes-sigs/karpenter `pkg/scheduling/requirement.go` at 22664681,
    /// where `Gt N` is itself held as `Gte N+1`).
    Gte,
    /// Label value, as an integer, is at most the single value (Karpenter's, as [`Self::Gte`]).
    Lte,
}

impl SelectorOperator {
    /// Parses the Kubernetes spelling (a pod's node selector: `Gte`/`Lte` are not among them).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "In" => Self::In,
            "NotIn" => Self::NotIn,
            "Exists" => Self::Exists,
            "DoesNotExist" => Self::DoesNotExist,
            "Gt" => Self::Gt,
            "Lt" => Self::Lt,
            _ => return None,
        })
    }

    /// Parses a Karpenter NodePool requirement's operator: Kubernetes' and `Gte`, `Lte`.
    pub fn parse_karpenter(s: &str) -> Option<Self> {
        Self::parse(s).or(match s {
            "Gte" => Some(Self::Gte),
            "Lte" => Some(Self::Lte),
            _ => None,
        })
    }
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: SelectorOperator,
    /// Values (one integer for `Gt`/`Lt`, none for `Exists`/`DoesNotExist`).
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether `labels` satisfy the requirement. A `Gt`/`Lt` against a non-integer label fails,
    /// as in Kubernetes.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match self.operator {
            SelectorOperator::In => v.is_some_and(|v| self.values.iter().any(|x| x == v)),
            SelectorOperator::NotIn => v.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            SelectorOperator::Exists => v.is_some(),
            SelectorOperator::DoesNotExist => v.is_none(),
            SelectorOperator::Gt | SelectorOperator::Lt | SelectorOperator::Gte | SelectorOperator::Lte => {
                let (Some(v), Some(bound)) = (v, self.values.first()) else { return false };
                let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else { return false };
                match self.operator {
                    SelectorOperator::Gt => v > bound,
                    SelectorOperator::Lt => v < bound,
                    SelectorOperator::Gte => v >= bound,
                    _ => v <= bound,
                }
            }
        }
    }

    /// Checks the shape Kubernetes validation demands: a key, values for In/NotIn, none for
    /// Exists/DoesNotExist, exactly one integer for Gt/Lt.
    pub fn validate(&self) -> Result<(), String> {
        if self.key.trim().is_empty() {
            return Err("`key` is empty; expected a label key such as `karpenter.sh/capacity-type`".into());
        }
        match self.operator {
            SelectorOperator::In | SelectorOperator::NotIn if self.values.is_empty() => {
                Err(format!("operator {:?} on `{}` needs at least one value", self.operator, self.key))
            }
            SelectorOperator::Exists | SelectorOperator::DoesNotExist if !self.values.is_empty() => {
                Err(format!("operator {:?} on `{}` takes no values", self.operator, self.key))
            }
            SelectorOperator::Gt | SelectorOperator::Lt | SelectorOperator::Gte | SelectorOperator::Lte
                if self.values.len() != 1 || self.values[0].parse::<i64>().is_err() =>
            {
                Err(format!("operator {:?} on `{}` needs exactly one integer value", self.operator, self.key))
            }
            _ => Ok(()),
        }
    }
}

/// Required node affinity: a pod matches a node when any term matches (terms ORed, the
/// requirements of a term ANDed). An empty list of terms matches nothing, as in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodeAffinity {
    /// `nodeSelectorTerms`.
    pub terms: Vec<Vec<Requirement>>,
}

impl NodeAffinity {
    /// Whether the labels satisfy the affinity.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.terms.iter().any(|term| term.iter().all(|r| r.matches(labels)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn req(key: &str, op: SelectorOperator, vals: &[&str]) -> Requirement {
        Requirement { key: key.into(), operator: op, values: vals.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn taint_parse_and_tolerate() {
        let t = Taint::parse("nvidia.com/gpu=true:NoSchedule").unwrap();
        assert_eq!(t.key, "nvidia.com/gpu");
        assert_eq!(t.value, "true");
        let exact = Toleration {
            key: "nvidia.com/gpu".into(),
            operator: TolerationOperator::Equal,
            value: "true".into(),
            effect: Some(TaintEffect::NoSchedule),
        };
        assert!(exact.tolerates(&t));
        let wrong_value = Toleration { value: "false".into(), ..exact.clone() };
        assert!(!wrong_value.tolerates(&t));
        let wrong_effect = Toleration { effect: Some(TaintEffect::NoExecute), ..exact.clone() };
        assert!(!wrong_effect.tolerates(&t));
        let exists = Toleration {
            key: "nvidia.com/gpu".into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
        };
        assert!(exists.tolerates(&t));
        let everything =
            Toleration { key: String::new(), operator: TolerationOperator::Exists, value: String::new(), effect: None };
        assert!(everything.tolerates(&t));
        let soft = Taint::parse("a:PreferNoSchedule").unwrap();
        assert_eq!(untolerated(std::slice::from_ref(&soft), &[]), None);
        assert_eq!(untolerated(&[soft, t.clone()], &[]), Some(&t));
        assert!(Taint::parse("novalue").is_none());
        assert!(Taint::parse("k=v:Sometimes").is_none());
    }

    #[test]
    fn operators() {
        let l = labels(&[("gpu-spec", "NVIDIA-A10"), ("karpenter.k8s.aws/instance-gpu-count", "4")]);
        assert!(req("gpu-spec", SelectorOperator::In, &["NVIDIA-A10", "T4"]).matches(&l));
        assert!(!req("gpu-spec", SelectorOperator::In, &["T4"]).matches(&l));
        assert!(req("gpu-spec", SelectorOperator::NotIn, &["T4"]).matches(&l));
        assert!(req("absent", SelectorOperator::NotIn, &["x"]).matches(&l));
        assert!(req("gpu-spec", SelectorOperator::Exists, &[]).matches(&l));
        assert!(req("absent", SelectorOperator::DoesNotExist, &[]).matches(&l));
        assert!(req("karpenter.k8s.aws/instance-gpu-count", SelectorOperator::Gt, &["3"]).matches(&l));
        assert!(!req("karpenter.k8s.aws/instance-gpu-count", SelectorOperator::Gt, &["4"]).matches(&l));
        assert!(req("karpenter.k8s.aws/instance-gpu-count", SelectorOperator::Lt, &["5"]).matches(&l));
        assert!(!req("gpu-spec", SelectorOperator::Lt, &["5"]).matches(&l), "non-integer label fails Gt/Lt");
        assert!(req("x", SelectorOperator::Gt, &["a"]).validate().is_err());
        assert!(req("x", SelectorOperator::In, &[]).validate().is_err());
        assert!(req("x", SelectorOperator::Exists, &["a"]).validate().is_err());
    }

    #[test]
    fn affinity_terms_or_and() {
        let l = labels(&[("zone", "a"), ("arch", "amd64")]);
        let aff = NodeAffinity {
            terms: vec![
                vec![req("zone", SelectorOperator::In, &["b"])],
                vec![req("zone", SelectorOperator::In, &["a"]), req("arch", SelectorOperator::In, &["amd64"])],
            ],
        };
        assert!(aff.matches(&l));
        let aff2 = NodeAffinity {
            terms: vec![vec![req("zone", SelectorOperator::In, &["a"]), req("arch", SelectorOperator::In, &["arm64"])]],
        };
        assert!(!aff2.matches(&l));
        assert!(!NodeAffinity::default().matches(&l));
    }
}
