package lem.app;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import lem.runtime.command.TableFormat;

/**
 * {@code lem:help} (lem's commands first, then the framework's) and {@code lem:exit} (with or
 * without a status), for the shell and for one-shot mode.
 */
@Component(service = HostCommands.class, property = { "osgi.command.scope=lem", "osgi.command.function=help",
        "osgi.command.function=exit" })
public class HostCommands {
    static final int WIDTH = 100;
    private final BundleContext context;

    @Activate
    public HostCommands(BundleContext context) {
        this.context = context;
    }

    @Descriptor("list lem's commands, then the framework's")
    public String help() {
        Map<String, String> lem = new TreeMap<>();
        TreeSet<String> framework = new TreeSet<>();
        for (ServiceReference<?> ref : commandServices()) {
            String scope = String.valueOf(ref.getProperty("osgi.command.scope"));
            for (String function : functions(ref)) {
                if ("lem".equals(scope)) {
                    lem.put(function, description(ref, function));
                } else {
                    framework.add(scope + ":" + function);
                }
            }
        }
        return listing(lem, framework);
    }

    @Descriptor("print a command's description, parameters and options")
    public Object help(CommandSession session, @Descriptor("a command, e.g. run or lem:run") String command) throws Exception {
        Object help = session.execute("felix:help " + OneShotCommand.quote(command.contains(":") || !lemFunctions().contains(command)
                ? command : "lem:" + command));
        if (!(help instanceof CharSequence text)) {
            return help;
        }
        // long option descriptions wrap under themselves, to fit the console
        StringBuilder out = new StringBuilder();
        text.toString().lines().forEach(line -> out.append(TableFormat.wrap(line, "    ")).append('\n'));
        return out.toString().stripTrailing();
    }

    @Descriptor("stop the host (status 0)")
    public void exit() {
        exit(0);
    }

    @Descriptor("stop the host with an exit status")
    public void exit(@Descriptor("the exit status") int status) {
        System.exit(status);
    }

    /** lem's commands with one line each, then the framework's names wrapped to {@link #WIDTH} columns. */
    static String listing(Map<String, String> lem, TreeSet<String> framework) {
        int width = lem.keySet().stream().mapToInt(String::length).max().orElse(0);
        StringBuilder out = new StringBuilder("lem commands (`help <command>` for its options):\n");
        String hanging = " ".repeat(width + 2); // after the line's own 2 spaces: under the description
        lem.forEach((name, text) -> out.append(TableFormat.wrap(String.format("  %-" + width + "s  %s", name, text),
                hanging)).append('\n'));
        out.append("Framework commands (Felix, Gogo):\n");
        StringBuilder line = new StringBuilder(" ");
        for (String name : framework) {
            if (line.length() + name.length() + 2 > WIDTH) {
                out.append(line).append('\n');
                line = new StringBuilder(" ");
            }
            line.append(' ').append(name);
        }
        return out.append(line).toString();
    }

    TreeSet<String> lemFunctions() {
        TreeSet<String> names = new TreeSet<>();
        for (ServiceReference<?> ref : commandServices()) {
            if ("lem".equals(ref.getProperty("osgi.command.scope"))) {
                names.addAll(functions(ref));
            }
        }
        return names;
    }

    private List<ServiceReference<?>> commandServices() {
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null,
                    "(&(osgi.command.scope=*)(osgi.command.function=*))");
            return refs == null ? List.of() : List.of(refs);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> functions(ServiceReference<?> ref) {
        Object functions = ref.getProperty("osgi.command.function");
        if (functions instanceof String[] array) {
            return List.of(array);
        }
        return functions == null ? List.of() : List.of(functions.toString());
    }

    /** The first {@link Descriptor} on a method of that name, or "" when none says anything. */
    private String description(ServiceReference<?> ref, String function) {
        Object service = context.getService(ref);
        try {
            List<String> texts = new ArrayList<>();
            if (service != null) {
                for (Method m : service.getClass().getMethods()) {
                    Descriptor d = m.getAnnotation(Descriptor.class);
                    if (m.getName().equals(function) && d != null) {
                        texts.add(d.value());
                    }
                }
            }
            return texts.stream().sorted((a, b) -> a.length() - b.length()).findFirst().orElse("");
        } finally {
            if (service != null) {
                context.ungetService(ref);
            }
        }
    }
}
