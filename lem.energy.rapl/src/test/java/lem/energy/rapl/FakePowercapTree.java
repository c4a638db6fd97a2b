package lem.energy.rapl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A powercap sysfs tree in a temp directory, laid out as the kernel lays it out: a zone directory
 * holds name, energy_uj, max_energy_range_uj and its sub-zone directories.
 */
final class FakePowercapTree {
    /** A typical package range: 2^38 uJ, about 262 kJ. */
    static final long RANGE_UJ = 262_143_328_850L;

    final Path root;

    FakePowercapTree(Path root) {
        this.root = root;
    }

    /** Adds a zone; {@code path} is its directory relative to the root ("intel-rapl:0/intel-rapl:0:0"). */
    Path zone(String path, String name, long energyMicrojoules) {
        return zone(path, name, energyMicrojoules, RANGE_UJ);
    }

    Path zone(String path, String name, long energyMicrojoules, long rangeMicrojoules) {
        try {
            Path dir = Files.createDirectories(root.resolve(path));
            Files.writeString(dir.resolve("name"), name + "\n");
            Files.writeString(dir.resolve("energy_uj"), energyMicrojoules + "\n");
            Files.writeString(dir.resolve("max_energy_range_uj"), rangeMicrojoules + "\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void setEnergy(String path, long energyMicrojoules) {
        try {
            Files.writeString(root.resolve(path).resolve("energy_uj"), energyMicrojoules + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
