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
}
