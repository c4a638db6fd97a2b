package lem.backend.djl.transformer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive as {@code torch.jit.save} lays one out, without Python: a zip
 * (entries stored) under {@code archive/} holding {@code version}, the module's TorchScript source
 * in {@code code/__torch__.py}, {@code data.pkl} (the module object pickled with protocol 2: its
 * class, then a dict of its attributes, each tensor rebuilt by
 * {@code torch._utils._rebuild_tensor_v2} from a storage {@code data/<n>} of little-endian
 * float32) and an empty {@code constants.pkl}. libtorch compiles the source when it loads the
 * archive. The source declares one class in the {@code __torch__} namespace whose float32 tensor
 * attributes are given here.
 */
public final class ScriptArchive {

    private ScriptArchive() {
    }

    /** A float32 tensor attribute of the module: its values in row-major order and its shape. */
    public record Tensor(float[] values, long[] shape) {
    }

    /**
     * Writes the archive of a module of class {@code className} with {@code source} (the whole of
     * {@code code/__torch__.py}) and the tensor attributes {@code tensors}, in that order.
     */
    public static void write(Path file, String className, String source, Map<String, Tensor> tensors)
            throws IOException {
        Map<String, byte[]> records = new LinkedHashMap<>();
        Pickle data = new Pickle().global("__torch__", className).op(')').op(0x81); // EMPTY_TUPLE NEWOBJ
        data.op('}').op('(').text("training").bool(false);
        int key = 0;
        for (Map.Entry<String, Tensor> tensor : tensors.entrySet()) {
            data.text(tensor.getKey()).tensor(Integer.toString(key), tensor.getValue().shape());
            records.put("archive/data/" + key, floats(tensor.getValue().values()));
            key++;
        }
        data.op('u').op('b'); // SETITEMS BUILD
        records.put("archive/data.pkl", data.finish());
        records.put("archive/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
        records.put("archive/constants.pkl", new Pickle().op(')').finish());
        records.put("archive/version", "10\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> record : records.entrySet()) {
                ZipEntry entry = new ZipEntry(record.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(record.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(record.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(record.getValue());
                zip.closeEntry();
            }
        }
    }

    /** A protocol-2 pickle, only the opcodes the TorchScript unpickler needs here. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80); // PROTO 2
            out.write(2);
        }

        Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            bytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle text(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            op('X');
            int32(utf8.length);
            bytes(utf8);
            return this;
        }

        Pickle integer(long value) {
            op('J');
            int32(Math.toIntExact(value));
            return this;
        }

        Pickle bool(boolean value) {
            return op(value ? 0x88 : 0x89);
        }

        /** A contiguous float32 tensor on the cpu whose storage is record {@code data/<key>}. */
        Pickle tensor(String key, long[] shape) {
            long elements = 1;
            for (long s : shape) {
                elements *= s;
            }
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').text("storage").global("torch", "FloatStorage").text(key).text("cpu").integer(elements)
                    .op('t').op('Q'); // BINPERSID
            integer(0);
            op('(');
            for (long s : shape) {
                integer(s);
            }
            op('t').op('(');
            long stride = elements;
            for (long s : shape) {
                stride /= s;
                integer(stride);
            }
            op('t');
            bool(false);
            global("collections", "OrderedDict").op(')').op('R');
            return op('t').op('R');
        }

        private void int32(int value) {
            bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        private void bytes(byte[] b) {
            out.write(b, 0, b.length);
        }

        byte[] finish() {
            op('.');
            return out.toByteArray();
        }
    }

    private static byte[] floats(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }
}
