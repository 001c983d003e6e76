package io.t2c.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.tensorfile.Npy;
import io.t2c.io.tensorfile.PthReader;
import io.t2c.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A full-size torchvision ResNet-18 state dict, as torch wrote it, loads into the zoo's ResNet-18 and computes the
 * same logits as the ONNX export of the same weights and as torch itself (within 1e-4 of the largest logit).
 *
 * <p>The fixture ({@code resnet18/}, made by {@code tools/make_resnet18_fixture.py} with Debian's torch 1.13) has
 * low-entropy weights: every conv / fc tensor is a seeded 1021-value table tiled and He-scaled, so the 46 MB files
 * compress to a few hundred KB in git while every filter and class row still differs; BatchNorm statistics are
 * calibrated so the activations stay in range. The ONNX file keeps its BatchNormalization nodes (torch exported
 * without folding them), so the import path's own BN folding is exercised too.
 */
class ResNet18PthTest {
    static final double TOLERANCE = 1e-4;

    private static Tensor first(Graph g, String input, Tensor x) {
        return new Executor(g).run(Map.of(input, x)).values().iterator().next();
    }

    @Test
    void torchvisionStateDictMatchesOnnxExportAndTorch() {
        Tensor x = Npy.read(Fixtures.resource("resnet18/input.npy"));
        Tensor torch = Npy.read(Fixtures.resource("resnet18/torch_logits.npy"));
        assertArrayEquals(new int[] {2, 3, 224, 224}, x.shape());
        assertArrayEquals(new int[] {2, 1000}, torch.shape());

        Map<String, Tensor> sd = PthReader.readStateDict(Fixtures.resource("resnet18/resnet18.pth"));
        Graph zooGraph = ModelZoo.loadStateDict(ModelZoo.build("resnet18"), sd);
        Tensor zoo = first(zooGraph, "input", x);

        Graph onnxGraph = OnnxImporter.load(Fixtures.resource("resnet18/resnet18.onnx"));
        Tensor onnx = first(onnxGraph, "x", x);

        assertNotDegenerate(torch);
        double zooVsOnnx = Fixtures.relativeError(zoo, onnx);
        double zooVsTorch = Fixtures.relativeError(zoo, torch);
        double onnxVsTorch = Fixtures.relativeError(onnx, torch);
        System.out.printf("resnet18 relative error: zoo vs onnx %.3g, zoo vs torch %.3g, onnx vs torch %.3g%n",
                zooVsOnnx, zooVsTorch, onnxVsTorch);
        assertTrue(zooVsOnnx <= TOLERANCE, "zoo vs onnx: relative error " + zooVsOnnx);
        assertTrue(zooVsTorch <= TOLERANCE, "zoo vs torch: relative error " + zooVsTorch);
        assertTrue(onnxVsTorch <= TOLERANCE, "onnx vs torch: relative error " + onnxVsTorch);
    }

    /**
     * The reference logits are a meaningful function of the weights and inputs, so matching them cannot pass
     * vacuously: finite, spread over the classes in each image (std over classes > 0.5, not a constant row), and the
     * two images' logits clearly differ (by more than 0.5 somewhere; the tolerance is ~4e-4 absolute).
     */
    private static void assertNotDegenerate(Tensor logits) {
        float[] v = logits.floats();
        int classes = logits.shape()[1];
        for (int n = 0; n < 2; n++) {
            double sum = 0;
            double sq = 0;
            for (int c = 0; c < classes; c++) {
                float f = v[n * classes + c];
                assertTrue(Float.isFinite(f), "non-finite torch logit");
                sum += f;
                sq += (double) f * f;
            }
            double mean = sum / classes;
            double std = Math.sqrt(Math.max(0, sq / classes - mean * mean));
            assertTrue(std > 0.5, "image " + n + ": logits barely vary over the classes (std " + std + ")");
        }
        double diff = 0;
        for (int c = 0; c < classes; c++) {
            diff = Math.max(diff, Math.abs(v[c] - v[classes + c]));
        }
        assertTrue(diff > 0.5, "the two images' logits are nearly the same (max difference " + diff + ")");
    }
}
