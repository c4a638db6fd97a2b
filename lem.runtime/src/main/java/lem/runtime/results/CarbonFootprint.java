package lem.runtime.results;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * CO2 of a set of cycles, worked out as CodeCarbon does: the measured energy the summary reports
 * ({@code energy.raw_joules}, the counted figures before the baseline is taken off) times the data
 * centre's PUE, in kWh, times the grid's carbon intensity. The intensity, its source and the PUE
 * come from the energy source that knows them (CodeCarbon's facts in the raw readings).
 *
 * @param co2Grams             g CO2
 * @param intensityGramsPerKwh the grid's carbon intensity, g CO2 per kWh
 * @param intensitySource      where the intensity comes from, in words
 * @param countryIsoCode       ISO 3166-1 alpha-3 country of the grid, or empty for the world average
 * @param countryName          the country's name, or {@code World}
 * @param pue                  power usage effectiveness applied
 * @param energyJoules         the energy the CO2 is worked out from, J (before PUE)
 * @param basis                that energy, in words
 */
public record CarbonFootprint(@JsonProperty("co2_g") double co2Grams,
        @JsonProperty("carbon_intensity_g_per_kwh") double intensityGramsPerKwh,
        @JsonProperty("carbon_intensity_source") String intensitySource,
        @JsonProperty("country_iso_code") String countryIsoCode, @JsonProperty("country_name") String countryName,
        double pue, @JsonProperty("energy_j") double energyJoules, String basis) {
    static final double JOULES_PER_KWH = 3.6e6;
    static final String INTENSITY_FACT = "carbon_intensity_g_per_kwh";
    static final String BASIS = "measured energy (energy.raw_joules) x PUE x grid carbon intensity, as CodeCarbon does";

    /** The footprint of {@code energyJoules} with the intensity and PUE of a source's facts, or null when they have none. */
    static CarbonFootprint of(double energyJoules, Map<String, String> facts) {
        Double intensity = number(facts.get(INTENSITY_FACT));
        if (intensity == null) {
            return null;
        }
        Double pue = number(facts.get("pue"));
        double factor = pue == null ? 1.0 : pue;
        String country = facts.getOrDefault("country_iso_code", "");
        String name = facts.getOrDefault("country_name", country.isEmpty() ? "World" : country);
        String source = facts.getOrDefault("carbon_intensity_source",
                country.isEmpty() ? "world average" : "grid figure for " + country);
        return new CarbonFootprint(energyJoules / JOULES_PER_KWH * factor * intensity, intensity, source, country, name,
                factor, energyJoules, BASIS);
    }

    private static Double number(String text) {
        try {
            return text == null || text.isBlank() ? null : Double.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
