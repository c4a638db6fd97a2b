package lem.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import lem.report.browser.HeadlessBrowser;
import lem.report.svg.Svg;
import lem.runtime.command.Numbers;

/**
 * {@code lem report}: one self-contained HTML file (inline SVG and CSS, no script, nothing fetched)
 * for experiments or a campaign, and each figure as its own {@code .svg} (and {@code .png} when
 * the headless browser is on the PATH) beside it.
 */
public final class Report {
    public static final String REPORTS_DIR = "reports";
    public static final String HTML_FILE = "report.html";
    static final String CAMPAIGNS_DIR = "campaigns";

    /**
     * What was written.
     *
     * @param html     the report
     * @param figures  each figure's .svg
     * @param pngs     each figure's .png, empty when there was no browser
     * @param pngNote  why there are no PNGs, or null
     */
    public record Written(Path html, List<Path> figures, List<Path> pngs, String pngNote) {
        public String describe() {
            StringBuilder b = new StringBuilder("report: ").append(html).append('\n');
            b.append(figures.size()).append(" figure(s) as SVG");
            b.append(pngs.isEmpty() ? "" : " and PNG").append(" in ").append(html.getParent());
            if (pngNote != null) {
                b.append("\nno PNG: ").append(pngNote);
            }
            return b.toString();
        }
    }

    /** What the arguments name: the experiment folders in order, and the report's name. */
    public record Selection(String name, String title, List<Path> experiments) {
    }

    private Report() {
    }

