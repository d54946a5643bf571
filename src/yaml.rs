//! YAML input with errors in the reader's words: the line and column, the field path
//! (`workload.pods[0].count`), what was found and what is expected, and the line itself with a
//! caret. The parser's own vocabulary (its type names, budget structs, advice about its API) never
//! reaches the user.

use serde::de::DeserializeOwned;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::Error;
use std::fmt;

/// A YAML text that does not parse, or does not fit the type it is read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line (0 when the parser could not tell).
    pub line: u64,
    /// 1-based column (0 when unknown).
    pub column: u64,
    /// Field path of the value, e.g. `workload.pods[0].count` (empty at the top level or when a
    /// syntax error comes before any field).
    pub path: String,
    /// What is wrong, and what was expected.
    pub message: String,
    /// The offending line with a caret under the column (empty when the line is unknown).
    pub excerpt: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, "field `{}`: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, "\n{}", self.excerpt)?;
        }
        Ok(())
    }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! { with_snippet: false }
}

/// One YAML document read into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let mut path = String::new();
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    })
    .map_err(|e| describe(&e, text, &path))
}

/// serde_path_to_error's path in the user's terms: the root is empty, a key it could not render
/// (`?`) is left out, and an unknown field is reported at its parent (the message names it).
fn user_path(path: &str, e: &Error) -> String {
    let mut p = path.trim_end_matches('?').trim_end_matches('.');
    if p == "." {
        p = "";
    }
    if let Error::SerdeUnknownField { field, .. } = e {
        p = p.strip_suffix(field.as_str()).map(|q| q.trim_end_matches('.')).unwrap_or(p);
    }
    match e {
        Error::Budget { .. } => String::new(),
        _ => p.to_string(),
    }
}

/// Every document of a `---`-separated YAML stream, as JSON values (an empty document is null).
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    serde_saphyr::from_multiple_with_options(text, options()).map_err(|e| describe(&e, text, ""))
}

/// A JSON value (a sweep's substituted scenario, a manifest read leniently) read into `T`: the
/// field path and the message in the same words as [`from_str`]'s.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let mut path = if path == "." { String::new() } else { path };
        let message = e.into_inner().to_string();
        // An unknown field is reported at its parent: the message names it.
        if let Some(field) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            if let Some(parent) = path.strip_suffix(field) {
                path = parent.trim_end_matches('.').to_string();
            }
        }
        (path, json_message(&message))
    })
}

/// serde_json's message (`invalid type: string "abc", expected u64`) in the user's words.
fn json_message(m: &str) -> String {
    for head in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = m.strip_prefix(head) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                let found = match found.split_once(' ') {
                    Some(("string", s)) => format!("`{}`", s.trim_matches('"')),
                    Some(("integer" | "floating" | "boolean", s)) => {
                        format!("`{}`", s.trim_start_matches("point ").trim_matches('`'))
                    }
                    _ => serde_found(found),
                };
                return format!("expected {}, found {found}", expected_words(expected));
            }
        }
    }
    if let Some(rest) = m.strip_prefix("unknown field ") {
        if let Some((field, expected)) = rest.split_once(", expected ") {
            let field = field.trim_matches('`');
            let names: Vec<&str> =
                expected.trim_start_matches("one of ").split(", ").map(|n| n.trim_matches('`')).collect();
            let near =
                closest(field, names.iter().copied()).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
            return format!("unknown field `{field}`{near}; the fields here are {}", list(&names));
        }
    }
    m.to_string()
}

