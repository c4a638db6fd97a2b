package lem.runtime.command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options after a command's positional arguments: {@code --name value} (repeatable
 * where allowed), {@code --flag}, and positionals. Unknown options fail with the list of allowed
 * ones.
 */
final class Options {
    final List<String> positional = new ArrayList<>();
    final Map<String, List<String>> values = new LinkedHashMap<>();
    final List<String> flags = new ArrayList<>();

    static Options parse(String command, String[] args, Set<String> valued, Set<String> flagNames) {
        Options o = new Options();
        for (int i = 0; args != null && i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--")) {
                String name = a;
                String inline = null;
                int eq = a.indexOf('=');
                if (eq > 0 && valued.contains(a.substring(0, eq))) {
                    name = a.substring(0, eq);
                    inline = a.substring(eq + 1);
                }
                if (valued.contains(name)) {
                    if (inline == null) {
                        if (i + 1 >= args.length) {
                            throw new CommandFailure(command + ": " + name + " needs a value");
                        }
                        inline = args[++i];
                    }
                    o.values.computeIfAbsent(name, k -> new ArrayList<>()).add(inline);
                } else if (flagNames.contains(name)) {
                    o.flags.add(name);
                } else {
                    List<String> allowed = new ArrayList<>(valued);
                    allowed.addAll(flagNames);
                    throw new CommandFailure(command + ": unknown option " + a
                            + (allowed.isEmpty() ? " (it takes none)" : "; allowed: " + String.join(", ", allowed.stream().sorted().toList())));
                }
            } else {
                o.positional.add(a);
            }
        }
        return o;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    String one(String name, String fallback) {
        List<String> v = all(name);
        return v.isEmpty() ? fallback : v.get(v.size() - 1);
    }

    int integer(String command, String name, int fallback, int min) {
        String v = one(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new CommandFailure(command + ": " + name + " must be >= " + min + ", got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new CommandFailure(command + ": " + name + " needs a whole number, got '" + v + "'");
        }
    }

    double decimal(String command, String name, double fallback, double min) {
        String v = one(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= min)) {
                throw new CommandFailure(command + ": " + name + " must be >= " + min + ", got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new CommandFailure(command + ": " + name + " needs a number, got '" + v + "'");
        }
    }
}
