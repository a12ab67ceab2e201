"""siric's extension module for a verl job (written by `siric compile FILE --target verl`).

It gives verl what it lacks for SIRI: a rollout budget that changes per step, and the pipeline's
own rewards. Standard library only at import; verl is imported only when an agent-loop class is
first looked up (PEP 562 `__getattr__`), so `import siri_verl` works anywhere.

- `budget_at(step)`: the budget of a training step, computed from graph.json's schedule (a port
  of src/ir/schedule.ts) and checked at load against siri_budget.json.
- `compute_score(...)`: verl's custom reward function (`reward.custom_reward_function.name`):
  the stage's rewards with the semantics of src/runtime/rewards/, returning `score` and `acc`.
- `SiriBudgetAgentLoop` / `SiriEvalAgentLoop`: single-turn agent loops that set `max_tokens`
  from the schedule (train) or a fixed cap (eval), and record the budget, the response length and
  whether it was cut off in `extra_fields` (verl merges them into the reward's `extra_info`).

The job folder is `$SIRI_JOB_DIR` when set, else the folder of this file.
"""

import importlib.util
import json
import math
import os
import re
import sys

__all__ = ["budget_at", "compute_score", "job_dir", "SiriBudgetAgentLoop", "SiriEvalAgentLoop"]

# ---------------------------------------------------------------- the job folder


class SiriJobError(Exception):
    """The job folder is missing a file or its files disagree."""


def job_dir():
    return os.environ.get("SIRI_JOB_DIR") or os.path.dirname(os.path.abspath(__file__))


def _read_json(name):
    path = os.path.join(job_dir(), name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise SiriJobError(
            "%s not found in the job folder %s (set SIRI_JOB_DIR to the folder `siric compile --target verl` wrote)" % (name, job_dir())
        ) from None


class _Job:
    """graph.json, siri_job.json and siri_budget.json, read and cross-checked once."""

    def __init__(self):
        self.graph = _read_json("graph.json")
        self.spec = _read_json("siri_job.json")
        self.nodes = {n["id"]: n for n in self.graph["nodes"]}
        name = self.spec["stage"]
        stages = [n for n in self.graph["nodes"] if n["type"] == "train" and (n["name"] == name or n["id"] == name)]
        if len(stages) != 1:
            raise SiriJobError("siri_job.json names the stage %r, but graph.json has %d train stages of that name" % (name, len(stages)))
        self.stage = stages[0]
        if self.stage["algorithm"] != "grpo":
            raise SiriJobError("stage %r is %s, not a GRPO stage" % (name, self.stage["algorithm"]))
        if self.spec.get("steps") != self.stage["steps"]:
            raise SiriJobError("siri_job.json says %r steps, graph.json's stage %r has %d" % (self.spec.get("steps"), name, self.stage["steps"]))
        self.by_step = expand_phases(self.stage["budget"]["phases"])[0]
        self._check_budget_file(_read_json("siri_budget.json"))

    def _check_budget_file(self, table):
        """The compiled table must be the schedule's own: a mismatch means a stale or edited file."""
        want = table.get("by_step", [])
        if len(want) != len(self.by_step):
            raise SiriJobError("siri_budget.json has %d steps, the schedule in graph.json %d" % (len(want), len(self.by_step)))
        for i, (a, b) in enumerate(zip(self.by_step, want)):
            if a != b:
                raise SiriJobError("siri_budget.json disagrees with the schedule in graph.json at step %d: %r there, %d computed" % (i + 1, b, a))


_JOB = None


def _job():
    global _JOB
    if _JOB is None:
        _JOB = _Job()
    return _JOB


# ---------------------------------------------------------------- the schedule (src/ir/schedule.ts)


def _js_round(v):
    """Math.round: the nearest integer, halves up (Python's round() goes to even)."""
    r = math.floor(v)
    return r + 1 if v - r >= 0.5 else r


def curve_at(curve, k, n):
    """Port of curveAt (src/ir/schedule.ts): the budget at step k (0-based) of a phase of n steps."""
    u = 1.0 if n <= 1 else k / (n - 1)
    kind, a, b = curve["kind"], curve["from"], curve["to"]
    v = a
    if kind == "linear":
        v = a + (b - a) * u
    elif kind == "cosine":
        v = b + ((a - b) * (1 + math.cos(math.pi * u))) / 2
    elif kind != "constant":
        raise SiriJobError("unknown curve kind %r" % kind)
    return max(1, int(_js_round(v)))


def expand_phases(phases):
    """Port of expandPhases (src/ir/schedule.ts): (by_step, phase_by_step) of phases in order."""
    by_step, phase_by_step = [], []
    for index, p in enumerate(phases):
        for k in range(p["steps"]):
            by_step.append(curve_at(p["curve"], k, p["steps"]))
            phase_by_step.append(index)
    return by_step, phase_by_step


def budget_at(step):
    """The rollout budget (max new tokens) of training step `step`: 1-based, verl's global_steps."""
    table = _job().by_step
    step = int(step)
    if not 1 <= step <= len(table):
        raise ValueError("step %d is outside the stage's %d steps (global_steps counts from 1)" % (step, len(table)))
    return table[step - 1]


# ---------------------------------------------------------------- JavaScript semantics


# JavaScript's \s (and what String.prototype.trim removes).
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_WS_CHARS = "\t\n\v\f\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_EOL = "\\n\\r\\u2028\\u2029"
_PASS_ESCAPES = set("dDwWbBnrtfv0123456789")


def js_trim(s):
    return s.strip(_JS_WS_CHARS)


def js_utf16_len(s):
    return len(s) + sum(1 for c in s if ord(c) > 0xFFFF)


def _js_class(src, i):
    """Translates the class that starts at src[i] == '['; returns (python_text, index after it)."""
    j = i + 1
    neg = j < len(src) and src[j] == "^"
    if neg:
        j += 1
    items, not_ws = [], False
    while j < len(src) and src[j] != "]":
        c = src[j]
        if c == "\\" and j + 1 < len(src):
            e = src[j + 1]
            j += 2
            if e == "s":
                items.append(_JS_WS)
            elif e == "S":
                not_ws = True
            elif e in _PASS_ESCAPES or e in "xuc":
                if e == "c" and j < len(src) and src[j].isalpha():
                    items.append("\\x%02x" % (ord(src[j]) % 32))
                    j += 1
                else:
                    items.append("\\" + e)
            elif e.isalpha():
                items.append(e)
            else:
                items.append("\\" + e)
            continue
        items.append("\\" + c if c in "[&~|" else c)
        j += 1
    if j >= len(src):
        raise re.error("unterminated character class")
    body = "".join(items)
    if not_ws:  # [..\S..]: Python's \S is ASCII-only here, so spell it out
        inner = "[%s]" % body if body else "(?!)"
        out = "(?:(?!%s)[%s])" % (inner, _JS_WS) if neg else "(?:%s|[^%s])" % (inner, _JS_WS)
    elif body == "":
        out = "[\\s\\S]" if neg else "(?!)"
    else:
        out = "[%s%s]" % ("^" if neg else "", body)
    return out, j + 1


_QUANT = re.compile(r"\{\d+(,\d*)?\}")


def js_regex(src, flags=""):
    """A JavaScript regular expression (no `u` flag) as a compiled Python one with the same matches.

    Handled: \\s and `.` (JavaScript's sets), ^ and $ (and the `m` flag's line ends), `i`, named
    groups, \\k<name>, [^] and [], escapes of letters JavaScript reads as the letter, `{` that is
    not a quantifier. \\d \\w \\b are ASCII in both (re.ASCII). Not handled: astral characters
    count as two in JavaScript, one here; variable-width lookbehind (Python refuses it).
    """
    multiline, dotall = "m" in flags, "s" in flags
    out, i = [], 0
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            e = src[i + 1]
            i += 2
            if e == "s":
                out.append("[%s]" % _JS_WS)
            elif e == "S":
                out.append("[^%s]" % _JS_WS)
            elif e == "k" and i < len(src) and src[i] == "<":
                end = src.index(">", i)
                out.append("(?P=%s)" % src[i + 1 : end])
                i = end + 1
            elif e == "c" and i < len(src) and src[i].isalpha():
                out.append("\\x%02x" % (ord(src[i]) % 32))
                i += 1
            elif e in _PASS_ESCAPES or e in "xu":
                out.append("\\" + e)
            elif e.isalpha():
                out.append(e)
            else:
                out.append("\\" + e)
        elif c == "[":
            text, i = _js_class(src, i)
            out.append(text)
        elif c == "(" and src.startswith("(?<", i) and not src.startswith("(?<=", i) and not src.startswith("(?<!", i):
            out.append("(?P<")
            i += 3
        elif c == ".":
            out.append("(?s:.)" if dotall else "[^%s]" % _JS_EOL)
            i += 1
        elif c == "^":
            out.append("(?<![^%s])" % _JS_EOL if multiline else "^")
            i += 1
        elif c == "$":
            out.append("(?=[%s]|\\Z)" % _JS_EOL if multiline else "\\Z")
            i += 1
        elif c == "{" and not _QUANT.match(src, i):
            out.append("\\{")
            i += 1
        else:
            out.append(c)
            i += 1
    return re.compile("".join(out), re.ASCII | (re.IGNORECASE if "i" in flags else 0))


class RangeError(ArithmeticError):
    """What JavaScript throws for BigInt(Infinity) and the like."""


def _to_float(n):
    """Number(bigint): correctly rounded, ±Infinity past the double range."""
    try:
        return float(n)
    except OverflowError:
        return math.inf if n > 0 else -math.inf


def js_div(a, b):
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _is_odd_integer(y):
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2) != 0


