//! `fleetsim trace`, `validate` and `report`: commands on files, without a run.

use super::load;
use fleetsim::scenario::Loaded;
use std::path::Path;

pub(super) fn cmd_trace(path: &Path, out: &Path) -> i32 {
    if out.is_dir() {
        eprintln!("error: --out {}: is a directory; expected the path of a CSV file", out.display());
        return 2;
    }
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => s,
        Ok(Loaded::Sweep(_)) => {
            eprintln!("error: {} is a sweep; `fleetsim trace` takes one scenario", path.display());
            return 2;
        }
        Err(code) => return code,
    };
    if s.pods.is_empty() {
        eprintln!("error: {}: the workload has no pods to write (only a timeline?)", path.display());
        return 2;
    }
    let text = match fleetsim::workload::write_pods(&s.pods) {
        Ok(t) => t,
        Err(m) => {
            eprintln!("error: {}: {m}", path.display());
            return 2;
        }
    };
    match fleetsim::report::write_atomic(out, text.as_bytes()) {
        Ok(()) => {
            outln!("wrote {} pods of `{}` to {}", s.pods.len(), s.name, out.display());
            0
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", out.display());
            1
        }
    }
}

pub(super) fn cmd_validate(path: &Path) -> i32 {
    match load(path) {
        Ok(Loaded::Scenario(s)) => {
            let nodepools: Vec<&str> = s
                .autoscale
                .iter()
                .flat_map(|a| &a.controllers)
                .filter_map(|c| match c {
                    fleetsim::controllers::ControllerSpec::Karpenter(nps, _) => {
                        Some(nps.iter().map(|n| n.name.as_str()))
                    }
                    _ => None,
                })
                .flatten()
                .collect();
            let nps = if nodepools.is_empty() {
                String::new()
            } else {
                format!(", {} NodePools ({})", nodepools.len(), nodepools.join(", "))
            };
            outln!(
                "ok: scenario `{}`: {} nodes, {} pods ({}), policy {}{nps}",
                s.name,
                s.nodes.len(),
                s.pods.len(),
                s.workload_name,
                s.policy
            );
            0
        }
        Ok(Loaded::Sweep(s)) => {
            outln!("ok: sweep `{}`: {} runs over {}", s.name, s.runs.len(), s.axes.join(" x "));
            0
        }
        Err(code) => code,
    }
}

pub(super) fn cmd_report(dir: &Path, out: Option<&Path>, baseline: Option<&str>) -> i32 {
    let out = out.unwrap_or(dir);
    match fleetsim::report::compare::write_report(dir, out, baseline) {
        Ok(files) => {
            let names: Vec<String> =
                files.iter().filter_map(|f| f.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
            outln!("wrote {} in {}", names.join(", "), out.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
