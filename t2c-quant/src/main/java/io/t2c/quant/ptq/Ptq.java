package io.t2c.quant.ptq;

import io.t2c.graph.Graph;
import io.t2c.graph.op.OpRegistry;
import io.t2c.io.data.Batches;
import io.t2c.io.data.Dataset;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.quant.QuantizerRegistry;
import io.t2c.quant.transform.CrossLayerEqualization;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Post-training quantization of a float classifier: prepare (fold BatchNorm into convolutions and activations into
 * output clamps, as the integer model will have them; optionally equalize ranges across layers), plan where
 * quantizers go, calibrate them on a seeded random subset of the calibration data, insert them into the graph, and
 * reconstruct (and optionally correct biases). The result is a fake-quant graph: a
 * plain graph with {@code FakeQuant} nodes that runs, trains, saves and loads like any other.
 */
public final class Ptq {
    private Ptq() {}

    /** Progress of the three stages; each receives the total once, then one call per unit of work. */
    public interface Listener {
        void stage(String name, int total);

        void advance();

        Listener NONE = new Listener() {
            public void stage(String name, int total) {}

            public void advance() {}
        };
    }

    /** The fake-quant graph, where its quantizers went, and the seconds each stage took. */
    public record Result(Graph model, QuantPlan plan, double calibrationSeconds, double reconstructionSeconds) {}

    public static Result run(Graph floatModel, Dataset calibration, PtqConfig config, Listener listener) {
        if (floatModel.inputs().size() != 1) {
            throw new T2cException("PTQ on a dataset needs a single-input model; " + floatModel.name() + " has "
                    + floatModel.inputs().size() + " (give it calibration batches of every input)");
        }
        String input = floatModel.inputs().get(0).name();
        List<Map<String, Tensor>> batches = calibrationBatches(calibration, config).stream()
                .map(b -> Map.of(input, b)).toList();
        return run(floatModel, batches, config, listener);
    }

    /**
     * PTQ on calibration batches given as values of the graph inputs by name (a model whose inputs are not one image
     * batch, e.g. BERT's token ids and attention mask). Reconstruction and bias correction need a single input.
     */
    public static Result run(Graph floatModel, List<Map<String, Tensor>> batches, PtqConfig config,
            Listener listener) {
        Graph g = prepare(floatModel);
        if (config.crossLayerEqualization()) {
            g = new CrossLayerEqualization().apply(g).graph();
        }
        QuantPlan plan = QuantPlan.of(g, config, QuantizerRegistry.standard());
        if (plan.positions().isEmpty()) {
            throw new T2cException("nothing to quantize: " + g.name() + " has no Conv, Gemm or MatMul left after the"
                    + " overrides");
        }
        long t0 = System.nanoTime();
        listener.stage("calibrate", batches.size());
        Map<String, Calibration.Result> calibrated = Calibration.run(g, plan, config, batches, listener::advance);
        Graph quantized = QuantizedGraph.build(g, calibrated);
        long t1 = System.nanoTime();
        if (config.reconstruction() != PtqConfig.Reconstruction.NONE || config.biasCorrection()) {
            if (g.inputs().size() != 1) {
                throw new T2cException("reconstruction and bias correction need a single-input model; " + g.name()
                        + " has " + g.inputs().size() + " (use reconstruction none)");
            }
            String input = g.inputs().get(0).name();
            Reconstructor r = new Reconstructor(g, quantized, config, batches.stream().map(b -> b.get(input))
                    .toList(), listener::advance);
            listener.stage("reconstruct", r.units().size() * r.stepsPerUnit());
            quantized = r.run();
        }
        long t2 = System.nanoTime();
        quantized = BiasGrid.snap(quantized).withMetadata("t2c.ptq", config.runName() + " W" + config.wbit() + "A"
                + config.abit());
        return new Result(quantized, plan, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** The graph PTQ quantizes: BatchNorm folded into the layers before it, ReLU/Clip into their output clamps. */
    public static Graph prepare(Graph floatModel) {
        return OnnxImporter.cleanup(OpRegistry.standard()).run(floatModel);
    }

    /** {@code numSamples} samples drawn without replacement with the run's seed, in batches. */
    static List<Tensor> calibrationBatches(Dataset data, PtqConfig config) {
        int n = Math.min(config.numSamples(), data.size());
        List<int[]> shuffled = Batches.shuffled(data.size(), n, config.seed(), 0, false);
        int[] chosen = shuffled.get(0);
        List<Tensor> out = new ArrayList<>();
        for (int from = 0; from < n; from += config.batchSize()) {
            int to = Math.min(n, from + config.batchSize());
            out.add(data.batch(java.util.Arrays.copyOfRange(chosen, from, to)).images());
        }
        return out;
    }
}