def js_pow(x, y):
    """JavaScript's `x ** y` on numbers: NaN or ±Infinity where Python would raise or go complex."""
    if math.isnan(y):
        return math.nan
    if y == 0:
        return 1.0
    if math.isnan(x) or (abs(x) == 1 and math.isinf(y)):
        return math.nan
    try:
        return math.pow(x, y)
    except ValueError:
        if x == 0:  # 0 ** negative
            return -math.inf if (math.copysign(1.0, x) < 0 and _is_odd_integer(y)) else math.inf
        return math.nan  # negative ** non-integer
    except OverflowError:
        return -math.inf if (x < 0 and _is_odd_integer(y)) else math.inf


def _cbrt(v):
    if hasattr(math, "cbrt"):
        return math.cbrt(v)
    if v == 0 or not math.isfinite(v):
        return v
    return math.copysign(abs(v) ** (1.0 / 3.0), v)


# ---------------------------------------------------------------- where the answer is (grader/extract.ts)

_CODE_BLOCK = js_regex(r"```[\s\S]*?(?:```|$)")
_CODE_SPAN = js_regex(r"`[^`\n]*`")
_BOX = js_regex(r"\\(?:boxed|fbox)(?![A-Za-z])")
_TOKEN = js_regex(r"[^\s$]+")


def without_code(s):
    """Port of withoutCode (grader/extract.ts)."""
    return _CODE_SPAN.sub(" ", _CODE_BLOCK.sub(" ", s))


def _brace_matches(s):
    close, opened, i = {}, [], 0
    while i < len(s):
        if s[i] == "\\":
            i += 2  # `\{` and `\}` are literal braces
            continue
        if s[i] == "{":
            opened.append(i)
        elif s[i] == "}" and opened:
            close[opened.pop()] = i
        i += 1
    return close


def all_boxed(s):
    """Port of allBoxed (grader/extract.ts): every complete \\boxed{...} / \\fbox{...} and `\\boxed 5`."""
    found, braces = [], None
    for m in _BOX.finditer(s):
        i = m.end()
        while i < len(s) and s[i] == " ":
            i += 1
        if i < len(s) and s[i] == "{":
            if braces is None:
                braces = _brace_matches(s)
            end = braces.get(i)
            if end is not None:
                found.append(s[i + 1 : end])
        elif i > m.end():
            tok = _TOKEN.match(s, i)
            if tok:
                found.append(tok.group(0))
    return found


def last_boxed(s):
    """Port of lastBoxed (grader/extract.ts)."""
    boxes = [b for b in all_boxed(s) if js_trim(b) != ""]
    return boxes[-1] if boxes else None


