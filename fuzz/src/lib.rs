//! Helpers shared by the fuzz targets: the project's directories, the shipped catalogs (read once)
//! and a per-process scratch file for parsers that read from a path.

use fleetsim::market::Catalog;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The project's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `scenarios/catalogs/NAME`, parsed once.
pub fn catalog(name: &str) -> &'static Catalog {
    static AWS: OnceLock<Catalog> = OnceLock::new();
    static ALIBABA: OnceLock<Catalog> = OnceLock::new();
    let cell = if name.starts_with("aws") { &AWS } else { &ALIBABA };
    cell.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("scenarios/catalogs").join(name)).expect("shipped catalog");
        Catalog::from_yaml(&text).expect("shipped catalog parses")
    })
}

/// Writes `data` to this process's scratch file with extension `ext` and returns its path (the
/// same path every call, so a long run leaves one file).
pub fn scratch(ext: &str, data: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("fleetsim-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&p, data).expect("write the scratch file");
    p
}
