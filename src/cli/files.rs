//! `fleetsim trace`, `validate` and `report`: commands on files, without a run.

use super::load;
use fleetsim::scenario::Loaded;
use std::path::Path;

pub(super) fn cmd_trace(path: &Path, out: &Path, run: Option<&str>, variant: Option<&str>) -> i32 {
    if out.is_dir() {
        eprintln!("error: --out {}: is a directory; expected the path of a CSV file", out.display());
        return 2;
    }
    let s = match load(path) {
        Ok(Loaded::Scenario(s)) => {
            if run.is_some() || variant.is_some() {
                let flag = if run.is_some() { "--run" } else { "--variant" };
                eprintln!(
                    "error: {flag}: {} is a single scenario (no `matrix` or `variants`); leave {flag} out",
                    path.display()
                );
                return 2;
            }
            s
        }
        Ok(Loaded::Sweep(sw)) => match pick_run(path, &sw, run, variant) {
            Ok(r) => match r.scenario() {
                Ok(s) => Box::new(s),
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            },
            Err(m) => {
                eprintln!("error: {m}");
                return 2;
            }
        },
        Err(code) => return code,
    };
    if s.pods.is_empty() {
        eprintln!(
            "error: {}: the workload has no pods to write: its pods come from the `timeline`'s Deployments (or its services), which are applied, scaled and deleted during the run, and a pod list cannot say that",
            path.display()
        );
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

/// The one run of `sw` that `--run` or `--variant` names.
fn pick_run<'a>(
    path: &Path,
    sw: &'a fleetsim::scenario::Sweep,
    run: Option<&str>,
    variant: Option<&str>,
) -> Result<&'a fleetsim::scenario::RunSpec, String> {
    let list = |runs: &[&fleetsim::scenario::RunSpec]| {
        let ids: Vec<&str> = runs.iter().take(8).map(|r| r.run_id.as_str()).collect();
        let more = if runs.len() > 8 { format!(", ... ({} in all)", runs.len()) } else { String::new() };
        format!("{}{more}", ids.join(", "))
    };
    let all: Vec<&fleetsim::scenario::RunSpec> = sw.runs.iter().collect();
    let f = path.display();
    match (run, variant) {
        (Some(id), _) => sw
            .runs
            .iter()
            .find(|r| r.run_id == id)
            .ok_or_else(|| format!("--run `{id}`: no run of {f} has that id; its runs: {}", list(&all))),
        (None, Some(v)) => {
            if !sw.axes.iter().any(|a| a == "variant") {
                return Err(format!("--variant: {f} has no `variants`; name a run with --run: {}", list(&all)));
            }
            let of: Vec<&fleetsim::scenario::RunSpec> =
                sw.runs.iter().filter(|r| r.params.iter().any(|(k, x)| k == "variant" && x == v)).collect();
            match of.as_slice() {
                [one] => Ok(one),
                [] => {
                    let mut names: Vec<&str> = sw
                        .runs
                        .iter()
                        .flat_map(|r| r.params.iter().filter(|(k, _)| k == "variant").map(|(_, x)| x.as_str()))
                        .collect();
                    names.dedup();
                    Err(format!("--variant `{v}`: {f} has no such variant; its variants: {}", names.join(", ")))
                }
                many => Err(format!(
                    "--variant `{v}`: {} runs of {f} have it (the matrix beside it); name one with --run: {}",
                    many.len(),
                    list(many)
                )),
            }
        }
        (None, None) => Err(format!(
            "{f} is a sweep of {} runs; name the one whose workload to write with --run (or --variant): {}",
            sw.runs.len(),
            list(&all)
        )),
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
