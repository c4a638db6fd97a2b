package lem.runtime.config;

import java.util.Objects;

/**
 * Where one value of a resolved configuration came from.
 *
 * @param origin {@code default}, {@code preset <name>} (run preset), {@code decoder preset <name>},
 *               {@code file}, {@code --set}, or {@code file name} (the experiment name derived from
 *               the config file's name)
 * @param file   the config file for {@code file} and {@code file name}; null otherwise
 * @param line   1-based line of the key in {@code file}; 0 when there is none
 */
public record Provenance(String origin, String file, int line) {

    public static final String DEFAULT = "default";
    public static final String FILE = "file";
    public static final String OVERRIDE = "--set";
    public static final String FILE_NAME = "file name";

    private static final Provenance DEFAULT_VALUE = new Provenance(DEFAULT, null, 0);
    private static final Provenance OVERRIDE_VALUE = new Provenance(OVERRIDE, null, 0);

    public Provenance {
        Objects.requireNonNull(origin, "origin");
    }

    public static Provenance defaultValue() {
        return DEFAULT_VALUE;
    }

    public static Provenance runPreset(String presetName) {
        return new Provenance("preset " + presetName, null, 0);
    }

    public static Provenance decoderPreset(String presetName) {
        return new Provenance("decoder preset " + presetName, null, 0);
    }

    public static Provenance inFile(String file, int line) {
        return new Provenance(FILE, Objects.requireNonNull(file, "file"), line);
    }

    public static Provenance override() {
        return OVERRIDE_VALUE;
    }

    public static Provenance fileName(String file) {
        return new Provenance(FILE_NAME, file, 0);
    }

    /** True when a person wrote this value: in a config file or with {@code --set}. */
    public boolean writtenByUser() {
        return FILE.equals(origin) || OVERRIDE.equals(origin);
    }

    /** {@code default}, {@code preset quick-test}, {@code base.yaml:12}, {@code --set}... */
    public String describe() {
        if (FILE.equals(origin)) {
            return line > 0 ? file + ":" + line : file;
        }
        if (FILE_NAME.equals(origin)) {
            return "file name " + file;
        }
        return origin;
    }

    @Override
    public String toString() {
        return describe();
    }
}
