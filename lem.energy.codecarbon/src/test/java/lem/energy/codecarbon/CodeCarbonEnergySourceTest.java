package lem.energy.codecarbon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;
import lem.api.energy.SourceInfo;
import lem.energy.nvml.FakeNvml;
import lem.energy.rapl.RaplEnergySource;

class CodeCarbonEnergySourceTest {
    private static final double J_PER_KWH = 3.6e6;

    @TempDir
    Path tmp;
    Path proc;
    CodeCarbonEnergySource source;

    @BeforeEach
    void fakeProc() throws IOException {
        proc = Files.createDirectories(tmp.resolve("proc"));
        Files.writeString(proc.resolve("cpuinfo"), """
                processor\t: 0
                model name\t: Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz

                processor\t: 1
                model name\t: Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz
                """);
        Files.writeString(proc.resolve("meminfo"), "MemTotal:       65747420 kB\nMemFree:  1000 kB\n");
        writeStat(2000, 8000);
        source = new CodeCarbonEnergySource();
        source.configure(Map.of("proc_root", proc.toString(), "sample_interval_ms", 600_000));
    }

    /** An aggregate cpu line: user=busy, idle=idle ticks. */
    private void writeStat(long busyTicks, long idleTicks) throws IOException {
        Files.writeString(proc.resolve("stat"), "cpu  " + busyTicks + " 0 0 " + idleTicks + " 0 0 0 0 0 0\n"
                + "cpu0 1 0 0 1 0 0 0 0 0 0\nintr 0\n");
    }

    /** One package zone in a fake powercap tree, read by a RAPL source polling every 20 ms; energy_uj is the test's. */
    private Path fakeRaplZone() throws IOException {
        return fakeRaplZone(0);
    }

    /** Package zone {@code intel-rapl:<index>} named {@code package-<index>}. */
    private Path fakeRaplZone(int index) throws IOException {
        Path zone = Files.createDirectories(tmp.resolve("powercap/intel-rapl:" + index));
        Files.writeString(zone.resolve("name"), "package-" + index + "\n");
        Files.writeString(zone.resolve("max_energy_range_uj"), "262143328850\n");
        source.rapl = new RaplEnergySource(tmp.resolve("powercap"), Duration.ofMillis(20));
        return zone;
    }

    private static SessionSettings options(Map<String, Object> options) {
        return new SessionSettings(Duration.ofMillis(20).toNanos(), Set.of(), options);
    }

    private static Map<String, DeviceEnergy> byId(EnergyReading reading) {
        return reading.devices().stream().collect(Collectors.toMap(DeviceEnergy::deviceId, Function.identity()));
    }

    private static double seconds(EnergyReading reading) {
        return reading.durationNanos() / 1e9;
    }

    @Test
    void constantTdpModelWithCountryAndPue() throws Exception {
        EnergySession session = source.start(options(Map.of("cpu_power_model", "constant", "dimm_count", 4,
                "country_iso_code", "FRA", "pue", 1.5)));
        Thread.sleep(50);
        EnergyReading reading = session.stop();

        double s = seconds(reading);
        Map<String, DeviceEnergy> devices = byId(reading);
        // Gold 6154: 200 W TDP x 0.5; 4 DIMMs x 5 W. 200 W and France's 67.39 g/kWh are CodeCarbon's
        // published figures (cpu_power.csv and global_energy_mix.json: see CodeCarbonModelsTest)
        assertEquals(100.0 * s, devices.get("cpu").energyJoules(), 1e-9);
        assertEquals(EnergyMethod.ESTIMATE, devices.get("cpu").method());
        assertEquals(20.0 * s, devices.get("ram").energyJoules(), 1e-9);
        double kwh = 120.0 * s / J_PER_KWH * 1.5;
        assertEquals(kwh * 67.39 / 1000, Double.parseDouble(reading.facts().get("emissions_kg_co2")), 1e-15);
        assertEquals("67.39", reading.facts().get("carbon_intensity_g_per_kwh"));
        assertEquals("FRA", reading.facts().get("country_iso_code"));
        assertEquals("1.5", reading.facts().get("pue"));
        assertEquals("tdp_constant", reading.facts().get("cpu_power_method"));
        assertTrue(devices.get("ram").note().contains("4 DIMMs x 5 W (configured dimm_count)"),
                devices.get("ram").note());
    }

