package lem.backend.djl.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model file ({@code ModelProto}, protobuf) that lem reads without starting ONNX
 * Runtime: the graph's inputs and outputs with their element types and shapes, its nodes (op type,
 * input and output names, integer and subgraph attributes) and its initializers' names and shapes.
 * Tensor data is skipped, never copied. Subgraphs of {@code If}/{@code Loop} nodes are read too.
 */
public final class OnnxGraph {

    /** ONNX {@code TensorProto.DataType} codes lem names. */
    public static final int FLOAT = 1;
    public static final int INT32 = 6;
    public static final int INT64 = 7;
    public static final int BOOL = 9;
    public static final int FLOAT16 = 10;
    public static final int BFLOAT16 = 16;

    /**
     * A graph input or output.
     *
     * @param elementType ONNX element type code
     * @param dims        each dimension: its value, or -1 when symbolic or unknown
     * @param dimNames    each dimension's symbolic name, or "" when it has a value
     */
    public record Value(String name, int elementType, long[] dims, String[] dimNames) {
    }

    /**
     * A node.
     *
     * @param ints      integer attributes by name
     * @param subgraphs graph attributes by name ({@code then_branch}, {@code else_branch}, {@code body})
     */
    public record Node(String opType, List<String> inputs, List<String> outputs, Map<String, Long> ints,
            Map<String, OnnxGraph> subgraphs) {
    }

    private final List<Node> nodes;
    private final Map<String, long[]> initializers;
    private final List<Value> inputs;
    private final List<Value> outputs;

    private OnnxGraph(List<Node> nodes, Map<String, long[]> initializers, List<Value> inputs, List<Value> outputs) {
        this.nodes = Collections.unmodifiableList(nodes);
        this.initializers = Collections.unmodifiableMap(initializers);
        this.inputs = Collections.unmodifiableList(inputs);
        this.outputs = Collections.unmodifiableList(outputs);
    }

