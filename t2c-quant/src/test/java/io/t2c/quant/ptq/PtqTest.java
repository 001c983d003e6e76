package io.t2c.quant.ptq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.io.data.Evaluation;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Role;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PTQ end to end on the shipped example CNN (trained on Fashion-MNIST, 87.30 % test accuracy in float). */
class PtqTest {
    static final Path EXAMPLE = Datasets.repoRoot().resolve("examples/fashion_cnn.onnx");
    static final int EVAL = 2000;

    static double accuracy(Graph g, Dataset test) {
        return Evaluation.top1(new Executor(g), test, EVAL, 250, null).accuracy();
    }

    @Test
    void quantizersGoOnEveryMultiplyingOpIncludingTheFirstInputAndTheClassifier() {
        Graph g = Ptq.prepare(OnnxImporter.load(EXAMPLE));
        QuantPlan plan = QuantPlan.of(g, PtqConfig.defaults("minmax_channel", "minmax", 8, 8),
                io.t2c.quant.QuantizerRegistry.standard());
        long layers = g.nodes().stream().filter(n -> QuantPlan.MULTIPLYING_OPS.contains(n.opType())).count();
        assertEquals(layers, plan.positions().stream().filter(p -> p.role() == Role.WEIGHT).count());
        assertTrue(plan.positions().stream().anyMatch(p -> p.value().equals(g.inputs().get(0).name())),
                "the image input is quantized");
        for (QuantPlan.Position p : plan.positions()) {
            if (p.role() == Role.ACTIVATION && !p.value().equals(g.inputs().get(0).name())) {
                assertTrue(!p.signed(), p.value() + " follows a ReLU, so its codes are unsigned");
            }
        }
    }

    @Test
    void overridesNameLayersAsTheModelDoesAndAPatternMatchingNothingIsAnError() {
        // resnet20's convs are followed by BatchNorm; folding must leave the conv's name for overrides to find.
        Graph g = Ptq.prepare(io.t2c.models.ModelZoo.build("resnet20"));
        PtqConfig config = PtqConfig.defaults("minmax_channel", "minmax", 4, 4)
                .withOverrides(List.of(new LayerOverride("conv1", false, 8, 8, null, null)));
        QuantPlan plan = QuantPlan.of(g, config, io.t2c.quant.QuantizerRegistry.standard());
        QuantPlan.Position input = plan.positions().stream()
                .filter(p -> p.value().equals(g.inputs().get(0).name())).findFirst().orElseThrow();
        assertEquals(8, input.bits(), "the first conv's input takes the override");
        assertEquals(List.of("conv1"), input.consumers());
        assertTrue(plan.positions().stream().anyMatch(p -> p.bits() == 4), "other layers keep the default");

        PtqConfig typo = config.withOverrides(List.of(new LayerOverride("conv_1", false, 8, 8, null, null)));
        io.t2c.tensor.T2cException e = org.junit.jupiter.api.Assertions.assertThrows(io.t2c.tensor.T2cException.class,
                () -> QuantPlan.of(g, typo, io.t2c.quant.QuantizerRegistry.standard()));
        assertTrue(e.getMessage().contains("'conv_1'") && e.getMessage().contains("layer1.0.conv1"), e.getMessage());
    }

    @Test
    void w8a8MinMaxStaysWithinHalfAPointOfFloat() {
        Dataset train = Datasets.open("fashion-mnist:train");
        Dataset test = Datasets.open("fashion-mnist:test");
        Graph fp = OnnxImporter.load(EXAMPLE);
        PtqConfig config = PtqConfig.defaults("minmax_channel", "minmax", 8, 8).withSamples(256, 64);
        Ptq.Result r = Ptq.run(fp, train, config, Ptq.Listener.NONE);
        long quantNodes = r.model().nodes().stream().filter(n -> n.opType().equals(FakeQuantOp.NAME)).count();
        assertEquals(r.plan().positions().size(), quantNodes);
        double fpAcc = accuracy(fp, test);
        double qAcc = accuracy(r.model(), test);
        assertTrue(Math.abs(fpAcc - qAcc) <= 0.005, "fp " + fpAcc + " vs W8A8 " + qAcc);
    }

    @Test
    void w4a4MinMaxLosesAccuracyThatReconstructionCannotRecoverWithoutLearnableParameters() {
        Dataset train = Datasets.open("fashion-mnist:train");
        Dataset test = Datasets.open("fashion-mnist:test");
        Graph fp = OnnxImporter.load(EXAMPLE);
        PtqConfig config = PtqConfig.defaults("minmax_channel", "minmax", 4, 4).withSamples(256, 64);
        Graph q = Ptq.run(fp, train, config, Ptq.Listener.NONE).model();
        double fpAcc = accuracy(fp, test);
        double qAcc = accuracy(q, test);
        assertTrue(qAcc < fpAcc, "4-bit min/max must cost accuracy: fp " + fpAcc + " vs " + qAcc);
        List<Node> fq = q.nodes().stream().filter(n -> n.opType().equals(FakeQuantOp.NAME)).toList();
        assertTrue(fq.stream().allMatch(n -> n.attributes().getInt("bits", 0) == 4));
    }

