package lem.backend.openai.client;

import java.util.ArrayList;
import java.util.List;

/** The Prometheus text exposition format, read leniently: lines that do not parse are skipped. */
public final class PrometheusText {
    private PrometheusText() {
    }

    /**
     * One sample.
     *
     * @param name   metric name ({@code vllm:num_requests_running})
     * @param labels the label set as written, without braces ({@code model_name="m"}), or empty
     * @param value  its value
     */
    public record Sample(String name, String labels, double value) {
    }

    /** Every sample of the page, histogram buckets included, in page order. */
    public static List<Sample> parse(String page) {
        List<Sample> samples = new ArrayList<>();
        for (String raw : page.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String name;
            String labels = "";
            String rest;
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            if (brace >= 0 && (space < 0 || brace < space)) {
                int close = closingBrace(line, brace);
                if (close < 0) {
                    continue;
                }
                name = line.substring(0, brace);
                labels = line.substring(brace + 1, close);
                rest = line.substring(close + 1).strip();
            } else if (space > 0) {
                name = line.substring(0, space);
                rest = line.substring(space + 1).strip();
            } else {
                continue;
            }
            String value = rest.split("\\s+")[0];
            try {
                samples.add(new Sample(name, labels, parseValue(value)));
            } catch (NumberFormatException e) {
                // not a sample line: skipped
            }
        }
        return samples;
    }

    private static int closingBrace(String line, int open) {
        boolean quoted = false;
        for (int i = open + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '}' && !quoted) {
                return i;
            }
        }
        return -1;
    }

    private static double parseValue(String value) {
        return switch (value) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(value);
        };
    }
}
