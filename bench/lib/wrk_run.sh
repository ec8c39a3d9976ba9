# Sourced by the bench scripts: one wrk run, summarised on one line.
# Needs THREADS, CONNS, DUR (wrk -t -c -d) and WORK (a scratch directory) set by the caller.

# run NAME URL [wrk args]: prints "NAME rps p50_ms p99_ms non2xx"
run() {
  local name=$1 url=$2; shift 2
  wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "$@" "$url" > "$WORK/wrk-$name.txt" 2>&1
  awk -v n="$name" 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $NF }
    END { printf "%s %.0f %.2f %.2f %d\n", n, rps, p50, p99, bad + 0 }' "$WORK/wrk-$name.txt"
}
