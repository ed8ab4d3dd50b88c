use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// facts.md §1.2, row by row: (Karpenter release, min K8s, max K8s).
#[test]
fn matrix_rows_match_the_researched_table() {
    for (k, lo, hi) in [
        ("0.21.0", 21, 24),
        ("0.24.9", 21, 24),
        ("0.25.0", 21, 25),
        ("0.27.6", 21, 25),
        ("0.28.0", 23, 27),
        ("0.30.0", 23, 27),
        ("0.31.0", 23, 28),
        ("0.33.4", 23, 28),
        ("0.34.0", 23, 29),
        ("0.36.2", 23, 29),
        ("0.37.7", 23, 30),
        ("1.0.0", 25, 30),
        ("1.0.4", 25, 30),
        ("1.0.5", 25, 31),
        ("1.0.9", 25, 31),
        ("1.1.3", 25, 31),
        ("1.2.0", 25, 32),
        ("1.4.0", 25, 32),
        ("1.5.0", 26, 33),
        // The code's constants, stricter than the published ">= 1.6" for 1.34.
        ("1.6.5", 26, 33),
        ("1.6.6", 26, 34),
        ("1.7.3", 26, 33),
        ("1.7.4", 26, 34),
        ("1.8.0", 26, 34),
        ("1.9.0", 26, 35),
        ("1.12.0", 26, 35),
        ("1.13.0", 26, 36),
        ("1.14.1", 26, 36),
    ] {
        assert_eq!(supported_minors(&v(k)), Some((lo, hi)), "{k}");
    }
    assert_eq!(supported_minors(&v("0.20.0")), None);
    assert_eq!(supported_minors(&v("1.15.0")), None);
}

/// facts.md §1.1, the published page: K8s minor -> minimum Karpenter.
#[test]
fn minimum_karpenter_per_kubernetes_minor() {
    for (minor, min) in [
        (23, "0.21.0"),
        (25, "0.25.0"),
        (26, "0.28.0"),
        (28, "0.31.0"),
        (29, "0.34.0"),
        (30, "0.37.0"),
        (31, "1.0.5"),
        (32, "1.2.0"),
        (33, "1.5.0"),
        (34, "1.6.6"),
        (35, "1.9.0"),
        (36, "1.13.0"),
    ] {
        assert_eq!(minimum_for(minor).as_deref(), Some(min), "1.{minor}");
    }
    assert_eq!(minimum_for(37), None);
}

#[test]
fn compat_verdicts() {
    assert_eq!(compat(&v("1.2.1"), &v("1.32")), Compat::Supported);
    assert_eq!(compat(&v("1.2.1"), &v("1.33")), Compat::TooOld { max: 32 });
    assert_eq!(compat(&v("1.5.0"), &v("1.25")), Compat::TooNew { min: 26 });
    assert_eq!(compat(&v("2.0.0"), &v("1.33")), Compat::Unknown);
}

#[test]
fn versions_from_labels_and_images() {
    assert_eq!(
        image_tag("public.ecr.aws/karpenter/controller:1.14.1@sha256:7231"),
        Some("1.14.1")
    );
    assert_eq!(image_tag("registry:5000/karpenter/controller"), None);
    assert_eq!(image_tag("registry:5000/k/c:v0.32.0"), Some("v0.32.0"));
    assert_eq!(image_tag("controller@sha256:abc"), None);
    assert!(parse_karpenter_version("v0.32.0").is_some());
    assert!(parse_karpenter_version("1.14.1").is_some());
    assert!(parse_karpenter_version("latest").is_none());
    assert!(parse_karpenter_version("1.14").is_none());
}

fn class(api: &str, family: Option<&str>, terms: Vec<AmiTerm>) -> NodeClass {
    NodeClass {
        name: "default".into(),
        api_version: api.into(),
        ami_family: family.map(str::to_string),
        ami_selector_terms: terms,
        status_amis: vec!["ami-0old".into()],
        ..NodeClass::default()
    }
}

fn alias(a: &str) -> AmiTerm {
    AmiTerm {
        alias: Some(a.into()),
        ..AmiTerm::default()
    }
}

