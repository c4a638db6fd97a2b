package lem.backend.djl.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an ONNX model (protobuf {@code ModelProto}) by hand: the few messages and fields a small
 * graph needs (nodes with int, float and ints attributes, raw-data initializers, typed inputs and
 * outputs with symbolic or fixed dimensions), no protobuf library.
 */
final class OnnxWriter {

    /** One protobuf message being written. */
    static final class Message {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Message varint(int field, long value) {
            tag(field, 0);
            writeVarint(value);
            return this;
        }

        Message bytes(int field, byte[] value) {
            tag(field, 2);
            writeVarint(value.length);
            bytes.writeBytes(value);
            return this;
        }

        Message string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Message message(int field, Message value) {
            return bytes(field, value.toBytes());
        }

        Message float32(int field, float value) {
            tag(field, 5);
            int bits = Float.floatToIntBits(value);
            for (int i = 0; i < 4; i++) {
                bytes.write((bits >>> (8 * i)) & 0xff);
            }
            return this;
        }

        byte[] toBytes() {
            return bytes.toByteArray();
        }

        private void tag(int field, int wireType) {
            writeVarint(((long) field << 3) | wireType);
        }

        private void writeVarint(long value) {
            while ((value & ~0x7fL) != 0) {
                bytes.write((int) ((value & 0x7f) | 0x80));
                value >>>= 7;
            }
            bytes.write((int) value);
        }
    }

    private final List<Message> nodes = new ArrayList<>();
    private final List<Message> initializers = new ArrayList<>();
    private final List<Message> inputs = new ArrayList<>();
    private final List<Message> outputs = new ArrayList<>();
    private final String prefix;
    private int nodeCount;
    private int valueCount;

    OnnxWriter() {
        this("");
    }

    /** A writer whose value and node names start with {@code prefix} (a subgraph's, kept apart from its parent's). */
    OnnxWriter(String prefix) {
        this.prefix = prefix;
    }

    /** A fresh value name. */
    String fresh(String hint) {
        return prefix + hint + "_" + valueCount++;
    }

    /**
     * Adds a node.
     *
     * @param attributes pairs of name and value: Long (int), Float (float), long[] (ints), OnnxWriter (a subgraph)
     */
    void node(String op, List<String> in, List<String> out, Object... attributes) {
        Message node = new Message();
        for (String i : in) {
            node.string(1, i);
        }
        for (String o : out) {
            node.string(2, o);
        }
        node.string(3, prefix + op + "_" + nodeCount++);
        node.string(4, op);
        for (int a = 0; a < attributes.length; a += 2) {
            Message attribute = new Message().string(1, (String) attributes[a]);
            Object value = attributes[a + 1];
            if (value instanceof Float f) {
                attribute.float32(2, f).varint(20, 1);
            } else if (value instanceof Long l) {
                attribute.varint(3, l).varint(20, 2);
            } else if (value instanceof OnnxWriter subgraph) {
                attribute.message(6, subgraph.graph()).varint(20, 5);
            } else {
                for (long l : (long[]) value) {
                    attribute.varint(8, l);
                }
                attribute.varint(20, 7);
            }
            node.message(5, attribute);
        }
        nodes.add(node);
    }

    /** Adds a node with one output and returns the output's name. */
    String op(String op, List<String> in, Object... attributes) {
        String out = fresh(op.toLowerCase());
        node(op, in, List.of(out), attributes);
        return out;
    }

    void floats(String name, long[] dims, float[] values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        initializer(name, dims, OnnxGraph.FLOAT, data.array());
    }

    void longs(String name, long[] dims, long... values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            data.putLong(v);
        }
        initializer(name, dims, OnnxGraph.INT64, data.array());
    }

    private void initializer(String name, long[] dims, int type, byte[] raw) {
        Message tensor = new Message();
        for (long d : dims) {
            tensor.varint(1, d);
        }
        tensor.varint(2, type).string(8, name).bytes(9, raw);
        initializers.add(tensor);
    }

    /** A graph input; each dimension a Long (fixed) or a String (symbolic). */
    void input(String name, int type, Object... dims) {
        inputs.add(valueInfo(name, type, dims));
    }

    void output(String name, int type, Object... dims) {
        outputs.add(valueInfo(name, type, dims));
    }

    /** An output of unknown shape (a subgraph's, whose shapes the runtime infers). */
    void outputOfAnyShape(String name, int type) {
        Message tensorType = new Message().varint(1, type);
        outputs.add(new Message().string(1, name).message(2, new Message().message(1, tensorType)));
    }

    private static Message valueInfo(String name, int type, Object... dims) {
        Message shape = new Message();
        for (Object d : dims) {
            Message dim = new Message();
            if (d instanceof String s) {
                dim.string(2, s);
            } else {
                dim.varint(1, ((Number) d).longValue());
            }
            shape.message(1, dim);
        }
        Message tensorType = new Message().varint(1, type).message(2, shape);
        return new Message().string(1, name).message(2, new Message().message(1, tensorType));
    }

    /** The model file's bytes: IR version 8, default domain at opset 17. */
    byte[] model() {
        return new Message().varint(1, 8).string(2, "lem OnnxWriter").message(7, graph())
                .message(8, new Message().string(1, "").varint(2, 17)).toBytes();
    }

    /** This writer's nodes, initializers, inputs and outputs as a {@code GraphProto}. */
    private Message graph() {
        Message graph = new Message();
        for (Message n : nodes) {
            graph.message(1, n);
        }
        graph.string(2, "lem-test");
        for (Message i : initializers) {
            graph.message(5, i);
        }
        for (Message i : inputs) {
            graph.message(11, i);
        }
        for (Message o : outputs) {
            graph.message(12, o);
        }
        return graph;
    }
}
