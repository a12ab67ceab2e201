"""Test driver: imports siri_verl from the folder given as argv[1] and answers a JSON list of
requests on stdin with a JSON list of results on stdout (one python3 start for many cases)."""
import json
import sys

sys.path.insert(0, sys.argv[1])
import siri_verl  # noqa: E402


def budgets(req):
    job = siri_verl._job()
    return {"budget_at": [siri_verl.budget_at(k) for k in range(1, job.stage["steps"] + 1)], "expanded": siri_verl.expand_phases(job.stage["budget"]["phases"])}


def grade(req):
    got = siri_verl.extract_math_answer(req["response"])
    return {
        "extracted": got,
        "normalized": None if got is None else siri_verl.normalize_math(got),
        "reference": siri_verl.normalize_math(req["reference"]),
        "verdict": got is not None and siri_verl.math_equal(got, req["reference"]),
    }


def score(req):
    try:
        return {"ok": siri_verl.compute_score(req["data_source"], req["solution_str"], req["ground_truth"], req.get("extra_info"))}
    except Exception as e:  # noqa: BLE001 -- reported to the test
        return {"error": "%s: %s" % (type(e).__name__, e)}


def call(req):
    try:
        fn = getattr(siri_verl, req["fn"])
        return {"ok": fn(*req.get("args", []))}
    except Exception as e:  # noqa: BLE001 -- reported to the test
        return {"error": "%s: %s" % (type(e).__name__, e)}


def regex(req):
    """[start, match, group 1] of every match, as JavaScript's matchAll with the `g` flag."""
    try:
        rx = siri_verl.js_regex(req["pattern"], req.get("flags", ""))
        return {"ok": [[m.start(), m.group(0), m.group(1) if rx.groups else None] for m in rx.finditer(req["text"])]}
    except Exception as e:  # noqa: BLE001 -- reported to the test
        return {"error": "%s: %s" % (type(e).__name__, e)}


OPS = {"regex": regex, "budgets": budgets, "grade": grade, "score": score, "call": call}
print(json.dumps([OPS[r["op"]](r) for r in json.load(sys.stdin)]))
