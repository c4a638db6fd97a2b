package lem.runtime.run;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The output token ids a backend reports during one cycle ({@code GenerationListener.tokenIds}),
 * kept only when {@code quality.generated} asks for them. A request whose ids came with a gap is
 * dropped rather than scored wrongly.
 */
final class GeneratedIds {

    private static final class Ids {
        int[] values = new int[16];
        int size;
        boolean broken;
    }

    private final Map<String, Ids> byRequest = new ConcurrentHashMap<>();

    void add(String requestId, int index, int[] ids) {
        Ids held = byRequest.computeIfAbsent(requestId, k -> new Ids());
        synchronized (held) {
            if (index != held.size) {
                held.broken = true;
                return;
            }
            if (held.size + ids.length > held.values.length) {
                held.values = Arrays.copyOf(held.values, Math.max(held.values.length * 2, held.size + ids.length));
            }
            System.arraycopy(ids, 0, held.values, held.size, ids.length);
            held.size += ids.length;
        }
    }

    /** The complete id lists, by request id. */
    Map<String, int[]> byRequest() {
        Map<String, int[]> out = new LinkedHashMap<>();
        byRequest.forEach((id, held) -> {
            synchronized (held) {
                if (!held.broken) {
                    out.put(id, Arrays.copyOf(held.values, held.size));
                }
            }
        });
        return out;
    }
}
