//! kube-proxy, coredns and aws-node as they run in kube-system (three GETs): their images say
//! which version runs when no EKS add-on manages them.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::PodSpec;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::retry::{Call, with_retry};
use super::{ClusterError, Connection};
use crate::addons::{CORE_WORKLOADS, CoreComponent};

/// The core components that exist; a missing one is simply absent.
pub async fn core_components(conn: &Connection) -> Result<Vec<CoreComponent>, ClusterError> {
    let ds = Api::<DaemonSet>::namespaced(conn.client.clone(), "kube-system");
    let deploy = Api::<Deployment>::namespaced(conn.client.clone(), "kube-system");
    let mut out = Vec::new();
    for (addon, kind, name, container) in CORE_WORKLOADS {
        let resource = format!("{kind}s/kube-system/{name}");
        let call = Call {
            verb: "get",
            resource: &resource,
        };
        let spec: Option<PodSpec> = if kind == "daemonset" {
            with_retry(conn, call, || ds.get_opt(name))
                .await?
                .and_then(|d| d.spec?.template.spec)
        } else {
            with_retry(conn, call, || deploy.get_opt(name))
                .await?
                .and_then(|d| d.spec?.template.spec)
        };
        let Some(spec) = spec else { continue };
        let image = spec
            .containers
            .iter()
            .find(|c| c.name == container)
            .or(spec.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        out.push(CoreComponent {
            addon: addon.to_string(),
            subject: format!("{kind}/kube-system/{name}"),
            image,
        });
    }
    Ok(out)
}

/// `kubectl set image daemonset/NAME CONTAINER=IMAGE -n kube-system`: the manual step a
/// self-managed kube-proxy needs before the control plane moves on (`kup demo` takes it).
pub async fn set_daemonset_image(
    conn: &Connection,
    name: &str,
    container: &str,
    image: &str,
) -> Result<(), ClusterError> {
    let ds = Api::<DaemonSet>::namespaced(conn.client.clone(), "kube-system");
    let body = serde_json::json!({"spec": {"template": {"spec": {
        "containers": [{"name": container, "image": image}]
    }}}});
    let resource = format!("daemonsets/kube-system/{name}");
    let call = Call {
        verb: "patch",
        resource: &resource,
    };
    let (params, patch) = (PatchParams::default(), Patch::Strategic(&body));
    with_retry(conn, call, || ds.patch(name, &params, &patch))
        .await
        .map(|_| ())
}