/// The candidate nearest to `word` by edit distance, when it is near enough to be a typo (at most
/// a third of the word's letters differ).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates.into_iter().map(|c| (edit_distance(word, c), c)).filter(|&(d, _)| d <= limit).min().map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn describe(e: &Error, text: &str, path: &str) -> YamlError {
    let e = match e {
        Error::WithSnippet { error, .. } => error,
        other => other,
    };
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
    let found = || found_at(text, line, column);
    let message = match e {
        Error::InvalidScalar { ty, .. } => format!("expected {}, found {}", expected_scalar(ty), found()),
        Error::Unexpected { expected, .. } => match *expected {
            "string scalar" | "scalar" => format!("expected a single value (a string), found {}", found()),
            "sequence start" => format!("expected a list, found {}", found()),
            "mapping start" => format!("expected a mapping, found {}", found()),
            other => format!("expected {other}, found {}", found()),
        },
        Error::SerdeInvalidType { unexpected, expected, .. }
        | Error::SerdeInvalidValue { unexpected, expected, .. } => {
            format!("expected {}, found {}", expected_words(expected), serde_found(unexpected))
        }
        Error::SerdeUnknownVariant { variant, expected, .. } => {
            format!("unknown value `{variant}`{}; expected one of {}", did_you_mean(variant, expected), list(expected))
        }
        Error::SerdeUnknownField { field, expected, .. } => {
            format!("unknown field `{field}`{}; the fields here are {}", did_you_mean(field, expected), list(expected))
        }
        Error::SerdeMissingField { field, .. } => format!("missing field `{field}`"),
        Error::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("`{k}` appears twice in the same mapping; keep one"),
            None => "a key appears twice in the same mapping; keep one".to_string(),
        },
        Error::MultipleDocuments { .. } => {
            "a second YAML document begins here (after `---`); this file holds a single document".to_string()
        }
        Error::Budget { breach, .. } => budget(breach),
        Error::RecursiveReferencesRequireWeakTypes { .. } => {
            "an alias (`*name`) refers to an anchor that contains it; a recursive document cannot be read".to_string()
        }
        Error::UnknownAnchor { .. } => "an alias (`*name`) names no anchor (`&name`) defined before it".to_string(),
        Error::Eof { .. } => "the text ends in the middle of a value".to_string(),
        Error::ExpectedMappingEndAfterEnumVariantValue { .. } => {
            "expected one choice here (a single key), found several".to_string()
        }
        Error::InvalidUtf8Input => "the file is not UTF-8 text".to_string(),
        Error::Message { msg, .. } => msg.clone(),
        Error::ExternalMessage { msg, .. } => format!("YAML syntax: {msg}"),
        other => {
            // Any other parser error: its own words, without the parser's location prefix (we
            // print the location ourselves).
            let s = other.to_string();
            let s = s.strip_prefix("error: ").unwrap_or(&s);
            match s.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                _ => s.to_string(),
            }
        }
    };
    YamlError { line, column, path: user_path(path, e), message, excerpt: excerpt(text, line, column) }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn did_you_mean(word: &str, expected: &[&'static str]) -> String {
    closest(word, expected.iter().copied()).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// serde's `expected` text (`u32`, `struct RawPlacement`, `a sequence`) in YAML words; anything
/// else (a type's own `expecting` text) is kept.
fn expected_words(expected: &str) -> String {
    if expected.starts_with("struct ") || expected.starts_with("map") || expected == "a map" {
        "a mapping".to_string()
    } else if expected.starts_with("a sequence") || expected == "sequence" {
        "a list".to_string()
    } else {
        match expected_scalar(expected) {
            s if s.starts_with("a value of type ") => expected.to_string(),
            s => s,
        }
    }
}

/// What a Rust scalar type means to someone writing the file.
fn expected_scalar(ty: &str) -> String {
    let range = |lo: i128, hi: i128| format!("a whole number from {lo} to {hi}");
    match ty {
        "u8" => range(0, u8::MAX.into()),
        "u16" => range(0, u16::MAX.into()),
        "u32" => range(0, u32::MAX.into()),
        "u64" | "usize" => "a whole number (0 or more)".to_string(),
        "i8" => range(i8::MIN.into(), i8::MAX.into()),
        "i16" => range(i16::MIN.into(), i16::MAX.into()),
        "i32" => range(i32::MIN.into(), i32::MAX.into()),
        "i64" | "isize" => "a whole number".to_string(),
        "f32" | "f64" | "floating point" | "a number" => "a number".to_string(),
        "bool" | "boolean" | "a boolean" => "`true` or `false`".to_string(),
        "integer" => "a whole number".to_string(),
        "string" | "a string" => "a string".to_string(),
        "char" => "a single character".to_string(),
        other => format!("a value of type {other}"),
    }
}

/// serde's description of what it found (`sequence`, `map`, `string "x"`) in YAML words.
fn serde_found(unexpected: &str) -> String {
    match unexpected {
        "sequence" => "a list".to_string(),
        "map" => "a mapping".to_string(),
        "unit value" => "nothing (null)".to_string(),
        other => other.to_string(),
    }
}

fn budget(b: &BudgetBreach) -> String {
    let what = match b {
        BudgetBreach::Depth { .. } => "it nests lists and mappings more than 64 levels deep",
        BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
            "it expands aliases (`*name`) far more often than a configuration file does"
        }
        BudgetBreach::Anchors { .. } => "it defines more than 50,000 anchors",
        BudgetBreach::Events { .. } | BudgetBreach::Nodes { .. } => "it holds more than a million values",
        BudgetBreach::Documents { .. } => "it holds more than 1,024 documents",
        BudgetBreach::ScalarBytes { .. } | BudgetBreach::InputBytes { .. } => "its text exceeds 64 MiB",
        BudgetBreach::SequenceUnbalanced => "a list or mapping closes that never opened",
        _ => "it exceeds the reader's size limits",
    };
    format!("not read: {what}")
}

/// The value at (line, column), as the user wrote it: `` `-3` ``, or "a list" / "a mapping".
fn found_at(text: &str, line: u64, column: u64) -> String {
    let Some(l) = line.checked_sub(1).and_then(|i| text.lines().nth(i as usize)) else {
        return "something else".to_string();
    };
    let rest: String = l.chars().skip(column.saturating_sub(1) as usize).collect();
    let rest = rest.trim_start();
    match rest.chars().next() {
        Some('[') => return "a list".to_string(),
        Some('{') => return "a mapping".to_string(),
        Some('-') if rest[1..].starts_with(' ') || rest.len() == 1 => return "a list".to_string(),
        None | Some('#') => {
            // A block collection starts on a following line.
            let next =
                text.lines().skip(line as usize).map(str::trim_start).find(|s| !s.is_empty() && !s.starts_with('#'));
            return match next {
                Some(s) if s.starts_with("- ") || s == "-" => "a list".to_string(),
                Some(_) => "a mapping".to_string(),
                None => "nothing".to_string(),
            };
        }
        _ => {}
    }
    let token: String = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let end = rest[1..].find(q).map(|i| i + 2).unwrap_or(rest.len());
            rest[..end].to_string()
        }
        _ => {
            let end = rest.find([',', ']', '}', '#']).unwrap_or(rest.len());
            rest[..end].trim_end().to_string()
        }
    };
    let mut short: String = token.chars().take(40).collect();
    if short.len() < token.len() {
        short.push('…');
    }
    format!("`{short}`")
}