_LABELS = [
    js_regex(r"\banswer[ \t*]*:[ \t*]*(?:\n[ \t]*)*([^\n]+)", "gi"),
    js_regex(r"\banswer\s+is[ \t]*(?::[ \t]*)?([^\n]+)", "gi"),
    js_regex(r"^#{4}[ \t]*([^\n]+)", "gm"),
]
_BOLD_ENDS = js_regex(r"^\*\*|\*\*$", "g")
_MATH_SPAN = js_regex(r"^(?:\$\$?([^$]+)\$\$?|\\\((.+?)\\\)|\\\[(.+?)\\\])")
_PHRASE_END = js_regex(r"\.(?=\s|$)|[,;]?\s+(?:since|because|as|which|so|and\s+(?:the|this|that|it))\b|\s+I\s+hope\b", "i")


def labelled_answer(s, depth=0):
    """Port of labelledAnswer (grader/extract.ts): the text after the last answer label, or None."""
    best = None
    for rx in _LABELS:
        for m in rx.finditer(s):
            if best is None or m.start() > best[0]:
                best = (m.start(), m.group(1))
    if best is None:
        return None
    inner = labelled_answer(best[1], depth + 1) if depth < 2 else None
    return inner if inner is not None else _answer_phrase(best[1])


def _answer_phrase(text):
    t = js_trim(_BOLD_ENDS.sub("", js_trim(text)))
    m = _MATH_SPAN.search(t)
    if m:
        return js_trim(next(g for g in m.groups() if g is not None))
    t = _PHRASE_END.split(t)[0]
    t = js_trim(t.replace("**", ""))
    return None if t == "" else t


# ---------------------------------------------------------------- normalisation (grader/normalize.ts)

MAX_ANSWER = 2000
_TEXT = js_regex(r"\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mathrm|mathbf|mathit|mathsf|mathtt|mbox|operatorname)\s*\{([^{}]*)\}", "g")
_WORD = r"[A-Za-z]+(?:\s*\^\s*\{?\d\}?)?(?:\/[A-Za-z]+)?"
_UNIT = js_regex(r"^([-+]?\d[\d.,]*(?:\s*\\(?:times|cdot)\s*10\^(?:\{-?\d+\}|-?\d))?)\s+" + _WORD + r"(?:\s+" + _WORD + r"){0,2}$")


_RX = {}


def _rx(pattern, flags=""):
    key = (pattern, flags)
    if key not in _RX:
        _RX[key] = js_regex(pattern, flags)
    return _RX[key]


def _replace(s, pattern, repl, flags="g"):
    """String.prototype.replace with a regex literal: all matches with `g`, else the first."""
    return _rx(pattern, flags).sub(repl, s, count=0 if "g" in flags else 1)


def _g(n):
    return lambda m: m.group(n) or ""


def _repeating(m):
    i, a, b = m.group(1), m.group(2), m.group(3)
    whole = int(i + a + b) - int((i + a) or "0")
    den = 10 ** len(a) * (10 ** len(b) - 1)
    return "\\frac{%d}{%d}" % (whole, den)


