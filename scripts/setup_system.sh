#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when they are missing (idempotent).
# Runs as root on the project's machines; elsewhere it uses sudo if available.
set -euo pipefail
need=()
# command -> Debian package
declare -A pkgs=(
  [tesseract]=tesseract-ocr
  [chromium]=chromium
)
# Optional arguments name the commands to ensure (default: all of them).
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${!pkgs[@]}")
for cmd in "${wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || need+=("${pkgs[$cmd]}")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
