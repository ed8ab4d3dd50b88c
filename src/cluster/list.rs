//! Paged lists: `limit=500` + `continue`, the next page requested while the current one is
//! converted into compact structs, so at most two raw pages are alive at once.
//!
//! The snapshot path (`list_lean`) never builds typed objects: each page's text is parsed
//! by lean serde views straight into model structs (see `lean.rs`), and the next page is
//! asked for as soon as the page's `metadata` (written before `items`) has been read.

use super::lean::ListMeta;
use super::lean_pb::ProtoParser;
use super::retry::{Call, with_retry};
use super::wire::{Page, fetch_page};
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
    let _slot = conn.lists.slot().await;
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

/// Parses one JSON page, pushing converted items onto the vector and calling the callback
/// once the list's `metadata` has been read.
pub type PageParser<M> =
    fn(&[u8], &mut dyn FnMut(&ListMeta), &mut Vec<M>) -> Result<ListMeta, serde_json::Error>;

/// How a list's pages are parsed: always JSON, protobuf too for the built-in kinds kup decodes.
pub struct Parser<M> {
    pub json: PageParser<M>,
    pub protobuf: Option<ProtoParser<M>>,
}

impl<M> Clone for Parser<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for Parser<M> {}

impl<M> Parser<M> {
    pub const fn json(json: PageParser<M>) -> Self {
        Parser {
            json,
            protobuf: None,
        }
    }

    pub const fn both(json: PageParser<M>, protobuf: ProtoParser<M>) -> Self {
        Parser {
            json,
            protobuf: Some(protobuf),
        }
    }

    fn parse(
        &self,
        page: &Page,
        on_meta: &mut dyn FnMut(&ListMeta),
        out: &mut Vec<M>,
    ) -> Result<ListMeta, String> {
        match (page.protobuf, self.protobuf) {
            (true, Some(pb)) => pb(&page.body, on_meta, out).map_err(|e| e.to_string()),
            (true, None) => Err("the server answered protobuf to a JSON request".into()),
            (false, _) => (self.json)(&page.body, on_meta, out).map_err(|e| e.to_string()),
        }
    }
}

/// Upper bound on what a server's `remainingItemCount` may make us reserve up front.
const MAX_RESERVE: usize = 2_000_000;

/// Lists every object at `path` (a resource URL such as `/api/v1/pods`), optionally narrowed
/// by a label selector, parsing each page with `parse` into compact structs.
pub async fn list_lean<M>(
    conn: &Connection,
    path: &str,
    resource: &'static str,
    label_selector: Option<&str>,
    parse: Parser<M>,
) -> Result<Vec<M>, ClusterError> {
    let mut params = ListParams::default().limit(PAGE_SIZE);
    if let Some(sel) = label_selector {
        params = params.labels(sel);
    }
    list_lean_with(conn, path, resource, params, parse).await
}

/// `list_lean` with the list's parameters given (a field selector, a smaller page). Holds one of
/// the connection's `--list-concurrency` slots for the whole list.
pub async fn list_lean_with<M>(
    conn: &Connection,
    path: &str,
    resource: &'static str,
    params: ListParams,
    parse: Parser<M>,
) -> Result<Vec<M>, ClusterError> {
    let _slot = conn.lists.slot().await;
    let protobuf_ok = parse.protobuf.is_some();
    let spawn = |params: ListParams| {
        let (conn, path) = (conn.clone(), path.to_string());
        NextPage(tokio::spawn(async move {
            fetch_page(&conn, &path, resource, &params, protobuf_ok).await
        }))
    };
    let mut restarted = false;
    'list: loop {
        let mut out: Vec<M> = Vec::new();
        let mut pending = Some(spawn(params.clone()));
        while let Some(next) = pending.take() {
            let page = match next.join(resource).await {
                Err(ClusterError::Api { code: 410, .. }) if !restarted => {
                    crate::log::debug(format_args!(
                        "list {resource} ({path}): continue token expired; starting this list over"
                    ));
                    restarted = true;
                    continue 'list;
                }
                other => other?,
            };
            let mut on_meta = |m: &ListMeta| {
                if let Some(token) = m.continue_.as_deref().filter(|t| !t.is_empty()) {
                    pending = Some(spawn(params.clone().continue_token(token)));
                }
            };
            let first = out.is_empty();
            let meta = parse
                .parse(&page, &mut on_meta, &mut out)
                .map_err(|reason| ClusterError::Decode {
                    resource: format!(
                        "{resource} ({}, {path})",
                        if page.protobuf { "protobuf" } else { "JSON" }
                    ),
                    reason,
                })?;
            drop(page);
            // Size the result once from the server's count instead of doubling: a doubling
            // copy of 150,000 pods briefly holds both vectors.
            if first && let Some(rest) = meta.remaining_item_count {
                let rest = usize::try_from(rest).unwrap_or(0).min(MAX_RESERVE);
                let _ = out.try_reserve_exact(rest);
            }
        }
        out.shrink_to_fit();
        return Ok(out);
    }
}

/// The page in flight; aborted if the list ends early (an error on this page).
struct NextPage(tokio::task::JoinHandle<Result<Page, ClusterError>>);

impl NextPage {
    async fn join(mut self, resource: &str) -> Result<Page, ClusterError> {
        let handle = &mut self.0;
        handle.await.map_err(|e| ClusterError::Api {
            verb: "list".into(),
            resource: resource.into(),
            code: 0,
            message: format!("page task failed: {e}"),
            attempts: 1,
        })?
    }
}

impl Drop for NextPage {
    fn drop(&mut self) {
        self.0.abort();
    }
}
