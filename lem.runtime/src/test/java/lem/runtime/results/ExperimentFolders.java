package lem.runtime.results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.runtime.config.ConfigLoader;

/**
 * Whole experiment folders whose every number is chosen by the test: the resolved config from a
 * real YAML file, one raw file per cycle written and aggregated by the real code, and an
 * environment.json naming a GPU. For tests of what reads results from disk (tidy table, analysis).
 */
public final class ExperimentFolders {
    private ExperimentFolders() {
    }

    /**
     * One cycle: {@code requests} requests, all starting at 0, each with {@code inputTokens} prompt
     * tokens and {@code outputTokens} output tokens; request r's first token comes at
     * {@code ttftMs + 10 r} ms and the next ones 10 ms apart; the window is {@code windowS}
     * seconds; one GPU reports {@code joules}.
     */
    public record Cycle(double joules, long windowS, int requests, int inputTokens, int outputTokens, long ttftMs) {
    }

    /**
     * Writes {@code <root>/<id>/}: config.json from the YAML text, environment.json with an
     * "NVIDIA H200" GPU, one raw file per cycle, result.json, status complete. Energy comes from
     * "nvml" (a counter) or, with {@code estimate}, from "codecarbon" (an estimate).
     */
    public static Path experiment(Path root, String id, String configYaml, boolean estimate, Cycle... cycles)
            throws IOException {
        Path yaml = Files.createDirectories(root.resolveSibling(root.getFileName() + "-configs")).resolve(id + ".yaml");
        Files.writeString(yaml, configYaml);
        ResultsDirectory directory = ResultsDirectory.create(root, id, id);
        directory.writeConfig(ConfigLoader.load(yaml, List.of()).treeWithProvenance());
        Files.writeString(directory.path().resolve("environment.json"), """
                {"hostname": "host-a", "energy_sources": {"nvml": {"available": true,
                  "devices": [{"id": "GPU-0", "name": "NVIDIA H200", "domain": "GPU", "facts": {}}]}}}
                """);
        for (int c = 0; c < cycles.length; c++) {
            Cycle cycle = cycles[c];
            List<RequestTimeline> requests = new ArrayList<>();
            for (int r = 0; r < cycle.requests(); r++) {
                long[][] arrivals = new long[cycle.outputTokens()][];
                long first = (cycle.ttftMs() + 10L * r) * Fixtures.MS;
                for (int t = 0; t < cycle.outputTokens(); t++) {
                    arrivals[t] = Fixtures.at(first + 10L * t * Fixtures.MS, 1);
                }
                requests.add(Fixtures.request("c" + (c + 1) + "-r" + r, cycle.inputTokens(), 0,
                        arrivals[arrivals.length - 1][0], arrivals));
            }
            DeviceEnergy gpu = estimate
                    ? new DeviceEnergy("GPU-0", EnergyDomain.GPU, cycle.joules(), EnergyMethod.ESTIMATE, false, "TDP model")
                    : Fixtures.gpu("GPU-0", cycle.joules());
            directory.writeRaw(Fixtures.raw(id, c + 1, 0, 0, cycle.windowS() * Fixtures.S, requests,
                    List.of(Fixtures.reading(estimate ? "codecarbon" : "nvml", 0, cycle.windowS() * Fixtures.S, gpu)),
                    List.of(), null));
        }
        directory.writeResult(directory.aggregate());
        directory.markComplete();
        return directory.path();
    }

    /** A config with the given batch size, prompt length, precision and cycles; everything else the defaults. */
    public static String config(String name, int batchSize, int inputTokens, String precision, int cycles) {
        return """
                name: %s
                model: {source: synthetic, name: llama-tiny}
                backend: {name: djl, device: cuda}
                precision: %s
                batching: {strategy: static, batch_size: %d}
                traffic: {pattern: poisson, target_qps: 2.5}
                prompts: {source: synthetic, count: 4, synthetic: {input_tokens: %d}}
                decoder: {preset: deterministic, min_new_tokens: 4, max_new_tokens: 4}
                cycles: %d
                """.formatted(name, precision, batchSize, inputTokens, cycles);
    }
}
