package lem.runtime.results;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import lem.api.energy.EnergyReading;
import lem.api.energy.ThrottlePeriod;
import lem.api.flops.Confidence;

/**
 * Computes every metric from raw results alone. One cycle or many go through the same code: energy
 * and tokens are summed, the window is the sum of each cycle's span (first process start to last
 * process end), and percentiles come from all raw samples together.
 */
public final class MetricsCalculator {
    /** Prefill phases shorter than this cannot be resolved from a power series (the sensors update about every 100 ms). */
    static final long POWER_RESOLUTION_NANOS = 100_000_000L;

    private MetricsCalculator() {
    }

    public static WorkloadMetrics compute(List<CycleInput> cycles) {
        Samples samples = new Samples();
        List<String> warnings = new ArrayList<>();
        List<DeviceEnergyFigure> figures = new ArrayList<>();
        List<DevicePhaseEnergy> phaseDevices = new ArrayList<>();
        List<String> phaseNotes = new ArrayList<>();
        List<ThrottlePeriod> throttlePeriods = new ArrayList<>();
        Map<String, BaselinePower> baselines = new LinkedHashMap<>();
        FlopsSum flops = new FlopsSum();
        List<Integer> cycleNumbers = new ArrayList<>();
        int processes = 0;
        long requests = 0;
        long failed = 0;
        long inputTokens = 0;
        long outputTokens = 0;
        long windowNanos = 0;
        long peakMemory = -1;

        for (CycleInput cycle : cycles) {
            cycleNumbers.add(cycle.cycle());
            List<RawResult> raws = cycle.raws();
            if (raws.isEmpty()) {
                continue;
            }
            windowNanos += cycleSpanNanos(cycle, warnings);
            List<DeviceEnergyFigure> cycleFigures = EnergyAccounting.select(cycle.cycle(), raws, warnings);
            figures.addAll(cycleFigures);
            for (RawResult raw : raws) {
                processes++;
                String where = "cycle " + raw.cycle() + " process " + raw.process() + ": ";
                raw.warnings().forEach(w -> warnings.add(where + w));
                for (EnergyReading reading : raw.energy()) {
                    reading.warnings().forEach(w -> warnings.add(where + reading.source() + ": " + w));
                    throttlePeriods.addAll(reading.throttling());
                }
                raw.baseline().forEach(b -> baselines.putIfAbsent(b.source() + " " + b.deviceId(), b));
                for (RequestTimeline request : raw.requests()) {
                    requests++;
                    inputTokens += request.inputTokens();
                    outputTokens += request.outputTokens();
                    if (request.failed()) {
                        failed++;
                    } else {
                        samples.add(request);
                    }
                }
                flops.add(raw, warnings);
                peakMemory = Math.max(peakMemory, raw.peakDeviceMemoryBytes());
            }
            splitPhases(cycle, cycleFigures, phaseDevices, phaseNotes);
        }

        double rawJoules = 0;
        double adjustedJoules = 0;
        Map<String, Double> byDomain = new TreeMap<>();
        Map<String, Double> bySource = new TreeMap<>();
        LinkedHashSet<String> sourcesUsed = new LinkedHashSet<>();
        boolean estimates = false;
        for (DeviceEnergyFigure figure : figures) {
            bySource.merge(figure.source(), figure.rawJoules(), Double::sum);
            if (figure.counted()) {
                rawJoules += figure.rawJoules();
                adjustedJoules += figure.adjustedJoules();
                byDomain.merge(figure.domain().name(), figure.rawJoules(), Double::sum);
                sourcesUsed.add(figure.source());
                estimates |= figure.method() == lem.api.energy.EnergyMethod.ESTIMATE;
                if (figure.baselineWatts() == null) {
                    warnings.add("cycle " + figure.cycle() + ": no baseline for " + figure.deviceId() + " ("
                            + figure.source() + "): its adjusted energy equals the raw energy");
                }
            }
        }
        if (estimates) {
            warnings.add("the energy total includes estimates (not measurements): see energy.devices");
        }
        EnergyMetrics energy = new EnergyMetrics(rawJoules, adjustedJoules, byDomain, bySource,
                List.copyOf(sourcesUsed), estimates, figures, List.copyOf(baselines.values()));

        PhaseEnergy phaseEnergy = null;
        if (!phaseDevices.isEmpty()) {
            double prefill = 0;
            double decode = 0;
            double other = 0;
            double split = 0;
            for (DevicePhaseEnergy device : phaseDevices) {
                split += device.counterJoules();
                prefill += device.prefillJoules();
                decode += device.decodeJoules();
                other += device.otherJoules();
            }
            phaseEnergy = new PhaseEnergy(PhaseEnergy.SCALED_POWER_SERIES, prefill, decode, other, split,
                    phaseDevices,
                    List.copyOf(new LinkedHashSet<>(phaseNotes)));
        } else if (rawJoules > 0) {
            warnings.add("no power series covers a counted device: prefill and decode energy not computed"
                    + (phaseNotes.isEmpty() ? "" : " (" + String.join("; ", new LinkedHashSet<>(phaseNotes)) + ")"));
        }

        boolean measured = !sourcesUsed.isEmpty();
        long totalTokens = inputTokens + outputTokens;
        double windowSeconds = windowNanos / 1e9;
        return new WorkloadMetrics(cycleNumbers, processes, requests, failed, inputTokens, outputTokens, windowNanos,
                ratio(outputTokens, windowSeconds), ratio(totalTokens, windowSeconds),
                ratio(requests - failed, windowSeconds), samples.summarise(), energy, phaseEnergy,
                measured ? ratio(rawJoules, outputTokens) : null, measured ? ratio(rawJoules, totalTokens) : null,
                measured ? ratio(adjustedJoules, outputTokens) : null, ratio(outputTokens, rawJoules),
                ratio(totalTokens, rawJoules),
                flops.metrics(rawJoules, outputTokens, totalTokens, warnings), peakMemory < 0 ? null : peakMemory,
                throttling(throttlePeriods), List.copyOf(new LinkedHashSet<>(warnings)));
    }

