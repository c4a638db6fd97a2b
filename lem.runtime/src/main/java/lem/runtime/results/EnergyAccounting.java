package lem.runtime.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;

/**
 * Decides which energy figures of one cycle make up its total, so that no device is counted twice,
 * and moves each figure onto its process's work window:
 * <ul>
 * <li>one figure per device: a GPU is keyed by its id alone (a UUID is unique across hosts), any
 * other device by id and host;</li>
 * <li>among figures of one device, a source that reads the device directly beats one that models
 * or relays it (CodeCarbon's copy of the NVML counter); then a counter beats power integration,
 * which beats an estimate; then the lower process index, then the source name;</li>
 * <li>a CPU package or DRAM domain of one host is counted from one source only, whatever the
 * sources call its devices (RAPL's {@code package-0} and CodeCarbon's {@code cpu} are the same
 * package): the best-ranked source's figures;</li>
 * <li>a device reported by two processes of one cycle is counted once, with a warning;</li>
 * <li>an estimate is dropped when another source measures the same domain on the same host
 * (device names of estimates need not match the measured ones);</li>
 * <li>a system-wide figure (RAPL psys) contains the CPU packages and DRAM of its host, not discrete
 * GPUs: measured package or DRAM figures replace it; a measured system figure replaces estimated
 * ones.</li>
 * </ul>
 */
final class EnergyAccounting {
    static final String SELECTION_RULE = "one figure per device (GPU by id, others by id and host); a source reading "
            + "the device directly before one modelling or relaying it, then counter before power integration before "
            + "estimate; a CPU package or DRAM domain of one host counted from one source only; estimates dropped "
            + "where the domain is measured; a system-wide "
            + "figure (containing CPU packages and DRAM, not discrete GPUs) dropped where those are measured, and "
            + "preferred to their estimates; a device reported by two processes counted once";

    static final String WINDOW_RULE = "each figure covers its process's work window (from handing the backend "
            + "its requests to its return, the window throughput uses): a source's session opens a little before it and closes a little after, so the "
            + "energy between the session's edges and the work window's is taken off (or added) with the device's "
            + "power series (trapezoids, held beyond the first and last sample), or in proportion to time at the "
            + "reading's mean power where there is no series";

    private EnergyAccounting() {
    }

    private record Candidate(int process, String host, boolean estimatingSource, EnergyReading reading,
            DeviceEnergy device, BaselinePower baseline, MeasurementWindow work, PowerTrace trace) {
        String key() {
            return device.domain() == EnergyDomain.GPU ? "GPU " + device.deviceId()
                    : device.domain() + " " + device.deviceId() + " on " + host;
        }

        int methodRank() {
            return switch (device.method()) {
                case COUNTER -> 0;
                case POWER_INTEGRATION -> 1;
                case ESTIMATE -> 2;
            };
        }

        /** The host's domain this figure belongs to, for figures that are not per-GPU. */
        String hostDomain() {
            return device.domain() + " on " + host;
        }
    }

    private static final Comparator<Candidate> RANK = Comparator.comparing(Candidate::estimatingSource)
            .thenComparingInt(Candidate::methodRank).thenComparingInt(Candidate::process)
            .thenComparing(c -> c.reading().source());

