package lem.energy.codecarbon;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Grid carbon intensity per country, from CodeCarbon's copy of the Our World in Data figures
 * (resource {@code carbon_intensity.csv}, source named in its header).
 */
public final class CarbonIntensityTable {
    /**
     * World average carbon intensity, g CO2/kWh: CodeCarbon's fallback when the country has no
     * figure (codecarbon/core/emissions.py, 475 g/kWh).
     */
    public static final double WORLD_AVERAGE_G_PER_KWH = 475.0;

    private static final String RESOURCE = "carbon_intensity.csv";

    private final Map<String, GridIntensity> byIso;

    private CarbonIntensityTable(Map<String, GridIntensity> byIso) {
        this.byIso = Map.copyOf(byIso);
    }

    /** The table shipped with this bundle. */
    public static CarbonIntensityTable load() {
        Map<String, GridIntensity> rows = new HashMap<>();
        for (String line : DataResource.rows(RESOURCE)) {
            int first = line.indexOf(',');
            int last = line.lastIndexOf(',');
            String iso = line.substring(0, first);
            rows.put(iso, new GridIntensity(iso, line.substring(first + 1, last),
                    Double.parseDouble(line.substring(last + 1)), false));
        }
        return new CarbonIntensityTable(rows);
    }

    public Optional<GridIntensity> find(String isoCode) {
        return Optional.ofNullable(byIso.get(isoCode.toUpperCase(Locale.ROOT)));
    }

    /** The country's figure, or the world average (flagged) when the code is empty or unknown. */
    public GridIntensity forCountry(String isoCode) {
        if (isoCode != null && !isoCode.isBlank()) {
            Optional<GridIntensity> found = find(isoCode.trim());
            if (found.isPresent()) {
                return found.get();
            }
        }
        String iso = isoCode == null ? "" : isoCode.trim().toUpperCase(Locale.ROOT);
        return new GridIntensity(iso, "World", WORLD_AVERAGE_G_PER_KWH, true);
    }

    public int size() {
        return byIso.size();
    }
}
