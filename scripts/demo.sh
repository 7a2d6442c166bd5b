#!/usr/bin/env bash
# The main job on embedded defaults: build symbi, scaffold a project, start the runtime, make the
# first requests with the admin key it issued, then stop it with SIGTERM.
# Pass --keep to leave the runtime running (stop it with Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/symbi/target}"
keep=false
[ "${1:-}" = "--keep" ] && keep=true

echo "==> building symbi"
cargo build --quiet --release -p symbi
symbi="$CARGO_TARGET_DIR/release/symbi"

project="$(mktemp -d)/demo-project"
echo "==> symbi init $project"
"$symbi" init "$project" --profile minimal --no-interact

port="${SYMBI_DEMO_PORT:-8080}"
echo "==> symbi up --dir $project --port $port"
"$symbi" up --dir "$project" --port "$port" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health/ready" >/dev/null 2>&1 && break
    sleep 0.05
done

KEY="$(cat "$project/.symbi/admin.key")"
api="http://127.0.0.1:$port/api/v1"
# Prints a request as typed (with $KEY, not the key itself), then runs it.
request() {
    local shown="$*"
    echo; echo "\$ curl -sS ${shown//$KEY/\$KEY}"
    curl -sS "$@"; echo
}
request "$api/health"
request "$api/agents"
request -H "Authorization: Bearer not-a-key" "$api/agents"
request -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"id":"greeter","name":"greeter","dsl":"agent greeter(name: String) -> String {}"}' "$api/agents"
request -H "Authorization: Bearer $KEY" "$api/agents"
request -H "Authorization: Bearer $KEY" "$api/agents/greeter/status"
echo
echo "\$ symbi audit tail -n 10    # every door wrote a record: the first admin key, the agents, the refused calls"
"$symbi" audit tail --dir "$project" -n 10
echo "\$ symbi audit verify"
"$symbi" audit verify --dir "$project"
echo

if $keep; then
    echo "==> runtime still running on $api (admin key in $project/.symbi/admin.key); Ctrl-C to stop"
    trap - EXIT
    wait $pid
else
    echo "==> stopping (SIGTERM drains in-flight requests, then exits 0)"
    kill -TERM $pid
    wait $pid
    trap - EXIT
    echo "==> done; the project is in $project"
fi
