#!/usr/bin/env bash
# Backend test suite (`npm run test:backend`): uv-managed venv in app/backend/.venv (git- and docker-ignored),
# a throwaway PostgreSQL from test/support/postgres.sh, then pytest. Each run creates and drops its own databases.
# Extra arguments go to pytest, e.g. `bash app/backend/scripts/test.sh -k auth`.
set -euo pipefail
backend="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$backend/../.." && pwd)"
# uv must use a Python that is already here: interpreter downloads are not reachable everywhere this runs.
export UV_PYTHON_DOWNLOADS=never

find_uv() {
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  local cached="$HOME/.cache/todo-k8s-kit/uv-venv/bin/uv"
  if [ -x "$cached" ]; then echo "$cached"; return; fi
  echo "test.sh: uv not found; installing it from PyPI" >&2
  if python3 -m pip install --quiet uv >&2 2>/dev/null && command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  # Debian's system Python refuses global pip installs (PEP 668): use a private venv instead.
  python3 -m venv "$HOME/.cache/todo-k8s-kit/uv-venv" >&2 \
    && "$HOME/.cache/todo-k8s-kit/uv-venv/bin/pip" install --quiet uv >&2 \
    && { echo "$cached"; return; }
  echo "test.sh: could not install uv; fix: python3 -m pip install uv (or apt-get install -y python3-venv)" >&2
  exit 1
}
uv=$(find_uv)

cd "$backend"
"$uv" sync --frozen --quiet || {
  echo "test.sh: uv sync failed; needs Python >= 3.11 on PATH (fix: apt-get install -y python3) and PyPI access" >&2
  exit 1
}

TEST_DATABASE_URL=$(bash "$repo/test/support/postgres.sh") || {
  echo "test.sh: PostgreSQL did not start; fix: apt-get install -y postgresql, then bash test/support/postgres.sh" >&2
  exit 1
}
export TEST_DATABASE_URL
# The suite must not pick up a developer's real LLM key or database from the shell.
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_MODEL DATABASE_URL JWKS_URL JWT_ISSUER JWT_AUDIENCE

exec "$backend/.venv/bin/python" -m pytest -p no:cacheprovider "$@"
