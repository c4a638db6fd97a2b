package lem.runtime.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;

/**
 * Decides which energy figures of one cycle make up its total, so that no device is counted twice:
 * <ul>
 * <li>one figure per device: a GPU is keyed by its id alone (a UUID is unique across hosts), any
 * other device by id and host;</li>
 * <li>among figures of one device, a counter beats power integration, which beats an estimate;
 * then the lower process index, then the source name;</li>
 * <li>a device reported by two processes of one cycle is counted once, with a warning;</li>
 * <li>an estimate is dropped when another source measures the same domain on the same host
 * (device names of estimates need not match the measured ones);</li>
 * <li>a system-wide figure (RAPL psys) contains the CPU packages and DRAM of its host, not discrete
 * GPUs: measured package or DRAM figures replace it; a measured system figure replaces estimated
 * ones.</li>
 * </ul>
 */
final class EnergyAccounting {
    static final String SELECTION_RULE = "one figure per device (GPU by id, others by id and host); counter before "
            + "power integration before estimate; estimates dropped where the domain is measured; a system-wide "
            + "figure (containing CPU packages and DRAM, not discrete GPUs) dropped where those are measured, and "
            + "preferred to their estimates; a device reported by two processes counted once";

    private EnergyAccounting() {
    }

    private record Candidate(int process, String host, EnergyReading reading, DeviceEnergy device, BaselinePower baseline) {
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
    }

    /** The cycle's figures, each marked counted or not, and the warnings the choice raised. */
    static List<DeviceEnergyFigure> select(int cycle, List<RawResult> raws, List<String> warnings) {
        Map<String, List<Candidate>> byDevice = new LinkedHashMap<>();
        for (RawResult raw : raws) {
            for (EnergyReading reading : raw.energy()) {
                for (DeviceEnergy device : reading.devices()) {
                    Candidate candidate = new Candidate(raw.process(), raw.host(), reading, device,
                            baselineFor(raw, reading.source(), device.deviceId()));
                    byDevice.computeIfAbsent(candidate.key(), k -> new ArrayList<>()).add(candidate);
                }
            }
        }
        Map<Candidate, String> dropped = new IdentityHashMap<>();
        List<Candidate> winners = new ArrayList<>();
        for (Map.Entry<String, List<Candidate>> group : byDevice.entrySet()) {
            List<Candidate> candidates = new ArrayList<>(group.getValue());
            candidates.sort(Comparator.comparingInt(Candidate::methodRank).thenComparingInt(Candidate::process)
                    .thenComparing(c -> c.reading().source()));
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
                figures.add(figure(cycle, candidate, reason == null, reason == null ? "" : reason));
            }
        }
        return figures;
    }

    private static DeviceEnergyFigure figure(int cycle, Candidate candidate, boolean counted, String reason) {
        DeviceEnergy device = candidate.device();
        long windowNanos = candidate.reading().durationNanos();
        Double baselineWatts = candidate.baseline() == null ? null : candidate.baseline().meanWatts();
        double adjusted = adjustedJoules(device.energyJoules(), baselineWatts, windowNanos);
        return new DeviceEnergyFigure(cycle, candidate.process(), candidate.host(), candidate.reading().source(),
                device.deviceId(), device.domain(), device.method(), device.shared(), windowNanos, device.energyJoules(),
                baselineWatts, adjusted, counted, reason);
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
