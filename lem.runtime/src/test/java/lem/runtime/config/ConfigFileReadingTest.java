package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a config file may be and how faithfully it is read: YAML features that would be misread
 * silently are refused, a file that is no config is neither read through {@code _extends} nor
 * echoed, and every refusal says why in words.
 */
class ConfigFileReadingTest {

    @TempDir
    Path folder;

    private LoadedConfig load(String yaml, String... overrides) {
        return ConfigFiles.load(new ConfigFiles(folder).write("exp.yaml", yaml), overrides);
    }

    private static ConfigProblem onlyProblem(LoadedConfig loaded) {
        assertEquals(1, loaded.problems().size(), ConfigFiles.problemsText(loaded.problems()));
        assertNull(loaded.config(), "an invalid config is not built");
        return loaded.problems().get(0);
    }

    @Test
    void anAliasIsRefusedInsteadOfBecomingTheAnchorsName() {
        LoadedConfig loaded = load("""
                name: &n exp-one
                model:
                  name: *n
                """);

        ConfigProblem problem = onlyProblem(loaded);
        assertEquals("model.name", problem.keyPath());
        assertEquals(3, problem.line());
        assertTrue(problem.message().contains("'*n' is a YAML alias"), problem.message());
        assertTrue(problem.message().contains("_extends"), problem.message());
        assertFalse("n".equals(((Map<?, ?>) loaded.tree().get("model")).get("name")),
                "the alias must not be read as the text 'n'");
    }

    @Test
    void aMergeKeyAliasIsRefusedToo() {
        ConfigProblem problem = onlyProblem(load("""
                base: &b {batch_size: 4}
                batching:
                  <<: *b
                """.replace("base: &b {batch_size: 4}\n", "")));

        assertEquals("batching.<<", problem.keyPath());
        assertTrue(problem.message().contains("YAML alias"), problem.message());
    }

    @Test
    void aSecondDocumentIsRefusedNotIgnored() {
        ConfigProblem problem = onlyProblem(load("""
                cycles: 2
                ---
                cycles: 3
                """));

        assertEquals(3, problem.line(), "where the second document begins");
        assertTrue(problem.message().contains("a second YAML document begins here (after a --- line)"),
                problem.message());
    }

    @Test
    void anEmptyFileOrOneOfCommentsIsAnError() {
        for (String text : List.of("", "\n\n", "# nothing but a comment\n")) {
            ConfigProblem problem = onlyProblem(load(text));
            assertTrue(problem.message().contains("the file is empty"), problem.message());
        }
        assertTrue(load("{}\n").valid(), "{} is the explicit config of defaults only");
    }

    @Test
    void aNumberOutOfRangeIsAnErrorNotInfinityOrZero() {
        ConfigProblem huge = onlyProblem(load("""
                decoder:
                  temperature: 1e400
                """));
        assertEquals("decoder.temperature", huge.keyPath());
        assertEquals(2, huge.line());
        assertTrue(huge.message().contains("1e400 is out of range"), huge.message());

        ConfigProblem tiny = onlyProblem(load("decoder: {top_p: 1e-400}\n"));
        assertEquals("decoder.top_p", tiny.keyPath());
        assertTrue(tiny.message().contains("too small to be told from 0"), tiny.message());

        ConfigProblem inList = onlyProblem(load("prompts: {source: inline, inline: [a, 2e999]}\n"));
        assertEquals("prompts.inline[1]", inList.keyPath());

        ConfigProblem override = onlyProblem(load("{}\n", "decoder.temperature=-1e400"));
        assertEquals("--set", override.file());
        assertTrue(override.message().contains("-1e400 is out of range"), override.message());
    }

    @Test
    void nanAndInfinityAreCalledWhatTheyAre() {
        ConfigProblem nan = onlyProblem(load("""
                decoder:
                  temperature: .nan
                """));
        assertEquals(2, nan.line());
        assertTrue(nan.message().startsWith("decoder.temperature: .nan is NaN (not a number)"), nan.message());
        assertFalse(nan.message().contains("syntax error"), nan.message());

        ConfigProblem inf = onlyProblem(load("decoder:\n  temperature: -.Inf\n"));
        assertTrue(inf.message().contains("-.Inf is minus infinity"), inf.message());

        Path json = new ConfigFiles(folder).write("exp.json", "{\"decoder\": {\"temperature\": NaN}}\n");
        ConfigProblem jsonNan = onlyProblem(ConfigFiles.load(json));
        assertTrue(jsonNan.message().startsWith("decoder.temperature: NaN is NaN (not a number)"), jsonNan.message());
    }

