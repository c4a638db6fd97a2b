/**
 * Experiment configuration: YAML or JSON files with {@code _extends} inheritance, run and decoder
 * presets, {@code --set} overrides, validation that reports every mistake with its file, key path
 * and line, and the provenance of every resolved value. Framework-free: the runtime's commands and
 * lifecycle call {@link lem.runtime.config.ConfigLoader}. Private to the lem.runtime bundle.
 */
package lem.runtime.config;
