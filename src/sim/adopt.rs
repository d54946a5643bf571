//! A cluster taken from outside, for `fleetsim plan`: nodes handed to the controllers that own
//! them, pods bound where a dump says they run, pending pods queued, one scheduling cycle, and
//! the controllers' decisions taken on that state through the same [`View`].

use super::controller::{Action, NodeKey, PodKey};
use super::objects::{Owner, PodState};
use super::view::View;
use super::world::World;
use super::SimError;
use crate::core::cluster::GpuChoice;
use crate::core::{GpuRequest, PodId, PodSpec, Toleration, TolerationOperator};
use crate::engine::SimTime;

impl World<'_> {
    /// The node named `name`.
    pub fn node_key(&self, name: &str) -> Option<NodeKey> {
        self.st.obj.nodes.iter().position(|n| n.row.name == name)
    }

    /// Hands static node `n` to controller `index`'s group `group` (a dump's node of a NodePool
    /// or node pool), before the run.
    pub fn adopt(&mut self, n: NodeKey, index: usize, group: usize) {
        let o = &mut self.st.obj;
        o.disown(o.nodes[n].owner, n);
        o.nodes[n].owner = Owner::Controller { index, group };
        o.own(o.nodes[n].owner, n);
    }

    /// Node `n` is annotated `cluster-autoscaler.kubernetes.io/scale-down-disabled: "true"`.
    pub fn disable_scale_down(&mut self, n: NodeKey) {
        self.st.obj.nodes[n].scale_down_disabled = true;
    }

    /// Node `n` is annotated `karpenter.sh/do-not-disrupt: "true"`.
    pub fn do_not_disrupt(&mut self, n: NodeKey) {
        self.st.obj.nodes[n].do_not_disrupt = true;
    }

    /// Moves the clock to `t` before anything has happened: the adopted nodes' and pods' past
    /// (their last change) lies before it.
    pub fn advance_clock(&mut self, t: SimTime) {
        self.st.q.advance(t);
        self.st.advance(t);
    }

    /// A pod running on node `node` (a dump's bound pod): it takes what it asks there (the
    /// tightest GPU for a share), whatever taints or selectors say now, as a bound pod does.
    /// `None` when no such node is in the scheduler's view (a cordoned node).
    pub fn bind_existing(
        &mut self,
        pod: &PodSpec,
        node: &str,
        do_not_disrupt: bool,
        drain: crate::k8s::Drain,
    ) -> Result<Option<PodKey>, SimError> {
        let st = &mut self.st;
        let Some(id) = st.cluster.node_id(node) else { return Ok(None) };
        let choice = match pod.gpu {
            GpuRequest::None | GpuRequest::Memory { .. } => GpuChoice::None,
            GpuRequest::Whole { count } => GpuChoice::Whole(count),
            GpuRequest::Shared { milli } => {
                let tightest =
                    st.cluster.node(id).and_then(|n| n.gpu_free.iter().copied().filter(|&g| g >= milli).min());
                GpuChoice::SharedOn(tightest.unwrap_or(milli))
            }
        };
        let pl = st.cluster.concretize(id, choice);
        // Already bound: only its resources count there (a taint added later does not evict it).
        let anywhere = vec![Toleration {
            key: String::new(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
        }];
        let as_bound = PodSpec {
            tolerations: anywhere,
            node_selector: Default::default(),
            affinity: None,
            gpu_models: Vec::new(),
            ..pod.clone()
        };
        let now = st.now;
        let p = st.new_pod(pod.clone(), None, String::new(), 0, SimTime::from_secs(30), now);
        st.cluster
            .bind(p as PodId, &as_bound, &pl)
            .map_err(|e| SimError::Input(format!("pod {} does not fit on its node {node}: {e}", pod.name)))?;
        let n = st.obj.node_of(id).expect("a node of the run");
        let rec = &mut st.obj.recs[p];
        (rec.scheduled, rec.running, rec.node) = (Some(now), Some(now), Some(id));
        rec.outcome = super::Outcome::Running;
        let pd = &mut st.obj.pods[p];
        (pd.state, pd.node, pd.controlled, pd.do_not_disrupt) = (PodState::Running, Some(n), true, do_not_disrupt);
        pd.drain = drain;
        let node = &mut st.obj.nodes[n];
        node.pods.insert(p);
        node.empty_since = None;
        st.running += 1;
        Ok(Some(p))
    }

    /// A pod waiting for a node, at the back of the queue.
    pub fn add_pending(&mut self, pod: PodSpec) -> PodKey {
        let now = self.st.now;
        let p = self.st.new_pod(pod, None, String::new(), 0, SimTime::from_secs(30), now);
        self.st.obj.pending.push_back(p);
        p
    }

    /// One scheduling cycle now.
    pub fn schedule_now(&mut self) -> Result<(), SimError> {
        self.st.schedule()
    }

    /// Runs `f` with controller `me`'s view of the state (a controller outside the run deciding
    /// on it, as `fleetsim plan` does).
    pub fn with_view<R>(&mut self, me: usize, f: impl FnOnce(&mut View<'_>) -> R) -> R {
        let mut next = 0;
        let mut view = self.st.view(me, &mut next);
        f(&mut view)
    }

    /// Applies `actions` as controller `me`'s (nodes it launches stay on their way: the clock does
    /// not move).
    pub fn apply_actions(&mut self, me: usize, actions: Vec<Action>) -> Result<(), SimError> {
        for a in actions {
            self.st.apply(me, a)?;
        }
        Ok(())
    }

    /// The scheduler's state.
    pub fn cluster(&self) -> &crate::core::ClusterState {
        &self.st.cluster
    }
}
