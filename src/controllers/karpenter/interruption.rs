//! Karpenter's interruption handling and NodeClaim bookkeeping: a spot interruption notice
//! drains the node within the notice (AWS gives two minutes, EC2 User Guide, "Spot Instance
//! interruption notices"; Karpenter's interruption controller cordons and drains on the
//! EventBridge message); a replacement that joins drains the nodes it replaces; a node that
//! terminates before its replacement joined frees them again.

use super::{Karpenter, Why};
use crate::sim::{Action, NodeKey, View};

impl Karpenter {
    /// A spot interruption notice for node `n`.
    pub(super) fn notice(&mut self, view: &View<'_>, n: NodeKey, out: &mut Vec<Action>) {
        let node = view.objects.node(n);
        if !node.live() || node.draining {
            return;
        }
        self.f.interruptions += 1;
        let notice = view.cloud.market().notice;
        out.push(Action::event(
            "SpotInterrupted",
            format!("node/{}", node.row.name),
            format!("Spot interruption notice: the instance is reclaimed in {}s", notice.0 / 1000),
        ));
        self.drain(view, n, Why::Interrupted, Some(notice), out);
    }

    /// One of its nodes joined: drain what it replaces.
    pub(super) fn joined(&mut self, view: &View<'_>, n: NodeKey, out: &mut Vec<Action>) {
        let Some(c) = self.claims.get_mut(&n) else { return };
        for old in std::mem::take(&mut c.replaces) {
            let node = view.objects.node(old);
            if node.live() && !node.draining {
                self.drain(view, old, Why::Underutilized, None, out);
            }
        }
    }

    /// One of its nodes terminated: the nodes it was replacing stay.
    pub(super) fn left(&mut self, n: NodeKey) {
        let Some(c) = self.claims.remove(&n) else { return };
        for old in c.replaces {
            if let Some(x) = self.claims.get_mut(&old) {
                x.being_replaced = false;
            }
        }
    }
}