    /** The cycle's figures, each marked counted or not and moved onto its work window, and the warnings the choice raised. */
    static List<DeviceEnergyFigure> select(CycleInput cycle, List<String> warnings) {
        Map<String, List<Candidate>> byDevice = new LinkedHashMap<>();
        for (RawResult raw : cycle.raws()) {
            List<PowerSeriesPoint> series = cycle.powerSeriesByProcess().getOrDefault(raw.process(), List.of());
            for (EnergyReading reading : raw.energy()) {
                for (DeviceEnergy device : reading.devices()) {
                    List<PowerSeriesPoint> points = PowerSeriesPoint.of(series, reading.source(), device.deviceId());
                    Candidate candidate = new Candidate(raw.process(), raw.host(),
                            raw.estimatingSources().contains(reading.source()), reading, device,
                            baselineFor(raw, reading.source(), device.deviceId()), raw.window(),
                            points.isEmpty() ? null : new PowerTrace(points));
                    byDevice.computeIfAbsent(candidate.key(), k -> new ArrayList<>()).add(candidate);
                }
            }
        }
        Map<Candidate, String> dropped = new IdentityHashMap<>();
        List<Candidate> winners = new ArrayList<>();
        for (Map.Entry<String, List<Candidate>> group : byDevice.entrySet()) {
            List<Candidate> candidates = new ArrayList<>(group.getValue());
            candidates.sort(RANK);
            Candidate winner = candidates.get(0);
            winners.add(winner);
            List<Integer> otherProcesses = new ArrayList<>();
            for (Candidate other : candidates.subList(1, candidates.size())) {
                if (other.process() == winner.process()) {
                    dropped.put(other, "device also measured by " + winner.reading().source() + " ("
                            + winner.device().method() + "), which is used");
                } else {
                    dropped.put(other, "already counted from process " + winner.process()
                            + " (reported by two processes of the cycle)");
                    if (!otherProcesses.contains(other.process())) {
                        otherProcesses.add(other.process());
                    }
                }
            }
            if (!otherProcesses.isEmpty()) {
                warnings.add("cycle " + cycle + ": " + group.getKey() + " was reported by process " + winner.process()
                        + " and by process(es) " + otherProcesses + "; counted once, from process " + winner.process());
            }
        }
        dropSecondSources(winners, dropped);
        for (Candidate winner : winners) {
            if (winner.device().method() == EnergyMethod.ESTIMATE) {
                winners.stream()
                        .filter(other -> other != winner && other.device().method() != EnergyMethod.ESTIMATE
                                && other.device().domain() == winner.device().domain()
                                && other.host().equals(winner.host()))
                        .findFirst()
                        .ifPresent(measured -> dropped.put(winner, "estimate; " + winner.device().domain()
                                + " on this host is measured by " + measured.reading().source()));
            }
        }
        for (Candidate system : winners) {
            if (system.device().domain() != EnergyDomain.SYSTEM || dropped.containsKey(system)) {
                continue;
            }
            List<Candidate> contained = winners.stream()
                    .filter(other -> !dropped.containsKey(other) && other.host().equals(system.host())
                            && (other.device().domain() == EnergyDomain.CPU_PACKAGE
                                    || other.device().domain() == EnergyDomain.DRAM))
                    .toList();
            boolean componentsMeasured = contained.stream().anyMatch(c -> c.device().method() != EnergyMethod.ESTIMATE);
            if (componentsMeasured) {
                dropped.put(system, "system-wide figure contains the CPU package and DRAM figures that are counted");
            } else if (system.device().method() != EnergyMethod.ESTIMATE) {
                contained.forEach(estimate -> dropped.put(estimate, "estimate; contained in the system-wide figure of "
                        + system.reading().source()));
            } else if (!contained.isEmpty()) {
                dropped.put(system, "system-wide estimate contains the CPU package and DRAM estimates that are counted");
            }
        }
        List<DeviceEnergyFigure> figures = new ArrayList<>();
        for (List<Candidate> group : byDevice.values()) {
            for (Candidate candidate : group) {
                String reason = dropped.get(candidate);
                figures.add(figure(cycle.cycle(), candidate, reason == null, reason == null ? "" : reason));
            }
        }
        return figures;
    }

