package io.t2c.quant.ptq;

import io.t2c.autograd.Adam;
import io.t2c.autograd.Backprop;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.graph.op.FusedClamp;
import io.t2c.graph.op.OpRegistry;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Quantizer;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Elementwise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reconstruction (AdaRound/BRECQ/QDrop style): walks the fake-quant graph in order, one unit at a time — a layer
 * (a multiplying op and the quantizers just before it) or a block (the nodes between two points where a single
 * value is live: a residual block, an attention or MLP block) — and fits the unit's learnable quantizer parameters
 * (LSQ steps, AdaRound's α) so that the unit's output, fed with the quantized model's own input to the unit, matches
 * the float model's output: mean squared error plus any quantizer regularizer, Adam with a cosine learning rate.
 * Each unit is then run once over all calibration batches with its learned parameters, and the next unit starts
 * from there, so errors of earlier units are seen and compensated by later ones.
 */
final class Reconstructor {
    private static final float MIN_STEP = 1e-8f;
    private final Graph floatGraph;
    private final Graph quantGraph;
    private final PtqConfig config;
    private final List<Tensor> batches;
    private final Runnable afterStep;
    private final OpRegistry registry = OpRegistry.standard();
    private final Map<String, Tensor> inits;
    private final List<Node> nodes;

    Reconstructor(Graph floatGraph, Graph quantGraph, PtqConfig config, List<Tensor> batches, Runnable afterStep) {
        this.floatGraph = floatGraph;
        this.quantGraph = quantGraph;
        this.config = config;
        this.batches = batches;
        this.afterStep = afterStep;
        this.inits = new LinkedHashMap<>();
        quantGraph.initializers().forEach((k, v) -> inits.put(k, v.copy()));
        this.nodes = quantGraph.nodes();
    }

    /** Number of optimisation steps per unit. */
    int stepsPerUnit() {
        return config.iterations() > 0 ? config.iterations() : config.epochs() * batches.size();
    }

    /** The units that have something to learn, as [from, to) ranges of the quantized graph's node list. */
    List<int[]> units() {
        if (config.reconstruction() == PtqConfig.Reconstruction.NONE) {
            return List.of();
        }
        List<int[]> ranges = config.reconstruction() == PtqConfig.Reconstruction.BLOCK ? blocks() : layers();
        return ranges.stream().filter(r -> !learnable(r).isEmpty()).toList();
    }

    Graph run() {
        List<int[]> units = units();
        Stepper reference = new Stepper(floatGraph, floatGraph.initializers(), batches,
                config.biasCorrection() ? floatInputsOfLayers() : Map.of(), null);
        Stepper quant = new Stepper(quantGraph, inits, batches, Map.of(),
                config.biasCorrection() ? (n, args) -> correctBias(n, args, reference) : null);
        for (int[] unit : units) {
            quant.runUntil(unit[0]);
            train(unit, quant, reference);
            // The unit's steps are final now: its biases go to their accumulator grid before later units learn
            // from its outputs (later layers' biases move to the grid of their calibrated steps meanwhile).
            BiasGrid.snap(nodes, inits);
            quant.runUntil(unit[1]);
        }
        if (config.biasCorrection()) {
            quant.runUntil(nodes.size());
        }
        return quantGraph.withNodes(nodes, inits);
    }

    private void train(int[] unit, Stepper quant, Stepper reference) {
        List<Node> body = nodes.subList(unit[0], unit[1]);
        Set<String> produced = new HashSet<>();
        body.forEach(n -> produced.addAll(n.outputs()));
        Set<String> unitInputs = new LinkedHashSet<>();
        for (Node n : body) {
            for (String v : n.inputs()) {
                if (!v.isEmpty() && !produced.contains(v) && !inits.containsKey(v)) {
                    unitInputs.add(v);
                }
            }
        }
        List<String> outputs = unitOutputs(unit, produced);
        List<String> params = learnable(unit);
        Map<String, List<Tensor>> targets = new HashMap<>();
        for (String o : outputs) {
            targets.put(o, reference.valueOf(o));
        }
        // The published reconstruction loss: squared error summed over an output's features (channels), averaged
        // over samples and positions — the scale AdaRound's regularizer weight λ is set against.
        Map<String, Tensor> constants = new LinkedHashMap<>(inits);
        List<Node> lossNodes = new ArrayList<>();
        List<Value> graphInputs = new ArrayList<>();
        unitInputs.forEach(v -> graphInputs.add(new Value(v, DType.FLOAT32, null)));
        String total = null;
        for (String o : outputs) {
            String t = "target:" + o;
            Tensor sample = targets.get(o).get(0);
            int features = sample.rank() == 4 ? sample.dim(1) : sample.dim(sample.rank() - 1);
            constants.put("mse.features:" + o, Tensor.scalar(features));
            graphInputs.add(new Value(t, DType.FLOAT32, null));
            lossNodes.add(new Node("mse.sub:" + o, "Sub", List.of(o, t), List.of("mse.d:" + o), Attributes.EMPTY));
            lossNodes.add(new Node("mse.sq:" + o, "Mul", List.of("mse.d:" + o, "mse.d:" + o), List.of("mse.s:" + o),
                    Attributes.EMPTY));
            lossNodes.add(new Node("mse.mean:" + o, "ReduceMean", List.of("mse.s:" + o), List.of("mse.m:" + o),
                    Attributes.of("keepdims", 0L)));
            lossNodes.add(new Node("mse.per_sample:" + o, "Mul", List.of("mse.m:" + o, "mse.features:" + o),
                    List.of("mse:" + o), Attributes.EMPTY));
            if (total == null) {
                total = "mse:" + o;
            } else {
                lossNodes.add(new Node("mse.add:" + o, "Add", List.of(total, "mse:" + o), List.of("mse.sum:" + o),
                        Attributes.EMPTY));
                total = "mse.sum:" + o;
            }
        }
        Map<String, List<Tensor>> ins = new HashMap<>();
        for (String v : unitInputs) {
            ins.put(v, quant.valueOf(v));
        }
        int stepCount = stepsPerUnit();
        Set<String> steps = learnedSteps(unit);
        Adam forSteps = Adam.adam(config.scaleLr(), 0.9, 0.999, 1e-8, 0);
        Adam forRest = Adam.adam(config.lr(), 0.9, 0.999, 1e-8, 0);
        Map<String, Tensor> paramTensors = new LinkedHashMap<>();
        params.forEach(p -> paramTensors.put(p, inits.get(p)));
        for (int step = 0; step < stepCount; step++) {
            int b = step % batches.size();
            List<Node> trainNodes = new ArrayList<>();
            for (Node n : body) {
                trainNodes.add(isQuant(n) ? n.withAttributes(n.attributes().with("training", 1L)
                        .with("seed", config.seed() * 1_000_003L + unit[0] * 7919L + step)) : n);
            }
            trainNodes.addAll(lossNodes);
            Graph g = new Graph("reconstruct", graphInputs, List.of(new Value(total, DType.FLOAT32, new int[0])),
                    trainNodes, constants, Map.of());
            Map<String, Tensor> feed = new HashMap<>();
            ins.forEach((v, list) -> feed.put(v, list.get(b)));
            targets.forEach((o, list) -> feed.put("target:" + o, list.get(b)));
            Map<String, Tensor> grads = new HashMap<>(Backprop.run(g, registry, feed, total, params).gradients());
            double progress = stepCount <= 1 ? 1 : (double) step / (stepCount - 1);
            for (Node n : trainNodes) {
                if (isQuant(n)) {
                    regularize(n, progress, grads);
                }
            }
            double cosine = 0.5 * (1 + Math.cos(Math.PI * step / stepCount));
            forSteps.setLearningRate(config.scaleLr() * cosine);
            forRest.setLearningRate(config.lr() * cosine);
            Map<String, Tensor> stepGrads = new HashMap<>();
            Map<String, Tensor> restGrads = new HashMap<>();
            grads.forEach((k, v) -> (steps.contains(k) ? stepGrads : restGrads).put(k, v));
            forSteps.step(paramTensors, stepGrads);
            forRest.step(paramTensors, restGrads);
            keepStepsPositive(body);
            afterStep.run();
        }
        snapPowerOfTwoSteps(body);
    }

    /** A learned step must stay a step: an optimizer overshoot below zero is pulled back to a tiny positive value. */
    private void keepStepsPositive(List<Node> body) {
        for (Node n : body) {
            if (isQuant(n) && FakeQuantOp.quantizer(n).learnsScale()) {
                float[] s = inits.get(n.input(1)).floats();
                for (int i = 0; i < s.length; i++) {
                    s[i] = Math.max(s[i], MIN_STEP);
                }
            }
        }
    }

    /** Power-of-two specs learn in the reals and are rounded to 2^k (in the log domain) when the unit is done. */
    private void snapPowerOfTwoSteps(List<Node> body) {
        for (Node n : body) {
            if (isQuant(n) && n.attributes().getLong("power_of_two", 0) != 0 && FakeQuantOp.quantizer(n).learnsScale()) {
                float[] s = inits.get(n.input(1)).floats();
                for (int i = 0; i < s.length; i++) {
                    s[i] = io.t2c.quant.QuantSpec.nearestPowerOfTwo(s[i]);
                }
            }
        }
    }

    /** Adds a quantizer's own regularizer gradient (AdaRound's rounding term) to the step's gradients. */
    private void regularize(Node n, double progress, Map<String, Tensor> grads) {
        List<Tensor> args = new ArrayList<>();
        args.add(null);
        for (int i = 1; i < n.inputs().size(); i++) {
            args.add(inits.get(n.input(i)));
        }
        var ctx = FakeQuantOp.context(n, args);
        Map<String, Tensor> byParam = new HashMap<>();
        FakeQuantOp.quantizer(n).regularize(ctx, progress, byParam);
        for (int i = 3; i < n.inputs().size(); i++) {
            String extra = n.attributes().getStrings("extras")[i - 3];
            Tensor g = byParam.get(extra);
            if (g != null) {
                grads.merge(n.input(i), g, Elementwise::add);
            }
        }
    }

    /**
     * Values made in the unit and read after it (or graph outputs), except quantized copies (a quantizer's output
     * read by a later layer too): they have no float counterpart to match and are judged through that layer.
     */
    private List<String> unitOutputs(int[] unit, Set<String> produced) {
        Set<String> quantized = new HashSet<>();
        nodes.subList(unit[0], unit[1]).stream().filter(Reconstructor::isQuant).forEach(n -> quantized.add(n.output(0)));
        Set<String> out = new LinkedHashSet<>();
        for (int k = unit[1]; k < nodes.size(); k++) {
            for (String v : nodes.get(k).inputs()) {
                if (produced.contains(v) && !quantized.contains(v)) {
                    out.add(v);
                }
            }
        }
        quantGraph.outputs().stream().map(Value::name).filter(produced::contains).forEach(out::add);
        return new ArrayList<>(out);
    }

    /** The learned step sizes (LSQ-style scales) among a range's parameters. */
    private Set<String> learnedSteps(int[] range) {
        Set<String> out = new HashSet<>();
        for (Node n : nodes.subList(range[0], range[1])) {
            if (isQuant(n) && FakeQuantOp.quantizer(n).learnsScale()) {
                out.add(n.input(1));
            }
        }
        return out;
    }

    /** Learnable parameters of the quantizers in a range: LSQ-style steps and extras such as AdaRound's α. */
    private List<String> learnable(int[] range) {
        List<String> params = new ArrayList<>();
        for (Node n : nodes.subList(range[0], range[1])) {
            if (!isQuant(n)) {
                continue;
            }
            Quantizer q = FakeQuantOp.quantizer(n);
            if (q.learnsScale()) {
                params.add(n.input(1));
            }
            for (int i = 3; i < n.inputs().size(); i++) {
                params.add(n.input(i));
            }
        }
        return params;
    }

    /** One range per multiplying op: the op and the quantizer nodes directly before it that feed it. */
    private List<int[]> layers() {
        List<int[]> out = new ArrayList<>();
        for (int k = 0; k < nodes.size(); k++) {
            Node n = nodes.get(k);
            if (!QuantPlan.MULTIPLYING_OPS.contains(n.opType())) {
                continue;
            }
            int from = k;
            while (from > 0 && isQuant(nodes.get(from - 1)) && n.inputs().contains(nodes.get(from - 1).output(0))) {
                from--;
            }
            out.add(new int[] {from, k + 1});
        }
        return out;
    }

    /**
     * Ranges between the points where exactly one computed value is live (the graph narrows to one tensor):
     * residual, attention and MLP blocks, and single layers on a plain chain.
     */
    private List<int[]> blocks() {
        int n = nodes.size();
        Map<String, Integer> producedAt = new HashMap<>();
        quantGraph.inputs().forEach(v -> producedAt.put(v.name(), -1));
        for (int k = 0; k < n; k++) {
            for (String v : nodes.get(k).outputs()) {
                producedAt.put(v, k);
            }
        }
        Map<String, Integer> lastUse = new HashMap<>();
        for (int k = 0; k < n; k++) {
            for (String v : nodes.get(k).inputs()) {
                if (producedAt.containsKey(v)) {
                    lastUse.put(v, k);
                }
            }
        }
        quantGraph.outputs().forEach(v -> lastUse.put(v.name(), n));
        int[] live = new int[n];
        lastUse.forEach((v, last) -> {
            for (int k = Math.max(0, producedAt.get(v)); k < last && k < n; k++) {
                live[k]++;
            }
        });
        List<int[]> out = new ArrayList<>();
        int from = 0;
        for (int k = 0; k < n; k++) {
            if ((live[k] == 1 && !isQuant(nodes.get(k))) || k == n - 1) {
                out.add(new int[] {from, k + 1});
                from = k + 1;
            }
        }
        return out;
    }

    private static boolean isQuant(Node n) {
        return n.opType().equals(FakeQuantOp.NAME);
    }

    /**
     * Empirical bias correction (as in AIMET): just before the quantized layer runs, the mean difference per output
     * channel between the float layer's pre-activation on float inputs and the quantized layer's on quantized inputs,
     * over the calibration batches, is added to the bias, so the quantized layer's outputs are unbiased on average.
     * Layers without a bias or without a constant weight are left as they are.
     */
    private void correctBias(Node n, List<List<Tensor>> quantArgs, Stepper reference) {
        Node f = floatGraph.nodes().stream().filter(x -> x.name().equals(n.name())).findFirst().orElse(null);
        if (f == null || n.inputs().size() < 3 || n.input(2).isEmpty() || !inits.containsKey(n.input(2))
                || !floatGraph.initializers().containsKey(f.input(1))) {
            return;
        }
        var op = registry.get(n.opType());
        Node quantPre = withoutClamp(n);
        Node floatPre = withoutClamp(f);
        float[] bias = inits.get(n.input(2)).floats();
        double[] diff = new double[bias.length];
        long perChannel = 0;
        List<Tensor> floatInputs = reference.valueOf(f.input(0));
        for (int b = 0; b < batches.size(); b++) {
            float[] q = op.forward(quantPre, quantArgs.get(b)).get(0).floats();
            Tensor yf = op.forward(floatPre, List.of(floatInputs.get(b), floatGraph.initializer(f.input(1)),
                    floatGraph.initializer(f.input(2)))).get(0);
            float[] y = yf.floats();
            boolean channelsFirst = n.opType().startsWith("Conv");
            int channels = bias.length;
            int inner = channelsFirst ? y.length / (yf.dim(0) * channels) : 1;
            for (int i = 0; i < y.length; i++) {
                int c = channelsFirst ? (i / inner) % channels : i % channels;
                diff[c] += y[i] - q[i];
            }
            perChannel += y.length / channels;
        }
        reference.release(f.input(0));
        for (int c = 0; c < bias.length; c++) {
            bias[c] += (float) (diff[c] / perChannel);
        }
    }

    /** Float inputs of the layers bias correction will visit, with how many such layers read each. */
    private Map<String, Integer> floatInputsOfLayers() {
        Map<String, Integer> keep = new HashMap<>();
        for (Node n : floatGraph.nodes()) {
            if (QuantPlan.MULTIPLYING_OPS.contains(n.opType()) && n.inputs().size() > 2 && !n.input(2).isEmpty()
                    && floatGraph.initializers().containsKey(n.input(1))) {
                keep.merge(n.input(0), 1, Integer::sum);
            }
        }
        return keep;
    }

    private static Node withoutClamp(Node n) {
        return n.withAttributes(n.attributes().without(FusedClamp.MIN).without(FusedClamp.MAX));
    }

    /**
     * Runs a graph node by node over all calibration batches, keeping each value until its last reader has run.
     * {@link #valueOf} runs as far as needed to produce a value. Constants come from {@code constants}: the learned
     * parameters, as they are now, for the quantized graph.
     */
    private final class Stepper {
        private final List<Node> order;
        private final Map<String, Tensor> constants;
        private final Map<String, List<Tensor>> env = new HashMap<>();
        private final Map<String, Integer> lastUse = new HashMap<>();
        private final Map<String, Integer> held;
        private final LayerHook beforeLayer;
        private int next;

        /**
         * {@code held}: values kept past their last reader until {@link #release}d that many times;
         * {@code beforeLayer}: called with a multiplying node and its arguments per batch just before it runs.
         */
        Stepper(Graph graph, Map<String, Tensor> constants, List<Tensor> inputBatches, Map<String, Integer> held,
                LayerHook beforeLayer) {
            this.order = graph.nodes();
            this.constants = constants;
            this.held = new HashMap<>(held);
            this.beforeLayer = beforeLayer;
            env.put(graph.inputs().get(0).name(), inputBatches);
            for (int k = 0; k < order.size(); k++) {
                for (String v : order.get(k).inputs()) {
                    lastUse.put(v, k);
                }
            }
            graph.outputs().forEach(v -> lastUse.put(v.name(), Integer.MAX_VALUE));
        }

        List<Tensor> valueOf(String v) {
            while (!env.containsKey(v)) {
                if (next >= order.size()) {
                    throw new IllegalStateException("value " + v + " is never produced");
                }
                step(order.get(next));
            }
            return env.get(v);
        }

        void runUntil(int to) {
            while (next < to) {
                step(order.get(next));
            }
        }

        /** Lets go of a held value once every holder is done with it. */
        void release(String v) {
            if (held.merge(v, -1, Integer::sum) <= 0) {
                held.remove(v);
                if (lastUse.getOrDefault(v, -1) < next) {
                    env.remove(v);
                }
            }
        }

        private void step(Node n) {
            var op = registry.get(n.opType());
            List<List<Tensor>> outs = new ArrayList<>();
            n.outputs().forEach(o -> outs.add(new ArrayList<>()));
            List<List<Tensor>> argsPerBatch = new ArrayList<>();
            for (int b = 0; b < batches.size(); b++) {
                List<Tensor> args = new ArrayList<>();
                for (String v : n.inputs()) {
                    args.add(v.isEmpty() ? null : constants.containsKey(v) ? constants.get(v) : env.get(v).get(b));
                }
                argsPerBatch.add(args);
            }
            if (beforeLayer != null && QuantPlan.MULTIPLYING_OPS.contains(n.opType())) {
                beforeLayer.visit(n, argsPerBatch);
            }
            for (int b = 0; b < batches.size(); b++) {
                List<Tensor> r = op.forward(n, argsPerBatch.get(b));
                for (int k = 0; k < outs.size() && k < r.size(); k++) {
                    outs.get(k).add(r.get(k));
                }
            }
            for (int k = 0; k < outs.size(); k++) {
                env.put(n.output(k), outs.get(k));
            }
            for (String v : n.inputs()) {
                if (lastUse.getOrDefault(v, -1) <= next && !held.containsKey(v)) {
                    env.remove(v);
                }
            }
            next++;
        }
    }

    /** Called before a multiplying node runs, with its arguments for each calibration batch. */
    @FunctionalInterface
    private interface LayerHook {
        void visit(Node n, List<List<Tensor>> argsPerBatch);
    }
}
