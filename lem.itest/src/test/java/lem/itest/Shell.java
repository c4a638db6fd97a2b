package lem.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;

/** Runs a Gogo command line as a user would and returns what the shell prints. */
final class Shell {
    private final CommandProcessor processor;

    Shell(CommandProcessor processor) {
        this.processor = processor;
    }

    /**
     * What one command line did: its standard output (with the formatted result), its error
     * output, and what it threw (null when it succeeded).
     */
    record Outcome(String out, String err, Exception failure) {
        boolean failed() {
            return failure != null;
        }

        /** Both streams, for assertion messages. */
        String transcript() {
            return out + (err.isEmpty() ? "" : "\n[stderr]\n" + err)
                    + (failure == null ? "" : "\n[failed] " + stackTrace(failure));
        }
    }

    private static String stackTrace(Exception e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    String run(String commandLine) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), print, print);
        try {
            Object result = session.execute(commandLine);
            if (result != null) {
                print.println(session.format(result, Converter.INSPECT));
            }
        } finally {
            session.close();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Runs a command line that may fail, keeping standard and error output apart. */
    Outcome execute(String commandLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream printOut = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream printErr = new PrintStream(err, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), printOut, printErr);
        Exception failure = null;
        try {
            Object result = session.execute(commandLine);
            if (result != null) {
                printOut.println(session.format(result, Converter.INSPECT));
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            session.close();
        }
        return new Outcome(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), failure);
    }
}
