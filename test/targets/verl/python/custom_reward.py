"""A custom reward for the verl target (a reward's `python_module`): the same rules as
custom_reward.mjs beside it, so that the two runtimes can be compared."""


def compute(x):
    r = x["response"]
    if "BOOL" in r:
        return x["answer"] is not None and x["answer"] in r
    if "DICT" in r:
        return {"score": 0.5, "correct": "right" in r}
    if "NAN" in r:
        return float("nan")
    if "THROW" in r:
        raise ValueError("exploded on purpose")
    return len(r) / 10
