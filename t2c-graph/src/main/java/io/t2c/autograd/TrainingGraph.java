package io.t2c.autograd;

import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.tensor.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an inference graph (a classifier with one logits output) into the graph a training step runs:
 * every BatchNormalization switches to training mode (batch statistics) and gains two outputs, its updated running
 * mean and variance; every node with a {@code training} attribute gets {@code training = 1} (the variance updated with the unbiased batch variance, as PyTorch does); a SoftmaxCrossEntropyLoss node reads the logits and an INT64 {@code labels} input.
 * The running-stat outputs map back to the initializers they replace ({@link #runningStats}).
 */
public record TrainingGraph(Graph graph, String loss, String logits, String labels, Map<String, String> runningStats) {
    public static final String LABELS = "labels";
    public static final String LOSS = "loss";
    /**
     * A node attribute by which an op that behaves differently in training (a fake quantizer's soft rounding or
     * random drop) learns that it is training; the graph sets it to 1. A {@link #SEED} attribute gets a fresh value
     * every step from the {@link Trainer}.
     */
    public static final String TRAINING = "training";
    public static final String SEED = "seed";

    public static TrainingGraph of(Graph model, double labelSmoothing) {
        if (model.outputs().size() != 1) {
            throw new io.t2c.tensor.T2cException("training needs a classifier with one output; " + model.name()
                    + " has " + model.outputs().size());
        }
        String logits = model.outputs().get(0).name();
        List<Node> nodes = new ArrayList<>();
        Map<String, String> running = new LinkedHashMap<>();
        for (Node n : model.nodes()) {
            if (n.opType().equals("BatchNormalization")) {
                String mean = n.name() + ".running_mean.next";
                String var = n.name() + ".running_var.next";
                running.put(mean, n.input(3));
                running.put(var, n.input(4));
                nodes.add(new Node(n.name(), n.opType(), n.inputs(), List.of(n.output(0), mean, var),
                        n.attributes().with("training_mode", 1L).with("running_var_unbiased", 1L)));
            } else if (n.attributes().has(TRAINING)) {
                nodes.add(n.withAttributes(n.attributes().with(TRAINING, 1L)));
            } else {
                nodes.add(n);
            }
        }
        nodes.add(new Node(LOSS, "SoftmaxCrossEntropyLoss", List.of(logits, LABELS), List.of(LOSS),
                Attributes.of("label_smoothing", labelSmoothing)));
        List<Value> inputs = new ArrayList<>(model.inputs());
        inputs.add(new Value(LABELS, DType.INT64, new int[] {-1}));
        List<Value> outputs = new ArrayList<>();
        outputs.add(new Value(LOSS, DType.FLOAT32, new int[0]));
        outputs.add(model.outputs().get(0));
        running.keySet().forEach(r -> outputs.add(new Value(r, DType.FLOAT32, null)));
        Graph g = new Graph(model.name() + ".train", inputs, outputs, nodes, model.initializers(), model.metadata());
        return new TrainingGraph(g, LOSS, logits, LABELS, running);
    }
}
