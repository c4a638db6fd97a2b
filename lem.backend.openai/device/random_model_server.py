"""A small OpenAI-compatible streaming server for the GPU machine, where vLLM cannot be installed:
/health, /v1/models and /v1/completions with stream=true, generating on the GPU with a randomly
initialised transformers Llama (no download: weights from a seed, what optimum-benchmark calls
no_weights). It streams as vLLM does: one SSE chunk per token with per-token logprobs, a usage
chunk when stream_options.include_usage is set, then [DONE]; it honours max_tokens, min_tokens
and ignore_eos, and takes prompts as token-id arrays.

Requests are scheduled per iteration: a scheduler thread admits waiting requests (up to
--max-batch), prefills each new one, then runs one decode step for every running request (each
with its own KV cache: separate forward passes, not one batched kernel), and a request leaves when
done. A request waits in the queue for a slot: what lem's queueing figures measure.

    python3 random_model_server.py --port 8000 [--hidden 2048 --layers 16 --max-batch 32]
"""
import argparse
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.cache_utils import DynamicCache

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, default=8000)
p.add_argument("--hidden", type=int, default=2048)
p.add_argument("--layers", type=int, default=16)
p.add_argument("--heads", type=int, default=16)
p.add_argument("--vocab", type=int, default=32000)
p.add_argument("--max-batch", type=int, default=32)
p.add_argument("--model-name", default="random-llama")
args = p.parse_args()

torch.manual_seed(0)
config = LlamaConfig(vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 11 // 4,
                     num_hidden_layers=args.layers, num_attention_heads=args.heads,
                     num_key_value_heads=args.heads, max_position_embeddings=4096)
model = LlamaForCausalLM(config).to(device="cuda", dtype=torch.float16).eval()
params = sum(p.numel() for p in model.parameters())
print(f"model: random Llama, {params / 1e9:.2f} B parameters, fp16, cuda", flush=True)


class Request:
    def __init__(self, prompt_ids, max_tokens, min_tokens):
        self.prompt_ids = prompt_ids
        self.max_tokens = max_tokens
        self.min_tokens = min_tokens
        self.out = queue.Queue()  # (token id, logprob) per token, then None
        self.cache = None
        self.last = None
        self.generated = 0


waiting = queue.Queue()


def sample(logits):
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    token = torch.argmax(logprobs, dim=-1)
    return token, logprobs.gather(-1, token.unsqueeze(-1)).squeeze(-1)


@torch.no_grad()
def scheduler():
    running = []
    while True:
        while len(running) < args.max_batch:
            try:
                r = waiting.get(block=not running, timeout=None if not running else 0)
            except queue.Empty:
                break
            ids = torch.tensor([r.prompt_ids], device="cuda")
            r.cache = DynamicCache()
            logits = model(input_ids=ids, past_key_values=r.cache, use_cache=True).logits[:, -1]
            token, lp = sample(logits)
            torch.cuda.synchronize()
            r.last = int(token.item())
            r.generated = 1
            r.out.put((r.last, float(lp.item())))
            if r.generated >= r.max_tokens:
                r.out.put(None)
            else:
                running.append(r)
        if not running:
            continue
        # one decode step per running request (each with its own cache; kernels queue back to back)
        tokens = []
        for r in running:
            ids = torch.tensor([[r.last]], device="cuda")
            logits = model(input_ids=ids, past_key_values=r.cache, use_cache=True).logits[:, -1]
            tokens.append(sample(logits))
        torch.cuda.synchronize()
        still = []
        for r, (token, lp) in zip(running, tokens):
            r.last = int(token.item())
            r.generated += 1
            r.out.put((r.last, float(lp.item())))
            if r.generated >= r.max_tokens:
                r.out.put(None)
                r.cache = None
            else:
                still.append(r)
        running = still


threading.Thread(target=scheduler, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, {})
        elif self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": args.model_name, "object": "model"}]})
        else:
            self.send_json(404, {"error": "no " + self.path})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/completions" or not body.get("stream"):
            self.send_json(400, {"error": "only streamed /v1/completions"})
            return
        prompt = body["prompt"]
        if not (isinstance(prompt, list) and all(isinstance(t, int) for t in prompt)):
            self.send_json(400, {"error": "prompt must be a token-id array"})
            return
        max_tokens = int(body.get("max_tokens", 16))
        r = Request([t % args.vocab for t in prompt], max_tokens, int(body.get("min_tokens", 0)))
        waiting.put(r)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        created = int(time.time())

        def chunk(payload):
            data = ("data: " + payload + "\n\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        n = 0
        while True:
            item = r.out.get()
            if item is None:
                break
            token, lp = item
            n += 1
            choice = {"index": 0, "text": f" t{token}", "finish_reason": "length" if n == max_tokens else None}
            if body.get("logprobs") is not None:
                choice["logprobs"] = {"tokens": [f" t{token}"], "token_logprobs": [lp], "top_logprobs": None,
                                      "text_offset": [0]}
            chunk(json.dumps({"id": "cmpl-1", "object": "text_completion", "created": created,
                              "model": args.model_name, "choices": [choice], "usage": None}))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunk(json.dumps({"id": "cmpl-1", "object": "text_completion", "created": created, "model": args.model_name,
                              "choices": [], "usage": {"prompt_tokens": len(prompt), "completion_tokens": n,
                                                       "total_tokens": len(prompt) + n}}))
        chunk("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


ThreadingHTTPServer.daemon_threads = True
print(f"serving on 127.0.0.1:{args.port}", flush=True)
ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
