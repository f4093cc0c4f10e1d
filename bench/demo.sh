#!/usr/bin/env bash
# Times `memeops run` of the quickstart (what `make demo` runs after its set-up) and prints wall seconds, CPU
# seconds (user + sys: the figure to compare on a shared machine) and peak RSS. The prepared dataset is reused
# when it is already there (pass --fresh to prepare it again into a new directory).
#   bash bench/demo.sh [--fresh]
set -euo pipefail
cd "$(dirname "$0")/.."
out=.memeops/bench-demo
[[ "${1:-}" == "--fresh" ]] && rm -rf "$out"
cmd=(node cli/bin/memeops.mjs run conf/experiments/quickstart.yaml --out "$out")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
if [[ -x /usr/bin/time ]]; then
  log=$(mktemp)
  /usr/bin/time -v -o "$log" "${cmd[@]}" >/dev/null
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "demo: wall %.1f s, cpu %.1f s (user %.1f + sys %.1f), peak RSS %.0f MB\n", wall, user + sys, user, sys, rss / 1024 }' "$log"
  rm -f "$log"
else
  start=$(date +%s.%N)
  "${cmd[@]}" >/dev/null
  echo "demo: wall $(echo "$(date +%s.%N) - $start" | bc) s (no /usr/bin/time: no CPU or RSS figures)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
node -e 'const r = require(process.argv[1]); console.log(`epochs run ${r.run.epochsRun}, best epoch ${r.bestEpoch}, best val AUROC ${r.bestValAuroc}, test AUROC ${r.test?.auroc}`)' "$PWD/$out/results.json"
