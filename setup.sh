#!/usr/bin/env bash
# Set up derivgen in this clone: system packages (TeX for PDFs, Node.js to check
# statement math with KaTeX, Chromium for the HTML tests; KaTeX itself is vendored
# in derivgen/render/katex), a virtual
# environment in .venv, derivgen itself.
# Idempotent: when everything is present it only checks, in about a second.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have latexmk || missing+=(latexmk)
if ! have pdflatex || ! kpsewhich exam.cls >/dev/null 2>&1; then missing+=(texlive-latex-extra); fi
have pdftotext || missing+=(poppler-utils)
# Node runs the vendored KaTeX that checks statement math at load (without it: a weaker check).
have node || have nodejs || missing+=(nodejs)
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
have jekyll || missing+=(jekyll)  # the example course site's Jekyll build (tests/test_sites.py)
browser=()
have chromium || have chromium-browser || browser=(chromium)

install_packages() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then sudo="sudo"; else return 1; fi
  fi
  have apt-get || return 1
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if ! install_packages "${missing[@]}"; then
    echo "setup: please install: apt-get install -y ${missing[*]}" >&2
    echo "setup: (without TeX derivgen skips PDFs)" >&2
  fi
fi
if [ ${#browser[@]} -gt 0 ]; then
  # Only the HTML tests use a browser; they are skipped without one.
  install_packages chromium 2>/dev/null || echo "setup: no chromium: the HTML rendering tests will be skipped" >&2
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the dependencies changed.
stamp=.venv/.derivgen-setup
want="$(sha256sum pyproject.toml setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! .venv/bin/python -c "import derivgen" 2>/dev/null; then
  echo "setup: installing derivgen and its test dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]' mkdocs-material
  echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/derivgen)"