    @Test
    void loadModelUsesTheLoadMeasuredFromProcStat() throws Exception {
        EnergySession session = source.start(options(Map.of()));
        writeStat(2000 + 500, 8000 + 500); // half the ticks busy: load 0.5
        EnergyReading reading = session.stop();

        double s = seconds(reading);
        assertEquals(42.5 * s, byId(reading).get("cpu").energyJoules(), 1e-9); // 200 x (0.1 + 0.9 x 0.125)
        assertEquals("tdp_load", reading.facts().get("cpu_power_method"));
        // 65747420 kB = 62.7 GB: CodeCarbon estimates 4 DIMMs, 20 W.
        assertEquals(20.0 * s, byId(reading).get("ram").energyJoules(), 1e-9);
        assertTrue(byId(reading).get("ram").note().contains("estimated from 62.7 GB"));
        List<PowerSample> samples = session.drainSamples();
        assertTrue(samples.stream().anyMatch(p -> p.deviceId().equals("cpu") && Math.abs(p.powerWatts() - 42.5) < 1e-9),
                samples.toString());
    }

    @Test
    void unknownCpuUsesTheDefault85Watts() throws Exception {
        Files.writeString(proc.resolve("cpuinfo"), "processor : 0\nmodel name : Intel(R) Xeon(R) Platinum 8480+\n");
        Probe probe = source.probe();
        assertTrue(probe.reason().contains("CPU from default 85 W"), probe.reason());
        EnergySession session = source.start(options(Map.of("cpu_power_model", "constant")));
        EnergyReading reading = session.stop();
        assertEquals(42.5 * seconds(reading), byId(reading).get("cpu").energyJoules(), 1e-9);
    }

    @Test
    void noCountryMeansTheWorldAverageAndSaysSo() throws Exception {
        for (String iso : new String[] {"", "XYZ"}) {
            EnergySession session = source.start(options(Map.of("country_iso_code", iso, "cpu_power_model",
                    "constant")));
            EnergyReading reading = session.stop();
            assertEquals("475.0", reading.facts().get("carbon_intensity_g_per_kwh"));
            assertTrue(reading.facts().get("carbon_intensity_source").startsWith("world average"));
            assertTrue(reading.warnings().stream().anyMatch(w -> w.contains("world average 475 g/kWh")));
            double kwh = reading.energyJoules() / J_PER_KWH;
            assertEquals(kwh * 475 / 1000, Double.parseDouble(reading.facts().get("emissions_kg_co2")), 1e-15);
        }
    }

    @Test
    void probeIsAlwaysAvailableAndSaysWhereEachFigureComesFrom() {
        Probe probe = source.probe();
        assertTrue(probe.available());
        assertTrue(source.info().estimate());
        assertEquals("estimate (CodeCarbon method): CPU from TDP table: Intel Xeon Gold 6154, 200 W, "
                + "TDP x (0.1 + 0.9 x load^3), RAM from 4 DIMMs x 5 W (estimated from 62.7 GB) = 20.00 W, "
                + "GPU from none; carbon intensity: world average 475 g/kWh (country unknown)", probe.reason());
    }

    @Test
    void cpuFigureComesFromRaplWhenItCanBeRead() throws Exception {
        Path zone = fakeRaplZone();
        Files.writeString(zone.resolve("energy_uj"), "1000000\n");

        assertTrue(source.probe().reason().startsWith("estimate (CodeCarbon method): CPU from RAPL,"),
                source.probe().reason());
        EnergySession session = source.start(options(Map.of("country_iso_code", "USA")));
        Files.writeString(zone.resolve("energy_uj"), "51000000\n"); // +50 J
        EnergyReading reading = session.stop();

        DeviceEnergy cpu = byId(reading).get("cpu");
        assertEquals(50.0, cpu.energyJoules(), 1e-9);
        assertEquals(EnergyMethod.COUNTER, cpu.method());
        assertEquals("rapl", reading.facts().get("cpu_power_method"));
        double kwh = (50.0 + 20.0 * seconds(reading)) / J_PER_KWH;
        assertEquals(kwh * 379.26 / 1000, Double.parseDouble(reading.facts().get("emissions_kg_co2")), 1e-15);
    }