    /**
     * Reads the main graph of a model file.
     *
     * @throws IOException when the file cannot be read or is not an ONNX model (the message names the file)
     */
    public static OnnxGraph read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() > Integer.MAX_VALUE) {
                throw new IOException(file + " is larger than 2 GiB; lem reads ONNX files up to 2 GiB with the"
                        + " weights in external data files");
            }
            ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            data.order(ByteOrder.LITTLE_ENDIAN);
            OnnxGraph graph = null;
            try {
                Reader model = new Reader(data, 0, data.limit());
                while (model.more()) {
                    int tag = model.tag();
                    if (tag >>> 3 == 7 && (tag & 7) == 2) {
                        graph = graph(model.message());
                    } else {
                        model.skip(tag);
                    }
                }
            } catch (RuntimeException e) {
                throw new IOException(file + " is not a valid ONNX model (protobuf could not be read: " + e + ")", e);
            }
            if (graph == null) {
                throw new IOException(file + " is not an ONNX model: it holds no graph");
            }
            return graph;
        }
    }

    private static OnnxGraph graph(Reader r) {
        List<Node> nodes = new ArrayList<>();
        Map<String, long[]> initializers = new LinkedHashMap<>();
        List<Value> inputs = new ArrayList<>();
        List<Value> outputs = new ArrayList<>();
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> nodes.add(node(r.message()));
                case 5 -> initializer(r.message(), initializers);
                case 11 -> inputs.add(value(r.message()));
                case 12 -> outputs.add(value(r.message()));
                default -> r.skip(tag);
            }
        }
        // an initializer may also be listed as an input (older exports); it is not fed
        inputs.removeIf(v -> initializers.containsKey(v.name()));
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static Node node(Reader r) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String op = "";
        Map<String, Long> ints = new LinkedHashMap<>();
        Map<String, OnnxGraph> subgraphs = new LinkedHashMap<>();
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 4 -> op = r.string();
                case 5 -> attribute(r.message(), ints, subgraphs);
                default -> r.skip(tag);
            }
        }
        return new Node(op, List.copyOf(in), List.copyOf(out), ints, subgraphs);
    }

    private static void attribute(Reader r, Map<String, Long> ints, Map<String, OnnxGraph> subgraphs) {
        String name = "";
        Long i = null;
        OnnxGraph g = null;
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> name = r.string();
                case 3 -> i = r.varint();
                case 6 -> g = graph(r.message());
                default -> r.skip(tag);
            }
        }
        if (i != null) {
            ints.put(name, i);
        }
        if (g != null) {
            subgraphs.put(name, g);
        }
    }

    private static void initializer(Reader r, Map<String, long[]> initializers) {
        List<Long> dims = new ArrayList<>();
        String name = "";
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> r.int64s(tag, dims);
                case 8 -> name = r.string();
                default -> r.skip(tag);
            }
        }
        initializers.put(name, dims.stream().mapToLong(Long::longValue).toArray());
    }

    private static Value value(Reader r) {
        String name = "";
        int type = 0;
        List<Long> dims = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (r.more()) {
            int tag = r.tag();
            if (tag >>> 3 == 1) {
                name = r.string();
            } else if (tag >>> 3 == 2) {
                Reader typeProto = r.message();
                while (typeProto.more()) {
                    int t = typeProto.tag();
                    if (t >>> 3 == 1 && (t & 7) == 2) {
                        type = tensorType(typeProto.message(), dims, names);
                    } else {
                        typeProto.skip(t);
                    }
                }
            } else {
                r.skip(tag);
            }
        }
        return new Value(name, type, dims.stream().mapToLong(Long::longValue).toArray(), names.toArray(String[]::new));
    }

    private static int tensorType(Reader r, List<Long> dims, List<String> names) {
        int type = 0;
        while (r.more()) {
            int tag = r.tag();
            if (tag >>> 3 == 1) {
                type = (int) r.varint();
            } else if (tag >>> 3 == 2) {
                Reader shape = r.message();
                while (shape.more()) {
                    int t = shape.tag();
                    if (t >>> 3 != 1) {
                        shape.skip(t);
                        continue;
                    }
                    Reader dim = shape.message();
                    long value = -1;
                    String param = "";
                    while (dim.more()) {
                        int d = dim.tag();
                        switch (d >>> 3) {
                            case 1 -> value = dim.varint();
                            case 2 -> param = dim.string();
                            default -> dim.skip(d);
                        }
                    }
                    dims.add(value);
                    names.add(value >= 0 ? "" : param);
                }
            } else {
                r.skip(tag);
            }
        }
        return type;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** Initializer shapes by name. */
    public Map<String, long[]> initializers() {
        return initializers;
    }

    /** The inputs a caller feeds (initializers excluded). */
    public List<Value> inputs() {
        return inputs;
    }

    public List<Value> outputs() {
        return outputs;
    }

    /** Sum of every initializer's element count, this graph's and its subgraphs'. */
    public long parameterCount() {
        long total = 0;
        for (long[] dims : initializers.values()) {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            total += n;
        }
        for (Node node : nodes) {
            for (OnnxGraph g : node.subgraphs().values()) {
                total += g.parameterCount();
            }
        }
        return total;
    }

    /** A name for an ONNX element type code. */
    static String typeName(int type) {
        return switch (type) {
            case FLOAT -> "float32";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            default -> "type " + type;
        };
    }

    /** A protobuf reader over one message's bytes. */
    private static final class Reader {
        private final ByteBuffer data;
        private int position;
        private final int end;

        Reader(ByteBuffer data, int start, int end) {
            this.data = data;
            this.position = start;
            this.end = end;
        }

        boolean more() {
            return position < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                byte b = data.get(position++);
                result |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return result;
                }
            }
            throw new IllegalStateException("malformed varint at byte " + position);
        }

        Reader message() {
            int length = length();
            Reader inner = new Reader(data, position, position + length);
            position += length;
            return inner;
        }

        String string() {
            int length = length();
            byte[] bytes = new byte[length];
            data.get(position, bytes);
            position += length;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /** A repeated int64 field, packed or not. */
        void int64s(int tag, List<Long> into) {
            if ((tag & 7) == 2) {
                Reader packed = message();
                while (packed.more()) {
                    into.add(packed.varint());
                }
            } else {
                into.add(varint());
            }
        }

        private int length() {
            long length = varint();
            if (length < 0 || position + length > end) {
                throw new IllegalStateException("a field of " + length + " bytes runs past its message at byte "
                        + position);
            }
            return (int) length;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> position += 8;
                case 2 -> {
                    // not "position += length()": that reads position before length() moves it
                    int length = length();
                    position += length;
                }
                case 5 -> position += 4;
                default -> throw new IllegalStateException("unsupported protobuf wire type " + (tag & 7)
                        + " at byte " + position);
            }
            if (position > end) {
                throw new IllegalStateException("a field runs past its message");
            }
        }
    }
}
