package lem.backend.djl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;

/**
 * Writes a TorchScript archive by hand, as {@code torch.jit.save} lays one out, without Python:
 * a zip (entries stored) under {@code archive/} holding {@code version}, the module's TorchScript
 * source in {@code code/__torch__.py}, {@code data.pkl} (the module object pickled with protocol 2:
 * its class, then a dict of its attributes, each tensor rebuilt by
 * {@code torch._utils._rebuild_tensor_v2} from a storage {@code data/<n>} of little-endian
 * float32), and an empty {@code constants.pkl}. The module here is a Llama-style decoder whose
 * forward is written in TorchScript with the weights of a {@link TinyCheckpoint} as attributes.
 */
final class TorchScriptArchive {

    private TorchScriptArchive() {
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

    /**
     * A Llama-style decoder (no biases) with the checkpoint's weights, taking {@code inputs} in
     * that order; without {@code position_ids} it counts positions from the attention mask.
     */
    static void writeLlama(Path file, TinyCheckpoint checkpoint, TransformerConfig c, String... inputs)
            throws IOException {
        Map<String, String> attributes = new LinkedHashMap<>();
        checkpoint.tensors.keySet().forEach(name -> attributes.put(name, name.replace('.', '_')));
        int d = c.headDim();
        float[] inverse = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            inverse[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / d));
        }
        StringBuilder source = new StringBuilder("class Decoder(Module):\n  __parameters__ = []\n"
                + "  __buffers__ = []\n  training : bool\n  inv_freq : Tensor\n");
        attributes.values().forEach(a -> source.append("  ").append(a).append(" : Tensor\n"));
        source.append("  def forward(self: __torch__.Decoder");
        for (String input : inputs) {
            source.append(", ").append(input).append(": Tensor");
        }
        String eps = String.format(Locale.ROOT, "%.10e", c.normEps());
        source.append(") -> Tensor:\n")
                .append("    n = torch.size(input_ids, 0)\n    t = torch.size(input_ids, 1)\n")
                .append("    m = torch.to(attention_mask, 6)\n")
                .append(java.util.Arrays.asList(inputs).contains("position_ids")
                        ? "    pos = torch.to(position_ids, 6)\n"
                        : "    pos = torch.clamp(torch.sub(torch.cumsum(m, 1), 1.0), 0.0)\n")
                .append("    ang = torch.mul(torch.unsqueeze(pos, -1), self.inv_freq)\n")
                .append("    emb = torch.cat([ang, ang], -1)\n")
                .append("    cos = torch.unsqueeze(torch.cos(emb), 1)\n    sin = torch.unsqueeze(torch.sin(emb), 1)\n")
                .append("    causal = torch.tril(torch.ones([t, t]))\n")
                .append("    allowed = torch.mul(torch.unsqueeze(causal, 0), torch.unsqueeze(m, 1))\n")
                .append("    bias = torch.unsqueeze(torch.mul(torch.rsub(allowed, 1.0), -1.0e30), 1)\n")
                .append("    x = torch.embedding(self.model_embed_tokens_weight, input_ids)\n");
        int group = c.heads() / c.kvHeads();
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "self.model_layers_" + layer + "_";
            source.append("    h = self.rms(x, ").append(p).append("input_layernorm_weight)\n")
                    .append("    q = self.rope(self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_q_proj_weight)), n, t, ").append(c.heads()).append("), cos, sin)\n")
                    .append("    k = self.rope(self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_k_proj_weight)), n, t, ").append(c.kvHeads()).append("), cos, sin)\n")
                    .append("    v = self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_v_proj_weight)), n, t, ").append(c.kvHeads()).append(")\n")
                    .append("    k = torch.repeat_interleave(k, ").append(group).append(", 1)\n")
                    .append("    v = torch.repeat_interleave(v, ").append(group).append(", 1)\n")
                    .append("    s = torch.add(torch.div(torch.matmul(q, torch.transpose(k, 2, 3)), ")
                    .append(Math.sqrt(d)).append("), bias)\n")
                    .append("    a = torch.matmul(torch.softmax(s, -1), v)\n")
                    .append("    a = torch.reshape(torch.transpose(a, 1, 2), [n, t, ").append(c.heads() * d)
                    .append("])\n")
                    .append("    x = torch.add(x, torch.matmul(a, torch.t(").append(p).append("self_attn_o_proj_weight)))\n")
                    .append("    h = self.rms(x, ").append(p).append("post_attention_layernorm_weight)\n")
                    .append("    g = torch.matmul(h, torch.t(").append(p).append("mlp_gate_proj_weight))\n")
                    .append("    u = torch.matmul(h, torch.t(").append(p).append("mlp_up_proj_weight))\n")
                    .append("    x = torch.add(x, torch.matmul(torch.mul(torch.mul(torch.sigmoid(g), g), u), torch.t(")
                    .append(p).append("mlp_down_proj_weight)))\n");
        }
        source.append("    x = self.rms(x, self.model_norm_weight)\n")
                .append("    return torch.matmul(x, torch.t(self.lm_head_weight))\n")
                .append("  def rms(self: __torch__.Decoder, x: Tensor, w: Tensor) -> Tensor:\n")
                .append("    r = torch.rsqrt(torch.add(torch.mean(torch.mul(x, x), [-1], True), ").append(eps)
                .append("))\n    return torch.mul(torch.mul(x, r), w)\n")
                .append("  def heads(self: __torch__.Decoder, x: Tensor, n: int, t: int, count: int) -> Tensor:\n")
                .append("    return torch.transpose(torch.reshape(x, [n, t, count, ").append(d).append("]), 1, 2)\n")
                .append("  def rope(self: __torch__.Decoder, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:\n")
                .append("    halves = torch.chunk(x, 2, -1)\n")
                .append("    rotated = torch.cat([torch.neg(halves[1]), halves[0]], -1)\n")
                .append("    return torch.add(torch.mul(x, cos), torch.mul(rotated, sin))\n");

        Map<String, byte[]> records = new LinkedHashMap<>();
        Pickle data = new Pickle().global("__torch__", "Decoder").op(')').op(0x81); // EMPTY_TUPLE NEWOBJ
        data.op('}').op('(').text("training").bool(false);
        data.text("inv_freq").tensor("0", new long[] {d / 2});
        records.put("archive/data/0", floats(inverse));
        int key = 1;
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            data.text(a.getValue()).tensor(Integer.toString(key), checkpoint.shapes.get(a.getKey()));
            records.put("archive/data/" + key, floats(checkpoint.tensors.get(a.getKey())));
            key++;
        }
        data.op('u').op('b'); // SETITEMS BUILD
        records.put("archive/data.pkl", data.finish());
        records.put("archive/code/__torch__.py", source.toString().getBytes(StandardCharsets.UTF_8));
        records.put("archive/constants.pkl", new Pickle().op(')').finish());
        records.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
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

    private static byte[] floats(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }
}
