# Sourced by scripts/bench and scripts/test: make ./.venv (Python 3.11, 3.12 or 3.13) with the
# project and its locked dependencies, reinstalling only when pyproject.toml or requirements.lock
# changed. Python 3.11 is taken first when present (the lock was resolved and the benchmark
# measured on it); DEEPLOCALIZE_PYTHON=python3.13 picks another supported interpreter.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DEEPLOCALIZE_VENV:-$ROOT/.venv}"
SUPPORTED='import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'
pyver() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
PY=""
for candidate in ${DEEPLOCALIZE_PYTHON:-} python3.11 python3.12 python3.13 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$SUPPORTED" 2>/dev/null; then
    PY="$candidate"; break
  fi
done
WANTED="${DEEPLOCALIZE_PYTHON:-}"
if [ -z "$PY" ] || { [ -n "$WANTED" ] && [ "$PY" != "$WANTED" ]; }; then
  echo "deeplocalize: Python 3.11, 3.12 or 3.13 is required" \
       "(${DEEPLOCALIZE_PYTHON:-python3.11 / python3.12 / python3.13 / python3} not found or not" \
       "one of them)" >&2
  exit 2
fi
PYVER="$(pyver "$PY")"
STAMP="$VENV/.deeplocalize-stamp"
WANT="$({ cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock"; echo "python $PYVER"; } |
        sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "deeplocalize: setting up $VENV with Python $PYVER (first run takes a few minutes)" >&2
  CLEAR=()  # a venv of another Python version is rebuilt from scratch
  if [ -x "$VENV/bin/python" ] && [ "$(pyver "$VENV/bin/python")" != "$PYVER" ]; then
    CLEAR=(--clear)
  fi
  "$PY" -m venv "${CLEAR[@]}" "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c "$ROOT/requirements.lock" -e "$ROOT[test,ray]"
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
cd "$ROOT"
