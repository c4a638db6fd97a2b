package lem.energy.codecarbon;

/**
 * One row of CodeCarbon's {@code emissions.csv}, fields in its column order and units
 * (seconds, kg CO2, W, kWh, GB).
 */
public record EmissionsRow(String timestamp, String projectName, String runId, String experimentId,
        double durationSeconds, double emissionsKg, double emissionsRateKgPerSecond, double cpuPowerWatts,
        double gpuPowerWatts, double ramPowerWatts, double cpuEnergyKwh, double gpuEnergyKwh, double ramEnergyKwh,
        double energyConsumedKwh, String countryName, String countryIsoCode, String region, String cloudProvider,
        String cloudRegion, String os, String pythonVersion, String codecarbonVersion, int cpuCount, String cpuModel,
        int gpuCount, String gpuModel, String longitude, String latitude, double ramTotalSizeGb,
        String trackingMode, String onCloud, double pue) {

    /** The values as CodeCarbon writes them, in column order. */
    java.util.List<String> values() {
        return java.util.List.of(timestamp, projectName, runId, experimentId, num(durationSeconds),
                num(emissionsKg), num(emissionsRateKgPerSecond), num(cpuPowerWatts), num(gpuPowerWatts),
                num(ramPowerWatts), num(cpuEnergyKwh), num(gpuEnergyKwh), num(ramEnergyKwh),
                num(energyConsumedKwh), countryName, countryIsoCode, region, cloudProvider, cloudRegion, os,
                pythonVersion, codecarbonVersion, Integer.toString(cpuCount), cpuModel, Integer.toString(gpuCount),
                gpuModel, longitude, latitude, num(ramTotalSizeGb), trackingMode, onCloud, num(pue));
    }

    private static String num(double v) {
        return Double.toString(v);
    }
}
