//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`) and field selectors
//! (`=`, `==`, `!=` on the few fields the real server indexes), matched against a stored
//! object's index.

use crate::resources::Kind;
use crate::store::{ApiError, ObjIndex};

#[derive(Clone, Debug, PartialEq)]
enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

#[derive(Clone, Debug, Default)]
pub struct LabelSelector {
    reqs: Vec<LabelReq>,
}

/// Split on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn bad(sel: &str, why: &str) -> ApiError {
    ApiError::bad_request(format!(
        "unable to parse requirement: {why} in selector {sel:?}"
    ))
}

impl LabelSelector {
    pub fn parse(sel: &str) -> Result<LabelSelector, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(sel) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if let Some(key) = part.strip_prefix('!') {
                let key = key.trim();
                if key.is_empty() {
                    return Err(bad(sel, "missing key after '!'"));
                }
                reqs.push(LabelReq::NotExists(key.to_string()));
                continue;
            }
            if let Some((k, v)) = part.split_once("!=") {
                reqs.push(LabelReq::NotEq(k.trim().to_string(), v.trim().to_string()));
                continue;
            }
            if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                reqs.push(LabelReq::Eq(k.trim().to_string(), v.trim().to_string()));
                continue;
            }
            // `key in (a,b)` / `key notin (a,b)` / `key`
            let mut words = part.splitn(2, char::is_whitespace);
            let key = words.next().unwrap_or("").trim().to_string();
            let rest = words.next().unwrap_or("").trim();
            if rest.is_empty() {
                reqs.push(LabelReq::Exists(key));
                continue;
            }
            let (op, list) = if let Some(l) = rest.strip_prefix("notin") {
                ("notin", l)
            } else if let Some(l) = rest.strip_prefix("in") {
                ("in", l)
            } else {
                return Err(bad(sel, &format!("unknown operator in {part:?}")));
            };
            let list = list.trim();
            let inner = list
                .strip_prefix('(')
                .and_then(|l| l.strip_suffix(')'))
                .ok_or_else(|| bad(sel, "expected a parenthesised list of values"))?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            reqs.push(if op == "in" {
                LabelReq::In(key, values)
            } else {
                LabelReq::NotIn(key, values)
            });
        }
        Ok(LabelSelector { reqs })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    pub fn matches(&self, idx: &ObjIndex) -> bool {
        self.reqs.iter().all(|r| match r {
            LabelReq::Eq(k, v) => idx.label(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => idx.label(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => idx.label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelReq::NotIn(k, vs) => idx.label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            LabelReq::Exists(k) => idx.label(k).is_some(),
            LabelReq::NotExists(k) => idx.label(k).is_none(),
        })
    }
}

#[derive(Clone, Debug)]
struct FieldReq {
    field: String,
    value: String,
    negate: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FieldSelector {
    reqs: Vec<FieldReq>,
}

fn field_supported(kind: Kind, field: &str) -> bool {
    match field {
        "metadata.name" | "metadata.namespace" => true,
        "spec.nodeName" | "status.phase" => kind == Kind::Pod,
        "spec.unschedulable" => kind == Kind::Node,
        "type" => kind == Kind::Secret,
        _ => false,
    }
}

impl FieldSelector {
    pub fn parse(kind: Kind, sel: &str) -> Result<FieldSelector, ApiError> {
        let mut reqs = Vec::new();
        for part in sel.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, value, negate) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, v, false)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{sel}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if !field_supported(kind, field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            reqs.push(FieldReq {
                field: field.to_string(),
                value: value.trim().to_string(),
                negate,
            });
        }
        Ok(FieldSelector { reqs })
    }

    pub fn matches(&self, idx: &ObjIndex) -> bool {
        self.reqs.iter().all(|r| {
            let actual: String = match r.field.as_str() {
                "metadata.name" => idx.name.clone(),
                "metadata.namespace" => idx.namespace.clone(),
                "spec.nodeName" => idx.node_name.clone().unwrap_or_default(),
                "status.phase" | "type" => idx.phase.clone().unwrap_or_default(),
                "spec.unschedulable" => idx.unschedulable.to_string(),
                _ => String::new(),
            };
            (actual == r.value) != r.negate
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(labels: &[(&str, &str)]) -> ObjIndex {
        ObjIndex {
            name: "n1".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            unschedulable: true,
            ..Default::default()
        }
    }

    #[test]
    fn label_operators() {
        let o = idx(&[("app", "web"), ("tier", "front")]);
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&o);
        assert!(m("app=web"));
        assert!(m("app==web"));
        assert!(!m("app!=web"));
        assert!(m("app in (web, db)"));
        assert!(!m("app notin (web,db)"));
        assert!(m("env notin (prod)"));
        assert!(m("tier"));
        assert!(!m("!tier"));
        assert!(m("!env,app=web"));
        assert!(!m("app in (db),tier"));
        assert!(LabelSelector::parse("app ~ x").is_err());
    }

    #[test]
    fn field_operators() {
        let o = idx(&[]);
        let m = |s: &str| FieldSelector::parse(Kind::Node, s).unwrap().matches(&o);
        assert!(m("metadata.name=n1"));
        assert!(m("spec.unschedulable==true"));
        assert!(!m("spec.unschedulable!=true"));
        let e = FieldSelector::parse(Kind::Node, "spec.nodeName=x").unwrap_err();
        assert_eq!(e.code, 400);
    }
}
