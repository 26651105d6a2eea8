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
