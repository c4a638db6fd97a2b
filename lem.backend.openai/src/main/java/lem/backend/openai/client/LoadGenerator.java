package lem.backend.openai.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends requests as open-loop traffic (each at its arrival instant, however many are in flight:
 * the server's queue, not the client, absorbs a burst) or as a closed loop (a fixed number in
 * flight, the next sent when one finishes). Records each request's arrival and send instants,
 * tracks the requests in flight, and says when an open loop saturated the server: completions
 * fell behind arrivals, or the number in flight kept growing.
 */
public final class LoadGenerator {
    /** Completions must keep up with at least this share of the offered rate. */
    static final double ACHIEVED_SHARE = 0.9;
    /** In flight over the last third of arrivals versus the middle third, beyond which the queue grows. */
    static final double QUEUE_GROWTH = 1.5;

    /** Sends one request without blocking; the future completes with its outcome. */
    @FunctionalInterface
    public interface Sender {
        /** @param sendNanos the send instant the generator recorded, for the outcome to carry */
        CompletableFuture<StreamOutcome> send(StreamRequest request, long sendNanos);
    }

    /** Hears each send just before it happens, on the sending thread. */
    @FunctionalInterface
    public interface SendListener {
        SendListener NONE = (index, sendNanos) -> {
        };

        void sending(int index, long sendNanos);
    }

    private final long[] arrivalOffsetsNanos;
    private final int concurrency;

    private LoadGenerator(long[] arrivalOffsetsNanos, int concurrency) {
        this.arrivalOffsetsNanos = arrivalOffsetsNanos;
        this.concurrency = concurrency;
    }

    /** Each request sent at its offset from the start, however many are in flight. */
    public static LoadGenerator openLoop(long[] arrivalOffsetsNanos) {
        for (int i = 1; i < arrivalOffsetsNanos.length; i++) {
            if (arrivalOffsetsNanos[i] < arrivalOffsetsNanos[i - 1] || arrivalOffsetsNanos[0] < 0) {
                throw new IllegalArgumentException("arrival offsets must be >= 0 and in order");
            }
        }
        return new LoadGenerator(arrivalOffsetsNanos.clone(), 0);
    }

