package io.t2c.convert;

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
import io.t2c.quant.Rounding;
import io.t2c.quant.ptq.Ptq;
import io.t2c.quant.ptq.PtqConfig;
import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped example CNN (Conv+BN+ReLU, residual adds, max pool, Gemm) through PTQ and conversion. */
class ConvertCnnTest {
    static final Set<String> INTEGER_OR_MOVEMENT = Set.of(IntegerOps.QUANTIZE, IntegerOps.CONV, IntegerOps.GEMM,
            IntegerOps.ADD, IntegerOps.REQUANTIZE, IntegerOps.MAX_POOL, IntegerOps.AVERAGE_POOL, IntegerOps.DEQUANTIZE,
            IntegerOps.CONCAT, IntegerOps.MATMUL, IntegerOps.LUT,
            "Flatten", "Reshape", "Transpose");

    static Graph fakeQuant(int bits) {
        Graph fp = OnnxImporter.load(Datasets.repoRoot().resolve("examples/fashion_cnn.onnx"));
        PtqConfig c = PtqConfig.defaults("minmax_channel", "minmax", bits, bits).withSamples(256, 64);
        return Ptq.run(fp, Datasets.open("fashion-mnist:train"), c, Ptq.Listener.NONE).model();
    }

    static List<Tensor> samples(Dataset test) {
        return List.of(test.batch(new int[] {0, 1, 2, 3, 4, 5, 6, 7}).images(),
                test.batch(new int[] {100, 200, 300, 400, 500, 600, 700, 800}).images());
    }

    @Test
    void w8a8IsBitExactAndWithinHalfAPointOfFakeQuant() {
        Graph fq = fakeQuant(8);
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        for (Node n : ig.nodes()) {
            assertTrue(INTEGER_OR_MOVEMENT.contains(n.opType()), "no float op left: " + n.label());
        }
        Dataset test = Datasets.open("fashion-mnist:test");
        BitExactChecker.Report r = new BitExactChecker(ig).check(samples(test));
        assertEquals(r.ops(), r.exactOps(), r.mismatches().toString());
        Evaluation.Result integer = Evaluation.top1(new Executor(ig), test, 2000, 250, null);
        Evaluation.Result simulated = Evaluation.top1(new Executor(fq), test, 2000, 250, null);
        assertTrue(Math.abs(integer.accuracy() - simulated.accuracy()) <= 0.005,
                "integer " + integer.accuracy() + " vs fake-quant " + simulated.accuracy());
        assertTrue(integer.agreement(simulated) >= 0.99, "agreement " + integer.agreement(simulated));
    }

    @Test
    void w4a4IntegerModelReachesTheFakeQuantAccuracyPtqReports() {
        // At 4 bits an accumulator step Δx·Δw is coarse: PTQ keeps biases on it (BiasGrid), so the accuracy it
        // reports is the integer model's (with float biases the fake-quant model promised what no integer model had).
        Graph fq = fakeQuant(4);
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        Dataset test = Datasets.open("fashion-mnist:test");
        Evaluation.Result integer = Evaluation.top1(new Executor(ig), test, 2000, 250, null);
        Evaluation.Result simulated = Evaluation.top1(new Executor(fq), test, 2000, 250, null);
        assertTrue(Math.abs(integer.accuracy() - simulated.accuracy()) <= 0.005,
                "integer " + integer.accuracy() + " vs fake-quant " + simulated.accuracy());
        assertTrue(integer.agreement(simulated) >= 0.99, "agreement " + integer.agreement(simulated));
    }

    @Test
    void w4a4With16BitMultipliersAndEveryRoundingIsBitExact() {
        Graph fq = fakeQuant(4);
        Dataset test = Datasets.open("fashion-mnist:test");
        for (Rounding mode : Rounding.values()) {
            Graph ig = LowerToInteger.run(fq, new LowerToInteger.Options(16, mode));
            BitExactChecker.Report r = new BitExactChecker(ig).check(samples(test).subList(0, 1));
            assertEquals(r.ops(), r.exactOps(), mode + ": " + r.mismatches());
            Node conv = ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.CONV)).findFirst().orElseThrow();
            for (long m : conv.attributes().getLongs(IntegerOps.MULTIPLIER)) {
                assertTrue(m < 1 << 15, "16-bit multipliers: " + m);
            }
        }
    }

    @Test
    void fusedReluFoldsIntoTheClampAndNoQuantizerOrReluRemains() {
        Graph fq = fakeQuant(8);
        Graph ig = LowerToInteger.run(fq, LowerToInteger.Options.defaults());
        Node stem = ig.nodes().stream().filter(n -> n.name().equals("/stem/stem.0/Conv")).findFirst().orElseThrow();
        assertEquals(stem.attributes().getLong(IntegerOps.Y_ZERO_POINT, -1), stem.attributes().getLong(
                IntegerOps.Y_MIN, -1), "ReLU: the clamp's lower bound is the code of 0");
        assertTrue(ig.nodes().stream().noneMatch(n -> n.opType().equals(FakeQuantOp.NAME) || n.opType().equals("Relu")));
    }
}
