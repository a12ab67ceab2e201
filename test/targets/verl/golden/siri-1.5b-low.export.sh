#!/usr/bin/env bash
# Merges the named checkpoints of checkpoints.json into Hugging Face folders (verl.model_merger).
set -euo pipefail
cd "$(dirname "$0")"
exec python3 siri_export.py "$@"