    @Test
    void aTabSaysItIsATab() {
        ConfigProblem problem = onlyProblem(load("batching:\n\tbatch_size: 2\n"));

        assertEquals(2, problem.line());
        assertTrue(problem.message().contains("a tab character; YAML indents with spaces"), problem.message());
    }

    @Test
    void aBinaryConfigIsNamedAsSuchWithoutJavaExceptionNames() throws IOException {
        Path notUtf8 = folder.resolve("latin1.yaml");
        Files.write(notUtf8, new byte[] {'a', ':', ' ', 1, '\n', 'b', ':', ' ', (byte) 0xE9, '\n'});
        ConfigProblem problem = onlyProblem(ConfigFiles.load(notUtf8));
        assertEquals(2, problem.line());
        assertTrue(problem.message().startsWith("is not UTF-8 text"), problem.message());
        assertFalse(problem.message().contains("Exception"), problem.message());

        Path binary = folder.resolve("model.yaml");
        Files.write(binary, new byte[] {'P', 'K', 3, 4, 0, 0, 0});
        ConfigProblem nul = onlyProblem(ConfigFiles.load(binary));
        assertTrue(nul.message().contains("a binary file, not a config file"), nul.message());
    }

    @Test
    @Timeout(60)
    void aFifoOrADeviceIsNotOpened() throws Exception {
        Path fifo = folder.resolve("fifo.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        ConfigProblem problem = onlyProblem(ConfigFiles.load(fifo));
        assertTrue(problem.message().startsWith("is not a regular file"), problem.message());

        Path zero = Files.createSymbolicLink(folder.resolve("zero.yaml"), Path.of("/dev/zero"));
        assertTrue(onlyProblem(ConfigFiles.load(zero)).message().startsWith("is not a regular file"));
    }

    @Test
    void anOversizedConfigIsRefusedBeforeItIsParsed() throws IOException {
        Path big = folder.resolve("big.yaml");
        Files.write(big, new byte[(int) LocatedTreeReader.MAX_CONFIG_BYTES + 1]);
        ConfigProblem problem = onlyProblem(ConfigFiles.load(big));
        assertTrue(problem.message().contains("larger than the 3.0 MiB a config file may be"), problem.message());
    }

    @Test
    void extendsReadsOnlyConfigFilesAndNeverAnAbsoluteSecret() throws IOException {
        Path secrets = Files.createDirectories(folder.resolve("etc"));
        Files.writeString(secrets.resolve("shadow"), "root:$6$saltsalt$hashhash:19000:0:99999:7:::\n");
        Path child = new ConfigFiles(folder).write("a/b/c/exp.yaml", """
                _extends: [../../../etc/shadow, %s]
                cycles: 2
                """.formatted(secrets.resolve("shadow")));

        LoadedConfig loaded = ConfigFiles.load(child);

        String text = ConfigFiles.problemsText(loaded.problems());
        assertEquals(2, loaded.problems().size(), text);
        assertTrue(text.contains("'../../../etc/shadow' is not a config file; _extends names only .yaml,"
                + " .yml or .json files"), text);
        assertFalse(text.contains("$6$") || text.contains("hashhash"), "the file must not be echoed: " + text);
        assertEquals("_extends", loaded.problems().get(1).keyPath());
    }

    @Test
    void aParentThatIsNoConfigIsNotEchoed() throws IOException {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("scalar.yaml", "root:$6$saltsalt$hashhash:19000:0:99999:7:::\n");
        files.write("list.yaml", "- token-abcdef\n");
        files.write("text.yaml", "token-abcdef\n");
        files.write("broken.json", "{\"api_key\": s3cr3t-abcdef}\n");
        files.write("broken.yaml", "key: [token-abcdef\n");
        Path child = files.write("exp.yaml",
                "_extends: [scalar.yaml, list.yaml, text.yaml, broken.json, broken.yaml]\n");

        LoadedConfig loaded = ConfigFiles.load(child);

        String text = ConfigFiles.problemsText(loaded.problems());
        assertEquals(5, loaded.problems().size(), text);
        assertFalse(text.contains("hashhash") || text.contains("abcdef"), "no content echoed: " + text);
        assertTrue(text.contains("scalar.yaml:1: does not look like a lem config: none of its 1 top-level"
                + " key(s) is a setting"), text);
        assertTrue(text.contains("list.yaml:1: the top level must be a map of keys (model:, batching:,"
                + " ...), got a list"), text);
        assertTrue(text.contains("text.yaml:1: the top level must be a map of keys (model:, batching:,"
                + " ...), got a text"), text);
        assertTrue(text.contains("broken.json:1: JSON syntax error: Unrecognized token"), text);
        assertFalse(text.contains("Source") || text.contains("REDACTED"), text);
        assertTrue(text.contains("broken.yaml:2: YAML syntax error: while parsing a flow sequence; expected ','"
                + " or ']', but got <stream end>"), text);
    }

    @Test
    void jsonSyntaxErrorsKeepTheirReasonWithoutParserInternals() {
        ConfigFiles files = new ConfigFiles(folder);
        ConfigProblem open = onlyProblem(ConfigFiles.load(files.write("open.json", "{\"cycles\": 2\n")));
        assertEquals("JSON syntax error: Unexpected end-of-input: expected close marker for Object", open.message());
        ConfigProblem comma = onlyProblem(ConfigFiles.load(files.write("comma.json", "{\"a\": [1, ]}\n")));
        assertEquals("JSON syntax error: Unexpected character: expected a valid value", comma.message());
        ConfigProblem two = onlyProblem(ConfigFiles.load(files.write("two.json", "{\"cycles\": 2}\n{}\n")));
        assertEquals(2, two.line());
        assertEquals("JSON syntax error: more than one JSON value; a config file holds one object", two.message());
    }

    @Test
    void anOutputDirThatIsAFileIsReportedAsSuch() throws IOException {
        Path file = Files.writeString(folder.resolve("results-file"), "x");

        ConfigProblem problem = onlyProblem(load("output: {dir: '" + file + "'}\n"));
        assertEquals("output.dir", problem.keyPath());
        assertTrue(problem.message().endsWith("cannot hold results: it is a file, not a folder; name a folder"
                + " (it is created when missing)"), problem.message());

        ConfigProblem below = onlyProblem(load("output: {dir: '" + file.resolve("runs") + "'}\n"));
        assertTrue(below.message().contains("'" + file + "' is a file, not a folder"), below.message());

        assertTrue(load("output: {dir: '" + folder.resolve("new/results") + "'}\n").valid());
    }

    @Test
    void aMergeForgetsTheOriginsOfWhatItReplacesAndOnlyThose() throws IOException {
        Provenance base = Provenance.inFile("base.yaml", 1);
        Provenance over = Provenance.inFile("child.yaml", 1);
        ConfigLayer layer = ConfigLayer.uniform(Map.of("m", Map.of("a", 1L, "b", 2L),
                "list", List.of("x", "y", "z"), "kept", Map.of("k", 1L)), base);
        ConfigLayer overlay = ConfigLayer.uniform(Map.of("m", 5L, "list", List.of("only")), over);

        layer.mergeFrom(overlay);

        assertEquals(over, layer.originOf("m"));
        assertFalse(layer.contains("m.a") || layer.contains("m.b"), "the replaced map's keys are gone");
        assertEquals(over, layer.originOf("list[0]"));
        assertFalse(layer.contains("list[1]") || layer.contains("list[2]"), "the longer list's items are gone");
        assertEquals(base, layer.originOf("kept.k"), "what the overlay does not touch keeps its origin");
        assertEquals(Map.of("m", 5L, "list", List.of("only"), "kept", Map.of("k", 1L)), layer.tree());
    }
}
