#!/usr/bin/env bash
# Quick start: installs what is missing, builds (Release), and walks one
# consultation through a local relay. Says plainly which parts are not built yet.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh Release
echo "quickstart: built. The relay and CLI are not built yet; nothing more to walk through."
