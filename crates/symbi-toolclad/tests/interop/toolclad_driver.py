"""Drive the published `toolclad` Python package for the Rust interop tests.

Reads {"cases": [{"manifest": path, "args": {...}}]} on stdin and prints one JSON result per
case: {"ok": true, "argv": [...]} or {"ok": false, "error": "..."}. Exec manifests go through
`build_command_argv`; template manifests through `build_command` and POSIX `shlex.split`, which
is what the package's executor runs.
"""

import json
import shlex
import sys

import toolclad
from toolclad import executor


def run(case):
    try:
        manifest = toolclad.load_manifest(case["manifest"])
        if manifest.command.exec:
            argv = executor.build_command_argv(manifest, case["args"])
        else:
            argv = shlex.split(executor.build_command(manifest, case["args"]))
        return {"ok": True, "argv": argv}
    except Exception as error:  # every refusal counts as a refusal, whatever its class
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def main():
    request = json.load(sys.stdin)
    results = [run(case) for case in request["cases"]]
    json.dump({"version": toolclad.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
