package lem.app;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import lem.runtime.command.CommandFailure;
import lem.runtime.command.TableFormat;
import lem.runtime.plugin.PluginFolder;

/**
 * {@code lem <command> <args>}: runs one {@code lem:} command without the interactive shell and
 * exits with its status (0 success, 1 failure, 2 unknown command), so scripts and CI can use lem.
 * <p>
 * The launcher script passes the arguments as framework properties {@code lem.argc} and
 * {@code lem.arg.N} (which keeps spaces intact). Without them this component does nothing and the
 * Gogo shell is interactive.
 */
@Component(immediate = true)
public class OneShotCommand {
    static final String ARGC = "lem.argc";
    static final long STARTUP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);
    static final long PLUGINS_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final CommandProcessor processor;
    private final BundleContext context;

    @Activate
    public OneShotCommand(@Reference CommandProcessor processor, BundleContext context) {
        this.processor = processor;
        this.context = context;
        List<String> args = arguments(context::getProperty);
        if (!args.isEmpty()) {
            Thread runner = new Thread(() -> System.exit(run(args)), "lem-one-shot");
            runner.start();
        }
    }

    static List<String> arguments(java.util.function.UnaryOperator<String> properties) {
        String argc = properties.apply(ARGC);
        List<String> args = new ArrayList<>();
        if (argc == null) {
            return args;
        }
        int n = Integer.parseInt(argc.trim());
        for (int i = 0; i < n; i++) {
            String arg = properties.apply("lem.arg." + i);
            args.add(arg == null ? "" : arg);
        }
        return args;
    }

    int run(List<String> args) {
        // Gogo replaces System.out/err with per-session redirecting streams; a session given those
        // writes into itself forever. The one-shot session writes to the process's own descriptors.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        try {
            awaitStartup();
            String name = args.get(0);
            // `lem backends` means lem:backends; shell commands such as `help` work too
            TreeSet<String> lem = lemCommands();
            String function = name.contains(":") || !lem.contains(name) && anyCommand(name) ? name : "lem:" + name;
            if (function.startsWith("lem:") && !lem.contains(function.substring(4))) {
                err.println("lem: unknown command '" + name + "'. Commands: " + String.join(", ", lemCommands())
                        + ". Run `lem help <command>` for a command's options.");
                return 2;
            }
            CharSequence line = commandLine(function, args);
            CommandSession session = processor.createSession(System.in, out, err);
            try {
                Object result = session.execute(line);
                if (result != null) {
                    CharSequence text = session.format(result, Converter.INSPECT);
                    out.println(text);
                }
            } finally {
                session.close();
            }
            out.flush();
            return 0;
        } catch (Throwable e) {
            out.flush();
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof CommandFailure)) {
                cause = cause.getCause();
            }
            if (cause instanceof CommandFailure) {
                err.println(TableFormat.wrap("lem: " + cause.getMessage(), "  "));
            } else {
                err.println(TableFormat.wrap("lem: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()), "  "));
                if (System.getenv("LEM_DEBUG") != null) {
                    e.printStackTrace(err);
                } else {
                    err.println("(set LEM_DEBUG=1 for the stack trace)");
                }
            }
            return 1;
        }
    }

    /**
     * The Gogo command line for the arguments: each quoted; {@code lem <command> --help} (or
     * {@code -h}) anywhere after the command asks for the command's help instead of running it.
     */
    static CharSequence commandLine(String function, List<String> args) {
        List<String> rest = args.subList(1, args.size());
        if (rest.contains("--help") || rest.contains("-h")) {
            return "lem:help " + quote(function);
        }
        StringBuilder line = new StringBuilder(function);
        for (String arg : rest) {
            line.append(' ').append(quote(arg));
        }
        return line;
    }

    /**
     * Gogo quoting: single quotes take everything literally. Gogo has no escape for a single quote
     * inside single (or double) quotes, so an argument that holds one (SQL's string literals in
     * {@code lem results query}) has every character but ASCII letters and digits escaped with a
     * backslash instead, which Gogo reads back as that character.
     */
    static String quote(String arg) {
        if (arg.indexOf('\'') < 0) {
            return "'" + arg + "'"; // a backslash too: doubling it would reach the command doubled
        }
        StringBuilder escaped = new StringBuilder();
        arg.codePoints().forEach(c -> {
            if (c >= 128 || !Character.isLetterOrDigit(c)) {
                escaped.append('\\');
            }
            escaped.appendCodePoint(c);
        });
        return escaped.toString();
    }

    /**
     * Waits until the framework has reached its start level (every bundle started, so DS has
     * registered the commands) and every bundle in the watched plugins folder is installed, so
     * that {@code lem backends} lists dropped-in plugins too.
     */
    private void awaitStartup() throws InterruptedException {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT_NANOS;
        // The launcher starts the framework first and raises the start level afterwards; waiting
        // until it reaches the highest level of any bundle it will start means every lem bundle
        // has started, so DS has registered its commands.
        FrameworkStartLevel startLevel = context.getBundle(0).adapt(FrameworkStartLevel.class);
        while (startLevel.getStartLevel() < highestStartLevel() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String pluginsDir = context.getProperty("felix.fileinstall.dir");
        if (pluginsDir == null) {
            return;
        }
        File[] jars = new File(pluginsDir).listFiles((d, n) -> n.endsWith(".jar"));
        if (jars == null) {
            return;
        }
        long pluginsDeadline = System.nanoTime() + PLUGINS_TIMEOUT_NANOS;
        for (File jar : jars) {
            // a truncated jar or one that is no bundle is never installed: lem backends names it
            while (PluginFolder.isBundle(jar.toPath()) && !started(jar) && System.nanoTime() < pluginsDeadline) {
                Thread.sleep(50);
            }
        }
    }

    private int highestStartLevel() {
        int highest = 1;
        for (Bundle b : context.getBundles()) {
            BundleStartLevel level = b.adapt(BundleStartLevel.class);
            if (b.getBundleId() != 0 && level != null && level.isPersistentlyStarted()) {
                highest = Math.max(highest, level.getStartLevel());
            }
        }
        return highest;
    }

    private boolean started(File jar) {
        for (Bundle b : context.getBundles()) {
            String location = b.getLocation();
            if (location != null && location.endsWith("/" + jar.getName())) {
                int state = b.getState();
                return state == Bundle.ACTIVE || b.getHeaders().get("Fragment-Host") != null && state == Bundle.RESOLVED;
            }
        }
        return false;
    }

    private boolean anyCommand(String function) {
        try {
            return context.getServiceReferences((String) null, "(osgi.command.function=" + function + ")") != null;
        } catch (InvalidSyntaxException e) {
            return false; // a name with filter syntax in it is no command
        }
    }

    private TreeSet<String> lemCommands() {
        TreeSet<String> names = new TreeSet<>();
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(&(osgi.command.scope=lem)(osgi.command.function=*))");
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                Object functions = ref.getProperty("osgi.command.function");
                if (functions instanceof String[] array) {
                    names.addAll(List.of(array));
                } else if (functions != null) {
                    names.add(functions.toString());
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }
}
