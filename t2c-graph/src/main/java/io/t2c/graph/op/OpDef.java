package io.t2c.graph.op;

import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.Tensor;
import java.util.List;

/**
 * The definition of one op, written once: its name (ONNX spelling), family, attribute schema, input arity, shape
 * inference and float kernel. The ONNX importer maps onto these and nothing else; the executor calls
 * {@link #forward}; shape inference and constant folding call {@link #infer}.
 *
 * <p>Inputs arrive positionally; an omitted optional input is {@code null}. Implementations must not modify input
 * tensors.
 */
public interface OpDef {
    String name();

    Family family();

    List<AttrSpec> attributes();

    int minInputs();

    /** Largest number of inputs; {@code Integer.MAX_VALUE} for variadic ops. */
    int maxInputs();

    /**
     * Infers output types and shapes from the inputs' (and, where an input is a shape or axes list, its value).
     * May fill in output values when they follow from shapes alone (e.g. {@code Shape}).
     */
    List<TensorInfo> inferShapes(Node node, List<TensorInfo> inputs);

    /** Computes the outputs on real tensors. */
    List<Tensor> forward(Node node, List<Tensor> inputs);

    /** A node's forward, specialised once for its constant inputs (see {@link #prepare}). */
    @FunctionalInterface
    interface Prepared {
        List<Tensor> forward(List<Tensor> inputs);
    }

    /**
     * Specialises {@link #forward} for repeated runs of one node whose constant inputs are given ({@code null} for
     * inputs that vary): e.g. Conv packs its weights once. The constants must not change while the result is used
     * (the {@link io.t2c.graph.Executor} guarantees it for initializers). The default does nothing special.
     */
    default Prepared prepare(Node node, List<Tensor> constantInputs) {
        return inputs -> forward(node, inputs);
    }

    /**
     * Reverse mode: given the op's inputs, its outputs and the gradients of a scalar loss with respect to the outputs
     * ({@code null} for an output nothing depends on), returns the gradient for each input, or {@code null} for an
     * input that has none (integer inputs, shapes, axes). Written with tensor ops; gradients have the input's shape.
     * The default is an op with no gradient.
     */
    default List<Tensor> backward(Node node, List<Tensor> inputs, List<Tensor> outputs, List<Tensor> gradOutputs) {
        throw new io.t2c.tensor.T2cException("op " + name() + " (node " + node.name() + ") has no gradient; training"
                + " through it is not supported");
    }

    /** True when {@link #backward} is implemented. */
    default boolean differentiable() {
        return false;
    }

    /** Multiply-accumulate count for one execution with the given input shapes; 0 for ops that do no MACs. */
    default long macs(Node node, List<TensorInfo> inputs, List<TensorInfo> outputs) {
        return 0;
    }
}