    @Test
    void raplCountersCoverTheSessionsWindowNotTheGpuSourcesStartUp() throws Exception {
        Path zone = fakeRaplZone();
        Files.writeString(zone.resolve("energy_uj"), "1000000\n");
        FixedGpuSource gpus = new FixedGpuSource("GPU-8f1c0000-0000-0000-0000-000000000001", 360.0);
        source.nvml = new SlowToStart(gpus, 200);

        EnergySession session = source.start(options(Map.of()));
        Thread.sleep(100);
        EnergyReading reading = session.stop();

        // RAPL polls every 20 ms from its own start: a sample before the window means it ran during NVML's start-up
        List<PowerSample> cpuSamples = session.drainSamples().stream()
                .filter(sample -> sample.deviceId().equals("package-0")).toList();
        assertFalse(cpuSamples.isEmpty());
        assertTrue(cpuSamples.stream().allMatch(sample -> sample.timestampNanos() >= reading.startNanos()),
                "CPU samples from " + cpuSamples.get(0).timestampNanos() + ", window from " + reading.startNanos());
    }

    /** A GPU source whose start takes as long as NVML's can (nvmlInit, a counter read per GPU). */
    private record SlowToStart(EnergySource inner, long startMillis) implements EnergySource {
        @Override
        public SourceInfo info() {
            return inner.info();
        }

        @Override
        public Probe probe() {
            return inner.probe();
        }