    /**
     * A CPU package or DRAM domain of one host counted from one source: figures of a second source
     * in the same domain cover the same hardware under other names (CodeCarbon's {@code cpu} is the
     * sum of RAPL's packages), so the best-ranked source's figures stay and the others go.
     */
    private static void dropSecondSources(List<Candidate> winners, Map<Candidate, String> dropped) {
        Map<String, Candidate> bestByDomain = new LinkedHashMap<>();
        for (Candidate candidate : winners) {
            EnergyDomain domain = candidate.device().domain();
            if (domain != EnergyDomain.CPU_PACKAGE && domain != EnergyDomain.DRAM) {
                continue;
            }
            bestByDomain.merge(candidate.hostDomain(), candidate, (a, b) -> RANK.compare(a, b) <= 0 ? a : b);
        }
        for (Candidate candidate : winners) {
            Candidate best = bestByDomain.get(candidate.hostDomain());
            if (best != null && !best.reading().source().equals(candidate.reading().source())) {
                dropped.put(candidate, candidate.device().domain() + " on this host is counted from "
                        + best.reading().source() + " (" + best.device().method() + "); " + candidate.reading().source()
                        + "'s '" + candidate.device().deviceId() + "' covers the same hardware");
            }
        }
    }

    private static DeviceEnergyFigure figure(int cycle, Candidate candidate, boolean counted, String reason) {
        DeviceEnergy device = candidate.device();
        EnergyReading reading = candidate.reading();
        MeasurementWindow work = candidate.work();
        double correction;
        String how;
        long startGap = work.startNanos() - reading.startNanos(); // > 0: the session opened before the work
        long endGap = reading.endNanos() - work.endNanos(); // > 0: the session closed after it
        if (startGap == 0 && endGap == 0) {
            correction = 0;
            how = "the reading's window is the work window";
        } else if (candidate.trace() != null) {
            correction = -candidate.trace().signedJoules(reading.startNanos(), work.startNanos())
                    - candidate.trace().signedJoules(work.endNanos(), reading.endNanos());
            how = String.format(Locale.ROOT, "session %+.3f ms before the work and %+.3f ms after it, "
                    + "moved with the power series", startGap / 1e6, endGap / 1e6);
        } else if (reading.durationNanos() > 0) {
            correction = device.energyJoules() * ((double) work.durationNanos() / reading.durationNanos() - 1);
            how = String.format(Locale.ROOT, "session %+.3f ms before the work and %+.3f ms after it, moved "
                    + "at the reading's mean power (no power series)", startGap / 1e6, endGap / 1e6);
        } else {
            correction = 0;
            how = "the reading has no duration: taken as it is";
        }
        double rawJoules = Math.max(0, device.energyJoules() + correction);
        long windowNanos = work.durationNanos();
        Double baselineWatts = candidate.baseline() == null ? null : candidate.baseline().meanWatts();
        double adjusted = adjustedJoules(rawJoules, baselineWatts, windowNanos);
        return new DeviceEnergyFigure(cycle, candidate.process(), candidate.host(), reading.source(),
                device.deviceId(), device.domain(), device.method(), device.shared(), windowNanos, rawJoules,
                baselineWatts, adjusted, counted, reason, reading.durationNanos(), device.energyJoules(), correction, how,
                expectedErrorJoules(reading, device.deviceId()));
    }

    /** The source's own statement of a device's error, J, or null when it gave none. */
    private static Double expectedErrorJoules(EnergyReading reading, String deviceId) {
        String value = reading.facts().get(EnergyReading.EXPECTED_ERROR_JOULES + deviceId);
        if (value == null) {
            return null;
        }
        try {
            double joules = Double.parseDouble(value);
            return Double.isFinite(joules) && joules >= 0 ? joules : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** max(0, raw - baseline x window); raw when there is no baseline. */
    static double adjustedJoules(double rawJoules, Double baselineWatts, long windowNanos) {
        if (baselineWatts == null) {
            return rawJoules;
        }
        return Math.max(0, rawJoules - baselineWatts * windowNanos / 1e9);
    }

    /** The same source's baseline of the device, else any source's. */
    private static BaselinePower baselineFor(RawResult raw, String source, String deviceId) {
        BaselinePower fallback = null;
        for (BaselinePower baseline : raw.baseline()) {
            if (baseline.deviceId().equals(deviceId)) {
                if (baseline.source().equals(source)) {
                    return baseline;
                }
                if (fallback == null) {
                    fallback = baseline;
                }
            }
        }
        return fallback;
    }
}
