package io.t2c.quant.ptq;

import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Value;
import io.t2c.quant.Calibrator;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Role;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration: every weight quantizer sees its weight once; every activation quantizer sees its value on each
 * calibration batch of the float model (running statistics across batches, frozen at the end). Each position's
 * template — bits, signedness, the quantizer's granularity for the value's rank, rounding — is fixed on first sight.
 */
final class Calibration {
    private Calibration() {}

    /** A calibrated position: its spec and extras, and the shape its scale and zero point take in the graph. */
    record Result(QuantPlan.Position position, Calibrator.Calibration calibration, int[] paramShape) {}

    static Map<String, Result> run(Graph g, QuantPlan plan, PtqConfig config,
                                   List<Map<String, Tensor>> batches, Runnable afterBatch) {
        Map<String, Result> out = new LinkedHashMap<>();
        Map<String, Calibrator> active = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (QuantPlan.Position p : plan.positions()) {
            if (p.role() == Role.WEIGHT) {
                Tensor w = g.initializer(p.value());
                QuantSpec t = template(p, config, w.rank());
                Calibrator c = p.quantizer().calibrator(Role.WEIGHT, t);
                c.observe(w);
                out.put(p.value(), new Result(p, c.finish(), t.granularity().paramShape(w.shape())));
            }
        }
        List<Value> outputs = new ArrayList<>(g.outputs());
        for (QuantPlan.Position p : plan.positions()) {
            boolean known = outputs.stream().anyMatch(v -> v.name().equals(p.value()))
                    || g.inputs().stream().anyMatch(v -> v.name().equals(p.value()));
            if (p.role() == Role.ACTIVATION && !known) {
                outputs.add(new Value(p.value(), DType.FLOAT32, null));
            }
        }
        Executor exec = new Executor(new Graph(g.name(), g.inputs(), outputs, g.nodes(), g.initializers(),
                g.metadata()));
        for (Map<String, Tensor> batch : batches) {
            Map<String, Tensor> values = exec.run(batch);
            for (QuantPlan.Position p : plan.positions()) {
                if (p.role() != Role.ACTIVATION) {
                    continue;
                }
                Tensor x = batch.containsKey(p.value()) ? batch.get(p.value()) : values.get(p.value());
                Calibrator c = active.computeIfAbsent(p.value(), k -> {
                    QuantSpec t = template(p, config, x.rank());
                    shapes.put(k, t.granularity().paramShape(x.shape()));
                    return p.quantizer().calibrator(Role.ACTIVATION, t);
                });
                c.observe(x);
            }
            afterBatch.run();
        }
        for (QuantPlan.Position p : plan.positions()) {
            if (p.role() == Role.ACTIVATION) {
                out.put(p.value(), new Result(p, active.get(p.value()).finish(), shapes.get(p.value())));
            }
        }
        return out;
    }

    /** Bits and signedness from the plan, granularity from the quantizer (weights: along the output channels). */
    static QuantSpec template(QuantPlan.Position p, PtqConfig config, int rank) {
        Granularity g = p.quantizer().granularity(p.role(), rank);
        if (p.role() == Role.WEIGHT && g.kind() == Granularity.Kind.CHANNEL && p.channelAxis() >= 0) {
            g = Granularity.perChannel(p.channelAxis());
        }
        return QuantSpec.template(p.bits(), p.signed(), g).withRounding(config.rounding());
    }
}
