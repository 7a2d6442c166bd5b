#!/usr/bin/env bash
# Runs every test: Rust unit, property and end-to-end tests, the official Python SDK against the
# real binary, and a smoke run of the benches. Installs what the tests need (a Python venv with
# the pinned SDK) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/symbi/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "==> Python venv for the SDK interop tests"
venv="${SYMBI_TEST_VENV:-$HOME/.cache/symbi/interop-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r sdk-interop/requirements.txt

# Rust interop tests drive the published Python packages through this interpreter.
export SYMBI_TEST_PYTHON="$venv/bin/python"

echo "==> cargo test (unit, property, end-to-end)"
cargo test --workspace --all-targets

echo "==> doc tests"
cargo test --workspace --doc

echo "==> symbiont-sdk $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("symbiont-sdk"))') against the real binary"
cargo build --quiet -p symbi
SYMBI_BIN="$CARGO_TARGET_DIR/debug/symbi" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
    -W ignore::DeprecationWarning sdk-interop
