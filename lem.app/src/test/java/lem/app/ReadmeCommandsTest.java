package lem.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The Maven commands the READMEs give work from a fresh clone: a module built with {@code -pl}
 * needs {@code -am} (its sibling modules are in no local repository, and {@code mvn install} is
 * not the way), and what the plugin section copies is what that build makes, to where the
 * distribution watches.
 */
class ReadmeCommandsTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Pattern MVN = Pattern.compile("mvn [^`\\n]*(?:\\n-[^`\\n]*)?");

    private static List<Path> readmes() throws IOException {
        List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> modules = Files.list(ROOT)) {
            modules.map(m -> m.resolve("README.md")).filter(Files::isRegularFile).forEach(files::add);
        }
        return files;
    }

    @Test
    void everyModuleBuildAlsoMakesTheModulesItNeeds() throws IOException {
        int checked = 0;
        for (Path readme : readmes()) {
            Matcher m = MVN.matcher(Files.readString(readme));
            while (m.find()) {
                String command = m.group().replace('\n', ' ');
                if (command.contains(" -pl ")) {
                    checked++;
                    assertTrue(command.contains(" -am"), readme + ": `" + command + "` fails without -am");
                }
                assertFalse(command.contains(" install"), readme + ": `" + command + "` overwrites the local repository");
            }
        }
        assertTrue(checked >= 3, "the READMEs' module builds were found: " + checked);
    }

    @Test
    void thePluginSectionCopiesTheBuiltJarIntoTheWatchedFolder() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("## Writing a plugin");
        String block = readme.substring(readme.indexOf("```", section), readme.indexOf("```", readme.indexOf("```", section) + 3));
        assertTrue(block.contains("mvn -B -q -pl lem.example.backend -am package -DskipTests"), block);
        // the jar name the module's build makes, and the folder the launcher watches by default
        assertTrue(block.contains("cp lem.example.backend/target/lem.example.backend-*.jar lem.app/target/lem/plugins/"), block);
        String launcher = Files.readString(ROOT.resolve("lem.app/src/main/dist/lem"));
        assertTrue(launcher.contains("PLUGINS=\"${LEM_PLUGINS:-$LEM_HOME/plugins}\""), "the launcher watches <home>/plugins");
    }
}
