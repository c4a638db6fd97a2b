package lem.energy.codecarbon;

/**
 * The carbon intensity of the electricity a run used.
 *
 * @param isoCode      ISO 3166-1 alpha-3 country code, or empty when unknown
 * @param countryName  the country's name, or {@code World} for the average
 * @param gramsPerKwh  g CO2 emitted per kWh of electricity
 * @param worldAverage true when the country was unknown or not given and the world average was used
 */
public record GridIntensity(String isoCode, String countryName, double gramsPerKwh, boolean worldAverage) {
}
