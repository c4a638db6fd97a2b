/**
 * One client for every OpenAI-compatible server (vLLM, TensorRT-LLM's trtllm-serve, SGLang, TGI,
 * llama.cpp, Ollama): the SSE parser, the streaming completions client with its per-token
 * counts, the open- and closed-loop load generator, the Prometheus scraper, the launched server
 * process, and the {@link lem.api.backend.LoadedModel} built from them. Every timestamp is
 * {@link System#nanoTime()}.
 */
@Export
@Version("1.0.0")
package lem.backend.openai.client;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
