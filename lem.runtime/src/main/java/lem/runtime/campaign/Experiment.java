package lem.runtime.campaign;

import java.util.List;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.LoadedConfig;

/**
 * One config of a campaign with one combination of varied values.
 *
 * @param index  0-based place among the campaign's experiments
 * @param name   {@code <config name>-<key>=<value>-...}, file-safe; the config's {@code name}
 * @param source the config it came from: its file, or {@code <campaign file> (inline)}
 * @param varied the varied values, in grid order; empty when nothing varies
 * @param loaded the resolved config, checked for schema problems
 */
public record Experiment(int index, String name, String source, List<ConfigDocument.Setting> varied,
        LoadedConfig loaded) {
    public Experiment {
        varied = List.copyOf(varied);
    }
}
