package lem.energy.nvml;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyReading;
import lem.api.energy.SessionSettings;

/**
 * The device run for short windows: lem's NVML source over windows of a few lengths, each opened
 * on an idle GPU, a load started right after the window opens and stopped just before it closes
 * (as a measured cycle does), while a child process logs the same GPU's energy counter with
 * pynvml as fast as it answers. {@code compare_window_accuracy.py} then sets lem's figure beside
 * the child's counter interpolated between its steps at the same instants.
 * <p>
 * Protocol with the child: it prints {@code LOAD_READY uuid=GPU-...} once warmed up; on a line
 * {@code LOAD <seconds>} it runs its load that long and prints {@code DONE}; on {@code QUIT} it
 * writes its counter log and exits. Lines printed here: {@code WINDOW length_s=.. start_ns=..
 * end_ns=.. lem_j=.. expected_error_j=.. method=..} (CLOCK_MONOTONIC, the clock of
 * {@link System#nanoTime()} on Linux). With {@code --load-margin-ms M} the load instead starts M ms
 * before each window opens and runs until M ms after it closes.
 *
 * <pre>java -cp ... lem.energy.nvml.WindowAccuracy [--windows 1,3,25] [--repeats 3] [--interval-ms 100]
 *     [--idle-ms 1500] [--load-margin-ms 0] -- python3 window_load.py counter.csv</pre>
 */
public final class WindowAccuracy {
    private WindowAccuracy() {
    }

    public static void main(String[] args) throws Exception {
        double[] windows = {1, 3, 25};
        int repeats = 3;
        long intervalMillis = 100;
        long idleMillis = 1500;
        long marginMillis = 0;
        int command = -1;
        for (int i = 0; i < args.length && command < 0; i++) {
            switch (args[i]) {
                case "--windows" -> windows = Arrays.stream(args[++i].split(",")).mapToDouble(Double::parseDouble).toArray();
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--interval-ms" -> intervalMillis = Long.parseLong(args[++i]);
                case "--idle-ms" -> idleMillis = Long.parseLong(args[++i]);
                case "--load-margin-ms" -> marginMillis = Long.parseLong(args[++i]);
                case "--" -> command = i + 1;
                default -> {
                    System.err.println("unknown argument '" + args[i] + "'; usage: [--windows 1,3,25] [--repeats N]"
                            + " [--interval-ms N] [--idle-ms N] -- load command...");
                    System.exit(2);
                }
            }
        }
        if (command < 0 || command >= args.length) {
            System.err.println("no load command after --");
            System.exit(2);
        }
        NvmlEnergySource source = new NvmlEnergySource();
        System.out.println("probe: " + source.probe());
        Process child = new ProcessBuilder(Arrays.asList(args).subList(command, args.length))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8);
        String uuid = LoadWindowMeasurement.awaitLine(out, "LOAD_READY").replaceAll(".*uuid=(\\S+).*", "$1");
        SessionSettings settings = new SessionSettings(TimeUnit.MILLISECONDS.toNanos(intervalMillis), Set.of(uuid),
                Map.of());
        List<Double> order = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            for (double window : windows) {
                order.add(window); // interleaved, so drift and heat do not favour one length
            }
        }
        for (double window : order) {
            Thread.sleep(idleMillis);
            NvmlEnergySession session;
            EnergyReading reading;
            if (marginMillis == 0) {
                // as a measured cycle: the window opens on an idle GPU, the load runs inside it
                session = (NvmlEnergySession) source.start(settings);
                in.write(String.format(Locale.ROOT, "LOAD %.3f%n", window));
                in.flush();
                LoadWindowMeasurement.awaitLine(out, "DONE");
                reading = session.stop();
            } else {
                // steady load across both edges: only the counter's steps stand between lem and the truth
                in.write(String.format(Locale.ROOT, "LOAD %.3f%n", window + 2 * marginMillis / 1000.0));
                in.flush();
                Thread.sleep(marginMillis);
                session = (NvmlEnergySession) source.start(settings);
                Thread.sleep((long) (window * 1000));
                reading = session.stop();
                LoadWindowMeasurement.awaitLine(out, "DONE");
            }
            DeviceEnergy energy = reading.devices().get(0);
            System.out.printf(Locale.ROOT, "WINDOW length_s=%.3f start_ns=%d end_ns=%d lem_j=%.4f expected_error_j=%s "
                    + "method=%s samples=%d%n", window, reading.startNanos(), reading.endNanos(), energy.energyJoules(),
                    reading.facts().getOrDefault(EnergyReading.EXPECTED_ERROR_JOULES + uuid, "nan"), energy.method(),
                    session.drainSamples().size());
            System.out.println("  note: " + energy.note());
            reading.warnings().forEach(w -> System.out.println("  warning: " + w));
        }
        in.write("QUIT\n");
        in.flush();
        child.waitFor();
    }
}
