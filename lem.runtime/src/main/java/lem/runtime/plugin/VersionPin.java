package lem.runtime.plugin;

import java.util.Objects;

import org.osgi.framework.Version;
import org.osgi.framework.VersionRange;

/**
 * Which bundle versions a config accepts for its backend ({@code backend.version}): a version,
 * which matches that version exactly (written without a qualifier, any qualifier of it:
 * {@code 0.1.0} matches {@code 0.1.0.SNAPSHOT}), or an OSGi range such as {@code [1.2,2)}.
 */
public final class VersionPin {
    private final String text;
    private final Version exact;
    private final VersionRange range;

    private VersionPin(String text, Version exact, VersionRange range) {
        this.text = text;
        this.exact = exact;
        this.range = range;
    }

    /**
     * @throws IllegalArgumentException with a message for the user when {@code text} is neither
     */
    public static VersionPin parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.trim();
        try {
            if (trimmed.startsWith("[") || trimmed.startsWith("(")) {
                return new VersionPin(trimmed, null, VersionRange.valueOf(trimmed));
            }
            return new VersionPin(trimmed, Version.parseVersion(trimmed), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is neither a bundle version (1.2.3) nor a version range"
                    + " ([1.2,2) includes 1.2 and excludes 2)");
        }
    }

    /** Whether a bundle of this version is accepted; a version that does not parse never is. */
    public boolean matches(String bundleVersion) {
        Version version;
        try {
            version = Version.parseVersion(bundleVersion);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (range != null) {
            return range.includes(version);
        }
        if (!exact.getQualifier().isEmpty()) {
            return exact.equals(version);
        }
        return exact.getMajor() == version.getMajor() && exact.getMinor() == version.getMinor()
                && exact.getMicro() == version.getMicro();
    }

    @Override
    public String toString() {
        return text;
    }
}
