package lem.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import lem.report.browser.HeadlessBrowser;
import lem.runtime.command.CommandFailure;
import lem.runtime.command.Numbers;

/**
 * The report of a campaign of three experiments written by the runtime's real writer and
 * aggregator, opened in the real headless browser: no console error, every figure drew its
 * marks, the numbers are the console's, and a screenshot is kept in target/report-test/.
 */
class ReportTest {
    static final Path WORK = Path.of("target", "report-test").toAbsolutePath();
    static final Path RESULTS = WORK.resolve("results");
    static Report.Written written;

    /** The browser; the test fails (never skips) without it. */
    static HeadlessBrowser browser() {
        Optional<HeadlessBrowser> browser = HeadlessBrowser.find();
        assertTrue(browser.isPresent(), HeadlessBrowser.EXECUTABLE + " is not on the PATH: run the repository's .ci/deps "
                + "(it installs Debian's chromium-headless-shell), then run the tests again");
        return browser.get();
    }

    @BeforeAll
    static void writeReport() throws IOException {
        deleteTree(WORK);
        // a: 10 ms per token at 180 W; b: 20 ms at 150 W (slower and dearer: dominated); c: 5 ms at 400 W (faster, dearer)
        ResultFolders.experiment(RESULTS, "exp-a", 3, 4, 40, 10, 12, 250, 180);
        ResultFolders.experiment(RESULTS, "exp-b", 3, 4, 80, 20, 12, 200, 150);
        ResultFolders.experiment(RESULTS, "exp-c", 3, 4, 30, 5, 12, 450, 400);
        ResultFolders.campaign(RESULTS, "sweep-20261130T000000Z", "sweep", List.of("exp-a", "exp-b", "exp-c"));
        Report.Selection selection = Report.select(RESULTS, List.of("sweep-2026"));
        assertEquals("sweep-20261130T000000Z", selection.name());
        written = Report.write(selection, RESULTS.resolve("reports").resolve(selection.name()), Optional.of(browser()));
    }

