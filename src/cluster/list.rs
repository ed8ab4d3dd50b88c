//! Paged lists: `limit=500` + `continue`, the next page requested while the current one is
//! converted into compact structs, so at most two raw pages are alive at once.

use super::retry::{Call, with_retry};
use super::{ClusterError, Connection};
use kube::Api;
use kube::api::{ListParams, ObjectList};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// Items per page: the page size kubectl uses for `get` with chunking.
pub const PAGE_SIZE: u32 = 500;

/// Lists every object of `api` (optionally narrowed by a label selector), converting each
/// page with `convert` and dropping the raw objects.
pub async fn list_all<K, T>(
    conn: &Connection,
    api: Api<K>,
    resource: &'static str,
    label_selector: Option<&str>,
    mut convert: impl FnMut(K) -> Option<T>,
) -> Result<Vec<T>, ClusterError>
where
    K: Clone + DeserializeOwned + Debug + Send + 'static,
{
    let mut params = ListParams::default().limit(PAGE_SIZE);
    if let Some(sel) = label_selector {
        params = params.labels(sel);
    }
    // A continue token can expire mid-list (410 Gone, on a large or busy cluster): start
    // over once from the first page, as kubectl does.
    let mut restarted = false;
    'list: loop {
        let mut out = Vec::new();
        let mut page = fetch(conn.clone(), api.clone(), resource, params.clone()).await?;
        loop {
            let next_token = page.metadata.continue_.take().filter(|c| !c.is_empty());
            // Ask for the next page before converting this one.
            let next = next_token.map(|token| {
                tokio::spawn(fetch(
                    conn.clone(),
                    api.clone(),
                    resource,
                    params.clone().continue_token(&token),
                ))
            });
            out.extend(page.items.drain(..).filter_map(&mut convert));
            drop(page);
            let Some(handle) = next else {
                return Ok(out);
            };
            let fetched = handle.await.map_err(|e| ClusterError::Api {
                verb: "list".into(),
                resource: resource.into(),
                code: 0,
                message: format!("page task failed: {e}"),
                attempts: 1,
            })?;
            page = match fetched {
                Err(ClusterError::Api { code: 410, .. }) if !restarted => {
                    crate::log::debug(format_args!(
                        "list {resource}: continue token expired; starting over"
                    ));
                    restarted = true;
                    continue 'list;
                }
                other => other?,
            };
        }
    }
}

async fn fetch<K>(
    conn: Connection,
    api: Api<K>,
    resource: &'static str,
    params: ListParams,
) -> Result<ObjectList<K>, ClusterError>
where
    K: Clone + DeserializeOwned + Debug,
{
    with_retry(
        &conn,
        Call {
            verb: "list",
            resource,
        },
        || api.list(&params),
    )
    .await
}
