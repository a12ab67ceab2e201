"""An independent reference for the runtime's transformer: the forward pass of Hugging Face's
LlamaForCausalLM / Qwen2ForCausalLM (modeling_llama.py / modeling_qwen2.py, eager attention),
written out in PyTorch and reading the folder (config.json + model.safetensors) with nothing but
json and numpy. Prints the logits for the token ids given on the command line as JSON.

  python3 torch_llama.py MODEL_DIR '[[ids...], ...]'
"""
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        if t["dtype"] == "BF16":
            raw = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], dtype=DTYPES[t["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.copy().reshape(t["shape"]))
    return out


def rms_norm(x, w, eps):
    # LlamaRMSNorm: in float32, x * rsqrt(mean(x^2) + eps), then the weight.
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, w, ids):
    B, T = ids.shape
    H, Hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg["hidden_size"]
    hd = D // H
    eps = cfg["rms_norm_eps"]
    qwen2 = cfg["model_type"] == "qwen2"
    bias = qwen2 or cfg.get("attention_bias", False)
    # Rotary embedding, LlamaRotaryEmbedding (default rope type).
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(T).float()
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    mask = torch.full((T, T), float("-inf")).triu(1)

    def lin(x, name, with_bias):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if with_bias else y

    h = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = lin(x, p + "self_attn.q_proj", bias).view(B, T, H, hd).transpose(1, 2)
        k = lin(x, p + "self_attn.k_proj", bias).view(B, T, Hkv, hd).transpose(1, 2)
        v = lin(x, p + "self_attn.v_proj", bias).view(B, T, Hkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=1)  # repeat_kv
        v = v.repeat_interleave(H // Hkv, dim=1)
        att = (q @ k.transpose(2, 3)) / (hd**0.5) + mask
        att = torch.softmax(att, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        h = h + lin(o, p + "self_attn.o_proj", False)
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(lin(x, p + "mlp.gate_proj", False))
        h = h + lin(gate * lin(x, p + "mlp.up_proj", False), p + "mlp.down_proj", False)
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return h @ head.T


def main():
    folder, ids = sys.argv[1], json.loads(sys.argv[2])
    with open(folder + "/config.json") as f:
        cfg = json.load(f)
    w = read_safetensors(folder + "/model.safetensors")
    with torch.no_grad():
        logits = forward(cfg, w, torch.tensor(ids, dtype=torch.int64))
    print(json.dumps({"torch": torch.__version__, "logits": logits.tolist()}))


if __name__ == "__main__":
    main()
