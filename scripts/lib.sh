# shellcheck shell=bash
# What scripts/demo and scripts/test share: messages, root commands, Debian packages, WordNet and
# the Python 3.11 .venv. Sourced (not run) from the repository root, after `set -Eeuo pipefail`:
#
#   cd "$(dirname "${BASH_SOURCE[0]}")/.."
#   source scripts/lib.sh
#
# Sets ROOT (the repository) and VENV (its .venv); messages name the calling script.

ROOT=$PWD
VENV=$ROOT/.venv
SCRIPT_NAME=scripts/$(basename "$0")

# --- Messages ---------------------------------------------------------------------------------
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
  warn "$*"
  exit 1
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root to run: $* (install sudo or run this as root)"
  fi
}

# --- System packages --------------------------------------------------------------------------
APT_UPDATED=
apt_install() {
  if ! command -v apt-get >/dev/null; then
    die "missing system packages: $* (no apt-get here; install them by hand)"
  fi
  say "Installing system packages: $*"
  if [[ -z $APT_UPDATED ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# Each argument is "package" or "package:command"; a package counts as present when dpkg knows it
# or, for the second form, when the command exists (e.g. a client installed some other way).
ensure_packages() {
  local spec package cmd missing=()
  for spec in "$@"; do
    package=${spec%%:*}
    cmd=
    [[ $spec == *:* ]] && cmd=${spec#*:}
    if [[ -n $cmd ]] && command -v "$cmd" >/dev/null; then
      continue
    fi
    if command -v dpkg >/dev/null && dpkg -s "$package" 2>/dev/null | grep -q '^Status: .* installed$'; then
      continue
    fi
    missing+=("$package")
  done
  if ((${#missing[@]})); then
    apt_install "${missing[@]}"
  fi
}

# WordNet 3.0 from Debian, which nltk reads (labeling/taxonomy/wordnet.py prepares it as a corpus)
# to build the taxonomy fixture. Loading the committed fixture does not need it.
WORDNET_PACKAGES=(wordnet-base wordnet-sense-index)

# --- Python virtualenv ------------------------------------------------------------------------
venv_is_usable() {
  [[ -x $VENV/bin/python ]] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

ensure_venv() {
  if venv_is_usable; then
    return
  fi
  local python=${PYTHON:-python3.11}
  command -v "$python" >/dev/null ||
    die "$python not found. Install Python 3.11 (Debian 12: sudo apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11."
  "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    die "$python is not Python 3.11 ($("$python" -V 2>&1)); set PYTHON=/path/to/python3.11."
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian ships venv/ensurepip separately from the interpreter.
    apt_install python3.11-venv
  fi
  if [[ -e $VENV ]]; then
    say "Recreating $VENV (it is not a working Python 3.11 virtualenv)"
    rm -rf "$VENV"
  fi
  say "Creating $VENV with $("$python" -V 2>&1)"
  "$python" -m venv "$VENV"
}

# Install a requirements file unless the same file set was already installed into this .venv.
ensure_requirements() {
  local file=$1 stamp digest
  stamp=$VENV/.installed-$(basename "$file").sha256
  # requirements-dev.txt includes requirements.txt, so both are hashed.
  digest=$(cat "$file" requirements.txt | sha256sum | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$digest" ]]; then
    return
  fi
  say "Installing $file into .venv"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$file"
  echo "$digest" >"$stamp"
  # requirements.txt is installed now too (requirements-dev.txt includes it): scripts/demo need
  # not install it again.
  digest=$(cat requirements.txt requirements.txt | sha256sum | cut -d' ' -f1)
  echo "$digest" >"$VENV/.installed-requirements.txt.sha256"
}
