#!/usr/bin/env bash
# Time is an input: `kup demo` must tell the same story whatever the machine's clock says.
# Runs the demo with today's clock, two years ahead and one year back (libfaketime), and
# compares the outputs with what legitimately differs masked: ports, process ids, run ids,
# node names (a launched node's name depends on timing), generated pod-name suffixes (the
# server draws them in order of creation, and a replacement pod and kup's own writes race),
# uuids, elapsed times, ages, column padding and the order of concurrent evictions.
# Needs `faketime` (Debian package faketime) and a built kup (./scripts/test.sh builds it).
# Exit 1 and a diff when the stories differ.
set -euo pipefail
cd "$(dirname "$0")/.."
kup=${KUP_BIN:-target/debug/kup}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

normalize() {
  sed -E \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
    -e 's/kup-demo-[0-9]+/kup-demo-PID/g' \
    -e 's/r-[0-9]{8}-[0-9]{6}/r-RUNID/g' \
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' \
    -e 's/ip-[0-9]+-[0-9]+-[0-9]+-[0-9]+\./ip-NODE./g' \
    -e 's/(\/[a-z0-9.-]+-[0-9a-f]{8,10})-[bcdfghjklmnpqrstvwxz2456789]{5}\b/\1-POD/g' \
    -e 's/\b[0-9]+\.[0-9]+(ms|s)\b/TIME/g' \
    -e 's/\b([0-9]+(ms|[dhms]))+\b/TIME/g' \
    -e 's/ +/ /g' |
    # Pods evicted together go in whatever order their kubelet confirms: sort each such run.
    awk '/: evicted / { print | "sort"; open = 1; next }
         { if (open) { close("sort"); open = 0 } print }'
}

status=0
"$kup" demo 2>&1 | normalize > "$out/today"
for shift in +730d -365d; do
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$shift" "$kup" demo 2>&1 | normalize > "$out/$shift"
  if diff -u "$out/today" "$out/$shift" > "$out/diff"; then
    echo "kup demo with the clock at $shift: same story"
  else
    echo "kup demo with the clock at $shift tells another story:"
    cat "$out/diff"
    status=1
  fi
done
exit $status
