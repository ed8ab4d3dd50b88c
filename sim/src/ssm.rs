//! The SSM API's `GetParameter` (AWS JSON 1.1: `POST /`, `X-Amz-Target: AmazonSSM.GetParameter`,
//! body `{"Name": ...}`) over the AMI catalogue's public parameters
//! (`/aws/service/eks/optimized-ami/...`, `/aws/service/bottlerocket/...`), so a client resolves
//! an EC2NodeClass alias the way Karpenter does. Values follow the sim clock (`recommended` /
//! `latest` is the newest release on or before its day).

use crate::amis;
use crate::http::{App, Reply};
use axum::http::{HeaderMap, Method, header};
use serde_json::{Value, json};

const TARGET_PREFIX: &str = "AmazonSSM.";

/// Is this request for the SSM API?
pub fn owns(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    method == Method::POST
        && path == "/"
        && headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with(TARGET_PREFIX))
}

fn error(status: u16, code: &'static str, message: &str) -> Reply {
    let mut r = Reply::json(status, &json!({"__type": code, "message": message}))
        .with_header("x-amzn-errortype", code);
    r.content_type = "application/x-amz-json-1.1";
    r
}

pub fn handle(app: &App, headers: &HeaderMap, body: &[u8]) -> Reply {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let op = target.strip_prefix(TARGET_PREFIX).unwrap_or(target);
    app.counters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .ssm_count(op);
    if headers.get(header::AUTHORIZATION).is_none() {
        return error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    if op != "GetParameter" {
        return error(
            400,
            "UnknownOperationException",
            &format!("kup-sim serves only GetParameter of SSM, not {op}"),
        );
    }
    let Some(name) = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("Name").and_then(Value::as_str).map(str::to_string))
    else {
        return error(
            400,
            "ValidationException",
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
        );
    };
    let st = app.shared.lock().unwrap_or_else(|e| e.into_inner());
    let now = st.clock.now();
    let region = st.cluster.region.clone();
    drop(st);
    match amis::ssm_lookup(&name, now) {
        Some(ami) => {
            // Public parameters live in AWS's own account; the ARN has none.
            let arn = format!("arn:aws:ssm:{region}::parameter{name}");
            let mut r = Reply::json(
                200,
                &json!({"Parameter": {
                    "Name": name,
                    "Type": "String",
                    "Value": ami.id,
                    "Version": 1,
                    "LastModifiedDate": crate::eks::epoch(release_time(&ami)),
                    "ARN": arn,
                    "DataType": "aws:ec2:image",
                }}),
            );
            r.content_type = "application/x-amz-json-1.1";
            r
        }
        None => error(400, "ParameterNotFound", ""),
    }
}

/// When the AMI's release was published (its parameter's LastModifiedDate).
fn release_time(ami: &amis::Ami) -> jiff::Timestamp {
    ami.published()
}
