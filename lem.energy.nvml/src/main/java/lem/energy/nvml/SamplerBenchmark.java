package lem.energy.nvml;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import lem.api.energy.EnergyReading;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;

/**
 * Measures the sampler's overhead: CPU time of the sampler thread per second of sampling at 10 ms
 * and 100 ms, and the jitter of its actual intervals. Runs against whatever libnvidia-ml it is
 * given: the fake one in this module's build or the real one on a GPU host. The CPU figures leave
 * out each session's first second; the interval figures cover the whole session.
 *
 * <pre>java -cp lem.api.jar:lem.energy.nvml.jar:jna.jar lem.energy.nvml.SamplerBenchmark
 *     [--library PATH] [--seconds 5] [--intervals-ms 10,100]</pre>
 */
public final class SamplerBenchmark {
    private static final long WARM_UP_MILLIS = 1000;

    private SamplerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String library = "";
        long seconds = 5;
        String intervals = "10,100";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--library": library = args[++i]; break;
                case "--seconds": seconds = Long.parseLong(args[++i]); break;
                case "--intervals-ms": intervals = args[++i]; break;
                default:
                    System.err.println("unknown argument '" + args[i]
                            + "'; allowed: --library PATH, --seconds N, --intervals-ms 10,100");
                    System.exit(2);
            }
        }
        NvmlEnergySource source = new NvmlEnergySource(library, 100);
        Probe probe = source.probe();
        if (!probe.available()) {
            System.err.println("NVML unavailable: " + probe.reason());
            System.exit(1);
        }
        System.out.println("NVML " + probe.facts() + ", " + probe.devices().size() + " device(s)");
        for (String interval : intervals.split(",")) {
            run(source, Long.parseLong(interval.trim()), seconds);
        }
    }

    private static void run(NvmlEnergySource source, long intervalMillis, long seconds) throws Exception {
        SessionSettings settings = new SessionSettings(TimeUnit.MILLISECONDS.toNanos(intervalMillis), Set.of(), Map.of());
        NvmlEnergySession session = (NvmlEnergySession) source.start(settings);
        // the first second (class loading, interpreted code) is left out: a host samples for hours
        Thread.sleep(WARM_UP_MILLIS);
        long samples = session.drainSamples().size();
        SamplerCost cost = new SamplerCost(session);
        cost.begin();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            Thread.sleep(250);
            samples += session.drainSamples().size();
        }
        cost.end();
        EnergyReading reading = session.stop();
        samples += session.drainSamples().size();
        List<String> methods = reading.devices().stream()
                .map(d -> String.format("%s %.1f J (%s)", d.deviceId(), d.energyJoules(), d.method())).toList();
        System.out.printf("interval %d ms: %d samples; sampler CPU %.3f ms per s of sampling (%.4f%% of a core),"
                + " counter thread %.3f ms/s; %s%n", intervalMillis, samples, cost.samplerCpuMillisPerSecond(),
                cost.samplerCpuMillisPerSecond() / 10, cost.counterCpuMillisPerSecond(), cost.intervals());
        System.out.println("  energy " + methods + " power_field: " + reading.facts().get("power_field"));
        reading.warnings().forEach(w -> System.out.println("  warning: " + w));
    }
}
