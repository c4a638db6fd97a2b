package lem.backend.djl.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import lem.backend.djl.transformer.BatchForward;
import lem.backend.djl.transformer.Decoder;
import lem.backend.djl.transformer.KvCache;
import lem.backend.djl.transformer.ModelWeights;
import lem.backend.djl.transformer.OperationCount;
import lem.backend.djl.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-written ONNX export of gpt2-tiny on ONNX Runtime against the DJL decoder with the same
 * weights: logits of every pass within float32 tolerance, the same greedy tokens, and the FLOPs the
 * graph walk counts against a hand count.
 */
class OnnxDecoderTest {

    @TempDir
    Path root;

    /**
     * Two rows, one left-padded, a prefill and five decode steps, each fed the DJL decoder's greedy
     * token; as {@code model.onnx} and as a merged export whose {@code If} on {@code use_cache_branch}
     * takes the branch the step's flag selects.
     */
    @ParameterizedTest
    @ValueSource(strings = {"model.onnx", "decoder_model_merged.onnx"})
    void onnxRuntimeMatchesTheDjlDecoderOnTheSameWeights(String file) throws Exception {
        OnnxFixture fixture = OnnxFixture.write(root, 11, OnnxFixture.PRESET, file);
        TransformerConfig config = TransformerConfig.of(fixture.config, "gpt2-tiny");
        int vocab = config.vocabSize();
        long[][] prompt = {{5, 17, 99, 2000, 3, 8}, {0, 0, 0, 41, 1024, 7}};
        int[][] positions = {{0, 1, 2, 3, 4, 5}, {0, 0, 0, 0, 1, 2}};
        int decodeSteps = 5;
        boolean[][] keyValid = new boolean[2][prompt[0].length + decodeSteps + 1];
        for (int t = 0; t < prompt[0].length; t++) {
            keyValid[0][t] = true;
            keyValid[1][t] = t >= 3;
        }
        OnnxFolder folder = OnnxFolder.open(fixture.onnxFolder);
        assertEquals(file, folder.modelFile().getFileName().toString());
        assertEquals(file.contains("merged"), folder.layout().useCacheBranch());
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                OnnxDecoder onnx = OnnxDecoder.open(folder, "cpu", 0, 0);
                BatchForward batch = onnx.start();
                KvCache cache = new KvCache(config.layers())) {
            ModelWeights weights = ModelWeights.fromSafetensors(config, fixture.safetensorsFolder, manager,
                    DataType.FLOAT32);
            Decoder djl = new Decoder(config, weights, DataType.FLOAT32);
            long[][] ids = prompt;
            int[][] pos = positions;
            for (int step = 0; step <= decodeSteps; step++) {
                NDArray expectedArray = djl.forward(manager, ids, pos, keyValid, cache, new OperationCount());
                float[] expected = expectedArray.toFloatArray();
                expectedArray.close();
                float[] actual = batch.forward(ids, pos, keyValid, new OperationCount());
                assertEquals(expected.length, actual.length);
                double worst = 0;
                for (int i = 0; i < expected.length; i++) {
                    worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(worst < 1e-3, "step " + step + ": largest logit difference " + worst);
                long[][] next = new long[2][1];
                int[][] nextPositions = new int[2][1];
                for (int b = 0; b < 2; b++) {
                    next[b][0] = argmax(expected, b * vocab, vocab);
                    assertEquals(next[b][0], argmax(actual, b * vocab, vocab), "greedy token of row " + b
                            + " at step " + step);
                    nextPositions[b][0] = pos[b][pos[b].length - 1] + 1;
                    keyValid[b][prompt[0].length + step] = true;
                }
                ids = next;
                pos = nextPositions;
            }
            weights.close();
        }
    }

    /**
     * gpt2-tiny: H 128, 2 layers, 4 heads of 32, vocabulary 2048. Per token row each layer's
     * c_attn, c_proj, c_fc and mlp.c_proj cost 2 x (3 + 1 + 4 + 4) H^2, the LM head (a Gemm with
     * transB) 2 H V; each of the 2 x 2 attention matmuls 2 x B x heads x T x S x 32.
     */
    @ParameterizedTest
    @ValueSource(strings = {"model.onnx", "decoder_model_merged.onnx"})
    void graphWalkCountsMatchAHandCount(String file) throws Exception {
        OnnxFixture fixture = OnnxFixture.write(root, 3, OnnxFixture.PRESET, file);
        OnnxFlops flops = new OnnxFlops(OnnxFolder.open(fixture.onnxFolder));
        assertEquals(java.util.List.of(9, 4), flops.decodeNodeCounts(), "weight matmuls and attention matmuls");
        long h = 128;
        long perRow = 2 * (2 * 12 * h * h) + 2 * h * 2048;
        assertEquals(3L * 7 * perRow, flops.linearFlops(3, 7, false));
        assertEquals(4L * 1 * perRow, flops.linearFlops(4, 1, true));
        assertEquals(4L * 2 * 3 * 4 * 7 * 9 * 32, flops.attentionFlops(3, 7, 9, false));
        assertTrue(flops.method().contains("9 MatMul/Gemm nodes with a weight initializer"), flops.method());
        assertTrue(flops.method().contains("4 MatMul nodes of two activations"), flops.method());
    }

    @Test
    void graphIsReadBackWithItsInputsAndParameterCount() throws Exception {
        OnnxFixture fixture = OnnxFixture.write(root, 5);
        OnnxFolder folder = OnnxFolder.open(fixture.onnxFolder);
        DecoderLayout layout = folder.layout();
        assertEquals(2, layout.layers());
        assertTrue(layout.positionIds());
        assertEquals(4, layout.kvHeads());
        assertEquals(32, layout.headDim());
        // 724,480 preset parameters plus the export's 17 small constants (scalars and shapes)
        long constants = 8 + 2 + 1 + 2 + 3 + 4 + 3 + 2 + 1;
        assertEquals(724_480L + constants, folder.graph().parameterCount());
        assertArrayEquals(new long[] {2048, 128}, folder.graph().initializers().get("wte.weight"));
    }

    private static int argmax(float[] values, int from, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[from + i] > values[from + best]) {
                best = i;
            }
        }
        return best;
    }
}
