//! Manifests as users write them: YAML files of `---`-separated documents, read leniently (the
//! fields fleetsim models are validated; the others are listed as ignored, never dropped in
//! silence), with errors that name the document, the object and the field.

use crate::engine::time::parse_duration;
use crate::engine::SimTime;
use serde_json::Value;

/// The documents of a YAML file of manifests (`---`-separated), each with its origin
/// (`FILE document N`, counted from 1).
pub fn manifest_documents(file: &str, text: &str) -> Result<Vec<(Origin, Value)>, String> {
    let docs = crate::yaml::documents(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().enumerate().map(|(k, v)| (format!("{file} document {}", k + 1), v)).collect())
}

/// Where a manifest came from, for messages: `scenario.yaml: nodepools[1]` or
/// `pools.yaml document 2`.
pub type Origin = String;

/// A manifest that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// Origin and, once known, the NodePool's name.
    pub origin: String,
    /// Field path inside the manifest.
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(f, "{}: field `{}`: {}", self.origin, self.field, self.message)
        }
    }
}

/// Reads a manifest's fields leniently: fields not asked for are noted as ignored, a bad value is
/// a [`ManifestError`] naming the origin and the field.
pub(crate) struct Reader<'a> {
    pub(crate) origin: String,
    pub(crate) ignored: &'a mut Vec<String>,
    /// The kind of manifest read (`NodePool`), for messages about the whole document.
    pub(crate) kind: &'static str,
}

impl Reader<'_> {
    pub(crate) fn err(&self, field: &str, message: impl Into<String>) -> ManifestError {
        ManifestError { origin: self.origin.clone(), field: field.to_string(), message: message.into() }
    }
    /// The object at `path`, noting every key not in `known` as ignored.
    pub(crate) fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
    ) -> Result<&'v serde_json::Map<String, Value>, ManifestError> {
        let m = v.as_object().ok_or_else(|| {
            let found = match v {
                Value::Array(_) => ", found a list",
                Value::String(_) | Value::Number(_) | Value::Bool(_) => ", found a single value",
                _ => "",
            };
            if path.is_empty() {
                self.err(path, format!("expected a {} manifest (a mapping){found}", self.kind))
            } else {
                self.err(path, format!("expected a mapping{found}"))
            }
        })?;
        for k in m.keys() {
            if !known.contains(&k.as_str()) {
                self.ignored.push(if path.is_empty() { k.clone() } else { format!("{path}.{k}") });
            }
        }
        Ok(m)
    }
    pub(crate) fn string(&self, v: &Value, path: &str) -> Result<String, ManifestError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err(path, "expected a string")),
        }
    }
    pub(crate) fn duration_or_never(&self, v: &Value, path: &str) -> Result<Option<SimTime>, ManifestError> {
        let s = self.string(v, path)?;
        if s == "Never" {
            return Ok(None);
        }
        parse_duration(&s).map(Some).map_err(|e| self.err(path, format!("{e}, or `Never`")))
    }
}
