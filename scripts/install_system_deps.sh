#!/usr/bin/env bash
# Debian packages the series uses: Graphviz (model graphs), Fashion-MNIST (offline data),
# Chromium (the slide tests render each deck headless) and npm (fetches reveal.js for the decks).
# Without them the tests skip on a student's machine and fail under CI.
# Installs them when running as root on Debian/Ubuntu; otherwise prints the line to run
# and carries on (the notebooks then fall back to a text graph and Keras' download).
set -euo pipefail
packages=(graphviz dataset-fashion-mnist chromium)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm fetches reveal.js for the offline slide decks; Debian's package only where no npm is on the PATH
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: ${packages[*]} already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: not a Debian/Ubuntu machine; install Graphviz yourself for model graphs."
  echo "  Fashion-MNIST will be downloaded by Keras on first use."
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing: ${missing[*]}. Install them with:"
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  echo "Continuing without them: text model graphs and Keras' download of Fashion-MNIST."
  exit 0
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
