package lem.energy.rapl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import lem.api.energy.EnergyDomain;

/**
 * Finds the RAPL zones under a powercap root ({@code /sys/class/powercap} on a real host, a temp
 * directory in tests) and picks the ones whose energies can be added up: packages and DRAM.
 * <p>
 * Zones are {@code intel-rapl:N} with sub-zones {@code intel-rapl:N:M}, ids in hex. The class
 * directory lists every zone flat (as links); a zone's directory also holds its sub-zones, so both
 * layouts are read. core and uncore are parts of their package and psys contains the packages, so
 * they are never added; {@code intel-rapl-mmio:N} repeats a package the MSR interface already
 * shows and is used only where that package is missing.
 */
public final class RaplZoneScanner {
    private static final Pattern ZONE = Pattern.compile("(intel-rapl(?:-mmio)?):([0-9a-fA-F]+(?::[0-9a-fA-F]+)*)");

    private final Path powercapRoot;

    public RaplZoneScanner(Path powercapRoot) {
        this.powercapRoot = powercapRoot;
    }

    /** Whether the root holds any RAPL zone directory at all. */
    public boolean hasZones() {
        return !zoneDirectories().isEmpty();
    }

    public RaplTopology scan() {
        List<Found> found = new ArrayList<>();
        for (Map.Entry<String, Path> e : zoneDirectories().entrySet()) {
            Matcher m = ZONE.matcher(e.getKey());
            if (!m.matches()) {
                continue;
            }
            String[] parts = m.group(2).split(":");
            int[] path = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                path[i] = Integer.parseInt(parts[i], 16);
            }
            found.add(new Found(e.getKey(), e.getValue(), m.group(1).endsWith("-mmio"), path,
                    readName(e.getValue()).orElse("")));
        }
        found.sort(Comparator.<Found, Boolean>comparing(f -> f.mmio).thenComparing(Found::sortKey));

        List<RaplZone> zones = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<String> msrPackageNames = new HashSet<>();
        List<Found> psys = new ArrayList<>();
        for (Found f : found) {
            String name = f.name.toLowerCase();
            if (name.isEmpty()) {
                skipped.add(f.dirName + ": no readable name file");
            } else if (name.equals("psys")) {
                psys.add(f);
            } else if (name.equals("core") || name.equals("uncore")) {
                skipped.add(f.dirName + " (" + name + "): part of its package, already counted there");
            } else if (name.startsWith("package") && f.path.length == 1) {
                if (f.mmio && msrPackageNames.contains(name)) {
                    skipped.add(f.dirName + " (" + name + "): mmio duplicate of the MSR zone with the same name");
                    continue;
                }
                if (!f.mmio) {
                    msrPackageNames.add(name);
                }
                zone(f, f.name, EnergyDomain.CPU_PACKAGE, skipped).ifPresent(zones::add);
            } else if (name.equals("dram")) {
                String id = dramId(f, found);
                if (zones.stream().anyMatch(z -> z.id().equals(id))) {
                    skipped.add(f.dirName + " (dram): duplicate of " + id);
                    continue;
                }
                zone(f, id, EnergyDomain.DRAM, skipped).ifPresent(zones::add);
            } else {
                skipped.add(f.dirName + " (" + f.name + "): not a package or DRAM zone");
            }
        }
        boolean anyPackage = zones.stream().anyMatch(z -> z.domain() == EnergyDomain.CPU_PACKAGE);
        for (Found f : psys) {
            if (anyPackage) {
                skipped.add(f.dirName + " (psys): contains the packages, never added to them");
            } else {
                // Only the platform counter exists (some laptops): report it as the whole system.
                zone(f, "psys", EnergyDomain.SYSTEM, skipped).ifPresent(zones::add);
            }
        }
        return new RaplTopology(zones, skipped);
    }

    private static String dramId(Found dram, List<Found> all) {
        if (dram.path.length > 1) {
            for (Found parent : all) {
                if (parent.mmio == dram.mmio && parent.path.length == 1 && parent.path[0] == dram.path[0]
                        && !parent.name.isEmpty()) {
                    return parent.name + "-dram";
                }
            }
            return "package-" + dram.path[0] + "-dram";
        }
        return "dram-" + dram.path[0];
    }

    private static Optional<RaplZone> zone(Found f, String id, EnergyDomain domain, List<String> skipped) {
        Path rangeFile = f.dir.resolve("max_energy_range_uj");
        try {
            long range = Long.parseLong(Files.readString(rangeFile).trim());
            return Optional.of(new RaplZone(id, f.dirName, f.name, domain, f.dir, range));
        } catch (IOException | NumberFormatException e) {
            // Without the range a wrap cannot be corrected, and the figure could be off by 262 kJ.
            skipped.add(f.dirName + " (" + f.name + "): cannot read " + rangeFile + " (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    private Map<String, Path> zoneDirectories() {
        Map<String, Path> dirs = new LinkedHashMap<>();
        if (!Files.isDirectory(powercapRoot)) {
            return dirs;
        }
        collect(powercapRoot, dirs);
        return dirs;
    }

    private static void collect(Path dir, Map<String, Path> dirs) {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                String name = child.getFileName().toString();
                if (ZONE.matcher(name).matches() && Files.isDirectory(child) && !dirs.containsKey(name)) {
                    dirs.put(name, child);
                    collect(child, dirs);
                }
            }
        } catch (IOException e) {
            // An unlistable directory holds no zone we could read either.
        }
    }

    private static Optional<String> readName(Path zoneDir) {
        try {
            return Optional.of(Files.readString(zoneDir.resolve("name")).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private record Found(String dirName, Path dir, boolean mmio, int[] path, String name) {
        String sortKey() {
            StringBuilder key = new StringBuilder();
            for (int p : path) {
                key.append(String.format("%08x:", p));
            }
            return key.toString();
        }
    }
}
