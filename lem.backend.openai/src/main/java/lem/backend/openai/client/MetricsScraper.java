package lem.backend.openai.client;

import java.io.BufferedWriter;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads the server's Prometheus page at a fixed interval and appends every sample (histogram
 * buckets left out) to a CSV file: {@code nano_time,epoch_millis,metric,labels,value}. vLLM's
 * running and waiting requests, KV-cache usage, prefix-cache queries and hits and token counters
 * are all there; {@code nano_time} is on the same clock as the token timestamps.
 */
public final class MetricsScraper implements AutoCloseable {
    public static final String HEADER = "nano_time,epoch_millis,metric,labels,value";

    private final OpenAiClient client;
    private final String path;
    private final Path csv;
    private final ScheduledExecutorService timer;
    private final BufferedWriter out;
    private volatile int scrapes;
    private volatile String lastProblem;

    /** Starts scraping {@code path} of the client's server every {@code interval}. */
    public MetricsScraper(OpenAiClient client, String path, Duration interval, Path csv) throws IOException {
        this.client = client;
        this.path = path;
        this.csv = csv;
        Files.createDirectories(csv.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8);
        out.write(HEADER);
        out.newLine();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lem-metrics-scraper");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::scrape, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    public Path file() {
        return csv;
    }

    /** Pages read and written so far. */
    public int scrapes() {
        return scrapes;
    }

    /** The last failed scrape's reason, or null. */
    public String lastProblem() {
        return lastProblem;
    }

    private void scrape() {
        try {
            long nanos = System.nanoTime();
            long millis = System.currentTimeMillis();
            HttpResponse<String> page = client.get(path, Duration.ofSeconds(5));
            if (page.statusCode() != 200) {
                lastProblem = path + " answered " + page.statusCode();
                return;
            }
            StringBuilder rows = new StringBuilder();
            for (PrometheusText.Sample s : PrometheusText.parse(page.body())) {
                if (s.name().endsWith("_bucket")) {
                    continue;
                }
                rows.append(nanos).append(',').append(millis).append(',').append(s.name()).append(',')
                        .append('"').append(s.labels().replace("\"", "\"\"")).append('"').append(',')
                        .append(String.format(Locale.ROOT, "%s", s.value())).append('\n');
            }
            synchronized (out) {
                out.write(rows.toString());
                out.flush();
            }
            scrapes++;
        } catch (IOException e) {
            lastProblem = OpenAiClient.describe(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops scraping, reads the page once more (the counters as the run left them, however short it
     * was) and closes the file. A scrape in flight is let finish: interrupting it would lose it.
     */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(10, TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (!Thread.currentThread().isInterrupted()) {
            scrape();
        }
        synchronized (out) {
            try {
                out.close();
            } catch (IOException e) {
                lastProblem = "closing " + csv + ": " + e.getMessage();
            }
        }
    }
}