    @Test
    void biasCorrectionLeavesTheFirstLayerUnbiasedOnTheCalibrationData() {
        Dataset train = Datasets.open("fashion-mnist:train");
        Graph fp = Ptq.prepare(OnnxImporter.load(EXAMPLE));
        PtqConfig base = PtqConfig.defaults("minmax_channel", "minmax", 4, 4).withSamples(256, 64)
                .withReconstruction(PtqConfig.Reconstruction.NONE);
        PtqConfig corrected = new PtqConfig(base.wq(), base.aq(), 4, 4, 256, 64, PtqConfig.Reconstruction.NONE,
                base.lr(), base.scaleLr(), 1, 0, base.rounding(), 0.5, false, true, List.of(), 0, false);
        Graph plain = Ptq.run(fp, train, base, Ptq.Listener.NONE).model();
        Graph fixed = Ptq.run(fp, train, corrected, Ptq.Listener.NONE).model();
        Node first = fp.nodes().stream().filter(n -> n.opType().equals("Conv")).findFirst().orElseThrow();
        String bias = first.input(2);
        List<io.t2c.tensor.Tensor> batches = Ptq.calibrationBatches(train, corrected);
        double before = meanBias(fp, plain, first.name(), batches);
        double after = meanBias(fp, fixed, first.name(), batches);
        assertTrue(!java.util.Arrays.equals(plain.initializer(bias).floats(), fixed.initializer(bias).floats()));
        assertTrue(before > 1e-4, "4-bit quantization biases the first layer: " + before);
        // The corrected bias then goes to the accumulator grid (BiasGrid), which moves it by up to half a step
        // Δx·Δw_c/2: the correction removes the rest.
        Node conv = fixed.nodes().stream().filter(n -> n.name().equals(first.name())).findFirst().orElseThrow();
        float[] dx = scaleOfQuantizerOf(fixed, conv.input(0));
        float[] dw = scaleOfQuantizerOf(fixed, conv.input(1));
        double halfStep = 0;
        for (int c = 0; c < dw.length; c++) {
            halfStep += (double) dx[0] * dw[c] / 2 / dw.length;
        }
        assertTrue(after < before * 1e-2 + halfStep, "mean |float − quant| per channel: " + before + " → " + after
                + " (half an accumulator step: " + halfStep + ")");
        float[] b = fixed.initializer(bias).floats();
        for (int c = 0; c < b.length; c++) {
            double steps = b[c] / ((double) dx[0] * dw[dw.length == 1 ? 0 : c]);
            assertEquals(Math.rint(steps), steps, 1e-3, "bias " + c + " on the accumulator grid");
        }
    }

    private static float[] scaleOfQuantizerOf(Graph g, String value) {
        Node q = g.nodes().stream().filter(n -> n.outputs().contains(value)).findFirst().orElseThrow();
        assertEquals(FakeQuantOp.NAME, q.opType());
        return g.initializer(q.input(1)).floats();
    }

    /** Mean over channels of |mean over the calibration data of (float − quantized) pre-activation| of one conv. */
    static double meanBias(Graph fp, Graph q, String conv, List<io.t2c.tensor.Tensor> batches) {
        Node fNode = fp.nodes().stream().filter(n -> n.name().equals(conv)).findFirst().orElseThrow();
        Node qNode = q.nodes().stream().filter(n -> n.name().equals(conv)).findFirst().orElseThrow();
        String fOut = "probe.f";
        String qOut = "probe.q";
        Graph fProbe = probe(fp, fNode, fOut);
        Graph qProbe = probe(q, qNode, qOut);
        int channels = fp.initializer(fNode.input(2)).size();
        double[] diff = new double[channels];
        long count = 0;
        for (io.t2c.tensor.Tensor b : batches) {
            io.t2c.tensor.Tensor yf = new Executor(fProbe).run(java.util.Map.of(fp.inputs().get(0).name(), b)).get(fOut);
            io.t2c.tensor.Tensor yq = new Executor(qProbe).run(java.util.Map.of(q.inputs().get(0).name(), b)).get(qOut);
            int inner = yf.size() / (yf.dim(0) * channels);
            for (int i = 0; i < yf.size(); i++) {
                diff[(i / inner) % channels] += yf.floats()[i] - yq.floats()[i];
            }
            count += yf.size() / channels;
        }
        double sum = 0;
        for (double d : diff) {
            sum += Math.abs(d / count);
        }
        return sum / channels;
    }

    /** The graph with a copy of {@code layer} minus its clamp, writing {@code out}, as the only output. */
    static Graph probe(Graph g, Node layer, String out) {
        List<Node> nodes = new java.util.ArrayList<>(g.nodes());
        nodes.add(new Node("probe", layer.opType(), layer.inputs(), List.of(out),
                layer.attributes().without("clamp_min").without("clamp_max")));
        return new Graph(g.name(), g.inputs(), List.of(new io.t2c.graph.Value(out, io.t2c.tensor.DType.FLOAT32, null)),
                nodes, g.initializers(), g.metadata());
    }
}