def normalize_math(inp):
    """Port of normalizeMath (grader/normalize.ts): a canonical spelling of an answer."""
    s = js_trim(inp)
    if js_utf16_len(s) > MAX_ANSWER:
        return s
    boxed = last_boxed(s)
    if boxed is not None and _rx(r"^\\(?:boxed|fbox)").search(s):
        s = boxed
    s = _replace(s, "[\u2212\u2012\u2013\u2014\ufe63\uff0d]", "-")
    s = _replace(s, "\u221e", lambda m: "\\infty ")
    s = _replace(s, "\u00d7", lambda m: "\\times ")
    s = _replace(s, "[\u00b7\u22c5]", lambda m: "\\cdot ")
    s = _replace(s, "\u00b1", lambda m: "\\pm ")
    s = _replace(s, "\u221a", lambda m: "\\sqrt")
    s = _replace(s, r"(?<!\\)\\[!,;: ]", "")
    s = _replace(s, r"\\q?quad(?![A-Za-z])", " ")
    s = _replace(s, r"\\(?:displaystyle|textstyle)(?![A-Za-z])", "")
    s = _replace(s, r"\\[dt]frac(?![A-Za-z])", lambda m: "\\frac")
    s = _replace(s, r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\.?", "")
    s = _replace(s, r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\u00b0|\\degree(?![A-Za-z])", "")
    s = _replace(s, r"\\?\$", "")
    s = _replace(s, r"\\?%", "")
    s = js_trim(_TEXT.sub(lambda m: " %s " % m.group(1), _TEXT.sub(lambda m: " %s " % m.group(1), s)))
    s = _UNIT.sub(_g(1), s, count=1)
    s = _replace(s, r"\{,\}", ",")
    if _rx(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$").search(s):
        s = s.replace(",", "")
    s = _replace(s, r"\s+(?:or|and)\s+", ",", "gi")
    s = _replace(s, r"\\(sqrt|frac)\s+", lambda m: "\\" + m.group(1))
    s = _replace(s, r"(\\[A-Za-z]+)\s+(?=[A-Za-z])", lambda m: m.group(1) + "\u0001")
    s = _replace(_replace(s, r"\s+", "").replace("\u0001", " "), r"\.$", "", "")
    s = _replace(s, r"^[A-Za-z]\\in(?![A-Za-z])", "", "")
    s = _replace(s, r"(^|[,(\[{=])\+\\infty", lambda m: m.group(1) + "\\infty")
    if _rx(r"^(?:infinity|inf)$", "i").search(s):
        s = "\\infty"
    s = _replace(s, r"\\frac([0-9A-Za-z])([0-9A-Za-z])", lambda m: "\\frac{%s}{%s}" % (m.group(1), m.group(2)))
    s = _replace(s, r"\\frac(\{[^{}]*\})([0-9A-Za-z])", lambda m: "\\frac%s{%s}" % (m.group(1), m.group(2)))
    s = _replace(s, r"\\frac([0-9A-Za-z])\{", lambda m: "\\frac{%s}{" % m.group(1))
    s = _replace(s, r"\\sqrt([0-9A-Za-z])", lambda m: "\\sqrt{%s}" % m.group(1))
    s = _replace(s, r"\^\{([^{}])\}", lambda m: "^" + m.group(1))
    s = _replace(s, r"(\d{0,40})\.(\d{0,40})\\overline\{(\d{1,40})\}", _repeating)
    s = _replace(s, r"(^|[-+,(\[{=])(\d+)\\frac\{(\d+)\}\{(\d+)\}", lambda m: "%s(%s+\\frac{%s}{%s})" % m.group(1, 2, 3, 4))
    return s


# ---------------------------------------------------------------- exact values (grader/number.ts)

MAX_BITS = 4096
MAX_DEPTH = 200


class _Q:
    """An exact rational n/d (d > 0, not reduced)."""

    __slots__ = ("n", "d")
    q = True

    def __init__(self, n, d=1):
        if d < 0:
            n, d = -n, -d
        self.n, self.d = n, d


class _R:
    """A real known only as a float."""

    __slots__ = ("v",)
    q = False

    def __init__(self, v):
        self.v = v


def to_number(x):
    return js_div(_to_float(x.n), _to_float(x.d)) if x.q else x.v


def _bits(n):
    return len(format(abs(n), "x")) * 4


def _fit(x):
    if x.q and (_bits(x.n) > MAX_BITS or _bits(x.d) > MAX_BITS):
        return _R(to_number(x))
    return x


def _add(a, b):
    return _fit(_Q(a.n * b.d + b.n * a.d, a.d * b.d)) if a.q and b.q else _R(to_number(a) + to_number(b))


def _neg(a):
    return _Q(-a.n, a.d) if a.q else _R(-a.v)


def _mul(a, b):
    return _fit(_Q(a.n * b.n, a.d * b.d)) if a.q and b.q else _R(to_number(a) * to_number(b))


def _div(a, b):
    if b.q:
        if b.n == 0:
            raise ZeroDivisionError("division by zero")
        return _fit(_Q(a.n * b.d, a.d * b.n)) if a.q else _R(js_div(a.v, to_number(b)))
    return _R(js_div(to_number(a), b.v))


def _pow(a, b):
    if a.q and b.q and b.d == 1 and _bits(a.n) * abs(b.n) <= MAX_BITS and _bits(a.d) * abs(b.n) <= MAX_BITS:
        e = abs(b.n)
        r = _Q(a.n**e, a.d**e)
        return _div(_Q(1), r) if b.n < 0 else r
    return _R(js_pow(to_number(a), to_number(b)))


def _int_root(n, k):
    if n < 0:
        return None
    g = js_pow(_to_float(n), js_div(1.0, k))
    if not math.isfinite(g):
        raise RangeError("cannot convert Infinity to a BigInt")
    guess = int(_js_round(g))
    for r in (guess - 1, guess, guess + 1):
        if r >= 0 and r ** int(k) == n:
            return r
    return None


def _root(x, k):
    if x.q and math.isfinite(k) and k == math.floor(k) and 2 <= k <= 64:
        n = _int_root(x.n, k)
        d = _int_root(x.d, k)
        if n is not None and d is not None:
            return _Q(n, d)
        if x.n < 0 and k % 2 == 1:
            m = _int_root(-x.n, k)
            if m is not None and d is not None:
                return _Q(-m, d)
    v = to_number(x)
    return _R(_cbrt(v) if k == 3 else js_pow(v, js_div(1.0, k)))


_DECIMAL = js_regex(r"^(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$")


def decimal(text):
    """Port of decimal (grader/number.ts): `12.5`, `.5`, `1.5e6` as an exact rational."""
    m = _DECIMAL.search(text)
    if not m:
        raise ValueError("not a number: " + text)
    frac = m.group(2) or ""
    v = _Q(int((m.group(1) or "0") + frac), 10 ** len(frac))
    exp = int(m.group(3) or 0)
    if abs(exp) > 400:
        raise ValueError("exponent too large")
    if exp:
        v = _mul(v, _pow(_Q(10), _Q(exp)))
    return v


def values_equal(a, b, tolerance=0):
    """Port of valuesEqual (grader/number.ts)."""
    if a.q and b.q and tolerance == 0:
        return a.n * b.d == b.n * a.d
    x, y = to_number(a), to_number(b)
    if not math.isfinite(x) or not math.isfinite(y):
        return False
    return x == y or abs(x - y) <= max(tolerance, 1e-12) * max(abs(x), abs(y))


_COMMAND = js_regex(r"^\\[A-Za-z]+$")
_LETTER = js_regex(r"[A-Za-z]")
_JUXTAPOSED = js_regex(r"^(\\frac|\\sqrt|\\pi|\(|\{)")
_NUMBER = js_regex(r"^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class _Parser:
    """Port of the Parser class (grader/number.ts)."""

    def __init__(self, s):
        self.s, self.i, self.depth = s, 0, 0

    def done(self):
        return self.i == len(self.s)

    def eat(self, tok):
        if not self.s.startswith(tok, self.i):
            return False
        nxt = self.s[self.i + len(tok) : self.i + len(tok) + 1]
        if _COMMAND.search(tok) and _LETTER.search(nxt):
            return False
        self.i += len(tok)
        return True

    def expect(self, tok):
        if not self.eat(tok):
            raise ValueError("expected " + tok)

    def sum(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError("too deep")
        v = self.product()
        while True:
            if self.eat("+"):
                v = _add(v, self.product())
            elif self.eat("-"):
                v = _add(v, _neg(self.product()))
            else:
                break
        self.depth -= 1
        return v

    def product(self):
        v = self.unary()
        while True:
            if self.eat("*") or self.eat("\\cdot") or self.eat("\\times"):
                v = _mul(v, self.unary())
            elif self.eat("/") or self.eat("\\div"):
                v = _div(v, self.unary())
            elif _JUXTAPOSED.search(self.s[self.i : self.i + 5]):
                v = _mul(v, self.unary())
            else:
                return v

    def unary(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError("too deep")
        if self.eat("-"):
            v = _neg(self.unary())
        elif self.eat("+"):
            v = self.unary()
        else:
            base = self.atom()
            v = _pow(base, self.exponent()) if self.eat("^") else base
        self.depth -= 1
        return v

    def exponent(self):
        return _neg(self.exponent()) if self.eat("-") else self.atom()

    def atom(self):
        num = _NUMBER.search(self.s[self.i : self.i + 400])
        if num:
            self.i += len(num.group(0))
            return decimal(num.group(0))
        if self.eat("\\frac"):
            a = self.group()
            return _div(a, self.group())
        if self.eat("\\sqrt"):
            k = 2.0
            if self.eat("["):
                k = to_number(self.sum())
                self.expect("]")
            return _root(self.group(), k)
        if self.eat("\\pi"):
            return _R(math.pi)
        if self.eat("("):
            v = self.sum()
            self.expect(")")
            return v
        return self.group()

    def group(self):
        self.expect("{")
        v = self.sum()
        self.expect("}")
        return v


def eval_value(s):
    """Port of evalValue (grader/number.ts): the exact or float value, or None."""
    p = _Parser(s)
    try:
        v = p.sum()
        if not p.done():
            return None
        return v if v.q or math.isfinite(v.v) else None
    except Exception:  # noqa: BLE001 -- as the TS: anything unreadable is no value
        return None


# ---------------------------------------------------------------- math_equal (rewards/math.ts)

MAX_BOXES = 16
_MATRIX = js_regex(r"^[[(|]?\\begin\{([pbvBV]?matrix|array)\}(?:\{[lcr|]*\})?(.*)\\end\{\1\}[\])|]?$")
_EMPTY_BOX = js_regex(r"\\(?:boxed|fbox)\s*\{\s*\}", "g")
_EQUATION = js_regex(r"^([A-Za-z](?:_\{?\w\}?|[A-Za-z0-9'])?)=([^=]+)$")
_BARE_CHOICE = js_regex(r"^\(?([A-Za-z])\)?$")
_LABELLED_CHOICE = js_regex(r"^(?:\(([A-Za-z])\)|([A-Za-z])[.:)]).")
_PM = js_regex(r"\\(?:pm|mp)(?![A-Za-z])")


def extract_math_answer(response):
    """Port of extractMathAnswer (rewards/math.ts): the final answer of a response, or None."""
    try:
        text = without_code(response)
        boxes = [b for b in all_boxed(text) if js_trim(b) != ""][-MAX_BOXES:]
        if boxes:
            last = boxes[-1]
            return last if all(b == last or math_equal(b, last) for b in boxes) else None
        got = labelled_answer(text)
        if got is None:
            return None
        got = _replace(js_trim(_EMPTY_BOX.sub("", got)), r"\.$", "", "")
        return got or None
    except Exception:  # noqa: BLE001 -- as the TS: a response it cannot read has no answer
        return None


def math_equal(given, reference, tolerance=0):
    """Port of mathEqual (rewards/math.ts). Never raises."""
    try:
        a = normalize_math(given)
        b = normalize_math(reference)
        if a == "":
            return False
        if js_utf16_len(a) > MAX_ANSWER or js_utf16_len(b) > MAX_ANSWER:
            return a == b
        return _forms_equal(_form(a), _form(b), tolerance)
    except Exception:  # noqa: BLE001 -- as the TS: never raises
        return False


def _form(s):
    m = _MATRIX.search(s)
    if m:
        return ("matrix", [r.split("&") for r in m.group(2).split("\\\\") if r != ""])
    parts = _split_top(s, "\\cup")
    if len(parts) > 1:
        return ("union", parts)
    if s.startswith("\\{") and s.endswith("\\}") and _closes(s, 1) == len(s) - 1:
        return ("set", _solutions(_split_top(s[2:-2], ",")))
    if s[:1] in ("(", "[") and s[-1:] in (")", "]") and _closes(s, 0) == len(s) - 1:
        items = _split_top(s[1:-1], ",")
        if len(items) > 1:
            return ("tuple", (s[0], s[-1], items))
    items = _solutions(_split_top(s, ","))
    return ("set", items) if len(items) > 1 else ("one", items[0] if items else s)


def _forms_equal(a, b, tol):
    ka, va = a
    kb, vb = b
    if ka == "one" and kb == "one":
        return _item_equal(va, vb, tol)
    if ka == "matrix" and kb == "matrix":
        return len(va) == len(vb) and all(len(r) == len(vb[i]) and all(_item_equal(x, vb[i][j], tol) for j, x in enumerate(r)) for i, r in enumerate(va))
    if ka == "union" and kb == "union":
        return _same_items(va, vb, lambda x, y: _forms_equal(_form(x), _form(y), tol))
    if ka == "tuple" and kb == "tuple":
        (oa, ca, xs), (ob, cb, ys) = va, vb
        return oa == ob and ca == cb and len(xs) == len(ys) and all(_item_equal(x, ys[i], tol) for i, x in enumerate(xs))
    if ka == "set" and kb == "set":
        return _same_items(va, vb, lambda x, y: _item_equal(x, y, tol))
    return False


def _same_items(xs, ys, eq):
    if len(xs) != len(ys):
        return False
    used = [False] * len(ys)
    for x in xs:
        j = next((k for k, y in enumerate(ys) if not used[k] and eq(x, y)), -1)
        if j < 0:
            return False
        used[j] = True
    return True


def _item_equal(a, b, tol):
    if a.lower() == b.lower():
        return True
    ca, cb = _choice(a), _choice(b)
    if ca and cb and (ca[1] or cb[1]):
        return ca[0] == cb[0]
    va, vb = eval_value(a), eval_value(b)
    return va is not None and vb is not None and values_equal(va, vb, tol)


def _equation(s):
    m = _EQUATION.search(s)
    return (m.group(1), m.group(2)) if m else None


def _solutions(items):
    xs = _expand_pm(items)
    eqs = [_equation(x) for x in xs]
    names = set(e[0] if e else "" for e in eqs)
    return [eqs[i][1] if eqs[i] else x for i, x in enumerate(xs)] if len(names) == 1 else xs


def _choice(s):
    bare = _BARE_CHOICE.search(s)
    if bare:
        return (bare.group(1).upper(), True)
    m = _LABELLED_CHOICE.search(s)
    return ((m.group(1) or m.group(2)).upper(), False) if m else None


def _expand_pm(items):
    out = []
    for x in items:
        if _PM.search(x):
            plus = _replace(_replace(_PM.sub("+", x, count=1), r"^\+", "", ""), r"=\+", "=", "")
            out += [plus, _PM.sub("-", x, count=1)]
        else:
            out.append(x)
    return out


def _closes(s, start):
    depth = 0
    for i in range(start, len(s)):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_top(s, sep):
    out, depth, start, i = [], 0, 0, 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and s.startswith(sep, i):
            out.append(s[start:i])
            start = i + len(sep)
            i += len(sep) - 1
        i += 1
    out.append(s[start:])
    return out


# ---------------------------------------------------------------- reward kinds (rewards/kinds.ts)


class RewardCallError(Exception):
    """One call of a reward failed (as RewardCallError in rewards/custom.ts)."""


def overlong(length, budget, buffer, penalty):
    """Port of overlong (rewards/kinds.ts): DAPO's soft overlong punishment against the step's budget."""
    free = budget - buffer
    if length <= free:
        return 0.0
    if length <= budget:
        return (-(length - free) / buffer) * penalty
    return -penalty


_PARSE_TRIM = js_regex(r"^\$|\.$", "g")
_PARSE_GROUPS = js_regex(r"(\d),(?=\d{3}\b)", "g")
_PARSE_NUMBER = js_regex(r"^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$", "i")


def parse_number(s):
    """Port of parseNumber (rewards/kinds.ts): `-1,234.5`, `3.`, `$12`, `1e-3` as a float, else None."""
    t = _PARSE_GROUPS.sub(lambda m: m.group(1), _PARSE_TRIM.sub("", js_trim(s)))
    return float(t) if _PARSE_NUMBER.search(t) else None


def _answer(found, right):
    return {"score": 1.0 if right else 0.0, "correct": right, "found": found}


def _reference(x):
    if x.get("answer") is None:
        raise RewardCallError("no reference answer: give the dataset an `answer` template")
    return js_trim(x["answer"])


def _last_capture(rx, s):
    last = None
    for last in rx.finditer(s):
        pass
    if last is None:
        return None
    return last.group(1) if rx.groups >= 1 and last.group(1) is not None else last.group(0)


class _Settings:
    """Port of Settings (rewards/kinds.ts): a reward's params, checked when the reward is built."""

    def __init__(self, node):
        self.node = node

    def num(self, key, default=None):
        v = self.node["params"].get(key, default)
        if v is None:
            v = default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SiriJobError("reward `%s`: `%s` must be a number, but it is %s" % (self.node["name"], key, "missing" if v is None else json.dumps(v)))
        return v

    def regex(self, key):
        v = self.node["params"].get(key)
        if v is None and key == "pattern" and self.node["kind"] != "regex":
            v = "Answer:\\s*(.+)"
        if not isinstance(v, str):
            raise SiriJobError("reward `%s`: `%s` must be a regular expression string" % (self.node["name"], key))
        try:
            return js_regex(v)
        except (re.error, ValueError) as e:
            raise SiriJobError("reward `%s`: `%s` is not a valid regular expression here: %s" % (self.node["name"], key, e)) from None


def reward_fn(node):
    """Port of rewardFn (rewards/kinds.ts): one reward kind as a function of one response's input."""
    p = _Settings(node)
    kind = node["kind"]
    if kind == "exact_answer":
        rx = p.regex("pattern")

        def exact(x):
            got = _last_capture(rx, x["response"])
            return _answer(got is not None, got is not None and js_trim(got) == _reference(x))

        return exact
    if kind == "numeric_equal":
        rx = p.regex("pattern")
        tol = p.num("tolerance", 1e-6)

        def numeric(x):
            want = parse_number(_reference(x))
            text = _last_capture(rx, x["response"])
            got = parse_number(text if text is not None else "")
            return _answer(text is not None, got is not None and want is not None and abs(got - want) <= tol)

        return numeric
    if kind == "math_equal":
        tol = p.num("tolerance", 0)

        def mathq(x):
            got = extract_math_answer(x["response"])
            return _answer(got is not None, got is not None and math_equal(got, _reference(x), tol))

        return mathq
    if kind == "regex":
        rx = p.regex("pattern")
        return lambda x: {"score": 1.0 if rx.search(x["response"]) else 0.0}
    if kind == "length_penalty":
        t = node["params"].get("target")
        target = None if t in (None, "budget") else p.num("target")
        coef = p.num("coef", 0.001)
        return lambda x: {"score": -coef * max(0, _need(x, "length") - (target if target is not None else _need(x, "budget")))}
    if kind == "overlong":
        buffer = p.num("buffer")
        penalty = p.num("penalty", 1)
        return lambda x: {"score": overlong(_need(x, "length"), _need(x, "budget"), buffer, penalty)}
    if kind == "custom":
        return _python_reward(node)
    raise SiriJobError("reward `%s`: unknown kind %r" % (node["name"], kind))


def _need(x, key):
    if x.get(key) is None:
        raise SiriJobError("the reward needs the response's %s, which the agent loop records (extra_info.siri_%s): run the rows through the siri_budget / siri_eval agent loops" % (key, "response_len" if key == "length" else key))
    return x[key]


def _python_reward(node):
    """A custom reward for the verl target: the reward's params name a Python file, `python_module`,
    which `siric compile --target verl` copies into the job (siri_job.json's `python_modules` maps
    the reward to it, relative to the job folder), whose `compute(input)` gets {prompt, response, answer, truncated,
    length, budget} and returns a finite number, a bool, or {"score": x, "correct": bool} (the
    contract of rewards/custom.ts). A JavaScript `module` cannot run under verl."""
    path = (_job().spec.get("python_modules") or {}).get(node["name"])
    if path is None:
        path = node["params"].get("python_module")
    if not isinstance(path, str):
        raise SiriJobError("reward `%s` is a custom JavaScript reward (%s), which cannot run under verl: give it a `python_module`" % (node["name"], node["params"].get("module")))
    file = path if os.path.isabs(path) else os.path.join(job_dir(), path)
    if not os.path.isfile(file):
        raise SiriJobError("reward `%s`: cannot find the Python module %s (looked for %s)" % (node["name"], path, file))
    spec = importlib.util.spec_from_file_location("siri_reward_" + re.sub(r"\W", "_", node["name"]), file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fn = getattr(mod, "compute", None)
    if not callable(fn):
        raise SiriJobError("reward `%s`: the module %s has no function `compute`" % (node["name"], path))
    return lambda x: _interpret(fn(dict(x)))


def _interpret(v):
    """Port of interpret (rewards/custom.ts): a returned value as a score, or a failure."""
    if isinstance(v, bool):
        return {"score": 1.0 if v else 0.0, "correct": v}
    if isinstance(v, (int, float)):
        if math.isfinite(v):
            return {"score": float(v)}
        raise RewardCallError("returned %s, not a finite number" % v)
    if isinstance(v, dict):
        score = v.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise RewardCallError("returned a dict whose `score` is %r, not a finite number" % (score,))
        correct = v.get("correct")
        if correct is not None and not isinstance(correct, bool):
            raise RewardCallError("returned a dict whose `correct` is %r, not True or False" % (correct,))
        return {"score": float(score)} if correct is None else {"score": float(score), "correct": correct}
    raise RewardCallError("returned %r: return a finite number, a bool, or {'score': x, 'correct': bool}" % (v,))


# ---------------------------------------------------------------- a stage's rewards (rewards/index.ts)

ANSWER_KINDS = ("exact_answer", "numeric_equal", "math_equal")
DEFAULT_MAX_FAILURE_RATE = 0.5
FAILURE_WINDOW = 64
FAILURE_MIN_CALLS = 8
# The built-in tasks' `Answer:` checker (DEFAULT_CHECKER in src/runtime/eval.ts): an eval's judge when it names none.
DEFAULT_CHECKER = {"id": "reward.default", "type": "reward", "name": "final_answer", "kind": "exact_answer", "weight": 1, "truncated": "zero", "on_error": "zero", "params": {"pattern": "Answer:\\s*(.+)"}}


def judge_of(nodes):
    """Port of judgeOf (src/ir/judge.ts): the first answer-checking reward, else the first custom one."""
    for n in nodes:
        if n["kind"] in ANSWER_KINDS:
            return n
    return next((n for n in nodes if n["kind"] == "custom"), None)


class _Built:
    def __init__(self, node, key):
        self.node, self.key = node, key
        self.fn = reward_fn(node)
        rate = node["params"].get("max_failure_rate", DEFAULT_MAX_FAILURE_RATE)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise SiriJobError("reward `%s`: `max_failure_rate` must be a number from 0 to 1" % node["name"])
        self.max_failure_rate = rate
        self.recent = []  # the outcomes of its latest calls (True: failed), across calls of compute_score
        self.first = None


class RewardSet:
    """Port of buildRewards/scoreAll (rewards/index.ts) for one response at a time, as verl calls it."""

    def __init__(self, nodes, judge=None):
        names = [n["name"] for n in nodes]
        self.built = [_Built(n, n["name"] if names.count(n["name"]) == 1 else n["id"]) for n in nodes]
        j = judge if judge is not None else judge_of(nodes)
        self.judge = next((b for b in self.built if j is not None and b.node["id"] == j["id"]), None)

    def score(self, x):
        """{total, parts, correct, found} of one input {prompt, response, answer, truncated, length, budget}."""
        total, parts, correct, found = 0.0, {}, False, False
        for b in self.built:
            r = self._call(b, x)
            v = (r["score"] if r else 0.0) * b.node["weight"]
            parts[b.key] = v
            total += v
            if b is self.judge:
                # Never correct when cut off; a plain number is correct at full marks (1).
                correct = bool(r) and not x["truncated"] and (r["correct"] if r.get("correct") is not None else r["score"] >= 1)
                found = bool(r) and (r["found"] if r.get("found") is not None else True)
        return {"total": total, "parts": parts, "correct": correct, "found": found}

    def _call(self, b, x):
        if x["truncated"] and b.node["truncated"] == "zero":
            return None  # not even called: the score is discarded
        try:
            r = b.fn(x)
            self._record(b, False)
            return r
        except SiriJobError:
            raise
        except Exception as e:  # noqa: BLE001 -- a failing reward scores 0, as in the runtime
            msg = str(e) or type(e).__name__
            if b.node["on_error"] == "fail":
                raise RuntimeError("reward `%s` failed: %s (set `on_error = zero` on the reward to score such responses 0 and go on)" % (b.node["name"], msg)) from e
            b.first = b.first or msg
            self._record(b, True)
        calls, failures = len(b.recent), sum(b.recent)
        all_failed = b.max_failure_rate < 1 and calls >= 2 and failures == calls
        if all_failed or failures > b.max_failure_rate * max(calls, FAILURE_MIN_CALLS):
            raise RuntimeError(
                "reward `%s` failed on %d of its last %d calls (more than its max_failure_rate, %d %%); the first failure: %s"
                % (b.node["name"], failures, calls, _js_round(b.max_failure_rate * 100), b.first)
            )
        return None

    @staticmethod
    def _record(b, failed):
        b.recent.append(failed)
        if len(b.recent) > FAILURE_WINDOW:
            b.recent.pop(0)


_SETS = {}


def _reward_set(kind, eval_name=None, data_source=None):
    """The training stage's rewards, or the judge of the eval a validation row belongs to."""
    job = _job()
    if kind == "train":
        if "train" not in _SETS:
            _SETS["train"] = RewardSet([job.nodes[i] for i in job.stage["rewards"]])
        return _SETS["train"]
    evals = [n for n in job.graph["nodes"] if n["type"] == "eval"]
    mine = [e for e in evals if job.stage["id"] in e["stages"]] or evals
    if eval_name is not None:
        mine = [e for e in mine if e["name"] == eval_name]
    elif data_source is not None and len(set(e["judge"] for e in mine)) > 1:
        ds = data_source.split("/")[-1]
        mine = [e for e in mine if e["data"]["dataset"].split(".", 1)[-1] == ds] or mine
    judges = sorted(set(e["judge"] or "" for e in mine))
    if len(judges) != 1:
        raise SiriJobError("cannot tell which eval judges this validation row (evals %s); put its name in extra_info.siri_eval" % ", ".join(e["name"] for e in mine))
    key = "eval:" + judges[0]
    if key not in _SETS:
        node = job.nodes[judges[0]] if judges[0] else DEFAULT_CHECKER
        _SETS[key] = RewardSet([node], judge=node)
    return _SETS[key]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """verl's custom reward function: the pipeline's rewards on one response (rewards/index.ts).

    Training rows (agent loop siri_budget) get the stage's rewards; validation rows (siri_eval)
    the eval's judge alone, as `siric run` scores evals. The step's budget, the response length and
    truncation come from `extra_info` (siri_budget, siri_response_len, siri_truncated), where
    verl puts the agent loop's extra_fields. Returns {"score": weighted sum, "acc": 1.0 when the
    judge finds the answer right and the response was not cut off, "found", "truncated",
    "reward/<name>": each reward's weighted part}: `algorithm.filter_groups.metric=acc` then
    filters on accuracy as siric's dynamic sampling does.
    """
    info = dict(extra_info or {})
    loop = info.get("siri_loop")
    if loop not in ("train", "eval") or "siri_truncated" not in info:
        raise SiriJobError(
            "extra_info has no siri_loop/siri_truncated: this row did not run through the siri_budget or siri_eval agent loop "
            "(its `agent_name` column, and actor_rollout_ref.rollout.agent.agent_loop_config_path=siri_agent_loops.yaml)"
        )
    x = {
        "prompt": info.get("prompt"),
        "response": solution_str,
        "answer": ground_truth,
        "truncated": bool(info["siri_truncated"]),
        "length": None if info.get("siri_response_len") is None else int(info["siri_response_len"]),
        "budget": None if info.get("siri_budget") is None else int(info["siri_budget"]),
    }
    rs = _reward_set(loop, info.get("siri_eval"), data_source)
    s = rs.score(x)
    out = {"score": s["total"], "acc": 1.0 if s["correct"] else 0.0, "found": 1.0 if s["found"] else 0.0, "truncated": 1.0 if x["truncated"] else 0.0}
    for k, v in s["parts"].items():
        out["reward/" + k] = v
    return out


# ---------------------------------------------------------------- the agent loops (need verl)


def is_truncated(response_ids, cap, eos_ids):
    """Cut off by the budget: it reached the cap and its last token is not an end of sequence
    (src/runtime/rl/sampler.ts). verl's own stop_reason cannot say this: vLLM reports "completed"
    for both "stop" and "length", and the client's "length" also marks an EOS that lands on the cap."""
    n = len(response_ids)
    return n >= cap and not (n > 0 and int(response_ids[-1]) in eos_ids)


def _eos_ids(tokenizer):
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return set()
    return set(int(e) for e in eos) if isinstance(eos, (list, tuple, set)) else {int(eos)}


async def _run_capped(loop, run, sampling_params, cap, kind, kwargs):
    params = dict(sampling_params)  # the caller's dict may be shared between samples
    params.pop("max_new_tokens", None)  # one limit: the server reads either
    params["max_tokens"] = cap
    output = await run(params, **kwargs)
    ids = list(output.response_ids)
    output.extra_fields.update(
        {"siri_loop": kind, "siri_budget": cap, "siri_response_len": len(ids), "siri_truncated": is_truncated(ids, cap, _eos_ids(loop.tokenizer))}
    )
    return output


def _agent_loop_classes():
    try:
        from verl.experimental.agent_loop.single_turn_agent_loop import SingleTurnAgentLoop
    except ImportError as e:
        raise ImportError("siri_verl's agent loops subclass verl's SingleTurnAgentLoop (verl.experimental.agent_loop, verl 0.9): %s" % e) from e

    class SiriBudgetAgentLoop(SingleTurnAgentLoop):
        """Training rollouts: max_tokens = budget_at(the sample's global_steps)."""

        async def run(self, sampling_params, **kwargs):
            step = kwargs.get("global_steps")
            if step is None:
                raise RuntimeError(
                    "SiriBudgetAgentLoop: the sample carries no `global_steps`, so its step's budget is unknown; "
                    "verl's V1 trainer in sync mode stamps it (trainer.use_v1=true trainer.v1.trainer_mode=sync)"
                )
            return await _run_capped(self, super().run, sampling_params, budget_at(int(step)), "train", kwargs)

    class SiriEvalAgentLoop(SingleTurnAgentLoop):
        """Validation rollouts: a fixed cap, the eval's max_tokens (the YAML's `max_tokens` kwarg)."""

        def __init__(self, *args, max_tokens=None, **kwargs):
            super().__init__(*args, **kwargs)
            cap = max_tokens if max_tokens is not None else _job().spec.get("eval_max_tokens")
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise ValueError("SiriEvalAgentLoop needs `max_tokens` (a positive integer) in siri_agent_loops.yaml, or eval_max_tokens in siri_job.json; it has %r" % (cap,))
            self.max_tokens = cap

        async def run(self, sampling_params, **kwargs):
            return await _run_capped(self, super().run, sampling_params, self.max_tokens, "eval", kwargs)

    # Found again by name when Ray or Hydra looks them up: siri_verl.SiriBudgetAgentLoop.
    for cls in (SiriBudgetAgentLoop, SiriEvalAgentLoop):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return {"SiriBudgetAgentLoop": SiriBudgetAgentLoop, "SiriEvalAgentLoop": SiriEvalAgentLoop}


def __getattr__(name):
    """PEP 562: the agent-loop classes are built (and verl imported) on first look-up."""
    if name in ("SiriBudgetAgentLoop", "SiriEvalAgentLoop"):
        globals().update(_agent_loop_classes())
        return globals()[name]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


# Loading in a job folder checks at once that its budget table is the schedule's.
if os.path.isfile(os.path.join(job_dir(), "siri_job.json")):
    _job()
