"""Stand-in for `python3 -m verl.model_merger merge --backend fsdp --local_dir A --target_dir B`
(verl/model_merger/base_model_merger.py's arguments): checks them and writes B/merged.json."""
import argparse
import json
import os
import sys

p = argparse.ArgumentParser(prog="verl.model_merger")
sub = p.add_subparsers(dest="operation", required=True)
m = sub.add_parser("merge")
m.add_argument("--backend", required=True, choices=["fsdp", "megatron"])
m.add_argument("--local_dir", required=True)
m.add_argument("--target_dir", required=True)
a = p.parse_args()
if not os.path.isdir(a.local_dir):
    sys.exit("no such checkpoint: " + a.local_dir)
os.makedirs(a.target_dir, exist_ok=True)
with open(os.path.join(a.target_dir, "merged.json"), "w") as f:
    json.dump({"backend": a.backend, "local_dir": a.local_dir}, f)
