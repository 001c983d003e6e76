package io.t2c.convert;

import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.op.OpRegistry;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.QuantContext;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the table of an {@code IntLut} from the fake-quant graph itself: each input code c goes through the input
 * quantizer's own {@code simulate} (giving the float value the fake-quant graph feeds the function), then through the
 * region's registered float kernels, then through the output quantizer, whose {@code toInteger} gives the entry. The
 * table is therefore what the fake-quant graph computes for that code, by construction, not a re-derivation of the
 * function (docs/NUMERICS.md, "Lookup tables").
 */
final class LutTables {
    private LutTables() {}

    /**
     * Output codes for input codes {@code min..max} of quantizer {@code input} (an activation FakeQuant node of
     * {@code g}), through the float nodes {@code region} (in order, the first reading {@code input}'s output, the
     * last producing what {@code output} quantizes). Every region input other than the chain must be a constant.
     */
    static int[] build(Graph g, Node input, List<Node> region, Node output, long min, long max) {
        OpRegistry ops = OpRegistry.standard();
        QuantContext in = context(g, input, null);
        int count = Math.toIntExact(max - min + 1);
        float scale = in.spec().scale()[0];
        int zp = in.spec().zeroPoint()[0];
        float[] raw = new float[count];
        for (int i = 0; i < count; i++) {
            raw[i] = (float) ((min + i - zp) * (double) scale);
        }
        Tensor xHat = ops.get(FakeQuantOp.NAME).forward(input, inputs(g, input, Tensor.of(raw, count))).get(0);
        int[] back = FakeQuantOp.quantizer(input).toInteger(in, xHat).ints();
        for (int i = 0; i < count; i++) {
            if (back[i] != min + i) {
                throw new T2cException("quantizer " + input.name() + ": code " + (min + i) + " does not survive its"
                        + " own simulate (got " + back[i] + "); no table can be built for its readers");
            }
        }
        Map<String, Tensor> env = new HashMap<>();
        env.put(input.output(0), xHat);
        for (Node r : region) {
            List<Tensor> args = new ArrayList<>();
            for (String name : r.inputs()) {
                Tensor t = name.isEmpty() ? null : env.containsKey(name) ? env.get(name) : g.initializer(name);
                if (t == null && !name.isEmpty()) {
                    throw new T2cException("node " + r.label() + ": input '" + name + "' is neither the table's input"
                            + " nor a constant");
                }
                args.add(t);
            }
            env.put(r.output(0), ops.get(r.opType()).forward(r, args).get(0));
        }
        Tensor y = env.get(region.get(region.size() - 1).output(0));
        QuantContext out = context(g, output, y);
        int[] codes = FakeQuantOp.quantizer(output).toInteger(out, y).ints().clone();
        // The contract the table relies on: the codes are those of the value the fake-quant graph passes on.
        Tensor yHat = ops.get(FakeQuantOp.NAME).forward(output, inputs(g, output, y)).get(0);
        int[] again = FakeQuantOp.quantizer(output).toInteger(out, yHat).ints();
        for (int i = 0; i < count; i++) {
            if (again[i] != codes[i]) {
                throw new T2cException("quantizer " + output.name() + ": toInteger gives code " + codes[i] + " but its"
                        + " simulate gives a value of code " + again[i] + " (input code " + (min + i) + ")");
            }
        }
        return codes;
    }

    private static List<Tensor> inputs(Graph g, Node fq, Tensor x) {
        List<Tensor> in = new ArrayList<>();
        in.add(x);
        for (String name : fq.inputs().subList(1, fq.inputs().size())) {
            Tensor t = g.initializer(name);
            if (t == null) {
                throw new T2cException("quantizer " + fq.name() + ": parameter '" + name + "' must be a constant to"
                        + " convert");
            }
            in.add(t);
        }
        return in;
    }

    private static QuantContext context(Graph g, Node fq, Tensor x) {
        return FakeQuantOp.context(fq, inputs(g, fq, x == null ? Tensor.of(new float[1], 1) : x));
    }
}
