package lem.energy.codecarbon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class CodeCarbonModelsTest {
    private static final CpuPowerTable TABLE = CpuPowerTable.load();

    /*
     * Expected figures are CodeCarbon's published ones, not read back from lem's bundled copy:
     * TDPs from github.com/mlco2/codecarbon codecarbon/data/hardware/cpu_power.csv (commit
     * 75b4ca50f3fa337f1c31a574a6f5a177644031ad): "Intel Xeon Gold 6154,200", "AMD EPYC 7763,280",
     * "Intel Core i7-8700K,95"; grid intensities from codecarbon/data/private_infra/global_energy_mix.json
     * (commit 0963f17527d0a89262eb849946ca7af4d0f9434c, year 2021): "FRA" carbon_intensity 67.39,
     * "USA" carbon_intensity 379.26.
     */

    @Test
    void cpuModelNamesFromCpuinfoMatchCodeCarbonsTable() {
        assertTrue(TABLE.size() > 2000, "rows: " + TABLE.size());
        // Cleaned of (R), CPU and the clock, then an exact match.
        assertEquals(Optional.of(new CpuPowerTable.Match("Intel Xeon Gold 6154", 200.0)),
                TABLE.match("Intel(R) Xeon(R) Gold 6154 CPU @ 3.00GHz"));
        // Token-set match: the table's tokens all appear in the name, and only one row qualifies.
        assertEquals(Optional.of(new CpuPowerTable.Match("AMD EPYC 7763", 280.0)),
                TABLE.match("AMD EPYC 7763 64-Core Processor"));
        assertEquals(Optional.of(new CpuPowerTable.Match("Intel Core i7-8700K", 95.0)),
                TABLE.match("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz"));
        // A CPU newer than the table, and a name too vague to pick one row.
        assertEquals(Optional.empty(), TABLE.match("Intel(R) Xeon(R) Platinum 8480+"));
        assertEquals(Optional.empty(), TABLE.match("Intel Xeon"));
    }

    @Test
    void tdpModelsGiveCodeCarbonsFigures() {
        assertEquals(100.0, CpuPowerModel.CONSTANT.powerWatts(200, 0.9), 1e-12);
        // 200 x (0.1 + 0.9 x 0.5^3) = 200 x 0.2125
        assertEquals(42.5, CpuPowerModel.LOAD.powerWatts(200, 0.5), 1e-12);
        assertEquals(20.0, CpuPowerModel.LOAD.powerWatts(200, 0), 1e-12);
        assertEquals(200.0, CpuPowerModel.LOAD.powerWatts(200, 1), 1e-12);
        assertEquals(CpuPowerModel.LOAD, CpuPowerModel.parse(" Load ", "cpu_power_model"));
    }

    @Test
    void ramModelCountsDimmsAndWattsAsCodeCarbonV3() {
        assertEquals(1, RamPowerModel.estimateDimmCount(1.5));
        assertEquals(2, RamPowerModel.estimateDimmCount(8));
        assertEquals(4, RamPowerModel.estimateDimmCount(62.7));
        assertEquals(8, RamPowerModel.estimateDimmCount(128));
        assertEquals(8, RamPowerModel.estimateDimmCount(512)); // 64 GB DIMMs
        assertEquals(16, RamPowerModel.estimateDimmCount(2048)); // 128 GB DIMMs
        // the tiers' upper ends belong to them, as in CodeCarbon's RAM._estimate_dimm_count
        // ("if total_gb <= 2: return 1", "<= 16: 2", "<= 32: 4", "<= 64: 4", "<= 128: 8")
        assertEquals(1, RamPowerModel.estimateDimmCount(2.0));
        assertEquals(2, RamPowerModel.estimateDimmCount(2.5));
        assertEquals(2, RamPowerModel.estimateDimmCount(16.0));
        assertEquals(4, RamPowerModel.estimateDimmCount(16.5));
        assertEquals(4, RamPowerModel.estimateDimmCount(64.0));
        assertEquals(8, RamPowerModel.estimateDimmCount(64.5));
        assertEquals(8, RamPowerModel.estimateDimmCount(128.0));
        assertEquals(9, RamPowerModel.estimateDimmCount(136)); // 16 GB DIMMs (16 <= 136 / 8 = 17): ceil(8.5)

        assertEquals(10.0, RamPowerModel.powerWatts(1, false), 1e-12); // floor: two DIMMs' worth
        assertEquals(20.0, RamPowerModel.powerWatts(4, false), 1e-12);
        assertEquals(38.0, RamPowerModel.powerWatts(8, false), 1e-12); // 4 x 5 + 4 x 4.5
        assertEquals(70.0, RamPowerModel.powerWatts(16, false), 1e-12); // 20 + 18 + 8 x 4
        assertEquals(98.0, RamPowerModel.powerWatts(24, false), 1e-12); // 70 + 8 x 3.5
        assertEquals(3.0, RamPowerModel.powerWatts(2, true), 1e-12);
        assertEquals(11.4, RamPowerModel.powerWatts(8, true), 1e-12); // 4 x 1.5 + 4 x 1.35
    }

    @Test
    void carbonIntensityByIsoCodeWithWorldAverageFallback() {
        CarbonIntensityTable table = CarbonIntensityTable.load();
        assertTrue(table.size() > 200, "countries: " + table.size());
        GridIntensity france = table.forCountry("fra");
        assertEquals("France", france.countryName());
        assertEquals(67.39, france.gramsPerKwh(), 1e-9);
        assertEquals(379.26, table.forCountry("USA").gramsPerKwh(), 1e-9);
        GridIntensity unknown = table.forCountry("XYZ");
        assertTrue(unknown.worldAverage());
        assertEquals(475.0, unknown.gramsPerKwh(), 0);
        assertTrue(table.forCountry("").worldAverage());
    }
}
