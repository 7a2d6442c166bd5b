#!/usr/bin/env bash
# Hook latency: process start to answer for `symbi policy evaluate` (a Claude Code PreToolUse
# event on stdin) in a scaffolded project with 100 policies, against `symbi --version` in the
# same run. Prints median and p90 over RUNS runs (default 200) for: --version, evaluate with
# the compiled-set cache warm, and evaluate cold (cache removed before each run).
#
# Usage: scripts/bench-hook.sh [path/to/symbi]   (default: $CARGO_TARGET_DIR/release/symbi,
# else target/release/symbi; build it with `cargo build --release -p symbi`)
set -euo pipefail

bin="${1:-${CARGO_TARGET_DIR:-target}/release/symbi}"
runs="${RUNS:-200}"
[ -x "$bin" ] || { echo "no symbi binary at $bin; build it with cargo build --release -p symbi" >&2; exit 1; }

project="$(mktemp -d)"
trap 'rm -rf "$project"' EXIT
"$bin" init "$project" --no-interact >/dev/null 2>&1

# Top the scaffold up to exactly 100 policies.
have="$("$bin" policy validate --dir "$project" | sed -n 's/^ok: \([0-9]*\) policies.*/\1/p')"
for i in $(seq 1 $((100 - have))); do
  case $((i % 4)) in
    0) echo "permit(principal, action == Action::\"invoke_tool\", resource == Tool::\"tool-$i\") when { principal.sandbox_tier >= $((i % 3)) };" ;;
    1) echo "permit(principal == Agent::\"agent-$i\", action == Action::\"read\", resource) when { resource has path && resource.path like \"/srv/$i/*\" };" ;;
    2) echo "forbid(principal in AgentGroup::\"group-$i\", action, resource);" ;;
    3) echo "@approval permit(principal, action == Action::\"write\", resource == Resource::\"/srv/$i/config\");" ;;
  esac
done > "$project/policies/bench.cedar"
"$bin" policy validate --dir "$project"
# A project whose runtime has run has an audit log: every hook decision is then recorded through
# its inbox (one durable file per decision). Create the log the way any first key change does.
"$bin" keys create --dir "$project" >/dev/null

event='{"session_id":"abc123","transcript_path":"/tmp/t.jsonl","cwd":"/home/user/project","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"/home/user/project/src/main.rs"},"tool_use_id":"toolu_01"}'

python3 - "$bin" "$project" "$runs" "$event" <<'PY'
import os, statistics, subprocess, sys, time
bin, project, runs, event = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
cache = os.path.join(project, ".symbi", "cache", "hook-policies")

def time_runs(args, stdin=None, before=None):
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(args, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.9))]

def drop_cache():
    try:
        os.remove(cache)
    except FileNotFoundError:
        pass

evaluate = [bin, "policy", "evaluate", "--dir", project, "--agent", "coding-assistant"]
subprocess.run(evaluate, input=event, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the cache
rows = [
    ("symbi --version", time_runs([bin, "--version"])),
    ("policy evaluate (cache warm)", time_runs(evaluate, event)),
    ("policy evaluate (cold, no cache)", time_runs(evaluate, event, drop_cache)),
]
print(f"{runs} runs each, 100 policies, {bin}")
print(f"{'':34} {'median':>9} {'p90':>9}")
for name, (median, p90) in rows:
    print(f"{name:34} {median:7.2f}ms {p90:7.2f}ms")
PY
