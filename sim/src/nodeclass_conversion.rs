//! The AWS provider's conversion webhook for EC2NodeClass (karpenter-provider-aws
//! `pkg/apis/v1/ec2nodeclass_conversion.go`), applied as an object is read at a version: a
//! v1beta1 class whose `amiFamily` is AL2, AL2023, Bottlerocket, Windows2019 or Windows2022 and
//! that has no `amiSelectorTerms` reads at v1 with `amiSelectorTerms: [{alias:
//! <family lower-case>@latest}]` and no `amiFamily`; another family kept with terms, an unknown
//! one as `Custom`. At v1beta1 (which has no alias) a v1 class reads with `amiFamily` set (the
//! spec's, else the alias's family) and its alias term dropped. Not simulated: Ubuntu's
//! compatibility annotation and a pinned alias version's.

use serde_json::{Value, json};

const ALIAS_FAMILIES: [&str; 5] = [
    "AL2",
    "AL2023",
    "Bottlerocket",
    "Windows2019",
    "Windows2022",
];
/// The v1 CRD's amiFamily enum (as of v1.0).
const V1_FAMILIES: [&str; 6] = [
    "AL2",
    "AL2023",
    "Bottlerocket",
    "Custom",
    "Windows2019",
    "Windows2022",
];

/// Rewrites `obj` (an EC2NodeClass as stored) as `api_version` serves it.
pub fn convert(obj: &mut Value, api_version: &str) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let terms_empty = spec
        .get("amiSelectorTerms")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    let family = spec
        .get("amiFamily")
        .and_then(Value::as_str)
        .map(str::to_string);
    let alias = spec
        .get("amiSelectorTerms")
        .and_then(Value::as_array)
        .and_then(|ts| {
            ts.iter()
                .find_map(|t| t.get("alias").and_then(Value::as_str))
        })
        .map(str::to_string);
    if api_version.ends_with("/v1") {
        match family.as_deref() {
            Some(f) if ALIAS_FAMILIES.contains(&f) && terms_empty => {
                spec.remove("amiFamily");
                spec.insert(
                    "amiSelectorTerms".into(),
                    json!([{"alias": format!("{}@latest", f.to_ascii_lowercase())}]),
                );
            }
            Some(f) if !V1_FAMILIES.contains(&f) => {
                spec.insert("amiFamily".into(), json!("Custom"));
            }
            _ => {}
        }
    } else if api_version.ends_with("/v1beta1")
        && let Some(alias) = alias
    {
        let from_alias = alias.split_once('@').map(|(f, _)| f).unwrap_or_default();
        let family = family.unwrap_or_else(|| {
            V1_FAMILIES
                .iter()
                .find(|f| f.eq_ignore_ascii_case(from_alias))
                .map_or("Custom".to_string(), |f| f.to_string())
        });
        spec.insert("amiFamily".into(), json!(family));
        if let Some(ts) = spec
            .get_mut("amiSelectorTerms")
            .and_then(Value::as_array_mut)
        {
            ts.retain(|t| t.get("alias").is_none());
            if ts.is_empty() {
                spec.remove("amiSelectorTerms");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(spec: Value, version: &str) -> Value {
        let mut o = json!({"metadata": {"name": "c"}, "spec": spec});
        convert(&mut o, &format!("karpenter.k8s.aws/{version}"));
        o["spec"].clone()
    }

    #[test]
    fn v1beta1_family_without_terms_reads_at_v1_as_an_alias() {
        assert_eq!(
            at(json!({"amiFamily": "AL2", "role": "r"}), "v1"),
            json!({"amiSelectorTerms": [{"alias": "al2@latest"}], "role": "r"})
        );
        assert_eq!(
            at(json!({"amiFamily": "Bottlerocket"}), "v1"),
            json!({"amiSelectorTerms": [{"alias": "bottlerocket@latest"}]})
        );
        // With terms the family stays; Custom has no alias; an unknown family reads as Custom.
        let pinned = json!({"amiFamily": "AL2", "amiSelectorTerms": [{"id": "ami-1"}]});
        assert_eq!(at(pinned.clone(), "v1"), pinned);
        let custom = json!({"amiFamily": "Custom", "amiSelectorTerms": [{"id": "ami-1"}]});
        assert_eq!(at(custom.clone(), "v1"), custom);
        assert_eq!(
            at(
                json!({"amiFamily": "Ubuntu", "amiSelectorTerms": [{"id": "ami-1"}]}),
                "v1"
            )["amiFamily"],
            "Custom"
        );
    }

    #[test]
    fn v1_alias_reads_at_v1beta1_as_its_family() {
        assert_eq!(
            at(
                json!({"amiSelectorTerms": [{"alias": "al2023@latest"}]}),
                "v1beta1"
            ),
            json!({"amiFamily": "AL2023"})
        );
        // A v1beta1 class reads back unchanged.
        let old = json!({"amiFamily": "AL2"});
        assert_eq!(at(old.clone(), "v1beta1"), old);
    }
}