    /**
     * Resolves experiment ids, unique id prefixes and campaign ids (or prefixes) under the results
     * folder; a campaign stands for every experiment its runs made, in run order.
     */
    public static Selection select(Path resultsRoot, List<String> names) {
        if (names.isEmpty()) {
            throw new ReportException("lem report: name one or more experiments or a campaign (lem results list, lem campaign list)");
        }
        Set<Path> experiments = new LinkedHashSet<>();
        List<String> titles = new ArrayList<>();
        for (String name : names) {
            Path experiment = resultsRoot.resolve(name);
            if (!name.contains("/") && isExperiment(experiment)) {
                experiments.add(experiment);
                titles.add(name);
                continue;
            }
            Path campaigns = resultsRoot.resolve(CAMPAIGNS_DIR);
            List<String> experimentMatches = children(resultsRoot).stream().filter(p -> isExperiment(p))
                    .map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name)).toList();
            List<String> campaignMatches = children(campaigns).stream().filter(p -> Files.isRegularFile(p.resolve("plan.json")))
                    .map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name)).toList();
            if (campaignMatches.contains(name) || (experimentMatches.isEmpty() && campaignMatches.size() == 1)) {
                String id = campaignMatches.contains(name) ? name : campaignMatches.get(0);
                experiments.addAll(campaignExperiments(resultsRoot, campaigns.resolve(id)));
                titles.add("campaign " + id);
            } else if (experimentMatches.size() == 1 && campaignMatches.isEmpty()) {
                experiments.add(resultsRoot.resolve(experimentMatches.get(0)));
                titles.add(experimentMatches.get(0));
            } else if (experimentMatches.isEmpty() && campaignMatches.isEmpty()) {
                throw new ReportException("lem report: no experiment or campaign '" + name + "' in " + resultsRoot
                        + " (lem results list shows the experiments, lem campaign list the campaigns; --dir names another results folder)");
            } else {
                List<String> all = new ArrayList<>(experimentMatches);
                campaignMatches.forEach(c -> all.add("campaign " + c));
                throw new ReportException("lem report: '" + name + "' is ambiguous: it starts " + String.join(", ", all)
                        + "; give more of the id");
            }
        }
        if (experiments.isEmpty()) {
            throw new ReportException("lem report: " + String.join(", ", titles) + " has no experiment with a results folder yet");
        }
        String reportName = titles.size() == 1 ? titles.get(0).replace("campaign ", "")
                : titles.get(0).replace("campaign ", "") + "-and-" + (titles.size() - 1) + "-more";
        return new Selection(reportName, String.join(", ", titles), List.copyOf(experiments));
    }

    private static boolean isExperiment(Path dir) {
        return Files.isRegularFile(dir.resolve("status.json")) || Files.isRegularFile(dir.resolve("result.json"));
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new ReportException(dir + " cannot be listed: " + e.getMessage());
        }
    }

    /** The experiment folders a campaign's runs made, in run order (the latest attempt of each). */
    static List<Path> campaignExperiments(Path resultsRoot, Path campaign) {
        Path runs = campaign.resolve("runs");
        List<Path> experiments = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> list = Files.isDirectory(runs) ? Files.list(runs) : Stream.empty()) {
            files = list.filter(p -> p.getFileName().toString().matches("run_\\d+\\.json"))
                    .sorted((a, b) -> Integer.compare(index(a), index(b))).toList();
        } catch (IOException e) {
            throw new ReportException(runs + " cannot be listed: " + e.getMessage());
        }
        for (Path file : files) {
            JsonNode run = ExperimentFiles.tree(file);
            String id = ExperimentFiles.text(run, "experiment_id", null);
            if (id != null && isExperiment(resultsRoot.resolve(id))) {
                experiments.add(resultsRoot.resolve(id));
            }
        }
        return experiments;
    }

    private static int index(Path runFile) {
        String f = runFile.getFileName().toString();
        return Integer.parseInt(f.substring("run_".length(), f.length() - ".json".length()));
    }

    /** Writes the report of the selection into {@code outDir}: report.html, the figures' .svg and, with a browser, .png files. */
    public static Written write(Selection selection, Path outDir, Optional<HeadlessBrowser> browser) throws IOException {
        List<ExperimentFiles> experiments = selection.experiments().stream().map(ExperimentFiles::read).toList();
        List<ReportFigures.Figure> figures = ReportFigures.all(experiments);
        Files.createDirectories(outDir);
        List<Path> svgs = new ArrayList<>();
        for (ReportFigures.Figure f : figures) {
            Path file = outDir.resolve(f.id() + ".svg");
            Files.writeString(file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + f.svg(), StandardCharsets.UTF_8);
            svgs.add(file);
        }
        Path html = outDir.resolve(HTML_FILE);
        Files.writeString(html, html(selection.title(), experiments, figures), StandardCharsets.UTF_8);
        List<Path> pngs = new ArrayList<>();
        String note = null;
        if (browser.isEmpty()) {
            note = HeadlessBrowser.missingNote();
        } else {
            for (int i = 0; i < figures.size(); i++) {
                Path png = outDir.resolve(figures.get(i).id() + ".png");
                int[] size = size(figures.get(i).svg());
                HeadlessBrowser.Output out = browser.get().screenshot(svgs.get(i).toUri().toString(), png, size[0], size[1]);
                if (out.exitCode() != 0 || !Files.isRegularFile(png)) {
                    note = HeadlessBrowser.EXECUTABLE + " failed on " + svgs.get(i) + " (exit " + out.exitCode() + "): "
                            + out.stderr().strip().lines().reduce((a, b) -> b).orElse("");
                    break;
                }
                pngs.add(png);
            }
        }
        return new Written(html, svgs, pngs, note);
    }

    /** The width and height attributes of an SVG document, rounded up. */
    static int[] size(String svg) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("width=\"([0-9.]+)\" height=\"([0-9.]+)\"").matcher(svg);
        if (!m.find()) {
            throw new IllegalArgumentException("an SVG without width and height");
        }
        return new int[] {(int) Math.ceil(Double.parseDouble(m.group(1))), (int) Math.ceil(Double.parseDouble(m.group(2)))};
    }

    static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1100px}
            h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
            figure{margin:16px 0}figcaption{font-size:13px;color:#444;max-width:820px}
            table{border-collapse:collapse;font-size:13px;margin:8px 0}
            td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
            details{margin:6px 0}summary{cursor:pointer}
            """;

    static String html(String title, List<ExperimentFiles> experiments, List<ReportFigures.Figure> figures) {
        StringBuilder h = new StringBuilder(65536);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>lem report: ")
                .append(Svg.escape(title)).append("</title>\n<style>").append(CSS).append("</style></head><body>\n");
        h.append("<h1>lem report: ").append(Svg.escape(title)).append("</h1>\n");
        h.append("<h2>Experiments</h2>\n<table id=\"experiments\"><tr><th>experiment</th><th>name</th><th>status</th>")
                .append("<th>cycles</th><th>output tokens/s</th><th>J per output token</th><th>TTFT p99 (ms)</th>")
                .append("<th>energy (J)</th></tr>\n");
        for (ExperimentFiles e : experiments) {
            String[] numbers = Numbers.together(e.overall("output_tokens_per_second"), e.overall("joules_per_output_token"),
                    ExperimentFiles.number(e.result, "overall", "latency", "ttft_ms", "p99"),
                    ExperimentFiles.number(e.result, "overall", "energy", "raw_joules"));
            h.append("<tr><td>").append(Svg.escape(e.id)).append("</td><td>").append(Svg.escape(e.name)).append("</td><td>")
                    .append(Svg.escape(e.state.toLowerCase(java.util.Locale.ROOT))).append("</td><td class=\"num\">")
                    .append(e.result == null ? Numbers.UNKNOWN : e.result.path("cycles_measured").asText()).append("</td>");
            for (String n : numbers) {
                h.append("<td class=\"num\">").append(n).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<p>Pooled over all cycles, as in <code>lem results show</code>.</p>\n");
        h.append("<h2>Figures</h2>\n");
        if (figures.isEmpty()) {
            h.append("<p>No figure: no experiment has an aggregated result.json or raw files yet.</p>\n");
        }
        for (ReportFigures.Figure f : figures) {
            h.append("<figure id=\"figure-").append(f.id()).append("\">\n").append(f.svg()).append("<figcaption>")
                    .append(Svg.escape(f.caption())).append(" (").append(f.id()).append(".svg)</figcaption></figure>\n");
        }
        h.append("<h2>Warnings</h2>\n<table id=\"warnings\"><tr><th>experiment</th><th>warning</th></tr>\n");
        int warnings = 0;
        for (ExperimentFiles e : experiments) {
            for (String w : e.warnings()) {
                h.append("<tr><td>").append(Svg.escape(e.id)).append("</td><td>").append(Svg.escape(w)).append("</td></tr>\n");
                warnings++;
            }
        }
        if (warnings == 0) {
            h.append("<tr><td colspan=\"2\">none</td></tr>\n");
        }
        h.append("</table>\n<h2>Environment</h2>\n");
        for (ExperimentFiles e : experiments) {
            Map<String, String> env = e.environmentTable();
            h.append("<details").append(experiments.size() == 1 ? " open" : "").append("><summary>").append(Svg.escape(e.id))
                    .append(env.isEmpty() ? ": no environment.json" : "").append("</summary>\n<table class=\"environment\">")
                    .append("<tr><th>key</th><th>value</th></tr>\n");
            env.forEach((k, v) -> h.append("<tr><td>").append(Svg.escape(k)).append("</td><td>").append(Svg.escape(v))
                    .append("</td></tr>\n"));
            h.append("</table></details>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }
}
