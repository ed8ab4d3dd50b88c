#!/usr/bin/env python3
"""Generate sim/src/api/pb/json_conv.rs: JSON <-> k8s-pb message conversions for the built-in
kinds kup-sim serves as protobuf.

prost drops the proto field names (podIP becomes pod_ip), and the JSON names are the proto
names (go-to-protobuf names each proto field after its json tag). So the generator joins, per
message and field tag, the k8s-pb 0.9 structs (Rust field, prost type) with the Kubernetes
`generated.proto` files (JSON name).

Usage: gen_pb_json.py K8S_PB_SRC API_GIT_DIR APIMACHINERY_GIT_DIR [REF] > sim/src/api/pb/json_conv.rs
  K8S_PB_SRC: ~/.cargo/registry/src/*/k8s-pb-0.9.0/src
  API_GIT_DIR / APIMACHINERY_GIT_DIR: git dirs of kubernetes/api, kubernetes/apimachinery
  REF: the branch whose protos k8s-pb was built from (release-1.35)
"""
import os, re, subprocess, sys

PB, API, APIM = sys.argv[1:4]
# k8s-pb 0.9 carries the 1.35 messages (PodSpec.workloadRef = 42, gone in 1.36).
REF = sys.argv[4] if len(sys.argv) > 4 else "release-1.35"

def read_repo(repo, path):
    return subprocess.run(["git", "--git-dir", repo, "show", REF + ":" + path],
                          check=True, capture_output=True, text=True).stdout

# Rust module path -> (repo, proto path)
MODULES = {
    "api::core::v1": (API, "core/v1/generated.proto"),
    "api::apps::v1": (API, "apps/v1/generated.proto"),
    "api::batch::v1": (API, "batch/v1/generated.proto"),
    "api::policy::v1": (API, "policy/v1/generated.proto"),
    "api::coordination::v1": (API, "coordination/v1/generated.proto"),
    "apimachinery::pkg::apis::meta::v1": (APIM, "pkg/apis/meta/v1/generated.proto"),
    "apimachinery::pkg::api::resource": (APIM, "pkg/api/resource/generated.proto"),
    "apimachinery::pkg::util::intstr": (APIM, "pkg/util/intstr/generated.proto"),
    "apimachinery::pkg::runtime": (APIM, "pkg/runtime/generated.proto"),
}

ROOTS = [
    "api::core::v1::" + k for k in ["Pod", "PodList", "Node", "NodeList", "Namespace",
                                     "NamespaceList", "Secret", "SecretList"]
] + [
    "api::apps::v1::" + k for k in ["Deployment", "DeploymentList", "StatefulSet",
                                     "StatefulSetList", "DaemonSet", "DaemonSetList",
                                     "ReplicaSet", "ReplicaSetList"]
] + [
    "api::batch::v1::" + k for k in ["Job", "JobList", "CronJob", "CronJobList"]
] + [
    "api::policy::v1::" + k for k in ["PodDisruptionBudget", "PodDisruptionBudgetList", "Eviction"]
] + [
    "api::coordination::v1::" + k for k in ["Lease", "LeaseList"]
] + [
    "apimachinery::pkg::apis::meta::v1::" + k for k in ["Status", "DeleteOptions"]
]

# Hand-written conversions (their JSON is not their message shape).
SPECIAL = {
    "apimachinery::pkg::apis::meta::v1::Time",
    "apimachinery::pkg::apis::meta::v1::MicroTime",
    "apimachinery::pkg::apis::meta::v1::FieldsV1",
    "apimachinery::pkg::apis::meta::v1::Duration",
    "apimachinery::pkg::api::resource::Quantity",
    "apimachinery::pkg::util::intstr::IntOrString",
    "apimachinery::pkg::runtime::RawExtension",
}

# Embedded structs whose fields JSON inlines into the parent (`json:",inline"` in types.go)
# while protobuf keeps them as one message field.
INLINE = {"volumeSource", "handler", "ephemeralContainerCommon", "localObjectReference",
          "persistentVolumeSource"}

def parse_proto(text):
    out = {}
    cur = None
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"message (\w+) \{", line)
        if m:
            cur = out.setdefault(m.group(1), {})
            continue
        m = re.match(r"(?:optional|repeated)\s+[\w.]+\s+(\w+)\s*=\s*(\d+)", line) or \
            re.match(r"map<[^>]+>\s+(\w+)\s*=\s*(\d+)", line)
        if m and cur is not None:
            cur[int(m.group(2))] = m.group(1)
    return out

