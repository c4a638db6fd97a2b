package lem.itest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import lem.runtime.command.CommandFailure;

/** Commands called the wrong way, or on files that are no config, say so in words, in the shell. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class CommandMessagesTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    @Test
    void runWithoutAConfigPrintsItsUsage() {
        Shell.Outcome outcome = new Shell(processor).execute("lem:run");

        assertInstanceOf(CommandFailure.class, outcome.failure(), outcome.transcript());
        assertTrue(outcome.failure().getMessage().contains("usage: lem run <config> [--cycles N]"),
                outcome.transcript());
        assertFalse(outcome.transcript().contains("Cannot coerce"), outcome.transcript());
    }

    @Test
    void aBinaryConfigAndAnExtendedSecretAreReportedWithoutTheirContent() throws Exception {
        Path folder = Files.createTempDirectory("lem-itest-messages");
        Path binary = Files.write(folder.resolve("model.yaml"), new byte[] {'a', ':', ' ', (byte) 0xC3, 0x28, '\n'});
        Path secret = Files.writeString(folder.resolve("credentials"), "aws_secret_access_key: AKIAEXAMPLEKEY\n");
        Path config = Files.writeString(folder.resolve("exp.yaml"), "_extends: " + secret + "\ncycles: 1\n");
        Shell shell = new Shell(processor);

        Shell.Outcome notUtf8 = shell.execute("lem:config validate " + binary);
        assertInstanceOf(CommandFailure.class, notUtf8.failure(), notUtf8.transcript());
        assertTrue(notUtf8.err().contains(binary + ":1: is not UTF-8 text"), notUtf8.transcript());
        assertFalse(notUtf8.transcript().contains("MalformedInputException"), notUtf8.transcript());

        Shell.Outcome extended = shell.execute("lem:config validate " + config);
        assertTrue(extended.err().contains("_extends names only .yaml, .yml or .json files"), extended.transcript());
        assertFalse(extended.transcript().contains("AKIAEXAMPLEKEY"), extended.transcript());
    }

    @Test
    void aTruncatedJarInPluginsIsShownByBackends() throws Exception {
        Path plugins = Files.createDirectories(Path.of(context.getProperty("felix.fileinstall.dir")));
        byte[] example = Files.readAllBytes(Path.of(context.getProperty("lem.itest.example.plugin")));
        Path cut = Files.write(plugins.resolve("lem.example.cut.jar"), Arrays.copyOf(example, example.length / 2));
        try {
            // FileInstall fails on it every poll; the listing reads the reason from the file itself
            Thread.sleep(2_500);
            // the warning wraps at 120 columns: read it as one text
            String listed = new Shell(processor).run("lem:backends").replaceAll("\\s+", " ");
            assertTrue(listed.contains("warning: plugins/lem.example.cut.jar: not installed: not a readable jar"),
                    listed);
            assertTrue(listed.contains("truncated or corrupt? copy it again"), listed);
        } finally {
            Files.delete(cut);
        }
    }
}
