package lem.energy.nvml;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyReading;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;

/**
 * The device run: lem's NVML source around a GPU load that a child process runs and measures with
 * pynvml over the same window, so that the two figures can be compared.
 * <p>
 * Protocol with the child: it prints {@code LOAD_READY uuid=GPU-...} once warmed up, waits for a
 * line {@code GO} on its stdin (sent once lem's window is open), runs the load and prints
 * {@code LOAD_DONE joules=J start_ns=T0 end_ns=T1} (CLOCK_MONOTONIC, the clock of
 * {@link System#nanoTime()} on Linux). Before that, lem samples the idle GPU for a baseline.
 *
 * <pre>java -cp ... lem.energy.nvml.LoadWindowMeasurement [--idle-seconds 10] [--interval-ms 100]
 *     -- python3 nvml_load.py --seconds 20</pre>
 */
public final class LoadWindowMeasurement {
    private LoadWindowMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        long idleSeconds = 10;
        long intervalMillis = 100;
        int command = -1;
        for (int i = 0; i < args.length && command < 0; i++) {
            switch (args[i]) {
                case "--idle-seconds": idleSeconds = Long.parseLong(args[++i]); break;
                case "--interval-ms": intervalMillis = Long.parseLong(args[++i]); break;
                case "--": command = i + 1; break;
                default:
                    System.err.println("unknown argument '" + args[i] + "'; usage: [--idle-seconds N]"
                            + " [--interval-ms N] -- load command...");
                    System.exit(2);
            }
        }
        if (command < 0 || command >= args.length) {
            System.err.println("no load command after --");
            System.exit(2);
        }
        NvmlEnergySource source = new NvmlEnergySource();
        System.out.println("probe: " + source.probe());
        SessionSettings settings = new SessionSettings(TimeUnit.MILLISECONDS.toNanos(intervalMillis), Set.of(), Map.of());

        // idle baseline: mean sampled power while nothing runs
        NvmlEnergySession idle = (NvmlEnergySession) source.start(settings);
        Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
        EnergyReading idleReading = idle.stop();
        double[] idleWatts = idle.drainSamples().stream().mapToDouble(PowerSample::powerWatts).toArray();
        double idleMean = Arrays.stream(idleWatts).average().orElse(Double.NaN);
        double idleSd = Math.sqrt(Arrays.stream(idleWatts).map(w -> (w - idleMean) * (w - idleMean)).sum()
                / Math.max(1, idleWatts.length - 1));
        double idleCounterWatts = idleReading.energyJoules() / (idleReading.durationNanos() / 1e9);

        Process child = new ProcessBuilder(Arrays.asList(args).subList(command, args.length))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
        String uuid = awaitLine(out, "LOAD_READY").replaceAll(".*uuid=(\\S+).*", "$1");
        NvmlEnergySession session = (NvmlEnergySession) source.start(
                new SessionSettings(settings.sampleIntervalNanos(), Set.of(uuid), Map.of()));
        SamplerCost cost = new SamplerCost(session);
        cost.begin();
        in.write("GO\n");
        in.flush();
        String done = awaitLine(out, "LOAD_DONE");
        cost.end();
        EnergyReading reading = session.stop();
        List<PowerSample> samples = session.drainSamples();
        child.waitFor();

        double pynvmlJoules = Double.parseDouble(field(done, "joules"));
        long loadStart = Long.parseLong(field(done, "start_ns"));
        long loadEnd = Long.parseLong(field(done, "end_ns"));
        DeviceEnergy energy = reading.devices().get(0);
        PowerIntegral integral = new PowerIntegral();
        samples.forEach(s -> integral.add(s.timestampNanos(), s.powerWatts()));
        System.out.println("reading: " + reading);
        System.out.printf("%n== lem NVML vs pynvml, device %s ==%n", uuid);
        System.out.printf("idle baseline        %.1f W mean of %d samples over %d s (sd %.1f W; counter %.1f W)%n",
                idleMean, idleWatts.length, idleSeconds, idleSd, idleCounterWatts);
        System.out.printf("lem window           %.3f s (starts %.1f ms before the load's, ends %.1f ms after)%n",
                reading.durationNanos() / 1e9, (loadStart - reading.startNanos()) / 1e6,
                (reading.endNanos() - loadEnd) / 1e6);
        System.out.printf("lem energy           %.1f J (%s)%n", energy.energyJoules(), energy.method());
        System.out.printf("lem power integral   %.1f J (%s, %d samples)%n", integral.energyJoules(),
                reading.facts().get("power_field"), samples.size());
        System.out.printf("pynvml energy        %.1f J over %.3f s%n", pynvmlJoules, (loadEnd - loadStart) / 1e9);
        System.out.printf("difference           %+.3f %% (lem - pynvml) / pynvml%n",
                100 * (energy.energyJoules() - pynvmlJoules) / pynvmlJoules);
        System.out.printf("sampler intervals    %s (asked %d ms)%n", cost.intervals(), intervalMillis);
        System.out.printf("sampler CPU cost     %.3f ms per s of sampling (sampler thread), %.3f ms/s (counter thread)%n",
                cost.samplerCpuMillisPerSecond(), cost.counterCpuMillisPerSecond());
        System.out.println("throttling           " + reading.throttling());
        System.out.println("warnings             " + reading.warnings());
    }

    /** Reads the child's lines, echoing them, until one starts with {@code prefix}; returns it. */
    static String awaitLine(BufferedReader out, String prefix) throws Exception {
        String line;
        while ((line = out.readLine()) != null) {
            System.out.println("load: " + line);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the load ended without printing " + prefix);
    }

    private static String field(String line, String name) {
        for (String part : line.split("\\s+")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        throw new IllegalStateException("no " + name + "= in '" + line + "'");
    }
}
