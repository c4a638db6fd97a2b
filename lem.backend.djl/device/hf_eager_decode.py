#!/usr/bin/env python3
"""Hugging Face transformers eager decoding, the baseline for lem's DJL backend on the same GPU.

Random weights from a config (no download): gpt2-small is GPT2Config(), the others a config.json.
A hand-written loop, as lem's: one prefill pass, then one pass per new token with the model's KV
cache; greedy; each step's token ids are copied to the host (the synchronisation), as lem copies
its logits. Same shapes as GpuDecodeBenchmark: batch x 32 prompt tokens, 32 new tokens, one
warm-up batch, median of 5. Prints one RESULT line per batch size.

  python3 hf_eager_decode.py <gpt2-small|config.json> <float16|bfloat16> 1,4,16
"""
import json
import os
import statistics
import sys
import time

import torch
import transformers

PROMPT_TOKENS = 32
NEW_TOKENS = 32
REPEATS = 5
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def build(model_arg, dtype):
    if model_arg == "gpt2-small":
        config = transformers.GPT2Config()
    else:
        with open(model_arg) as f:
            raw = json.load(f)
        config = transformers.AutoConfig.for_model(**raw)
    config._attn_implementation = "eager"
    torch.manual_seed(1)
    with torch.device("cuda"):
        try:
            model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="eager")
        except TypeError:
            model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=dtype,
                                                                  attn_implementation="eager")
    return model.eval(), config


@torch.inference_mode()
def generate(model, prompt):
    """Returns (prefill seconds, decode seconds per step)."""
    batch = prompt.shape[0]
    mask = torch.ones(batch, PROMPT_TOKENS + NEW_TOKENS, dtype=torch.long, device="cuda")
    torch.cuda.synchronize()
    began = time.perf_counter()
    out = model(input_ids=prompt, attention_mask=mask[:, :PROMPT_TOKENS], use_cache=True)
    past = out.past_key_values
    token = out.logits[:, -1, :].argmax(-1, keepdim=True)
    token.cpu()  # the token on the host: the first token exists
    first = time.perf_counter()
    for step in range(1, NEW_TOKENS):
        length = PROMPT_TOKENS + step
        out = model(input_ids=token, attention_mask=mask[:, :length], past_key_values=past, use_cache=True)
        past = out.past_key_values
        token = out.logits[:, -1, :].argmax(-1, keepdim=True)
        token.cpu()
    end = time.perf_counter()
    return first - began, (end - first) / (NEW_TOKENS - 1)


def main():
    model_arg, dtype_name, batches = sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3].split(",")]
    began = time.perf_counter()
    model, config = build(model_arg, DTYPES[dtype_name])
    params = sum(p.numel() for p in model.parameters())
    print(f"opened {model_arg} {dtype_name} in {time.perf_counter() - began:.1f} s ({params:,} parameters),"
          f" transformers {transformers.__version__}, torch {torch.__version__}", flush=True)
    name = os.path.basename(model_arg).removesuffix(".json")
    for batch in batches:
        generator = torch.Generator().manual_seed(17)
        prompt = torch.randint(0, config.vocab_size, (batch, PROMPT_TOKENS), generator=generator).cuda()
        generate(model, prompt)  # warm-up
        runs = [generate(model, prompt) for _ in range(REPEATS)]
        prefill = statistics.median(r[0] for r in runs) * 1e3
        decode = statistics.median(r[1] for r in runs) * 1e3
        print(f"RESULT engine=hf-eager model={name} precision={dtype_name} batch={batch} prefill_ms={prefill:.2f}"
              f" decode_ms_per_step={decode:.2f} peak_gpu_bytes={torch.cuda.max_memory_allocated()}", flush=True)
    del model
    torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
