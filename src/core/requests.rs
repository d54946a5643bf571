//! A pod's effective request of one resource, as the Kubernetes scheduler computes it from the
//! pod's containers (kubernetes/kubernetes `staging/src/k8s.io/component-helpers/resource/helpers.go`,
//! `PodRequests`, commit 6ea7ac1 and later; sidecar containers since Kubernetes 1.28, KEP-753):
//!
//! - the regular containers run together: their requests add up;
//! - a sidecar (an init container with `restartPolicy: Always`) starts in init order and keeps
//!   running beside the regular containers: it adds to that sum, and to every init container
//!   started after it;
//! - a regular init container runs alone, beside the sidecars started before it;
//! - the pod asks for the larger of the running sum and the largest init step, plus the pod's
//!   `overhead` (RuntimeClass).
//!
//! The same rule serves every resource (CPU milli-cores, memory MiB, GPUs, extended resources).

/// One init container's request of the resource, and whether it is a sidecar
/// (`restartPolicy: Always`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitContainer {
    /// Its request of the resource.
    pub request: u64,
    /// `restartPolicy: Always`: a sidecar that runs for the pod's life.
    pub sidecar: bool,
}

/// The pod's effective request of one resource: `containers` are the regular containers'
/// requests, `init` the init containers in their order, `overhead` the pod's overhead.
/// Saturates at `u64::MAX` instead of overflowing.
///
/// ```
/// use fleetsim::core::requests::{pod_request, InitContainer};
/// let sidecar = |r| InitContainer { request: r, sidecar: true };
/// let init = |r| InitContainer { request: r, sidecar: false };
/// // A 1-CPU app with a 500m log sidecar asks for 1.5 CPU, not 1.
/// assert_eq!(pod_request([1000], [sidecar(500)], 0), 1500);
/// // A 3-CPU init step that starts after the sidecar runs beside it: 3.5 CPU at peak.
/// assert_eq!(pod_request([1000], [sidecar(500), init(3000)], 0), 3500);
/// ```
pub fn pod_request(
    containers: impl IntoIterator<Item = u64>,
    init: impl IntoIterator<Item = InitContainer>,
    overhead: u64,
) -> u64 {
    let mut running = containers.into_iter().fold(0u64, u64::saturating_add);
    let (mut sidecars, mut peak_init) = (0u64, 0u64);
    for c in init {
        let step = if c.sidecar {
            running = running.saturating_add(c.request);
            sidecars = sidecars.saturating_add(c.request);
            sidecars
        } else {
            c.request.saturating_add(sidecars)
        };
        peak_init = peak_init.max(step);
    }
    running.max(peak_init).saturating_add(overhead)
}

#[cfg(test)]
mod tests {
    //! Cases of kubernetes/kubernetes `staging/src/k8s.io/component-helpers/resource/helpers_test.go`
    //! (`TestPodResourceRequests`), in CPU milli-cores.
    use super::*;

    fn side(r: u64) -> InitContainer {
        InitContainer { request: r, sidecar: true }
    }
    fn init(r: u64) -> InitContainer {
        InitContainer { request: r, sidecar: false }
    }

    #[test]
    fn containers_add_and_init_containers_take_the_larger() {
        assert_eq!(pod_request([1000, 2000], [], 0), 3000);
        // An init container larger than the containers sets the request.
        assert_eq!(pod_request([1000], [init(2000), init(1500)], 0), 2000);
        // Overhead adds to the larger of the two.
        assert_eq!(pod_request([1000], [init(2000)], 500), 2500);
        assert_eq!(pod_request([], [], 0), 0);
    }

    #[test]
    fn sidecars_run_beside_the_containers_and_later_init_steps() {
        // "restartable init container": 1 CPU sidecar + 1 CPU container.
        assert_eq!(pod_request([1000], [side(1000)], 0), 2000);
        // "multiple restartable init containers": a 5-CPU init step, then 1 + 2 + 3 sidecars
        // beside a 1-CPU container: max(5, 1 + 6) = 7.
        assert_eq!(pod_request([1000], [init(5000), side(1000), side(2000), side(3000)], 0), 7000);
        // "multiple restartable and regular init containers": the second 5-CPU init step runs
        // beside the 1 + 2 sidecars started before it: max(5, 1 + 2 + 5, 1 + 6) = 8.
        assert_eq!(pod_request([1000], [init(5000), side(1000), side(2000), init(5000), side(3000)], 0), 8000);
        // "restartable-init, init and regular": a 10m sidecar, a 200m init step, a 100m
        // container: max(100 + 10, 10 + 200) = 210.
        assert_eq!(pod_request([100], [side(10), init(200)], 0), 210);
    }

    #[test]
    fn huge_requests_saturate() {
        assert_eq!(pod_request([u64::MAX, 1], [side(1)], 1), u64::MAX);
    }
}
