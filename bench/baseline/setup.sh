#!/usr/bin/env bash
# Creates bench/baseline/.venv with the Python stack the reference scorer, service and consumer
# use (versions pinned in requirements.txt, from PyPI). The venv is gitignored; re-running is a
# no-op while requirements.txt is unchanged (its hash is kept in the venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -x "$here/.venv/bin/python" ]]; then
  python3 -m venv "$here/.venv"
fi
stamp="$here/.venv/requirements.sha256"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  "$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" >"$stamp"
fi
echo "baseline venv ready: $here/.venv"
