//! What a sweep's runs share: each trace file read once, each YAML file a scenario names parsed
//! once, and the nodes and pods of runs that differ only in other fields built once.

use super::{NodeMeta, ScenarioError};
use crate::core::NodeSpec;
use crate::market::Catalog;
use crate::workload::{read_nodes, read_pods, TraceError, TracePod};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Nodes and pods shared by the runs of a sweep that differ only in other fields.
pub(super) type SharedInputs = (Arc<Vec<(NodeSpec, NodeMeta)>>, Arc<Vec<TracePod>>);

/// Reads each trace file once, however many runs of a sweep use it.
#[derive(Debug, Default)]
pub struct Loader {
    /// The controllers `controllers:` may name.
    pub registry: crate::controllers::Registry,
    pub(super) files: Arc<Files>,
    nodes: BTreeMap<PathBuf, Arc<Vec<NodeSpec>>>,
    pods: BTreeMap<PathBuf, Arc<Vec<TracePod>>>,
    pub(super) built: BTreeMap<String, SharedInputs>,
}

impl Loader {
    pub(super) fn nodes(&mut self, p: &Path) -> Result<Arc<Vec<NodeSpec>>, TraceError> {
        if let Some(v) = self.nodes.get(p) {
            return Ok(v.clone());
        }
        let v = Arc::new(read_nodes(p)?);
        self.nodes.insert(p.to_path_buf(), v.clone());
        Ok(v)
    }
    pub(super) fn pods(&mut self, p: &Path) -> Result<Arc<Vec<TracePod>>, TraceError> {
        if let Some(v) = self.pods.get(p) {
            return Ok(v.clone());
        }
        let v = Arc::new(read_pods(p)?);
        self.pods.insert(p.to_path_buf(), v.clone());
        Ok(v)
    }
}

/// The YAML files scenarios name (catalogs, manifest files, member scenarios), each parsed once
/// however many runs of a sweep name it: a sweep's runs differ in a few fields, and re-parsing a
/// catalog per run made validating a large sweep cost milliseconds a run.
#[derive(Debug, Default)]
pub(crate) struct Files {
    pub(super) catalogs: Mutex<BTreeMap<PathBuf, Arc<Catalog>>>,
    pub(super) manifests: Mutex<BTreeMap<PathBuf, Arc<Documents>>>,
    pub(super) scenarios: Mutex<BTreeMap<PathBuf, Arc<serde_json::Map<String, serde_json::Value>>>>,
    /// Loaded NodePools (with their warnings) by their documents, catalog and market: loading
    /// expands every catalog offering's labels.
    pub(super) nodepools: Mutex<BTreeMap<String, Arc<NodePoolsLoaded>>>,
}

/// A manifest file's documents with their origins.
pub(super) type Documents = Vec<(String, serde_json::Value)>;

/// NodePools as loaded, with the loader's warnings.
pub(crate) type NodePoolsLoaded = (Arc<[crate::k8s::nodepool::NodePool]>, Vec<String>);

impl Files {
    /// `map[path]`, or `read()` stored there.
    pub(super) fn get<K: Ord + Clone, T>(
        map: &Mutex<BTreeMap<K, Arc<T>>>,
        key: &K,
        read: impl FnOnce() -> Result<T, ScenarioError>,
    ) -> Result<Arc<T>, ScenarioError> {
        if let Some(v) = map.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(v.clone());
        }
        let v = Arc::new(read()?);
        map.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), v.clone());
        Ok(v)
    }
}