#[test]
fn aliases_follow_pin_or_are_invalid() {
    let v1 = "karpenter.k8s.aws/v1";
    assert!(matches!(
        class(v1, None, vec![alias("al2023@latest")]).ami_policy(),
        AmiPolicy::FollowsControlPlane { family, .. } if family == "al2023"
    ));
    assert!(matches!(
        class(v1, None, vec![alias("bottlerocket@latest")]).ami_policy(),
        AmiPolicy::FollowsControlPlane { .. }
    ));
    assert!(matches!(
        class(v1, None, vec![alias("al2023@v20250505")]).ami_policy(),
        AmiPolicy::PinnedRelease { release, .. } if release == "v20250505"
    ));
    for (bad, why) in [
        ("ubuntu@latest", "unknown family"),
        ("al2023", "family@version"),
        ("al2023@", "family@version"),
        ("al-2@latest", "family@version"),
        ("windows2022@v1", "only use version 'latest'"),
    ] {
        match class(v1, None, vec![alias(bad)]).ami_policy() {
            AmiPolicy::Invalid { reason } => assert!(reason.contains(why), "{bad}: {reason}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    let two = vec![alias("al2023@latest"), alias("al2@latest")];
    assert!(matches!(
        class(v1, None, two).ami_policy(),
        AmiPolicy::Invalid { .. }
    ));
}

#[test]
fn ids_names_tags_and_ssm_pin_the_ami() {
    let v1 = "karpenter.k8s.aws/v1";
    let id = AmiTerm {
        id: Some("ami-0123".into()),
        ..AmiTerm::default()
    };
    match class(v1, Some("AL2023"), vec![id]).ami_policy() {
        AmiPolicy::PinnedAmi { by, amis } => {
            assert_eq!(by, "id ami-0123");
            assert_eq!(amis, vec!["ami-0123".to_string(), "ami-0old".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    let tags = AmiTerm {
        tags: BTreeMap::from([("team".to_string(), "ml".to_string())]),
        ..AmiTerm::default()
    };
    assert!(matches!(
        class(v1, Some("AL2023"), vec![tags]).ami_policy(),
        AmiPolicy::PinnedAmi { by, .. } if by == "tags team=ml"
    ));
    let empty = AmiTerm::default();
    assert!(matches!(
        class(v1, Some("AL2023"), vec![empty]).ami_policy(),
        AmiPolicy::Invalid { .. }
    ));
}

#[test]
fn v1beta1_without_terms_follows_its_family() {
    let b = "karpenter.k8s.aws/v1beta1";
    assert!(matches!(
        class(b, Some("AL2"), vec![]).ami_policy(),
        AmiPolicy::FollowsControlPlane { family, .. } if family == "al2"
    ));
    assert!(matches!(
        class(b, Some("Custom"), vec![]).ami_policy(),
        AmiPolicy::Invalid { .. }
    ));
    assert!(matches!(
        class("karpenter.k8s.aws/v1", Some("AL2023"), vec![]).ami_policy(),
        AmiPolicy::Invalid { .. }
    ));
}

#[test]
fn al2_stops_at_1_32() {
    let al2 = class("karpenter.k8s.aws/v1", None, vec![alias("al2@latest")]);
    assert!(!al2.al2_blocks(&v("1.32")));
    assert!(al2.al2_blocks(&v("1.33")));
    let by_family = class("karpenter.k8s.aws/v1beta1", Some("AL2"), vec![]);
    assert!(by_family.al2_blocks(&v("1.34")));
    let al2023 = class("karpenter.k8s.aws/v1", None, vec![alias("al2023@latest")]);
    assert!(!al2023.al2_blocks(&v("1.36")));
}

#[test]
fn an_eks_ami_name_carries_its_minor() {
    for (name, want) in [
        ("amazon-eks-node-1.32-v20251110", Some((1, 32))),
        ("amazon-eks-arm64-node-1.29-v20240110", Some((1, 29))),
        (
            "amazon-eks-node-al2023-x86_64-standard-1.33-v20260610",
            Some((1, 33)),
        ),
        ("bottlerocket-aws-k8s-1.33-x86_64-v1.58.0", Some((1, 33))),
        ("custom-0a1b2c3d", None),
        ("my-1.2-and-1.3-image", None),
    ] {
        assert_eq!(ami_name_minor(name), want, "{name}");
    }
}

#[test]
fn the_alias_decides_the_cut_offs_not_the_ami_family() {
    // Custom family with an al2 alias: Karpenter resolves AL2 AMIs, which stop at 1.32.
    let custom = class(
        "karpenter.k8s.aws/v1",
        Some("Custom"),
        vec![alias("al2@v20250110")],
    );
    assert!(custom.al2_blocks(&v("1.33")));
    // AL2 user data with an AMI by id: the AMI is pinned, no AL2 alias is resolved.
    let by_id = class(
        "karpenter.k8s.aws/v1",
        Some("AL2"),
        vec![AmiTerm {
            id: Some("ami-0123".into()),
            ..AmiTerm::default()
        }],
    );
    assert!(!by_id.al2_blocks(&v("1.33")));
    // windows2025 exists from Kubernetes 1.35 on.
    let win = class(
        "karpenter.k8s.aws/v1",
        None,
        vec![alias("windows2025@latest")],
    );
    assert!(win.windows2025_blocks(&v("1.34")));
    assert!(!win.windows2025_blocks(&v("1.35")));
    let win22 = class(
        "karpenter.k8s.aws/v1",
        None,
        vec![alias("windows2022@latest")],
    );
    assert!(!win22.windows2025_blocks(&v("1.34")));
}
