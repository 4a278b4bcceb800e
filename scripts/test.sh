#!/usr/bin/env bash
# Installs dependencies if missing, builds, and runs the whole test suite with CTest.
# Tests that need ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --preset release
