package lem.runtime.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** An enumerated setting, written in config files in lower case ({@code sorted_dynamic}). */
public interface ConfigEnum {

    /** Implemented by every enum constant. */
    String name();

    /** The spelling used in config files. */
    default String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The config spellings of all constants of an enum, in declaration order. */
    static <E extends Enum<E> & ConfigEnum> List<String> configNames(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(ConfigEnum::configName).toList();
    }

    /** The constant spelt {@code configName}, or null. */
    static <E extends Enum<E> & ConfigEnum> E fromConfigName(Class<E> type, String configName) {
        for (E constant : type.getEnumConstants()) {
            if (constant.configName().equals(configName)) {
                return constant;
            }
        }
        return null;
    }
}
