package io.t2c.quant;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.INT;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.Kind.STRINGS;
import static io.t2c.graph.op.AttrSpec.optional;
import static io.t2c.graph.op.AttrSpec.required;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.graph.op.Family;
import io.t2c.graph.op.Op;
import io.t2c.graph.op.OpDef;
import io.t2c.graph.op.OpProvider;
import io.t2c.quant.algo.AdaRound;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code FakeQuant(x, scale, zero_point, extras…) → y}: one quantizer position in a graph. The attributes name the
 * {@link Quantizer} and hold its spec's template; scale (float) and zero point (INT32) are inputs in the shape that
 * broadcasts against x ({@link Granularity#paramShape}), usually initializers, so calibration writes them and
 * training learns them like any other parameter. Forward is the quantizer's {@link Quantizer#simulate}; backward its
 * {@link Quantizer#backward}. {@code training = 1} marks a training step (AdaRound's soft rounding, QDrop's random
 * drop); {@code seed} seeds that step's random choices; {@code round_reg_weight} is AdaRound's λ.
 */
public final class FakeQuantOp extends Op {
    public static final String NAME = "FakeQuant";

    /** Registers {@link FakeQuantOp} with {@link io.t2c.graph.op.OpRegistry#standard()}. */
    public static final class Provider implements OpProvider {
        @Override
        public List<OpDef> ops() {
            return List.of(new FakeQuantOp());
        }
    }

    public FakeQuantOp() {
        super(NAME, Family.QUANTIZE, 3, Integer.MAX_VALUE, required("quantizer", STRING),
                optional("role", STRING, "activation"), required("bits", INT), optional("signed", INT, 1L),
                optional("narrow", INT, 0L), optional("granularity", STRING, "tensor"), optional("axis", INT, 0L),
                optional("group_size", INT, 0L), optional("rounding", STRING, "half-even"),
                optional("power_of_two", INT, 0L), optional("extras", STRINGS, null), optional("training", INT, 0L),
                optional("seed", INT, 0L), optional("drop_prob", FLOAT, 0.5),
                optional(AdaRound.WEIGHT_ATTRIBUTE, FLOAT, AdaRound.DEFAULT_REGULARIZER_WEIGHT));
    }

    @Override
    public List<TensorInfo> inferShapes(Node node, List<TensorInfo> inputs) {
        TensorInfo x = inputs.get(0);
        if (x.dtype() != DType.FLOAT32) {
            throw error(node, "quantizes float tensors, got " + x.dtype());
        }
        return List.of(TensorInfo.of(DType.FLOAT32, x.shape()));
    }

    @Override
    public List<Tensor> forward(Node node, List<Tensor> inputs) {
        return List.of(quantizer(node).simulate(context(node, inputs), inputs.get(0)));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
        Quantizer.Gradients g = quantizer(node).backward(context(node, in), in.get(0), gOut.get(0));
        List<Tensor> grads = new ArrayList<>(Arrays.asList(g.x(), null, null));
        Tensor gScale = g.parameters().get("scale");
        if (gScale != null) {
            grads.set(1, gScale.reshape(in.get(1).shape()));
        }
        String[] extras = extraNames(node);
        for (int i = 0; i < extras.length; i++) {
            Tensor ge = g.parameters().get(extras[i]);
            grads.add(ge == null ? null : ge.reshape(in.get(3 + i).shape()));
        }
        return grads;
    }

    public static Quantizer quantizer(Node node) {
        return QuantizerRegistry.standard().get(node.attributes().getString("quantizer", ""));
    }

    public static Role role(Node node) {
        return node.attributes().getString("role", "activation").equals("weight") ? Role.WEIGHT : Role.ACTIVATION;
    }

    /** The quantizer's view of a node with these inputs (x, scale, zero point, extras). */
    public static QuantContext context(Node node, List<Tensor> inputs) {
        if (inputs.size() < 3 || inputs.get(1) == null || inputs.get(2) == null) {
            throw new T2cException("quantizer node " + node.name() + " needs x, scale and zero_point inputs");
        }
        Attributes a = node.attributes();
        QuantSpec spec = template(a).withValues(inputs.get(1).floats(), zeroPoints(node, inputs.get(2)));
        Map<String, Tensor> extras = new LinkedHashMap<>();
        String[] names = extraNames(node);
        for (int i = 0; i < names.length; i++) {
            extras.put(names[i], inputs.get(3 + i));
        }
        return new QuantContext(node.name(), role(node), spec, extras, a, a.getLong("training", 0) != 0,
                a.getLong("seed", 0));
    }

    /** The spec's template (no values) held in a node's attributes. */
    public static QuantSpec template(Attributes a) {
        Granularity g = Granularity.parse(a.getString("granularity", "tensor"), a.getInt("axis", 0),
                a.getInt("group_size", 0));
        return new QuantSpec(a.getInt("bits", 8), a.getLong("signed", 1) != 0, a.getLong("narrow", 0) != 0, g,
                Rounding.parse(a.getString("rounding", "half-even")), a.getLong("power_of_two", 0) != 0, null, null);
    }

    /** Attributes that store a template, for a quantizer node. */
    public static Attributes attributes(String quantizer, Role role, QuantSpec t, List<String> extras) {
        Attributes a = Attributes.of("quantizer", quantizer, "role", role == Role.WEIGHT ? "weight" : "activation",
                "bits", (long) t.bits(), "signed", t.signed() ? 1L : 0L, "narrow", t.narrow() ? 1L : 0L,
                "granularity", t.granularity().id(), "axis", (long) t.granularity().axis(),
                "group_size", (long) t.granularity().groupSize(), "rounding", t.rounding().id(),
                "power_of_two", t.powerOfTwo() ? 1L : 0L, "training", 0L, "seed", 0L);
        return extras.isEmpty() ? a : a.with("extras", extras.toArray(String[]::new));
    }

    private static String[] extraNames(Node node) {
        return node.attributes().has("extras") ? node.attributes().getStrings("extras") : new String[0];
    }

    private static int[] zeroPoints(Node node, Tensor zp) {
        if (zp.dtype() != DType.INT32) {
            throw new T2cException("quantizer node " + node.name() + ": zero point must be INT32, got " + zp.dtype());
        }
        return zp.ints();
    }
}
