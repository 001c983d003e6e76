package io.t2c.graph.op;

import io.t2c.graph.DataDependentShapeException;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.List;

/**
 * Convenience base for {@link OpDef}s: holds name, family, arity and schema, and offers small helpers for reading
 * inputs. Subclasses implement {@link #inferShapes} and {@link #forward}.
 */
public abstract class Op implements OpDef {
    private final String name;
    private final Family family;
    private final int minInputs;
    private final int maxInputs;
    private final List<AttrSpec> attributes;

    protected Op(String name, Family family, int minInputs, int maxInputs, AttrSpec... attributes) {
        this.name = name;
        this.family = family;
        this.minInputs = minInputs;
        this.maxInputs = maxInputs;
        this.attributes = List.of(attributes);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Family family() {
        return family;
    }

    @Override
    public final List<AttrSpec> attributes() {
        return attributes;
    }

    @Override
    public final int minInputs() {
        return minInputs;
    }

    @Override
    public final int maxInputs() {
        return maxInputs;
    }

    /** The value of a constant input needed for shape inference (axes, shape, pads...), or an error naming it. */
    protected static Tensor requireValue(Node node, List<TensorInfo> inputs, int i, String what) {
        TensorInfo info = i < inputs.size() ? inputs.get(i) : null;
        if (info == null || !info.hasValue()) {
            throw new DataDependentShapeException("node " + node.label() + ": its " + what + " (input " + i
                    + ") depends on data, so its output shape is known only at run time");
        }
        return info.value();
    }

    /** Optional input i as a TensorInfo, or null when absent. */
    protected static TensorInfo optionalInfo(List<TensorInfo> inputs, int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    /** Optional input i as a Tensor, or null when absent. */
    protected static Tensor optionalTensor(List<Tensor> inputs, int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    /** Values of a small integer tensor as ints. */
    protected static int[] ints(Tensor t) {
        long[] l = t.toLongArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l[i]));
        }
        return out;
    }

    protected static T2cException error(Node node, String message) {
        return new T2cException("node " + node.label() + ": " + message);
    }
}
