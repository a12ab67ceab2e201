#!/usr/bin/env python3
"""Applies Hydra-style overrides to verl's generated config the way Hydra would, in struct mode.

usage: check_overrides.py GENERATED_YAML OVERRIDES_TXT
Exits 1 naming each override whose key the config lacks (or that adds with `+` a key it has).
Needs OmegaConf (Debian: python3-omegaconf) and PyYAML; Hydra itself is not needed.
"""
import re
import sys

import yaml
from omegaconf import OmegaConf

FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def value(text):
    """A simple Hydra value: numbers, true/false/null, quoted or bare strings, [..], {..}."""
    t = text.strip()
    if t in ("true", "false"):
        return t == "true"
    if t == "null":
        return None
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if FLOAT.match(t):
        return float(t)
    if t.startswith("'") and t.endswith("'"):
        return t[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if t.startswith("[") or t.startswith("{"):
        return yaml.safe_load(t)
    return t


def main(yaml_path, overrides_path):
    cfg = OmegaConf.load(yaml_path)
    OmegaConf.set_struct(cfg, True)
    missing = object()
    errors = []
    for n, raw in enumerate(open(overrides_path, encoding="utf-8"), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, text = line.partition("=")
        plus = key.startswith("+")
        key = key.lstrip("+")
        parent_path, _, leaf = key.rpartition(".")
        parent = OmegaConf.select(cfg, parent_path, default=missing) if parent_path else cfg
        # `in`, not select(): a MISSING (`???`) value such as rollout.name is present but unset.
        present = parent is not missing and OmegaConf.is_config(parent) and leaf in parent.keys()
        if plus and present:
            errors.append(f"{overrides_path}:{n}: +{key}: the config already has this key")
            continue
        if not plus and not present:
            errors.append(f"{overrides_path}:{n}: {key}: not a key of the config (Hydra: Key '{key}' is not in struct)")
            continue
        try:
            OmegaConf.update(cfg, key, value(text), merge=True, force_add=plus)
        except Exception as e:  # a wrong structure: a scalar over a node, say
            errors.append(f"{overrides_path}:{n}: {key}: {e}")
    try:
        OmegaConf.to_container(cfg, resolve=True)
    except Exception as e:
        errors.append(f"resolving interpolations: {e}")
    for e in errors:
        print(e)
    if not errors:
        print(f"ok: every override applies to {yaml_path}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
