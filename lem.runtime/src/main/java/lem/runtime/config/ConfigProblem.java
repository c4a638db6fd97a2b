package lem.runtime.config;

import java.util.Objects;

/**
 * One mistake in an experiment configuration, found before anything runs.
 *
 * @param file    where the offending key was written: a config file path as the user gave it (or as
 *                resolved from an {@code _extends}), {@code --set} for a command-line override,
 *                {@code default} or {@code preset <name>} when the value came from there
 * @param keyPath dotted path of the key, e.g. {@code batching.batch_size}; empty for a whole-file
 *                problem such as a YAML syntax error
 * @param line    1-based line in {@code file}; 0 when there is no line (override, default, preset)
 * @param message what is wrong and what is allowed, without the file, line or key path
 */
public record ConfigProblem(String file, String keyPath, int line, String message) {

    public ConfigProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(message, "message");
    }

    /** A problem at the place a value came from. */
    static ConfigProblem at(Provenance where, String keyPath, String message) {
        if (where == null) {
            return new ConfigProblem(Provenance.DEFAULT, keyPath, 0, message);
        }
        if (where.file() != null) {
            return new ConfigProblem(where.file(), keyPath, where.line(), message);
        }
        return new ConfigProblem(where.origin(), keyPath, 0, message);
    }

    /** {@code file:line: key.path: message}, the form printed to users. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(file);
        if (line > 0) {
            text.append(':').append(line);
        }
        text.append(": ");
        if (!keyPath.isEmpty()) {
            text.append(keyPath).append(": ");
        }
        return text.append(message).toString();
    }
}
