#!/usr/bin/env bash
# Launches this verl job: python3 -m verl.trainer.main_ppo with the overrides of overrides.txt.
# Extra arguments are passed through as more Hydra overrides (they come last, so they win).
set -euo pipefail
cd "$(dirname "$0")"
# siri_verl.py (agent loops, compute_score) is imported by name from this folder.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OVERRIDES=()
while IFS= read -r line || [[ -n "$line" ]]; do
  case "$line" in '' | '#'*) ;; *) OVERRIDES+=("$line") ;; esac
done < overrides.txt
exec python3 -m verl.trainer.main_ppo "${OVERRIDES[@]}" "$@"