    /** {@code concurrency} requests in flight; a request arrives when it is sent. */
    public static LoadGenerator closedLoop(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1: " + concurrency);
        }
        return new LoadGenerator(null, concurrency);
    }

    public boolean openLoop() {
        return arrivalOffsetsNanos != null;
    }

    /**
     * Sends every request and waits for all of them. A fatal outcome (the server is gone) stops
     * sending: the rest fail as not sent. Interrupting the thread abandons the streams in flight and
     * throws.
     *
     * @param started hears each send just before it happens
     */
    public LoadReport run(List<StreamRequest> requests, Sender sender, SendListener started)
            throws InterruptedException {
        if (openLoop() && arrivalOffsetsNanos.length != requests.size()) {
            throw new IllegalArgumentException(arrivalOffsetsNanos.length + " arrival offsets for " + requests.size()
                    + " requests");
        }
        int n = requests.size();
        long[] arrival = new long[n];
        long[] send = new long[n];
        int[] inFlightAtArrival = new int[n];
        List<CompletableFuture<StreamOutcome>> futures = new ArrayList<>(n);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicReference<String> fatal = new AtomicReference<>();
        Semaphore slots = openLoop() ? null : new Semaphore(concurrency);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                StreamRequest request = requests.get(i);
                if (openLoop()) {
                    waitUntil(start + arrivalOffsetsNanos[i]);
                    arrival[i] = start + arrivalOffsetsNanos[i];
                } else {
                    slots.acquire();
                }
                String gone = fatal.get();
                if (gone != null) {
                    futures.add(CompletableFuture.completedFuture(
                            StreamOutcome.failure(request.id(), 0, "not sent: " + gone, true)));
                    if (slots != null) {
                        slots.release();
                    }
                    continue;
                }
                inFlightAtArrival[i] = inFlight.incrementAndGet();
                send[i] = System.nanoTime();
                if (!openLoop()) {
                    arrival[i] = send[i];
                }
                started.sending(i, send[i]);
                CompletableFuture<StreamOutcome> f = sender.send(request, send[i]).whenComplete((o, e) -> {
                    inFlight.decrementAndGet();
                    if (slots != null) {
                        slots.release();
                    }
                    if (o != null && o.fatal()) {
                        fatal.compareAndSet(null, o.error());
                    }
                });
                futures.add(f);
            }
            List<StreamOutcome> outcomes = new ArrayList<>(n);
            for (CompletableFuture<StreamOutcome> f : futures) {
                outcomes.add(f.get());
            }
            return report(outcomes, arrival, send, inFlightAtArrival);
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a sender failed instead of reporting an outcome", e.getCause());
        }
    }

    private static void waitUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private LoadReport report(List<StreamOutcome> outcomes, long[] arrival, long[] send, int[] inFlightAtArrival) {
        Map<String, String> figures = new LinkedHashMap<>();
        int n = outcomes.size();
        figures.put("load.mode", openLoop() ? "open" : "closed");
        if (!openLoop()) {
            figures.put("load.concurrency", Integer.toString(concurrency));
        }
        long[] ends = outcomes.stream().filter(o -> !o.failed()).mapToLong(StreamOutcome::endNanos).sorted().toArray();
        long[] sent = Arrays.stream(send).filter(s -> s != 0).sorted().toArray();
        if (sent.length > 1) {
            figures.put("load.send_rate_per_s", rate(sent.length, sent[sent.length - 1] - sent[0]));
        }
        double achieved = ends.length > 1 ? (ends.length - 1) * 1e9 / (ends[ends.length - 1] - ends[0]) : Double.NaN;
        if (ends.length > 1) {
            figures.put("load.achieved_rate_per_s", format(achieved));
        }
        figures.put("load.in_flight_max", Integer.toString(Arrays.stream(inFlightAtArrival).max().orElse(0)));
        Optional<String> saturation = Optional.empty();
        if (openLoop() && n > 1) {
            long span = arrivalOffsetsNanos[n - 1] - arrivalOffsetsNanos[0];
            double offered = span > 0 ? (n - 1) * 1e9 / span : Double.POSITIVE_INFINITY;
            figures.put("load.offered_rate_per_s", format(offered));
            long[] lags = new long[sent.length];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (send[i] != 0) {
                    lags[k++] = send[i] - arrival[i];
                }
            }
            Arrays.sort(lags);
            if (lags.length > 0) {
                figures.put("load.send_lag_p50_ms", format(lags[lags.length / 2] / 1e6));
                figures.put("load.send_lag_max_ms", format(lags[lags.length - 1] / 1e6));
            }
            double growth = queueGrowth(inFlightAtArrival);
            if (!Double.isNaN(growth)) {
                figures.put("load.in_flight_growth", format(growth));
            }
            List<String> reasons = new ArrayList<>();
            if (Double.isFinite(offered) && ends.length > 1 && achieved < ACHIEVED_SHARE * offered) {
                reasons.add(String.format(Locale.ROOT, "completions %.3g/s fell short of the offered %.3g/s", achieved,
                        offered));
            }
            if (growth > QUEUE_GROWTH) {
                reasons.add(String.format(Locale.ROOT, "requests in flight grew %.2fx from the middle to the last third"
                        + " of arrivals", growth));
            }
            if (!reasons.isEmpty()) {
                saturation = Optional.of(String.join("; ", reasons));
            }
        }
        figures.put("load.saturated", Boolean.toString(saturation.isPresent()));
        saturation.ifPresent(s -> figures.put("load.saturation", s));
        return new LoadReport(outcomes, arrival, send, openLoop(), saturation, figures);
    }

    /**
     * Mean in flight at the arrivals of the last third over the middle third (the first third is
     * ramp-up); NaN with fewer than 9 requests, and 1 when the middle third is empty-handed but
     * there are fewer than 3 in flight at the end (a few stragglers are no queue).
     */
    static double queueGrowth(int[] inFlightAtArrival) {
        int n = inFlightAtArrival.length;
        if (n < 9) {
            return Double.NaN;
        }
        double middle = mean(inFlightAtArrival, n / 3, 2 * n / 3);
        double last = mean(inFlightAtArrival, 2 * n / 3, n);
        if (last - middle < 2) {
            return 1; // at most a couple more in flight: noise, not a growing queue
        }
        return last / Math.max(middle, 1);
    }

    private static double mean(int[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }

    private static String rate(int count, long spanNanos) {
        return spanNanos > 0 ? format((count - 1) * 1e9 / spanNanos) : "inf";
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }
}
