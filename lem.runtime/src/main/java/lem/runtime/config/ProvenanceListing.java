package lem.runtime.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The resolved config as YAML with a {@code # from ...} comment after every value, for
 * {@code lem:config show --provenance}. The text (comments aside) reads back as the same config.
 */
final class ProvenanceListing {

    private static final String INDENT = "  ";

    private record Line(String text, String origin) {
    }

    private ProvenanceListing() {
    }

    static String render(Map<String, Object> tree, Map<String, Provenance> provenance) {
        List<Line> lines = new ArrayList<>();
        collect(tree, "", "", provenance, lines);
        int width = lines.stream().filter(line -> line.origin() != null)
                .mapToInt(line -> line.text().length()).max().orElse(0);
        StringBuilder text = new StringBuilder();
        for (Line line : lines) {
            text.append(line.text());
            if (line.origin() != null) {
                text.append(" ".repeat(width - line.text().length())).append("  # from ").append(line.origin());
            }
            text.append('\n');
        }
        return text.toString();
    }

    private static void collect(Map<String, Object> map, String prefix, String indent,
            Map<String, Provenance> provenance, List<Line> lines) {
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            String path = ConfigLayer.join(prefix, entry.getKey());
            String key = indent + ValueText.yaml(entry.getKey()) + ":";
            if (entry.getValue() instanceof Map<?, ?> child && !child.isEmpty()) {
                lines.add(new Line(key, null));
                collect(ConfigLayer.asStringMap(child), path, indent + INDENT, provenance, lines);
            } else {
                Provenance origin = provenance.get(path);
                lines.add(new Line(key + " " + ValueText.yaml(entry.getValue()),
                        origin == null ? "?" : origin.describe()));
            }
        }
    }
}
