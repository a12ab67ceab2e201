"""PyTorch reference for `npm run bench:train`: the same Llama-layout transformer and the same
work (one training step: forward, cross-entropy, backward, Adam; and KV-cache sampling), timed
the same way. Prints one JSON object. Usage: torch_reference.py '<json config>'
The config's "device" is "cpu" (default) or "cuda" (fp32 with TF32 off, as tfjs computes)."""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
DEV = torch.device("cuda" if cfg.get("device") == "cuda" and torch.cuda.is_available() else "cpu")
if DEV.type == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)
torch.set_num_threads(cfg.get("threads", torch.get_num_threads()))


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, reps):
    fn()
    sync()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


if cfg.get("model") == "mlp":
    # The MLP language model of the GPU notes: embedding -> 4x ReLU MLP -> untied output layer.
    V, D, T, B = cfg["vocab"], cfg["d_model"], cfg["tokens"], cfg["batch"]
    net = nn.Sequential(nn.Embedding(V, D), nn.Linear(D, 4 * D), nn.ReLU(), nn.Linear(4 * D, D), nn.Linear(D, V)).to(DEV)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    ids = torch.randint(0, V, (B, T), device=DEV)
    tgt = torch.randint(0, V, (B, T), device=DEV)

    def mlp_step():
        loss = F.cross_entropy(net(ids).reshape(-1, V), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    s = timed(mlp_step, cfg.get("reps", 5))
    print(json.dumps({"torch": torch.__version__, "device": DEV.type, "threads": torch.get_num_threads(), "train_step_s": s, "train_tokens_per_s": B * T / s}))
    sys.exit(0)

V, D, L, H, KV, FF, T, B = (cfg[k] for k in ("vocab", "d_model", "layers", "heads", "kv_heads", "ffn", "tokens", "batch"))
hd = D // H


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


def rope_tables(n):
    inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
    a = torch.outer(torch.arange(n).float(), inv)
    return a.cos().to(DEV), a.sin().to(DEV)


def rope(x, cos, sin):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(D), RMSNorm(D)
        self.q, self.k, self.v = nn.Linear(D, H * hd, bias=False), nn.Linear(D, KV * hd, bias=False), nn.Linear(D, KV * hd, bias=False)
        self.o = nn.Linear(H * hd, D, bias=False)
        self.gate, self.up, self.down = nn.Linear(D, FF, bias=False), nn.Linear(D, FF, bias=False), nn.Linear(FF, D, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        b, t, _ = x.shape
        h = self.n1(x)
        q = rope(self.q(h).view(b, t, H, hd).transpose(1, 2), cos, sin)
        k = rope(self.k(h).view(b, t, KV, hd).transpose(1, 2), cos, sin)
        v = self.v(h).view(b, t, KV, hd).transpose(1, 2)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        new = (k, v)
        k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, H * hd)
        x = x + self.o(y)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h)), new


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.norm = RMSNorm(D)

    def forward(self, ids, pos0=0, caches=None):
        b, t = ids.shape
        cos, sin = rope_tables(pos0 + t)
        cos, sin = cos[pos0:], sin[pos0:]
        s = pos0 + t
        mask = torch.full((t, s), float("-inf"), device=DEV).triu(pos0 + 1)
        x = self.emb(ids)
        out = []
        for i, blk in enumerate(self.blocks):
            x, c = blk(x, cos, sin, mask, None if caches is None else caches[i])
            out.append(c)
        return self.norm(x) @ self.emb.weight.T, out


m = Model().to(DEV)
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
ids = torch.randint(0, V, (B, T), device=DEV)
tgt = torch.randint(0, V, (B, T), device=DEV)


def train_step():
    logits, _ = m(ids)
    loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()


step = timed(train_step, cfg.get("reps", 5))
P, N = cfg["prompt"], cfg["new_tokens"]
prompt = torch.randint(0, V, (B, P), device=DEV)


@torch.no_grad()
def sample():
    logits, caches = m(prompt)
    nxt = torch.multinomial(logits[:, -1].softmax(-1), 1)
    for i in range(N - 1):
        logits, caches = m(nxt, P + i, caches)
        nxt = torch.multinomial(logits[:, -1].softmax(-1), 1)


samp = timed(sample, max(1, cfg.get("reps", 5) // 2))
print(json.dumps({"torch": torch.__version__, "device": DEV.type, "threads": torch.get_num_threads(), "train_step_s": step, "train_tokens_per_s": B * T / step, "sample_s": samp, "sample_tokens_per_s": B * N / samp}))
