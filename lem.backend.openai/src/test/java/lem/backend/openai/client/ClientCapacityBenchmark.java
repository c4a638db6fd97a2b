package lem.backend.openai.client;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import lem.api.backend.DecodeSettings;
import lem.api.backend.Prompt;

/**
 * Client capacity on loopback: streamed tokens per second that one {@link OpenAiClient} times
 * with N concurrent streams (closed loop against {@link FakeOpenAiServer}, one token per chunk,
 * logprobs on, no delays), the SSE parser's own rate, and the cost of one {@code nanoTime} per
 * chunk. The server runs in the same JVM on the same cores, so the stream rate is a lower bound
 * for the client alone. Prints numbers; asserts nothing.
 *
 * <pre>mvn -B -q -pl lem.backend.openai -am -Pbench package -DskipTests  (-Dbench.streams=256 -Dbench.tokens=256)</pre>
 */
public final class ClientCapacityBenchmark {
    private ClientCapacityBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : streams * 4;
        System.out.printf(Locale.ROOT, "cores: %d, streams: %d, tokens/request: %d, requests: %d%n",
                Runtime.getRuntime().availableProcessors(), streams, tokens, requests);
        timestampCost();
        parserRate();
        try (FakeOpenAiServer server = new FakeOpenAiServer("bench", false)) {
            server.keepAlives = false;
            OpenAiClient client = new OpenAiClient(new ClientSettings(URI.create(server.url()), "bench",
                    Endpoint.COMPLETIONS, null, true, false, true, Duration.ofSeconds(120), Map.of()));
            DecodeSettings decode = new DecodeSettings(0, 0, 1, 1, 1, tokens, tokens);
            for (String phase : new String[] { "warmup", "measured" }) {
                int n = phase.equals("warmup") ? Math.min(requests, streams) : requests;
                List<StreamRequest> list = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    list.add(new StreamRequest(phase + i, Prompt.ofText("benchmark prompt"), decode));
                }
                AtomicLong chunks = new AtomicLong();
                long start = System.nanoTime();
                LoadReport report = LoadGenerator.closedLoop(streams).run(list,
                        (r, t) -> client.stream(r, (i, c, nanos) -> chunks.incrementAndGet(), t),
                        LoadGenerator.SendListener.NONE);
                double seconds = (System.nanoTime() - start) / 1e9;
                long received = report.outcomes().stream().mapToLong(StreamOutcome::outputTokens).sum();
                long failed = report.outcomes().stream().filter(StreamOutcome::failed).count();
                System.out.printf(Locale.ROOT, "%s: %d streamed tokens (%d chunks) in %.2f s = %.0f tokens/s, %d failed%n",
                        phase, received, chunks.get(), seconds, received / seconds, failed);
            }
            client.close();
        }
    }

    private static void timestampCost() {
        int n = 20_000_000;
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink += System.nanoTime();
        }
        double perCall = (System.nanoTime() - start) / (double) n;
        System.out.printf(Locale.ROOT, "one System.nanoTime() per chunk: %.1f ns (checksum %d)%n", perCall, sink & 1);
    }

    private static void parserRate() {
        String event = "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"text\":\"t1 \",\"logprobs\":{\"tokens\":[\"t1 \"],\"token_logprobs\":[-0.5],"
                + "\"text_offset\":[0],\"top_logprobs\":[]},\"finish_reason\":null}]}\n\n";
        byte[] bytes = event.repeat(1000).getBytes(StandardCharsets.UTF_8);
        long[] count = new long[1];
        SseParser parser = new SseParser((data, nanos) -> count[0]++);
        int rounds = 2000;
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            parser.feed(bytes, System.nanoTime());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "SSE parser alone: %.0f events/s, %.0f MB/s%n", count[0] / seconds,
                bytes.length * (double) rounds / seconds / 1e6);
    }
}
