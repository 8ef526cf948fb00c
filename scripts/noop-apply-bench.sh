#!/bin/sh
# Paired measurement of a no-op `tbmesh apply` against the floor (one fresh
# parallel `ssh true` per node, through the lab's ssh_config): every round
# runs each command once, back to back, so both see the same load.
# Usage: scripts/noop-apply-bench.sh LAB_DIR ROUNDS TBMESH [TBMESH_BEFORE]
# Prints one line per round and the medians; writes JSON under $OUT (/tmp).
set -eu
lab=$1; rounds=$2; after=$3; before=${4:-}
spec=$lab/tbmesh.toml; cfg=$lab/ssh_config
nodes=$(awk '/^Host / && NF == 3 {print $2}' "$cfg" | tr '\n' ' ')
floor="sh -c 'for n in $nodes; do ssh -F $cfg \$n true & done; wait'"
out=${OUT:-/tmp/noop-bench}; mkdir -p "$out"
i=0
while [ $i -lt "$rounds" ]; do
    i=$((i + 1))
    set -- "$floor" "$after -f $spec apply"
    [ -n "$before" ] && set -- "$@" "$before -f $spec apply"
    hyperfine -N -r 1 --export-json "$out/round-$i.json" "$@" >/dev/null 2>&1 || hyperfine -r 1 --export-json "$out/round-$i.json" "$@" >/dev/null
    python3 - "$out/round-$i.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
t = [x["mean"] for x in r]
print("round: floor %.2f s, after %.2f s (%.2fx)%s" % (t[0], t[1], t[1] / t[0],
      ", before %.2f s (%.2fx)" % (t[2], t[2] / t[0]) if len(t) > 2 else ""))
PY
done
python3 - "$out" "$rounds" <<'PY'
import json, sys, statistics as st
rs = [json.load(open("%s/round-%d.json" % (sys.argv[1], i)))["results"] for i in range(1, int(sys.argv[2]) + 1)]
col = lambda k: [r[k]["mean"] for r in rs]
f = col(0); a = col(1)
print("median floor %.2f s, after %.2f s, after/floor per round: median %.2fx (min %.2fx, max %.2fx)" % (
    st.median(f), st.median(a), st.median([x / y for x, y in zip(a, f)]), min(x / y for x, y in zip(a, f)), max(x / y for x, y in zip(a, f))))
if len(rs[0]) > 2:
    b = col(2)
    print("median before %.2f s, before/floor per round: median %.2fx" % (st.median(b), st.median([x / y for x, y in zip(b, f)])))
PY
