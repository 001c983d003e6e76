package io.t2c.quant;

import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The user-extensible unit of quantization, with two paths (Torch2Chip's {@code trainFunc}/{@code evalFunc}):
 * {@link #simulate} is the differentiable training path (quantize then dequantize), {@link #toInteger} the integer
 * path; the frozen parameters are the {@link QuantSpec} of the node after calibration (and learning). Built-ins are
 * in {@link QuantizerRegistry}; a user's quantizer joins by being listed in
 * {@code META-INF/services/io.t2c.quant.Quantizer} in a jar on the class path (docs/QUANTIZERS.md walks through one).
 *
 * <p>A quantizer is stateless: everything it learns lives in the graph (scale, zero point and {@link #extras()} are
 * initializers of its node), so a quantized model is saved, loaded and trained like any other graph.
 */
public interface Quantizer {
    /** Registry name, e.g. {@code minmax_channel}; the name in configs and on the command line. */
    String name();

    /** One line for listings. */
    String description();

    /** The granularity this quantizer uses for a weight or activation of the given rank. */
    Granularity granularity(Role role, int rank);

    /** Starts calibrating one position whose template (bits, signedness, granularity, rounding) is given. */
    Calibrator calibrator(Role role, QuantSpec template);

    /** Names of extra learnable parameters beyond scale and zero point (AdaRound's {@code alpha}); none by default. */
    default List<String> extras() {
        return List.of();
    }

    /** True when the step size Δ is learned by gradient descent (LSQ and its kin). */
    default boolean learnsScale() {
        return false;
    }

    /** The training path: fake quantization {@code (q − zp)·Δ}. */
    default Tensor simulate(QuantContext c, Tensor x) {
        return FakeQuant.simulate(c.spec(), x);
    }

    /**
     * Gradients of the loss given {@code gradY} = ∂loss/∂simulate(x): for x, and for each learned parameter by name
     * ({@code scale}, extras). The default is the clipped straight-through estimator and no parameter gradients.
     */
    default Gradients backward(QuantContext c, Tensor x, Tensor gradY) {
        return new Gradients(FakeQuant.steGradient(c.spec(), x, gradY), Map.of());
    }

    /**
     * The integer path: the codes of x under the node's spec, as INT32. For activations this must equal
     * {@link QuantSpec#quantize} of the spec (hardware quantizes inputs with the spec alone); a weight quantizer may
     * choose its codes otherwise (AdaRound's learned rounding) as long as they lie in the spec's range.
     */
    default Tensor toInteger(QuantContext c, Tensor x) {
        return FakeQuant.toInteger(c.spec(), x);
    }

    /**
     * An extra loss on this quantizer's own parameters during reconstruction, at training progress {@code t} in
     * [0, 1] (AdaRound's rounding regularizer λ·Σ(1 − |2h(α) − 1|^β)): returns its value and adds its gradient into
     * {@code gradients} (by parameter name, tensors shaped like the parameters, possibly absent). None by default.
     */
    default double regularize(QuantContext c, double t, Map<String, Tensor> gradients) {
        return 0;
    }

    /** Gradients of a quantizer node: for x and for learned parameters by name. */
    record Gradients(Tensor x, Map<String, Tensor> parameters) {}
}
