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
        return compute(cycles, new LinkedHashMap<>());
    }

    /** One cycle's metrics and its per-request figures, the energy shared out once for both. */
    public static CycleResult cycle(CycleInput cycle) {
        Map<String, Double> requestEnergy = new LinkedHashMap<>();
        WorkloadMetrics metrics = compute(List.of(cycle), requestEnergy);
        return new CycleResult(cycle.cycle(), metrics, requestMetrics(cycle,
                metrics.energy() != null && !metrics.energy().sourcesUsed().isEmpty() ? requestEnergy : null));
    }

    /** As {@link #compute(List)}, adding each request's share of the energy to {@code requestEnergy} (process/id). */
    private static WorkloadMetrics compute(List<CycleInput> cycles, Map<String, Double> requestEnergy) {
        Samples samples = new Samples();
        List<String> warnings = new ArrayList<>();
        List<DeviceEnergyFigure> figures = new ArrayList<>();
        List<DevicePhaseEnergy> phaseDevices = new ArrayList<>();
        List<String> phaseNotes = new ArrayList<>();
        List<ThrottlePeriod> throttlePeriods = new ArrayList<>();
        Map<String, BaselinePower> baselines = new LinkedHashMap<>();
        FlopsSum flops = new FlopsSum();
        SteadyStateSum steady = new SteadyStateSum();
        List<Integer> cycleNumbers = new ArrayList<>();
        int processes = 0;
        long requests = 0;
        long failed = 0;
        long inputTokens = 0;
        long outputTokens = 0;
        long failedOutputTokens = 0;
        long windowNanos = 0;
        long peakMemory = -1;
        Map<String, String> carbonFacts = null; // the first reading that knows the grid's intensity

        for (CycleInput cycle : cycles) {
            cycleNumbers.add(cycle.cycle());
            List<RawResult> raws = cycle.raws();
            if (raws.isEmpty()) {
                continue;
            }
            windowNanos += cycleSpanNanos(cycle, warnings);
            List<DeviceEnergyFigure> cycleFigures = EnergyAccounting.select(cycle, warnings);
            figures.addAll(cycleFigures);
            for (RawResult raw : raws) {
                processes++;
                String where = "cycle " + raw.cycle() + " process " + raw.process() + ": ";
                raw.warnings().forEach(w -> warnings.add(where + w));
                for (EnergyReading reading : raw.energy()) {
                    if (carbonFacts == null && reading.facts().containsKey(CarbonFootprint.INTENSITY_FACT)) {
                        carbonFacts = reading.facts();
                    }
                    reading.warnings().forEach(w -> warnings.add(where + reading.source() + ": " + w));
                    throttlePeriods.addAll(reading.throttling());
                }
                raw.baseline().forEach(b -> baselines.putIfAbsent(b.source() + " " + b.deviceId(), b));
                for (RequestTimeline request : raw.requests()) {
                    requests++;
                    if (request.failed()) {
                        // a failed request's tokens were not delivered: they count towards neither
                        // throughput nor energy per token
                        failed++;
                        failedOutputTokens += request.outputTokens();
                    } else {
                        inputTokens += request.inputTokens();
                        outputTokens += request.outputTokens();
                        samples.add(request);
                    }
                }
                flops.add(raw, warnings);
                peakMemory = Math.max(peakMemory, raw.peakDeviceMemoryBytes());
            }
            attribute(cycle, cycleFigures, phaseDevices, phaseNotes, requestEnergy, steady);
        }

        if (failedOutputTokens > 0) {
            warnings.add(failed + " failed request(s) generated " + failedOutputTokens + " output token(s) before "
                    + "failing: left out of token counts, throughput and energy per token");
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
        // no source ran at all (energy.sources: none): no energy figures, rather than zeros
        boolean anySource = cycles.stream().flatMap(c -> c.raws().stream()).anyMatch(r -> !r.energy().isEmpty());
        EnergyMetrics energy = anySource ? new EnergyMetrics(rawJoules, adjustedJoules, byDomain, bySource,
                List.copyOf(sourcesUsed), estimates, figures, List.copyOf(baselines.values())) : null;

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
                throttling(throttlePeriods), List.copyOf(new LinkedHashSet<>(warnings)), steady.result(),
                measured && carbonFacts != null ? CarbonFootprint.of(rawJoules, carbonFacts) : null);
    }

    /** Per request latency of one cycle, in process and request order. */
    public static List<RequestMetrics> requestMetrics(CycleInput cycle) {
        return cycle(cycle).requests();
    }

    /** Per request figures; {@code requestEnergy} (process/id) null when no energy was counted. */
    private static List<RequestMetrics> requestMetrics(CycleInput cycle, Map<String, Double> requestEnergy) {
        List<RequestMetrics> metrics = new ArrayList<>();
        boolean measured = requestEnergy != null;
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
                        first ? millis(request.firstTokenNanos() - request.arrivalNanos()) : null,
                        tpotNanos == null ? null : tpotNanos / 1e6,
                        millis(request.endNanos() - request.arrivalNanos()),
                        first ? millis(request.endNanos() - request.firstTokenNanos()) : null,
                        gaps.length == 0 ? null : gapSum / gaps.length / 1e6, gaps.length,
                        multiTokenChunks(request), request.finishReason(), request.error(),
                        millis(request.startNanos() - request.arrivalNanos()),
                        gaps.length == 0 ? null : java.util.Arrays.stream(gaps).max().getAsLong() / 1e6,
                        measured ? requestEnergy.getOrDefault(raw.process() + "/" + request.requestId(), 0.0) : null));
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

    /** Per-token gaps of one request: an arrival of k tokens after a gap g gives k gaps of g / k. */
    static List<Double> perTokenGapsNanos(RequestTimeline request) {
        List<TokenArrival> arrivals = new ArrayList<>(request.tokenEvents());
        arrivals.sort((a, b) -> Long.compare(a.timestampNanos(), b.timestampNanos()));
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < arrivals.size(); i++) {
            int tokens = arrivals.get(i).tokenCount();
            double gap = (double) (arrivals.get(i).timestampNanos() - arrivals.get(i - 1).timestampNanos()) / tokens;
            for (int k = 0; k < tokens; k++) {
                gaps.add(gap);
            }
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

    /**
     * Shares each counted device's energy over its process's work window among that process's
     * requests in flight and their phases ({@link InFlightAttribution}), with the device's power
     * series scaled to its figure, or at the figure's mean power where it has no series. Adds each
     * device's split, each request's share (keyed process/request id) and the steady state.
     */
    private static void attribute(CycleInput cycle, List<DeviceEnergyFigure> figures, List<DevicePhaseEnergy> devices,
            List<String> notes, Map<String, Double> requestEnergy, SteadyStateSum steady) {
        Map<Integer, InFlightAttribution.Plateau> plateaus = new LinkedHashMap<>();
        for (RawResult raw : cycle.raws()) {
            InFlightAttribution.Plateau plateau = InFlightAttribution.plateau(raw.requests(), raw.window().startNanos(),
                    raw.window().endNanos());
            if (plateau != null) {
                plateaus.put(raw.process(), plateau);
                steady.addWindow(plateau, raw.requests());
            }
        }
        for (DeviceEnergyFigure figure : figures) {
            if (!figure.counted()) {
                continue;
            }
            RawResult raw = cycle.raws().stream().filter(r -> r.process() == figure.process()).findFirst().orElseThrow();
            List<PowerSeriesPoint> series = PowerSeriesPoint.of(cycle.powerSeriesByProcess().get(figure.process()),
                    figure.source(), figure.deviceId());
            // the work window, as throughput and the figure itself
            long start = raw.window().startNanos();
            long end = raw.window().endNanos();
            String device = figure.deviceId() + " (" + figure.source() + ", cycle " + cycle.cycle() + ")";
            PowerTrace trace = series.isEmpty() ? null : new PowerTrace(series);
            int samples = trace == null ? 0 : trace.samplesWithin(start, end);
            double seriesJoules = trace == null ? 0 : trace.joules(start, end);
            InFlightAttribution.EnergyProfile profile;
            double scale;
            if (samples >= 2 && seriesJoules > 0) {
                scale = figure.rawJoules() / seriesJoules;
                profile = (from, to) -> scale * trace.joules(from, to);
            } else if (end > start) {
                notes.add(device + " has " + samples + " power sample(s) in its window: shared at its mean power");
                scale = Double.NaN;
                double watts = figure.rawJoules() / ((end - start) / 1e9);
                profile = (from, to) -> watts * (to - from) / 1e9;
            } else {
                continue;
            }
            InFlightAttribution.Shares shares = InFlightAttribution.share(raw.requests(), start, end, profile);
            devices.add(new DevicePhaseEnergy(cycle.cycle(), figure.process(), figure.source(), figure.deviceId(),
                    figure.rawJoules(), seriesJoules, Double.isNaN(scale) ? 0 : scale, samples, shares.prefillNanos(),
                    shares.decodeNanos(), shares.otherNanos(), shares.prefillJoules(), shares.decodeJoules(),
                    shares.otherJoules()));
            shares.joulesByRequest().forEach((id, joules) -> requestEnergy.merge(raw.process() + "/" + id, joules,
                    Double::sum));
            InFlightAttribution.Plateau plateau = plateaus.get(figure.process());
            if (plateau != null) {
                steady.addEnergy(profile.joules(plateau.startNanos(), plateau.endNanos()));
            }
            notes.add(PhaseEnergy.OVERLAP_RULE);
            long prefillSumNanos = 0;
            int prefills = 0;
            for (RequestTimeline request : raw.requests()) {
                if (request.hasFirstToken()) {
                    prefillSumNanos += request.firstTokenNanos() - request.startNanos();
                    prefills++;
                }
            }
            if (prefills > 0 && prefillSumNanos / prefills < POWER_RESOLUTION_NANOS) {
                notes.add("mean prefill is shorter than 100 ms, below what a power series resolves (sensors update "
                        + "about every 100 ms): the prefill figure is indicative; measure prefill differentially "
                        + "(one-token requests against full requests over a long window) to publish it");
            }
        }
    }

    /** The steady-state windows of several processes and cycles, summed. */
    private static final class SteadyStateSum {
        private int inFlight;
        private long durationNanos;
        private long outputTokens;
        private double energyJoules;
        private boolean energy;

        void addWindow(InFlightAttribution.Plateau plateau, List<RequestTimeline> requests) {
            inFlight = Math.max(inFlight, plateau.inFlight());
            durationNanos += plateau.endNanos() - plateau.startNanos();
            for (RequestTimeline request : requests) {
                if (request.failed()) {
                    continue;
                }
                for (TokenArrival arrival : request.tokenEvents()) {
                    if (arrival.timestampNanos() > plateau.startNanos() && arrival.timestampNanos() <= plateau.endNanos()) {
                        outputTokens += arrival.tokenCount();
                    }
                }
            }
        }

        void addEnergy(double joules) {
            energyJoules += joules;
            energy = true;
        }

        SteadyState result() {
            if (durationNanos <= 0) {
                return null;
            }
            return new SteadyState(inFlight, durationNanos, outputTokens, energy ? energyJoules : null,
                    ratio(outputTokens, durationNanos / 1e9), energy ? ratio(energyJoules, outputTokens) : null);
        }
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
        private final List<Long> queue = new ArrayList<>();
        private final List<Double> itlPerToken = new ArrayList<>();
        private long arrivals;
        private long chunks;
        private long chunkTokens;

        void add(RequestTimeline request) {
            e2e.add(request.endNanos() - request.arrivalNanos());
            queue.add(request.startNanos() - request.arrivalNanos());
            itlPerToken.addAll(perTokenGapsNanos(request));
            if (request.hasFirstToken()) {
                ttft.add(request.firstTokenNanos() - request.arrivalNanos());
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
                    chunks, chunkTokens, SampleSummary.of(toMillis(queue)),
                    SampleSummary.of(itlPerToken.stream().mapToDouble(v -> v / 1e6).toArray()));
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
        private boolean overflowed;

        void add(RawResult raw, List<String> warnings) {
            if (raw.executedOperations() != null) {
                addFlops(raw.executedOperations().prefillFlops(), raw.executedOperations().decodeFlops());
                methods.add("executed (" + raw.executedOperations().counts() + ")");
            } else if (raw.flops() != null) {
                addFlops(raw.flops().prefillFlops(), raw.flops().decodeFlops());
                methods.add(raw.flops().strategy());
                if (raw.flops().confidence() != null && raw.flops().confidence().ordinal() > lowest.ordinal()) {
                    lowest = raw.flops().confidence();
                }
            } else {
                missing.add("cycle " + raw.cycle() + " process " + raw.process());
            }
        }

        /** Sums without wrapping round: past 9.2e18 FLOPs the total is left out, not reported wrong. */
        private void addFlops(long prefillFlops, long decodeFlops) {
            if (overflowed) {
                return;
            }
            try {
                prefill = Math.addExact(prefill, prefillFlops);
                decode = Math.addExact(decode, decodeFlops);
                Math.addExact(prefill, decode);
            } catch (ArithmeticException e) {
                overflowed = true;
            }
        }

        FlopsMetrics metrics(double rawJoules, long outputTokens, long totalTokens, List<String> warnings) {
            if (methods.isEmpty()) {
                return null;
            }
            if (overflowed) {
                warnings.add("the FLOPs total exceeds " + Long.MAX_VALUE + ", the largest count lem stores: FLOP "
                        + "figures left out (see each raw file for its own count)");
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
