#!/usr/bin/env bash
# Creates bench/baseline/.venv with the Python stack the reference scorer uses (pandas,
# scikit-learn, joblib from PyPI). The venv is gitignored; re-running is a no-op when present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -x "$here/.venv/bin/python" ]]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "baseline venv ready: $here/.venv"