    @Test
    void everyFigureIsItsOwnSvgAndPngBesideTheHtml() throws IOException {
        assertEquals(RESULTS.resolve("reports/sweep-20261130T000000Z/report.html"), written.html());
        List<String> names = written.figures().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("power-1-1.svg", "power-2-1.svg", "power-3-1.svg", "ttft.svg", "itl.svg", "energy-per-token.svg",
                "throughput.svg", "pareto.svg"), names);
        assertEquals(names.size(), written.pngs().size(), written.describe());
        for (Path png : written.pngs()) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head, png + " is a PNG");
        }
        assertTrue(written.describe().startsWith("report: " + written.html()), written.describe());
        String svg = Files.readString(written.figures().get(0));
        assertTrue(svg.startsWith("<?xml") && svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "a standalone SVG file");
    }

    @Test
    void theBrowserRendersEveryFigureWithItsMarksAndNoConsoleError() throws IOException {
        HeadlessBrowser.Output dom = browser().dumpDom(written.html().toUri().toString(), 2000);
        assertEquals(0, dom.exitCode(), dom.stderr());
        assertEquals(List.of(), dom.consoleLines(),
                "no console message at all: " + dom.stderr());
        Map<String, int[]> marks = marksByFigure(dom.stdout());
        assertEquals(8, marks.size(), marks.keySet().toString());
        // power: the line and the baseline as paths; 4 requests one after another: 4 prefill and 4 decode spans
        for (String power : List.of("power-1-1", "power-2-1", "power-3-1")) {
            assertArrayEquals(new int[] {2, 0, 8}, marks.get(power), power + " path/circle/rect");
        }
        assertArrayEquals(new int[] {3, 0, 0}, marks.get("ttft"), "one CDF per experiment");
        assertArrayEquals(new int[] {3, 0, 0}, marks.get("itl"));
        assertArrayEquals(new int[] {3, 3, 0}, marks.get("energy-per-token"), "a dot and a CI bar per experiment");
        assertArrayEquals(new int[] {3, 3, 0}, marks.get("throughput"));
        assertArrayEquals(new int[] {1, 3, 0}, marks.get("pareto"), "the front's line, 2 front points and 1 dominated");

        Path screenshot = WORK.resolve("report-screenshot.png");
        HeadlessBrowser.Output shot = browser().screenshot(written.html().toUri().toString(), screenshot, 1100, 4200);
        assertEquals(0, shot.exitCode(), shot.stderr());
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot with content is kept at " + screenshot);
    }

    /** path, circle and rect elements of class "mark" inside each svg.figure, by the figure's id. */
    static Map<String, int[]> marksByFigure(String dom) {
        Map<String, int[]> marks = new LinkedHashMap<>();
        Matcher figure = Pattern.compile("<svg[^>]*class=\"figure\"[^>]*id=\"([^\"]+)\"[^>]*>(.*?)</svg>", Pattern.DOTALL).matcher(dom);
        while (figure.find()) {
            String body = figure.group(2);
            marks.put(figure.group(1), new int[] {count(body, "<path class=\"mark\""), count(body, "<circle class=\"mark\""),
                    count(body, "<rect class=\"mark\"")});
        }
        return marks;
    }

    private static int count(String text, String regex) {
        return (int) Pattern.compile(regex).matcher(text).results().count();
    }

    @Test
    void theParetoFrontAndTheTablesSayWhatTheFilesSay() throws IOException {
        String html = Files.readString(written.html());
        // b is slower and spends more per token than a: dominated; a and c trade speed for energy
        assertTrue(html.contains("on the front: exp-a, exp-c"), html);
        for (String id : List.of("exp-a", "exp-b", "exp-c")) {
            JsonNode result = ExperimentFiles.tree(RESULTS.resolve(id).resolve("result.json"));
            JsonNode overall = result.path("overall");
            // one row, one format, as the console writes a row
            String[] row = Numbers.together(overall.path("output_tokens_per_second").asDouble(),
                    overall.path("joules_per_output_token").asDouble(), overall.path("latency").path("ttft_ms").path("p99").asDouble(),
                    overall.path("energy").path("raw_joules").asDouble());
            assertTrue(html.contains("<td>" + id + "</td><td>" + id + "</td><td>complete</td><td class=\"num\">3</td><td class=\"num\">"
                    + row[0] + "</td><td class=\"num\">" + row[1] + "</td><td class=\"num\">" + row[2] + "</td><td class=\"num\">"
                    + row[3] + "</td></tr>"), id + " row with " + Arrays.toString(row) + " in\n" + html);
        }
        // every warning, escaped; the environment as a table
        assertEquals(3, count(html, "<td>cycle 1 process 0: cycle 1: GPU-0 throttled \\(test warning &lt;b&gt;\\)</td>"), "one per experiment");
        assertTrue(html.contains("<td>energy_sources.nvml.devices[0].name</td><td>NVIDIA H200</td>"), "environment table");
        assertFalse(html.contains("http://") && html.contains("src=\"http"), "nothing fetched from a network");
        assertFalse(Pattern.compile("<(script|link|img)[^>]+(src|href)=").matcher(html).find(), "no external resource");
    }

    @Test
    void powerFigureShadesThePhasesWhereTheRequestsWere() throws IOException {
        String svg = Files.readString(written.figures().get(0));
        // exp-a cycle 1: TTFT 43 ms, 11 gaps of 11 ms: request r runs from r * 214 ms for 164 ms
        Matcher title = Pattern.compile("<rect class=\"mark\"[^>]*><title>(prefill|decode)</title>").matcher(svg);
        int prefill = 0;
        int decode = 0;
        while (title.find()) {
            if (title.group(1).equals("prefill")) {
                prefill++;
            } else {
                decode++;
            }
        }
        assertEquals(4, prefill);
        assertEquals(4, decode);
        assertTrue(svg.contains("<title>idle baseline: 60.00</title>"), "the baseline line at 60 W");
        assertTrue(svg.contains(">power (W)</text>") && svg.contains(">time since the window opened (s)</text>"));
    }

    @Test
    void namesThatMatchNothingOrSeveralAreRefusedClearly() {
        CommandFailure none = assertThrows(CommandFailure.class, () -> Report.select(RESULTS, List.of("nope")));
        assertTrue(none.getMessage().contains("no experiment or campaign 'nope' in " + RESULTS), none.getMessage());
        CommandFailure several = assertThrows(CommandFailure.class, () -> Report.select(RESULTS, List.of("exp-")));
        assertTrue(several.getMessage().contains("ambiguous") && several.getMessage().contains("exp-a, exp-b, exp-c"),
                several.getMessage());
        Report.Selection two = Report.select(RESULTS, List.of("exp-a", "exp-c"));
        assertEquals("exp-a-and-1-more", two.name());
        assertEquals(List.of(RESULTS.resolve("exp-a"), RESULTS.resolve("exp-c")), two.experiments());
    }

    @Test
    void withoutTheBrowserTheReportSaysThereIsNoPng() throws IOException {
        Report.Written plain = Report.write(Report.select(RESULTS, List.of("exp-b")), WORK.resolve("plain"), Optional.empty());
        assertTrue(plain.pngs().isEmpty());
        assertTrue(plain.describe().contains("no PNG: chromium-headless-shell is not on the PATH"), plain.describe());
        assertEquals(List.of("power-1-1.svg", "ttft.svg", "itl.svg", "energy-per-token.svg", "throughput.svg", "pareto.svg"),
                plain.figures().stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void theCommandWritesUnderResultsReportsAndPrintsThePath() throws Exception {
        inTheWorkFolder(commands -> {
            String printed = commands.report("exp-c", "--out", "out-c");
            assertTrue(printed.startsWith("report: " + WORK.resolve("out-c/report.html")), printed);
            CommandFailure bad = assertThrows(CommandFailure.class, () -> commands.report("exp-c", "--pdf"));
            assertTrue(bad.getMessage().contains("unknown option --pdf"), bad.getMessage());
        });
    }

    @Test
    void aQueryNamesTheExperimentsThroughItsExperimentIdColumn() throws Exception {
        inTheWorkFolder(commands -> {
            commands.sql = new lem.results.sql.DuckDbResultsSql();
            // TTFT 40, 80 and 30 ms: the query keeps exp-a and exp-c
            String printed = commands.report("--query", "SELECT experiment_id FROM requests GROUP BY experiment_id"
                    + " HAVING avg(ttft_ms) < 60 ORDER BY experiment_id", "--out", "out-q");
            assertTrue(printed.startsWith("report: " + WORK.resolve("out-q/report.html")), printed);
            String html = Files.readString(WORK.resolve("out-q/report.html"));
            assertTrue(html.contains("exp-a") && html.contains("exp-c"), html);
            assertFalse(html.contains("exp-b"), "exp-b has a mean TTFT of 80 ms and is not selected");
            assertTrue(html.contains("query: SELECT experiment_id FROM requests"), "the report says which query chose it");

            CommandFailure noId = assertThrows(CommandFailure.class,
                    () -> commands.report("--query", "SELECT count(*) AS n FROM requests"));
            assertTrue(noId.getMessage().contains("[n] have no experiment_id"), noId.getMessage());
            CommandFailure none = assertThrows(CommandFailure.class,
                    () -> commands.report("--query", "SELECT experiment_id FROM requests WHERE ttft_ms < 0"));
            assertTrue(none.getMessage().contains("selected no experiment"), none.getMessage());
            CommandFailure both = assertThrows(CommandFailure.class,
                    () -> commands.report("exp-a", "--query", "SELECT experiment_id FROM requests"));
            assertTrue(both.getMessage().contains("not both"), both.getMessage());
            commands.sql = null;
            CommandFailure missing = assertThrows(CommandFailure.class,
                    () -> commands.report("--query", "SELECT experiment_id FROM requests"));
            assertTrue(missing.getMessage().contains("lem.results.sql"), missing.getMessage());
        });
    }

    interface WithCommands {
        void run(ReportCommands commands) throws Exception;
    }

    /** Runs {@code body} with a fresh command object and the work folder as the working directory. */
    private static void inTheWorkFolder(WithCommands body) throws Exception {
        String previous = System.getProperty("user.dir");
        System.setProperty("user.dir", WORK.toString());
        try {
            body.run(new ReportCommands(false));
        } finally {
            System.setProperty("user.dir", previous);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
