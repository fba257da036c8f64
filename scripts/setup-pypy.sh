#!/usr/bin/env bash
# Installs PyPy (Python 3.9) from Debian's packages, to run withstand against it:
#   scripts/setup-pypy.sh && withstand run --python pypy3 --messages types
set -euo pipefail
if command -v pypy3 >/dev/null 2>&1; then
    echo "setup-pypy: $(pypy3 --version 2>&1 | tail -1) present"
    exit 0
fi
apt-get update -qq
apt-get install -y -qq pypy3
pypy3 --version
