"""Merges the pipeline's named checkpoints of a finished verl run into Hugging Face folders.

    python3 siri_export.py [OUT] [--only NAME]... [--dry-run] [--local-dir DIR]

For each checkpoint in checkpoints.json (siric's names: SIRI-low/high phase ends, periodic ones,
the stage end) it runs

    python3 -m verl.model_merger merge --backend fsdp --local_dir <local_dir>/global_step_N/actor --target_dir <OUT>/<name>

OUT defaults to exports/ (relative to the working folder). <local_dir> is checkpoints.json's
`local_dir` (verl's trainer.default_local_dir), relative to the job folder unless --local-dir
says where the checkpoints lie now. A checkpoint that is not there is skipped with a message,
and the exit status is then 1. Standard library only; verl is needed only by the merge itself.
The job folder is $SIRI_JOB_DIR when set, else the folder of this file.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys


def job_dir():
    return os.environ.get("SIRI_JOB_DIR") or os.path.dirname(os.path.abspath(__file__))


def load_checkpoints(folder):
    path = os.path.join(folder, "checkpoints.json")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if data.get("version") != 1:
        raise SystemExit("%s: version %r, this script reads version 1" % (path, data.get("version")))
    return data


def merge_command(python, actor_dir, target_dir):
    return [python, "-m", "verl.model_merger", "merge", "--backend", "fsdp", "--local_dir", actor_dir, "--target_dir", target_dir]


def main(argv=None):
    p = argparse.ArgumentParser(prog="siri_export.py", description="Merge the named checkpoints of this verl job into Hugging Face folders with verl.model_merger.")
    p.add_argument("out", nargs="?", default="exports", help="where the merged folders go, one per checkpoint name (default: exports)")
    p.add_argument("--only", action="append", metavar="NAME", help="export only this checkpoint (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.add_argument("--local-dir", metavar="DIR", help="where the run's global_step_N folders are (default: checkpoints.json's local_dir, relative to the job folder)")
    a = p.parse_args(argv)

    folder = job_dir()
    data = load_checkpoints(folder)
    checkpoints = data["checkpoints"]
    names = [c["name"] for c in checkpoints]
    if a.only:
        unknown = [n for n in a.only if n not in names]
        if unknown:
            print("siri_export: no checkpoint named %s; the checkpoints: %s" % (", ".join(unknown), ", ".join(names)), file=sys.stderr)
            return 2
        checkpoints = [c for c in checkpoints if c["name"] in a.only]
    local = a.local_dir or data["local_dir"]
    if not os.path.isabs(local) and not a.local_dir:
        local = os.path.join(folder, local)

    missing = 0
    for c in checkpoints:
        actor = os.path.normpath(os.path.join(local, c["dir"]))
        target = os.path.join(a.out, c["name"])
        cmd = merge_command(sys.executable or "python3", actor, target)
        label = "%s (step %d%s)" % (c["name"], c["step"], ", SIRI-%s" % c["siri"] if c.get("siri") else "")
        if a.dry_run:
            print(" ".join(shlex.quote(x) for x in cmd))
            continue
        if not os.path.isdir(actor):
            print("siri_export: skipping %s: no checkpoint at %s (did the run reach step %d, and is --local-dir right?)" % (label, actor, c["step"]), file=sys.stderr)
            missing += 1
            continue
        print("siri_export: %s -> %s" % (label, target), flush=True)
        r = subprocess.run(cmd)
        if r.returncode != 0:
            print("siri_export: the merge of %s failed (exit %d): %s" % (label, r.returncode, " ".join(shlex.quote(x) for x in cmd)), file=sys.stderr)
            return r.returncode
    if missing:
        print("siri_export: %d of %d checkpoints were not there and were not exported" % (missing, len(checkpoints)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