        @Override
        public EnergySession start(SessionSettings settings) throws EnergyException {
            try {
                Thread.sleep(startMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.start(settings);
        }
    }

    @Test
    void unreadableRaplFallsBackToTheTdpModelWithTheReason() throws Exception {
        Path zone = fakeRaplZone();
        Files.createDirectory(zone.resolve("energy_uj")); // unreadable even as root

        EnergyReading reading = source.start(options(Map.of())).stop();
        assertEquals("tdp_load", reading.facts().get("cpu_power_method"));
        // the runtime prefixes each warning with the source's name: the source does not add it again
        assertTrue(reading.warnings().stream().anyMatch(w -> w.startsWith("RAPL unavailable")
                && w.contains("CVE-2020-8694")), reading.warnings().toString());
        assertTrue(reading.warnings().stream().noneMatch(w -> w.startsWith("codecarbon:")),
                reading.warnings().toString());
    }

    /**
     * The GPU figure comes from the real NVML source over the gcc-built fake libnvidia-ml. The
     * counter reads 1000000 mJ for the probe CodeCarbon's start makes and at the NVML window's
     * start, then 1360000 mJ: the GPU used 360 J. After each edge NVML polls the counter for its
     * next step (here it never steps again, so each search ends after its 250 ms, a read a ms).
     */
    @Test
    void gpuEnergyFromTheNvmlSourceIsIncluded() throws Exception {
        String h100 = "GPU-8f11f9a4-93f6-3d34-07a4-302555b6dd1e";
        String script = "device 0 " + h100 + " NVIDIA H100 80GB HBM3\n"
                + "energy " + h100 + " 1000000 1000000 1360000\n";
        FakeNvml.script(tmp, script);
        source.nvml = FakeNvml.source();
        Path results = tmp.resolve("results/gpu");
        assertTrue(source.probe().reason().contains("GPU from NVML (1 GPUs)"), source.probe().reason());
        FakeNvml.script(tmp, script); // the counter afresh, its reads counted from here

        EnergySession session = source.start(options(Map.of("cpu_power_model", "constant", "pue", 1.2,
                "country_iso_code", "DEU", "output_dir", results.toString())));
        EnergyReading reading = session.stop();

        long reads = FakeNvml.calls("energy");
        assertTrue(reads >= 4 && reads <= 4 + 3 * 250, "probe, window start and stop, and the edge searches: " + reads);
        DeviceEnergy gpu = byId(reading).get(h100);
        assertEquals(360.0, gpu.energyJoules(), 1e-9);
        assertEquals(EnergyDomain.GPU, gpu.domain());
        assertEquals(EnergyMethod.COUNTER, gpu.method());
        assertEquals(0, FakeNvml.initDepth(), "the NVML session inside CodeCarbon's was closed");
        // Germany's 365.477 g/kWh: CodeCarbon's global_energy_mix.json (commit 0963f175, "DEU")
        double s = seconds(reading);
        double kwh = (100 * s + 20 * s + 360.0) / J_PER_KWH * 1.2;
        assertEquals(kwh * 365.477 / 1000, Double.parseDouble(reading.facts().get("emissions_kg_co2")), 1e-15);
        Map<String, String> row = EmissionsCsvWriter.readRows(results.resolve("emissions.csv")).get(0);
        assertEquals(360.0 * 1.2 / J_PER_KWH, Double.parseDouble(row.get("gpu_energy")), 1e-18, "PUE 1.2 applies to the column");
        assertEquals("1", row.get("gpu_count"));
        assertTrue(row.get("gpu_model").contains("NVIDIA H100 80GB HBM3"), row.get("gpu_model"));
    }

    @Test
    void emissionsCsvRowMatchesTheReading() throws Exception {
        Path results = tmp.resolve("results/exp-7");
        Map<String, Object> opts = new HashMap<>(Map.of("cpu_power_model", "constant", "country_iso_code", "FRA",
                "pue", 1.1, "output_dir", results.toString(), "experiment_id", "exp-7", "project_name", "llama"));
        EnergyReading first = source.start(options(opts)).stop();
        source.start(options(opts)).stop();

        List<Map<String, String>> rows = EmissionsCsvWriter.readRows(results.resolve("emissions.csv"));
        assertEquals(2, rows.size());
        Map<String, String> row = rows.get(0);
        assertEquals("exp-7", row.get("experiment_id"));
        assertEquals("llama", row.get("project_name"));
        assertEquals("FRA", row.get("country_iso_code"));
        assertEquals("France", row.get("country_name"));
        assertEquals("Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz", row.get("cpu_model"));
        assertEquals("2", row.get("cpu_count"));
        assertEquals(first.facts().get("emissions_kg_co2"), row.get("emissions"));
        // the energy columns include the PUE, as CodeCarbon's do, so that they add up to energy_consumed
        assertEquals(byId(first).get("cpu").energyJoules() * 1.1 / J_PER_KWH, Double.parseDouble(row.get("cpu_energy")),
                1e-18);
        assertEquals(byId(first).get("ram").energyJoules() * 1.1 / J_PER_KWH, Double.parseDouble(row.get("ram_energy")),
                1e-18);
        assertEquals(first.energyJoules() / J_PER_KWH * 1.1, Double.parseDouble(row.get("energy_consumed")), 1e-18);
        assertEquals(Double.parseDouble(row.get("energy_consumed")), Double.parseDouble(row.get("cpu_energy"))
                + Double.parseDouble(row.get("gpu_energy")) + Double.parseDouble(row.get("ram_energy")), 1e-18);
        assertEquals(seconds(first), Double.parseDouble(row.get("duration")), 1e-9);
        // powers as CodeCarbon writes them: watts over the window (Gold 6154 at 200 W x 0.5, 4 DIMMs x 5 W)
        assertEquals(100.0, Double.parseDouble(row.get("cpu_power")), 1e-6);
        assertEquals(20.0, Double.parseDouble(row.get("ram_power")), 1e-9);
        assertEquals(0.0, Double.parseDouble(row.get("gpu_power")), 0);
        assertEquals(Double.parseDouble(row.get("emissions")) / seconds(first),
                Double.parseDouble(row.get("emissions_rate")), 1e-12);
        assertEquals(results.resolve("emissions.csv").toString(), first.facts().get("emissions_csv"));
        // the end of the window, with its time zone: parsing needs the offset and lands within the test's time
        java.time.OffsetDateTime end = java.time.OffsetDateTime.parse(row.get("timestamp"));
        assertEquals(java.time.ZoneOffset.UTC, end.getOffset(), row.get("timestamp"));
        assertTrue(Math.abs(java.time.Duration.between(end.toInstant(), java.time.Instant.now()).toSeconds()) < 600,
                row.get("timestamp"));
    }

    /** Two sockets of the Gold 6154 (200 W each) in cpuinfo, told apart by their physical id. */
    private void twoSocketCpuinfo() throws IOException {
        Files.writeString(proc.resolve("cpuinfo"), """
                processor\t: 0
                model name\t: Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz
                physical id\t: 0

                processor\t: 1
                model name\t: Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz
                physical id\t: 1
                """);
    }

    @Test
    void tdpIsPerSocketAndCountsEverySocketOfCpuinfo() throws Exception {
        twoSocketCpuinfo();
        EnergyReading reading = source.start(options(Map.of("cpu_power_model", "constant"))).stop();
        // 200 W x 2 sockets x 0.5 = 200 W, where one socket would give 100 W
        assertEquals(200.0 * seconds(reading), byId(reading).get("cpu").energyJoules(), 1e-9);
        assertTrue(byId(reading).get("cpu").note().contains("200 W per socket x 2 sockets = 400 W"),
                byId(reading).get("cpu").note());
        assertEquals("400", source.probe().devices().get(0).facts().get("tdp_watts"));
    }

    @Test
    void socketsComeFromSysfsWhereCpuinfoHasNoPhysicalId() throws Exception {
        // cpuinfo of setUp names no physical id; sysfs beside the proc tree: cpu0-3 on packages 0, 0, 1, 1
        for (int cpu = 0; cpu < 4; cpu++) {
            Path topology = Files.createDirectories(tmp.resolve("sys/devices/system/cpu/cpu" + cpu + "/topology"));
            Files.writeString(topology.resolve("physical_package_id"), (cpu / 2) + "\n");
        }
        Files.createDirectories(tmp.resolve("sys/devices/system/cpu/cpufreq")); // not a CPU: not counted
        assertEquals(2, new ProcFacts(proc).socketCount());
        EnergyReading reading = source.start(options(Map.of("cpu_power_model", "constant"))).stop();
        assertEquals(200.0 * seconds(reading), byId(reading).get("cpu").energyJoules(), 1e-9);

        Files.writeString(proc.resolve("cpuinfo"), "processor : 0\nmodel name : x\nphysical id : 3\n");
        assertEquals(1, new ProcFacts(proc).socketCount()); // cpuinfo, when it says, wins over sysfs
        assertEquals(1, new ProcFacts(tmp.resolve("elsewhere/proc")).socketCount()); // nothing readable: 1
    }

    @Test
    void raplAndCodeCarbonTogetherOnATempSysfsTree() throws Exception {
        // two sockets, a package zone each: CodeCarbon's CPU figure is the sum of the two counters, one
        // device 'cpu' (the TDP model is not used), and its CSV columns add up with the PUE
        twoSocketCpuinfo();
        Path zone0 = fakeRaplZone(0);
        Path zone1 = fakeRaplZone(1);
        Files.writeString(zone0.resolve("energy_uj"), "1000000\n");
        Files.writeString(zone1.resolve("energy_uj"), "7000000\n");
        Path results = tmp.resolve("results/exp-9");

        EnergySession session = source.start(options(Map.of("pue", 1.25, "dimm_count", 2, "country_iso_code", "FRA",
                "output_dir", results.toString())));
        Files.writeString(zone0.resolve("energy_uj"), "51000000\n"); // +50 J
        Files.writeString(zone1.resolve("energy_uj"), "37000000\n"); // +30 J
        EnergyReading reading = session.stop();

        double s = seconds(reading);
        Map<String, DeviceEnergy> devices = byId(reading);
        assertEquals(Set.of("cpu", "ram"), devices.keySet());
        assertEquals(80.0, devices.get("cpu").energyJoules(), 1e-9);
        assertEquals(EnergyMethod.COUNTER, devices.get("cpu").method());
        assertEquals("RAPL package counters package-0 + package-1", devices.get("cpu").note());
        assertEquals(10.0 * s, devices.get("ram").energyJoules(), 1e-9); // 2 DIMMs x 5 W, CodeCarbon's 10 W floor
        // by hand: IT energy 80 J + 10 W x s; consumed = IT x 1.25; 67.39 g/kWh for France
        double consumedKwh = (80.0 + 10.0 * s) * 1.25 / J_PER_KWH;
        assertEquals(consumedKwh, Double.parseDouble(reading.facts().get("energy_consumed_kwh")), 1e-15);
        assertEquals(consumedKwh * 67.39 / 1000, Double.parseDouble(reading.facts().get("emissions_kg_co2")), 1e-15);
        Map<String, String> row = EmissionsCsvWriter.readRows(results.resolve("emissions.csv")).get(0);
        assertEquals(100.0 / J_PER_KWH, Double.parseDouble(row.get("cpu_energy")), 1e-18); // 80 J x 1.25
        assertEquals(10.0 * s * 1.25 / J_PER_KWH, Double.parseDouble(row.get("ram_energy")), 1e-18);
        assertEquals(consumedKwh, Double.parseDouble(row.get("cpu_energy")) + Double.parseDouble(row.get("gpu_energy"))
                + Double.parseDouble(row.get("ram_energy")), 1e-18);
        assertEquals(80.0 / s, Double.parseDouble(row.get("cpu_power")), 1e-6); // powers stay IT powers
    }

    /** A reading and the RAM samples' timestamps of a session at this interval, sample_interval_ms unset. */
    private record Sampled(EnergyReading reading, List<Long> ramNanos) {
    }

    private Sampled sampleFor(long intervalMillis, long forMillis) throws Exception {
        source.configure(Map.of("proc_root", proc.toString()));
        EnergySession session = source.start(new SessionSettings(Duration.ofMillis(intervalMillis).toNanos(),
                Set.of(), Map.of()));
        Thread.sleep(forMillis);
        EnergyReading reading = session.stop();
        return new Sampled(reading, session.drainSamples().stream().filter(p -> p.deviceId().equals("ram"))
                .map(PowerSample::timestampNanos).toList());
    }

    @Test
    void samplesAtTheSessionsIntervalWhenSampleIntervalIsNotSet() throws Exception {
        List<Long> ram = sampleFor(150, 1000).ramNanos();
        // every 150 ms for 1 s: 6 samples and the one at stop (CodeCarbon's own 1 s would give 1 or 2)
        assertTrue(ram.size() >= 5, ram.size() + " samples");
        // midpoints of consecutive 150 ms intervals lie 150 ms apart
        assertEquals(150.0, (ram.get(3) - ram.get(2)) / 1e6, 40.0);
    }

    @Test
    void anIntervalUnderWhatProcStatResolvesIsRaisedTo100MsWithAWarning() throws Exception {
        Sampled sampled = sampleFor(10, 450);
        int ram = sampled.ramNanos().size();
        assertTrue(ram >= 3 && ram <= 6, ram + " samples"); // every 100 ms, not every 10 ms (45)
        assertTrue(sampled.reading().warnings().stream().anyMatch(w -> w.startsWith("CPU load sampled every 100 ms, "
                + "not every 10 ms")), sampled.reading().warnings().toString());
    }

    @Test
    void eachSampleIsStampedAtTheMiddleOfTheIntervalItAverages() throws Exception {
        // no background sample (10 min): the one sample, at stop, averages the whole window
        EnergySession session = source.start(options(Map.of()));
        writeStat(2000 + 500, 8000 + 500);
        Thread.sleep(200);
        EnergyReading reading = session.stop();
        List<PowerSample> samples = session.drainSamples();
        long middle = reading.startNanos() + (reading.endNanos() - reading.startNanos()) / 2;
        for (String device : List.of("cpu", "ram")) {
            PowerSample sample = samples.stream().filter(p -> p.deviceId().equals(device)).findFirst().orElseThrow();
            assertEquals(middle, sample.timestampNanos(), device); // not the window's end, 100 ms later
        }
    }

    @Test
    void badOptionsNameTheKeyAndWhatIsAllowed() {
        EnergyException pue = assertThrows(EnergyException.class,
                () -> source.start(options(Map.of("pue", "lots"))));
        assertTrue(pue.getMessage().contains("pue = 'lots' is not a number"), pue.getMessage());
        EnergyException iso = assertThrows(EnergyException.class,
                () -> source.start(options(Map.of("country_iso_code", "FR"))));
        assertTrue(iso.getMessage().contains("alpha-3") && iso.getMessage().contains("'FR'"), iso.getMessage());
        EnergyException model = assertThrows(EnergyException.class,
                () -> source.start(options(Map.of("cpu.power.model", "tdp"))));
        assertTrue(model.getMessage().contains("use 'load' or 'constant'"), model.getMessage());
        assertFalse(pue.getMessage().contains("Exception"));
    }

    /** Stands in for the NVML source (no GPU here): one GPU whose counter advanced by a fixed amount. */
    private record FixedGpuSource(String uuid, double joules) implements EnergySource {
        @Override
        public SourceInfo info() {
            return new SourceInfo("nvml", "fixed GPU", Set.of(EnergyDomain.GPU), false);
        }

        @Override
        public Probe probe() {
            return new Probe(true, "", List.of(new DeviceInfo(uuid, "NVIDIA H100 80GB HBM3", EnergyDomain.GPU,
                    Map.of())), Map.of());
        }

        @Override
        public EnergySession start(SessionSettings settings) {
            long start = System.nanoTime();
            return new EnergySession() {
                @Override
                public List<PowerSample> drainSamples() {
                    return List.of();
                }

                @Override
                public EnergyReading stop() {
                    return new EnergyReading("nvml", start, System.nanoTime(), List.of(new DeviceEnergy(uuid,
                            EnergyDomain.GPU, joules, EnergyMethod.COUNTER, false, "counter")), List.of(), List.of(),
                            Map.of());
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
