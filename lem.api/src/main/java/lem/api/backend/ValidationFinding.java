package lem.api.backend;

import java.util.List;
import java.util.Objects;

/**
 * One thing a backend found wrong, or worth a warning, in what it was asked for.
 *
 * @param severity   {@link Severity#ERROR} refuses the config; {@link Severity#WARNING} is shown
 * @param setting    which part of the request it is about, so that the runtime can name the
 *                   config key
 * @param option     for {@link Setting#OPTION}: the key inside the backend's own options
 *                   ({@code threads}); empty otherwise
 * @param message    what is wrong and what is allowed, for people
 * @param candidates values that would be accepted (preset names, option keys), from which the
 *                   runtime may suggest the nearest to what was written; empty when none apply
 */
public record ValidationFinding(Severity severity, Setting setting, String option, String message,
        List<String> candidates) {

    /** How bad a finding is. */
    public enum Severity {
        /** The run cannot work: the config is refused. */
        ERROR,
        /** The run works, but the user should know (slow, unusual). */
        WARNING
    }

    /** What a finding is about. */
    public enum Setting {
        /** {@link lem.api.model.ModelSpec#name()}: a preset, a path, weights files. */
        MODEL,
        /** {@link lem.api.model.ModelSpec#precision()}. */
        PRECISION,
        /** {@link lem.api.model.ModelSpec#quantisation()}. */
        QUANTISATION,
        /** {@link BackendSettings#device()}. */
        DEVICE,
        /** {@link BackendSettings#batching()} and batch sizes. */
        BATCHING,
        /** One key of {@link BackendSettings#options()}, named by {@code option}. */
        OPTION
    }

    public ValidationFinding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(message, "message");
        option = option == null ? "" : option;
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
        if (setting == Setting.OPTION && option.isEmpty()) {
            throw new IllegalArgumentException("a finding about an option names the option");
        }
    }

    /** An error about a setting other than an option. */
    public static ValidationFinding error(Setting setting, String message) {
        return new ValidationFinding(Severity.ERROR, setting, "", message, List.of());
    }

    /** A warning about a setting other than an option. */
    public static ValidationFinding warning(Setting setting, String message) {
        return new ValidationFinding(Severity.WARNING, setting, "", message, List.of());
    }

    /** An error about one of the backend's own options. */
    public static ValidationFinding optionError(String option, String message, List<String> candidates) {
        return new ValidationFinding(Severity.ERROR, Setting.OPTION, option, message, candidates);
    }
}
