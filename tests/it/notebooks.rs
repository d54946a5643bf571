//! The notebooks are stored without outputs (CI executes them headless, `notebooks/run.py`),
//! and the sweep they read loads.

use crate::common::{fleetsim, root};

#[test]
fn notebooks_are_stored_without_outputs_and_their_sweep_validates() {
    let dir = root().join("notebooks");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ipynb") {
            continue;
        }
        seen += 1;
        let nb: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(nb["nbformat"], 4, "{}", path.display());
        let cells = nb["cells"].as_array().unwrap();
        assert!(cells.iter().any(|c| c["cell_type"] == "code"), "{}: no code", path.display());
        for c in cells.iter().filter(|c| c["cell_type"] == "code") {
            assert_eq!(c["outputs"], serde_json::json!([]), "{}: a cell has outputs", path.display());
            assert!(c["execution_count"].is_null(), "{}: a cell has an execution count", path.display());
            let src: String = match &c["source"] {
                serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect(),
                other => other.as_str().unwrap_or("").to_string(),
            };
            assert!(!src.contains("/tmp/") && !src.contains("/work/"), "{}: a machine path", path.display());
        }
    }
    assert!(seen >= 2, "expected the notebooks in {}", dir.display());
    let (code, out, err) = fleetsim(&["validate", root().join("notebooks/sweep.yaml").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("18 runs"), "{out}");
    let req = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    for pkg in ["pandas==", "matplotlib==", "nbclient==", "ipykernel==", "playwright=="] {
        assert!(req.lines().any(|l| l.starts_with(pkg)), "{pkg} is not pinned in requirements.txt");
    }
}