/// The line with a caret under the column, its number in the margin; long lines are cut around
/// the column.
fn excerpt(text: &str, line: u64, column: u64) -> String {
    let Some(l) = line.checked_sub(1).and_then(|i| text.lines().nth(i as usize)) else {
        return String::new();
    };
    let chars: Vec<char> = l.chars().collect();
    let col = column.saturating_sub(1) as usize;
    let start = col.saturating_sub(50);
    let end = (start + 100).min(chars.len());
    let mut shown: String = chars[start.min(end)..end].iter().collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    let margin = line.to_string();
    let pad = " ".repeat(margin.len());
    format!("{margin} | {shown}\n{pad} | {}^", " ".repeat(caret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        #[serde(default)]
        seed: u64,
        #[serde(default)]
        pods: Vec<Pod>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Pod {
        count: u32,
    }

    fn err(text: &str) -> String {
        from_str::<Doc>(text).unwrap_err().to_string()
    }

    #[test]
    fn numbers_say_the_field_the_range_and_what_was_found() {
        let e = err("name: a\npods: [{count: -3}]\n");
        assert!(
            e.starts_with(
                "line 2, column 16: field `pods[0].count`: expected a whole number from 0 to 4294967295, found `-3`"
            ),
            "{e}"
        );
        assert!(e.contains("2 | pods: [{count: -3}]\n  |                ^"), "{e}");
        let e = err("name: a\nseed: 1.5\n");
        assert!(e.contains("field `seed`: expected a whole number (0 or more), found `1.5`"), "{e}");
    }

    #[test]
    fn parser_vocabulary_does_not_reach_the_user() {
        for (text, says, never) in [
            ("name: a\nseed: 1\nseed: 2\n", "line 3, column 1: `seed` appears twice", "DuplicateKeyPolicy"),
            ("name: a\n---\nname: b\n", "a second YAML document", "from_multiple"),
            ("name: [a, b]\n", "expected a single value (a string), found a list", "string scalar"),
            ("name:\n  - a\n", "found a list", "scalar"),
            ("name: {a: 1}\n", "found a mapping", "scalar"),
        ] {
            let e = err(text);
            assert!(e.contains(says) && !e.contains(never), "{text:?}: {e}");
        }
        let deep = format!("name: {}{}\n", "[".repeat(70), "]".repeat(70));
        let e = from_str::<serde_json::Value>(&deep).unwrap_err().to_string();
        assert!(e.contains("more than 64 levels") && !e.contains("Depth {"), "{e}");
        let e = from_str::<serde_json::Value>("name: a\nx: &a [*a]\n").unwrap_err().to_string();
        assert!(e.contains("refers to an anchor that contains it") && !e.contains("weak"), "{e}");
    }

    #[test]
    fn unknown_fields_offer_the_nearest_name() {
        let e = err("name: a\nsed: 1\n");
        assert!(e.starts_with("line 2, column 1: unknown field `sed` (did you mean `seed`?)"), "{e}");
        assert!(e.contains("`name`, `seed`, `pods`"), "{e}");
        let e = err("name: a\npods: [{cont: 1}]\n");
        assert!(e.contains("field `pods[0]`: unknown field `cont` (did you mean `count`?)"), "{e}");
        let e = err("name: a\nzzzzzz: 1\n");
        assert!(e.contains("unknown field `zzzzzz`;") && !e.contains("did you mean"), "{e}");
    }

    #[test]
    fn json_values_say_the_field_and_what_was_found() {
        let e = from_value::<Doc>(serde_json::json!({"name": "a", "pods": [{"count": "four"}]})).unwrap_err();
        assert_eq!(e.0, "pods[0].count");
        assert_eq!(e.1, "expected a whole number from 0 to 4294967295, found `four`");
        let e = from_value::<Doc>(serde_json::json!({"name": "a", "pods": [{"count": -2}]})).unwrap_err();
        assert_eq!(e.1, "expected a whole number from 0 to 4294967295, found `-2`");
        let e = from_value::<Doc>(serde_json::json!({"name": "a", "sed": 1})).unwrap_err();
        assert!(e.1.starts_with("unknown field `sed` (did you mean `seed`?)"), "{e:?}");
        let e = from_value::<Doc>(serde_json::json!({"name": "a", "pods": 3})).unwrap_err();
        assert_eq!(e.1, "expected a list, found `3`");
    }

    #[test]
    fn nearest_names() {
        assert_eq!(closest("simulaton", ["seed", "simulation", "scaler"]), Some("simulation"));
        assert_eq!(closest("xyz", ["seed", "simulation"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn documents_skip_empty_ones_and_explain_syntax_errors() {
        let docs = documents("a: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2, "empty documents are skipped: {docs:?}");
        let e = documents("a: [1, 2\n").unwrap_err().to_string();
        assert!(e.starts_with("line "), "{e}");
    }
}