    /** Per request latency of one cycle, in process and request order. */
    public static List<RequestMetrics> requestMetrics(CycleInput cycle) {
        List<RequestMetrics> metrics = new ArrayList<>();
        for (RawResult raw : cycle.raws()) {
            for (RequestTimeline request : raw.requests()) {
                long[] gaps = gaps(request);
                double gapSum = 0;
                for (long gap : gaps) {
                    gapSum += gap;
                }
                boolean first = request.hasFirstToken();
                Double tpotNanos = tpotNanos(request);
                metrics.add(new RequestMetrics(cycle.cycle(), raw.process(), request.requestId(),
                        request.inputTokens(), request.outputTokens(),
                        first ? millis(request.firstTokenNanos() - request.startNanos()) : null,
                        tpotNanos == null ? null : tpotNanos / 1e6,
                        millis(request.endNanos() - request.startNanos()),
                        first ? millis(request.endNanos() - request.firstTokenNanos()) : null,
                        gaps.length == 0 ? null : gapSum / gaps.length / 1e6, gaps.length,
                        multiTokenChunks(request), request.finishReason(), request.error()));
            }
        }
        return metrics;
    }

    private static Double ratio(double numerator, double denominator) {
        return denominator > 0 ? numerator / denominator : null;
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** Gaps between consecutive token arrivals of one request, in time order; a multi-token arrival is one gap. */
    static long[] gaps(RequestTimeline request) {
        List<TokenArrival> arrivals = new ArrayList<>(request.tokenEvents());
        arrivals.sort((a, b) -> Long.compare(a.timestampNanos(), b.timestampNanos()));
        if (arrivals.size() < 2) {
            return new long[0];
        }
        long[] gaps = new long[arrivals.size() - 1];
        for (int i = 1; i < arrivals.size(); i++) {
            gaps[i - 1] = arrivals.get(i).timestampNanos() - arrivals.get(i - 1).timestampNanos();
        }
        return gaps;
    }

    static int multiTokenChunks(RequestTimeline request) {
        int chunks = 0;
        for (TokenArrival arrival : request.tokenEvents()) {
            if (arrival.tokenCount() > 1) {
                chunks++;
            }
        }
        return chunks;
    }

    /** (E2E - TTFT) / (output tokens - 1), i.e. (end - first token) / (output tokens - 1). */
    static Double tpotNanos(RequestTimeline request) {
        if (!request.hasFirstToken() || request.outputTokens() < 2) {
            return null;
        }
        return (double) (request.endNanos() - request.firstTokenNanos()) / (request.outputTokens() - 1);
    }

    /**
     * First process start to last process end. Processes on one host share {@code System.nanoTime()};
     * across hosts each window is placed in time through its process's wall-clock anchor.
     */
    private static long cycleSpanNanos(CycleInput cycle, List<String> warnings) {
        List<RawResult> raws = cycle.raws();
        boolean oneHost = raws.stream().map(RawResult::host).distinct().count() == 1;
        long[][] windows = new long[raws.size()][];
        for (int i = 0; i < raws.size(); i++) {
            RawResult raw = raws.get(i);
            long start = raw.window().startNanos();
            long end = raw.window().endNanos();
            windows[i] = oneHost ? new long[] {start, end}
                    : new long[] {raw.wallClockAnchor().toEpochNanos(start), raw.wallClockAnchor().toEpochNanos(end)};
        }
        long spanStart = Long.MAX_VALUE;
        long spanEnd = Long.MIN_VALUE;
        for (int i = 0; i < windows.length; i++) {
            spanStart = Math.min(spanStart, windows[i][0]);
            spanEnd = Math.max(spanEnd, windows[i][1]);
            for (int j = i + 1; j < windows.length; j++) {
                if (Math.max(windows[i][0], windows[j][0]) >= Math.min(windows[i][1], windows[j][1])) {
                    warnings.add("cycle " + cycle.cycle() + ": processes " + raws.get(i).process() + " and "
                            + raws.get(j).process() + " did not overlap in time; their energy and tokens are summed "
                            + "and the throughput window spans both" + (oneHost ? "" : " (compared through wall-clock anchors)"));
                }
            }
        }
        return spanEnd - spanStart;
    }

    /** Splits each counted device's energy into prefill and decode with its process's power series. */
    private static void splitPhases(CycleInput cycle, List<DeviceEnergyFigure> figures,
            List<DevicePhaseEnergy> devices, List<String> notes) {
        for (DeviceEnergyFigure figure : figures) {
            if (!figure.counted()) {
                continue;
            }
            RawResult raw = cycle.raws().stream().filter(r -> r.process() == figure.process()).findFirst().orElseThrow();
            List<PowerSeriesPoint> series = seriesOf(cycle.powerSeriesByProcess().get(figure.process()),
                    figure.source(), figure.deviceId());
            EnergyReading reading = raw.energy().stream().filter(r -> r.source().equals(figure.source())).findFirst()
                    .orElseThrow();
            long start = reading.startNanos();
            long end = reading.endNanos();
            String device = figure.deviceId() + " (" + figure.source() + ", cycle " + cycle.cycle() + ")";
            if (series.isEmpty()) {
                notes.add(device + " has no power series: not split");
                continue;
            }
            PowerTrace trace = new PowerTrace(series);
            int samples = trace.samplesWithin(start, end);
            if (samples < 2) {
                notes.add(device + " has " + samples + " power sample(s) in its window: not split");
                continue;
            }
            TimeIntervals window = TimeIntervals.of(start, end);
            List<long[]> prefillSpans = new ArrayList<>();
            List<long[]> decodeSpans = new ArrayList<>();
            long prefillSumNanos = 0;
            int prefills = 0;
            for (RequestTimeline request : raw.requests()) {
                if (request.hasFirstToken()) {
                    prefillSpans.add(new long[] {request.startNanos(), request.firstTokenNanos()});
                    decodeSpans.add(new long[] {request.firstTokenNanos(), request.endNanos()});
                    prefillSumNanos += request.firstTokenNanos() - request.startNanos();
                    prefills++;
                } else {
                    // No token came: the device spent the request's whole time on its prompt.
                    prefillSpans.add(new long[] {request.startNanos(), request.endNanos()});
                }
            }
            TimeIntervals prefill = TimeIntervals.union(prefillSpans).intersect(window);
            TimeIntervals decode = TimeIntervals.union(decodeSpans).intersect(window).minus(prefill);
            TimeIntervals other = window.minus(prefill).minus(decode);
            double seriesJoules = trace.joules(window);
            if (!(seriesJoules > 0)) {
                notes.add(device + " power series integrates to 0 J: not split");
                continue;
            }
            double scale = figure.rawJoules() / seriesJoules;
            devices.add(new DevicePhaseEnergy(cycle.cycle(), figure.process(), figure.source(), figure.deviceId(),
                    figure.rawJoules(), seriesJoules, scale, samples, prefill.totalNanos(), decode.totalNanos(),
                    other.totalNanos(), scale * trace.joules(prefill), scale * trace.joules(decode),
                    scale * trace.joules(other)));
            notes.add(PhaseEnergy.OVERLAP_RULE);
            if (prefills > 0 && prefillSumNanos / prefills < POWER_RESOLUTION_NANOS) {
                notes.add("mean prefill is shorter than 100 ms, below what a power series resolves (sensors update "
                        + "about every 100 ms): the prefill figure is indicative; measure prefill differentially "
                        + "(one-token requests against full requests over a long window) to publish it");
            }
        }
    }

    /** The device's readings from the figure's own source, else from any source that sampled it. */
    private static List<PowerSeriesPoint> seriesOf(List<PowerSeriesPoint> points, String source, String deviceId) {
        if (points == null) {
            return List.of();
        }
        Map<String, List<PowerSeriesPoint>> bySource = new LinkedHashMap<>();
        for (PowerSeriesPoint point : points) {
            if (point.deviceId().equals(deviceId)) {
                bySource.computeIfAbsent(point.source(), s -> new ArrayList<>()).add(point);
            }
        }
        if (bySource.containsKey(source)) {
            return bySource.get(source);
        }
        return bySource.isEmpty() ? List.of() : bySource.values().iterator().next();
    }

    /** Merges overlapping periods of one device and cause (two sources may report the same period). */
    private static List<ThrottleSummary> throttling(List<ThrottlePeriod> periods) {
        Map<String, Map<String, List<long[]>>> byCause = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (ThrottlePeriod period : periods) {
            byCause.computeIfAbsent(period.cause(), c -> new TreeMap<>())
                    .computeIfAbsent(period.deviceId(), d -> new ArrayList<>())
                    .add(new long[] {period.startNanos(), period.endNanos()});
            counts.merge(period.cause(), 1, Integer::sum);
        }
        List<ThrottleSummary> summaries = new ArrayList<>();
        byCause.forEach((cause, byDevice) -> {
            long nanos = 0;
            for (List<long[]> spans : byDevice.values()) {
                nanos += TimeIntervals.union(spans).totalNanos();
            }
            summaries.add(new ThrottleSummary(cause, nanos / 1e6, counts.get(cause), List.copyOf(byDevice.keySet())));
        });
        return summaries;
    }

    /** Raw latency samples of successful requests, in nanoseconds. */
    private static final class Samples {
        private final List<Long> ttft = new ArrayList<>();
        private final List<Long> itlRaw = new ArrayList<>();
        private final List<Long> itlTrimmed = new ArrayList<>();
        private final List<Double> tpot = new ArrayList<>();
        private final List<Long> e2e = new ArrayList<>();
        private final List<Long> prefill = new ArrayList<>();
        private final List<Long> decode = new ArrayList<>();
        private long arrivals;
        private long chunks;
        private long chunkTokens;

        void add(RequestTimeline request) {
            e2e.add(request.endNanos() - request.startNanos());
            if (request.hasFirstToken()) {
                ttft.add(request.firstTokenNanos() - request.startNanos());
                prefill.add(request.firstTokenNanos() - request.startNanos());
                decode.add(request.endNanos() - request.firstTokenNanos());
            }
            Double tpotNanos = tpotNanos(request);
            if (tpotNanos != null) {
                tpot.add(tpotNanos);
            }
            long[] gaps = gaps(request);
            for (int i = 0; i < gaps.length; i++) {
                itlRaw.add(gaps[i]);
                if (i > 0 && i < gaps.length - 1) {
                    itlTrimmed.add(gaps[i]);
                }
            }
            for (TokenArrival arrival : request.tokenEvents()) {
                arrivals++;
                if (arrival.tokenCount() > 1) {
                    chunks++;
                    chunkTokens += arrival.tokenCount();
                }
            }
        }

        LatencyMetrics summarise() {
            double[] prefillMs = toMillis(prefill);
            double[] decodeMs = toMillis(decode);
            return new LatencyMetrics(SampleSummary.of(toMillis(ttft)), SampleSummary.of(toMillis(itlRaw)),
                    SampleSummary.of(toMillis(itlTrimmed)),
                    SampleSummary.of(tpot.stream().mapToDouble(v -> v / 1e6).toArray()), SampleSummary.of(toMillis(e2e)),
                    SampleSummary.of(prefillMs), SampleSummary.of(decodeMs), sum(prefillMs), sum(decodeMs), arrivals,
                    chunks, chunkTokens);
        }

        private static double[] toMillis(List<Long> nanos) {
            return nanos.stream().mapToDouble(v -> v / 1e6).toArray();
        }

        private static double sum(double[] values) {
            double sum = 0;
            for (double value : values) {
                sum += value;
            }
            return sum;
        }
    }

    /** FLOPs summed over processes: the backend's own count where it has one, else the chain's estimate. */
    private static final class FlopsSum {
        private long prefill;
        private long decode;
        private final LinkedHashSet<String> methods = new LinkedHashSet<>();
        private Confidence lowest = Confidence.HIGH;
        private final List<String> missing = new ArrayList<>();

        void add(RawResult raw, List<String> warnings) {
            if (raw.executedOperations() != null) {
                prefill += raw.executedOperations().prefillFlops();
                decode += raw.executedOperations().decodeFlops();
                methods.add("executed (" + raw.executedOperations().counts() + ")");
            } else if (raw.flops() != null) {
                prefill += raw.flops().prefillFlops();
                decode += raw.flops().decodeFlops();
                methods.add(raw.flops().strategy());
                if (raw.flops().confidence() != null && raw.flops().confidence().ordinal() > lowest.ordinal()) {
                    lowest = raw.flops().confidence();
                }
            } else {
                missing.add("cycle " + raw.cycle() + " process " + raw.process());
            }
        }

        FlopsMetrics metrics(double rawJoules, long outputTokens, long totalTokens, List<String> warnings) {
            if (methods.isEmpty()) {
                return null;
            }
            if (!missing.isEmpty()) {
                warnings.add("no FLOPs for " + String.join(", ", missing) + ": FLOP figures left out");
                return null;
            }
            long total = prefill + decode;
            return new FlopsMetrics(total, prefill, decode, String.join(", ", methods), lowest.name(),
                    ratio(total, rawJoules), ratio(total, outputTokens), ratio(total, totalTokens));
        }
    }
}
