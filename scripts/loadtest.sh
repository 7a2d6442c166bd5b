#!/usr/bin/env bash
# Measures the foundation's performance budgets on this machine, each against a baseline in the
# same run: time to readiness on an empty data dir, idle RSS, and loopback throughput and p99 of
# authenticated GET /api/v1/agents against unauthenticated GET /api/v1/health.
# Needs wrk (apt-get install wrk). Bounded: two 10-second runs against 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/symbi/target}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --quiet --release -p symbi
symbi="$CARGO_TARGET_DIR/release/symbi"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-32}"

project="$(mktemp -d)"
"$symbi" init "$project" --no-interact >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s%N)
SYMBIONT_LOG=warn SYMBIONT_RATE_LIMIT_PER_SECOND=1000000 SYMBIONT_RATE_LIMIT_BURST=1000000 \
    "$symbi" up --dir "$project" --port "$port" 2>/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; rm -rf "$project"' EXIT
until curl -fsS "http://127.0.0.1:$port/api/v1/health/ready" >/dev/null 2>&1; do sleep 0.002; done
ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
key=$(cat "$project/.symbi/admin.key")
for i in $(seq 1 10); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d "{\"id\":\"agent-$i\",\"name\":\"agent $i\",\"dsl\":\"agent a() {}\"}" "http://127.0.0.1:$port/api/v1/agents"
done
sleep 1
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

run() { wrk -t2 -c"$connections" -d"$duration" --latency "$@" "http://127.0.0.1:$port$path"; }
path=/api/v1/health; health=$(run)
path=/api/v1/agents; agents=$(run -H "Authorization: Bearer $key")
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1 == "99%" {print $2}' <<<"$1"; }
non2xx() { awk '/Non-2xx/ {print $NF}' <<<"$1"; }
echo "ready after:           ${ready_ms} ms (budget 300 ms; includes one Argon2id hash for the first key)"
echo "idle RSS:              $((rss_kib / 1024)).$(( (rss_kib % 1024) * 10 / 1024 )) MiB (budget 30 MiB)"
echo "GET /health (no auth): $(rps "$health") req/s, p99 $(p99 "$health")  [baseline]"
echo "GET /agents (auth):    $(rps "$agents") req/s, p99 $(p99 "$agents")  (budget 20000 req/s, p99 5 ms)"
echo "agents / health:       $(python3 -c "print(f'{$(rps "$agents")/$(rps "$health"):.2f}')") of baseline throughput"
[ -z "$(non2xx "$agents")$(non2xx "$health")" ] || echo "non-2xx responses seen: $(non2xx "$health") / $(non2xx "$agents")"
