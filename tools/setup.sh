#!/bin/sh
# Installs what the example and the tests need, idempotently; run by
# `deno task example` and `deno task test` (and so by .ci/run).
#
# - .venv/ at the top of the repository: a virtualenv whose python can import
#   `fire`, which the example steps and the tests use.
# - tmux (tests only, `setup.sh --test`): the tests drive the interactive
#   dialog through a real pseudo terminal with it.
# - zsh and fish (tests only): the completion scripts are loaded by the real
#   shells. Where apt cannot install them, those two tests skip and say why.
# - python3-prometheus-client (tests only): a real Prometheus text-format
#   parser reads the metrics file crude-link writes.
# - chromium (`setup.sh --browser`, and with --test): Debian's headless
#   browser, in which the dashboard's tests (`crude-link serve`) open the page
#   through npm:playwright-core. Where apt cannot install it, those tests skip
#   and say why.
#
# Where fire comes from, first that works: an interpreter that already has it
# (python3 on PATH, then /usr/bin/python3); Debian's python3-fire package
# (apt-get, as root or with sudo); pip install --user fire.
set -u
cd "$(dirname "$0")/.." || exit 1
venv=.venv

has_fire() { "$1" -c 'import fire' >/dev/null 2>&1; }

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "setup: installing Debian's $*" >&2
  $sudo apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$@" >/dev/null 2>&1; }
}

want_test=false
want_browser=false
for arg in "$@"; do
  case "$arg" in
    --test) want_test=true; want_browser=true ;;
    --browser) want_browser=true ;;
  esac
done

if $want_test && ! command -v tmux >/dev/null 2>&1; then
  apt_install tmux || echo "setup: tmux is missing and could not be installed; the terminal tests will skip" >&2
fi

for shell in zsh fish; do
  if $want_test && ! command -v "$shell" >/dev/null 2>&1; then
    apt_install "$shell" || echo "setup: $shell is missing and could not be installed; its completion test will skip" >&2
  fi
done

if $want_test && ! /usr/bin/python3 -c 'import prometheus_client.parser' >/dev/null 2>&1 &&
  ! python3 -c 'import prometheus_client.parser' >/dev/null 2>&1; then
  apt_install python3-prometheus-client ||
    echo "setup: Python's prometheus_client is missing and could not be installed; the metrics parser tests will skip" >&2
fi

if $want_browser && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium ||
    echo "setup: chromium is missing and could not be installed; the dashboard's browser tests will skip" >&2
fi

if [ -x "$venv/bin/python" ] && has_fire "$venv/bin/python"; then
  exit 0
fi

find_base() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && has_fire "$py"; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

base=$(find_base)
if [ -z "$base" ] && apt_install python3-fire; then
  base=$(find_base)
fi
if [ -z "$base" ] && command -v python3 >/dev/null 2>&1; then
  echo "setup: installing fire with pip" >&2
  python3 -m pip install --user --quiet fire >/dev/null 2>&1
  base=$(find_base)
fi
if [ -z "$base" ]; then
  echo "setup: no Python with the 'fire' package found, and it could not be installed." >&2
  echo "  Install it (apt-get install python3-fire, or pip install fire) and run this again." >&2
  exit 1
fi

rm -rf "$venv"
"$base" -m venv --system-site-packages --without-pip "$venv" || exit 1
if ! has_fire "$venv/bin/python"; then
  echo "setup: $venv was made from $base but cannot import fire" >&2
  exit 1
fi
echo "setup: $venv uses $base (with fire)" >&2
