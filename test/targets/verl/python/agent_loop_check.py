"""Runs siri_verl's agent loops on the verl stand-in (stubs/ on PYTHONPATH) as verl's
AgentLoopWorker does: the class found from its `_target_`, instantiated with verl's kwargs plus the
YAML entry's, then `await loop.run(sampling_params, **row_fields)`. Prints what it saw as JSON."""
import asyncio
import importlib
import json
import pickle
import sys
import types

sys.path.insert(0, sys.argv[1])
from verl.experimental.agent_loop.agent_loop import DictConfigWrap  # noqa: E402

EOS = 2


def locate(target):
    """hydra.utils's _locate: import the module, then the attribute (siri_verl's __getattr__)."""
    mod, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(mod), name)


class Tokenizer:
    eos_token_id = EOS

    def apply_chat_template(self, messages):
        return [7] * len(messages[0]["content"])


class Server:
    """Each prompt says how long its answer is and whether it ends with EOS: 'len=N eos'."""

    def __init__(self):
        self.seen = []

    async def generate(self, request_id, prompt_ids, sampling_params, priority=0, **kw):
        self.seen.append({"sampling_params": dict(sampling_params), "priority": priority})
        want = self.want
        n = min(want["len"], sampling_params["max_tokens"])
        ids = [5] * n
        if want["eos"] and n == want["len"] and n > 0:
            ids[-1] = EOS
        return types.SimpleNamespace(token_ids=ids, log_probs=None, extra_fields={"from_server": 1}, stop_reason="completed", num_preempted=0)


def make(target, **yaml_kwargs):
    rollout = types.SimpleNamespace(response_length=100000, prompt_length=4096)
    config = types.SimpleNamespace(actor_rollout_ref=types.SimpleNamespace(rollout=rollout), data=types.SimpleNamespace())
    server = Server()
    # verl instantiates the YAML entry itself ({name, _target_, kwargs}): `name` arrives as a kwarg too.
    loop = locate(target)(trainer_config=DictConfigWrap(config), server_manager=server, tokenizer=Tokenizer(), processor=None, dataset_cls=None, data_config=DictConfigWrap(config.data), tools=None, **yaml_kwargs)
    return loop, server


async def run_one(target, want, row, yaml_kwargs=None):
    loop, server = make(target, **(yaml_kwargs or {}))
    server.want = want
    params = {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 5}
    out = await loop.run(params, raw_prompt=[{"role": "user", "content": "q"}], **row)
    return {"seen": server.seen, "caller_params": params, "response_len": len(out.response_ids), "extra_fields": out.extra_fields}


async def main():
    req = json.load(sys.stdin)
    res = {"runs": []}
    for r in req["runs"]:
        try:
            res["runs"].append({"ok": await run_one(r["target"], r["want"], r["row"], r.get("yaml", {"name": "siri_budget"}))})
        except Exception as e:  # noqa: BLE001 -- reported to the test
            res["runs"].append({"error": "%s: %s" % (type(e).__name__, e)})
    import siri_verl

    cls = siri_verl.SiriBudgetAgentLoop
    res["module"] = cls.__module__
    res["pickles"] = pickle.loads(pickle.dumps(cls)) is cls
    res["eval_is_single_turn"] = [b.__name__ for b in siri_verl.SiriEvalAgentLoop.__mro__[1:2]]
    print(json.dumps(res))


asyncio.run(main())