def parse_rust(modpath):
    path = os.path.join(PB, *modpath.split("::"), "mod.rs")
    text = open(path).read()
    structs = {}
    cur = None
    attr = None
    lines = []
    for line in text.splitlines():
        s = line.strip()
        # A field's type may continue on the next lines: join them.
        last = lines[-1] if lines else ""
        if re.match(r"pub (r#)?\w+:", last) and (
                not last.endswith(",") or last.count("<") > last.count(">")):
            lines[-1] += s
        else:
            lines.append(s)
    for s in lines:
        m = re.match(r"pub struct (\w+) \{", s)
        if m:
            cur = structs.setdefault(m.group(1), [])
            continue
        if s == "}":
            cur = None
            continue
        m = re.match(r"#\[prost\((.*)\)\]", s)
        if m and cur is not None:
            attr = m.group(1)
            continue
        m = re.match(r"pub (r#)?(\w+):\s*(.*?),?$", s)
        if m and cur is not None and attr:
            tag = int(re.search(r'tag = "(\d+)"', attr).group(1))
            ty = re.sub(r",\s*>", ">", m.group(3).replace(" ", ""))
            cur.append({"tag": tag, "ident": (m.group(1) or "") + m.group(2), "attr": attr,
                        "ty": ty})
            attr = None
    return structs

RUST = {m: parse_rust(m) for m in MODULES}
PROTO = {m: parse_proto(read_repo(*MODULES[m])) for m in MODULES}

def resolve(modpath, ty):
    """Full module path of a message type named in a Rust field type."""
    ty = re.sub(r"^::prost::alloc::boxed::Box<(.*)>$", r"\1", ty)
    parts = ty.split("::")
    base = modpath.split("::")
    while parts and parts[0] == "super":
        base = base[:-1]
        parts = parts[1:]
    return "::".join(base + parts)

def inner_type(ty):
    m = re.match(r"::core::option::Option<(.*)>$", ty) or re.match(r"::prost::alloc::vec::Vec<(.*)>$", ty)
    return m.group(1) if m else ty

def map_value_type(ty):
    m = re.match(r"::prost::alloc::collections::BTreeMap<::prost::alloc::string::String,(.*)>$", ty)
    return m.group(1)

seen = []
queue = list(ROOTS)
while queue:
    full = queue.pop(0)
    if full in seen:
        continue
    seen.append(full)
    if full in SPECIAL:
        continue
    mod, name = full.rsplit("::", 1)
    for f in RUST[mod][name]:
        a = f["attr"]
        if a.startswith("message"):
            queue.append(resolve(mod, inner_type(f["ty"])))
        elif a.startswith('btree_map = "string, message"'):
            queue.append(resolve(mod, map_value_type(f["ty"])))

out = []
w = out.append
w("// @generated by sim/scripts/gen_pb_json.py from k8s-pb 0.9 and the Kubernetes generated.proto")
w("// files: do not edit. JSON <-> k8s-pb conversions (field names are the JSON names).")
w("")
w("#[allow(unused_imports)]")
w("use super::convert::{Conv, ConvError, Path, bytes_from_json, bytes_to_json, bytes_map_from_json, bytes_map_to_json, inline, object, put};")
w("use serde_json::{Map, Value};")
w("")
count = 0
for full in seen:
    if full in SPECIAL:
        continue
    mod, name = full.rsplit("::", 1)
    # prost renames PodDNSConfig to PodDnsConfig: match case-insensitively.
    names = {k.lower(): v for k, v in PROTO[mod].items()}.get(name.lower())
    if names is None:
        sys.exit(f"no proto message for {full}")
    rty = f"k8s_pb::{full}"
    fields = RUST[mod][name]
    arms, puts, inline = [], [], []
    for f in fields:
        jn = names.get(f["tag"])
        if jn is None:
            sys.exit(f"{full}: tag {f['tag']} ({f['ident']}) not in proto")
        ident = f["ident"]
        if jn in INLINE:
            assert f["attr"].startswith("message, optional"), (full, jn)
            inline.append(f'        m.{ident} = Some(Conv::from_json(v, p)?);')
            puts.append(f'        if let Some(x) = &self.{ident} {{ inline(&mut o, x); }}')
        elif f["attr"].startswith("bytes"):
            arms.append(f'                "{jn}" => m.{ident} = bytes_from_json(x, &p.key("{jn}"))?,')
            puts.append(f'        bytes_to_json(&mut o, "{jn}", &self.{ident});')
        elif f["attr"].startswith('btree_map = "string, bytes"'):
            arms.append(f'                "{jn}" => m.{ident} = bytes_map_from_json(x, &p.key("{jn}"))?,')
            puts.append(f'        bytes_map_to_json(&mut o, "{jn}", &self.{ident});')
        else:
            arms.append(f'                "{jn}" => m.{ident} = Conv::from_json(x, &p.key("{jn}"))?,')
            puts.append(f'        put(&mut o, "{jn}", &self.{ident});')
    w(f"impl Conv for {rty} {{")
    w("    fn from_json(v: &Value, p: &Path) -> Result<Self, ConvError> {")
    w("        let mut m = Self::default();")
    out.extend(inline)
    if arms:
        w("        for (k, x) in object(v, p)? {")
        w("            match k.as_str() {")
        out.extend(arms)
        w("                _ => {}")
        w("            }")
        w("        }")
    else:
        w("        object(v, p)?;")
    w("        Ok(m)")
    w("    }")
    w("    fn to_json(&self) -> Value {")
    w("        let mut o = Map::new();")
    out.extend(puts)
    w("        Value::Object(o)")
    w("    }")
    w("}")
    w("")
    count += 1
sys.stderr.write(f"{count} messages\n")
print("\n".join(out))
