package io.t2c.graph.op;

import static io.t2c.graph.op.AttrSpec.Kind.FLOAT;
import static io.t2c.graph.op.AttrSpec.Kind.STRING;
import static io.t2c.graph.op.AttrSpec.optional;

import io.t2c.graph.Attributes;
import io.t2c.graph.Node;
import io.t2c.graph.TensorInfo;
import io.t2c.tensor.DType;
import io.t2c.tensor.Shapes;
import io.t2c.tensor.Tensor;
import io.t2c.tensor.ops.Elementwise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Element-wise ops. They share one shape rule: the output has the broadcast shape of the inputs (numpy rules), the
 * dtype of the first input, or BOOL for comparisons. Each op is one line naming its kernel in
 * {@link io.t2c.tensor.ops.Elementwise}.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static List<OpDef> all() {
        List<OpDef> ops = new ArrayList<>();
        // unary: kernel, then d(out)/d(in) as a function of (x, y, attributes)
        ops.add(unary("Neg", (x, a) -> Elementwise.neg(x), (x, y, a) -> -1f));
        ops.add(unary("Abs", (x, a) -> Elementwise.abs(x), (x, y, a) -> Math.signum(x)));
        ops.add(unary("Sqrt", (x, a) -> Elementwise.sqrt(x), (x, y, a) -> 0.5f / y));
        ops.add(unary("Exp", (x, a) -> Elementwise.exp(x), (x, y, a) -> y));
        ops.add(unary("Log", (x, a) -> Elementwise.log(x), (x, y, a) -> 1f / x));
        ops.add(unary("Erf", (x, a) -> Elementwise.erf(x), (x, y, a) -> (float) (TWO_OVER_SQRT_PI * Math.exp(-x * x))));
        ops.add(unary("Reciprocal", (x, a) -> Elementwise.reciprocal(x), (x, y, a) -> -y * y));
        ops.add(new Relu());
        ops.add(unary("Sigmoid", (x, a) -> Elementwise.sigmoid(x), (x, y, a) -> y * (1 - y)));
        ops.add(unary("Tanh", (x, a) -> Elementwise.tanh(x), (x, y, a) -> 1 - y * y));
        ops.add(unary("HardSwish", (x, a) -> Elementwise.hardSwish(x),
                (x, y, a) -> x < -3 ? 0f : x > 3 ? 1f : (2 * x + 3) / 6));
        ops.add(unary("Floor", (x, a) -> Elementwise.floor(x), null));
        ops.add(unary("Ceil", (x, a) -> Elementwise.ceil(x), null));
        ops.add(unary("Not", (x, a) -> Elementwise.not(x), null));
        ops.add(unary("LeakyRelu", (x, a) -> Elementwise.leakyRelu(x, a.getFloat("alpha", 0.01f)),
                (x, y, a) -> x > 0 ? 1f : a.getFloat("alpha", 0.01f), optional("alpha", FLOAT, 0.01)));
        ops.add(unary("HardSigmoid", (x, a) -> Elementwise.hardSigmoid(x, a.getFloat("alpha", 0.2f), a.getFloat("beta", 0.5f)),
                (x, y, a) -> {
                    float v = a.getFloat("alpha", 0.2f) * x + a.getFloat("beta", 0.5f);
                    return v > 0 && v < 1 ? a.getFloat("alpha", 0.2f) : 0f;
                }, optional("alpha", FLOAT, 0.2), optional("beta", FLOAT, 0.5)));
        ops.add(unary("Gelu", (x, a) -> switch (a.getString("approximate", "none")) {
            case "none" -> Elementwise.gelu(x);
            case "tanh" -> Elementwise.geluTanh(x);
            default -> throw new io.t2c.tensor.T2cException("Gelu: approximate must be 'none' or 'tanh', got '"
                    + a.getString("approximate", "") + "'");
        }, (x, y, a) -> a.getString("approximate", "none").equals("tanh") ? geluTanhDerivative(x) : geluDerivative(x),
                optional("approximate", STRING, "none")));
        ops.add(new Clip());
        // binary arithmetic (same dtype in, same dtype out)
        ops.add(binary("Add", Elementwise::add, (a, b, y, g) -> List.of(g, g)));
        ops.add(binary("Sub", Elementwise::sub, (a, b, y, g) -> List.of(g, Elementwise.neg(g))));
        ops.add(binary("Mul", Elementwise::mul, (a, b, y, g) -> List.of(Elementwise.mul(g, b), Elementwise.mul(g, a))));
        ops.add(binary("Div", Elementwise::div, (a, b, y, g) -> List.of(Elementwise.div(g, b),
                Elementwise.neg(Elementwise.div(Elementwise.mul(g, y), b)))));
        ops.add(binary("Pow", Elementwise::pow, (a, b, y, g) -> List.of(
                Elementwise.mul(g, Elementwise.mul(b, Elementwise.div(y, a))),
                Elementwise.mul(g, Elementwise.mul(y, Elementwise.log(a))))));
        ops.add(binary("PRelu", Elementwise::prelu, (a, b, y, g) -> {
            Tensor positive = Elementwise.greater(a, Tensor.scalar(0f).reshape());
            Tensor zero = Tensor.scalar(0f).reshape();
            return List.of(Elementwise.where(positive, g, Elementwise.mul(g, b)),
                    Elementwise.where(positive, zero, Elementwise.mul(g, a)));
        }));
        // comparisons → BOOL
        ops.add(binary("Equal", Elementwise::equal, null));
        ops.add(binary("Less", Elementwise::less, null));
        ops.add(binary("Greater", Elementwise::greater, null));
        // variadic
        ops.add(variadic("Min", Elementwise::min, false));
        ops.add(variadic("Max", Elementwise::max, false));
        ops.add(variadic("Sum", Elementwise::sum, true));
        ops.add(variadic("Mean", xs -> {
            Tensor s = Elementwise.sum(xs);
            return Elementwise.div(s, Tensor.scalar((float) xs.length).reshape().cast(s.dtype()));
        }, true));
        ops.add(new Where());
        return ops;
    }

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    /** d/dx of x·Φ(x) = Φ(x) + x·φ(x). */
    static float geluDerivative(float x) {
        double cdf = 0.5 * (1 + Elementwise.erf(x / Math.sqrt(2)));
        return (float) (cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
    }

    /** d/dx of 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³). */
    static float geluTanhDerivative(float x) {
        double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
        double t = Math.tanh(u);
        double du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
        return (float) (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du);
    }

    interface UnaryKernel {
        Tensor apply(Tensor x, Attributes attrs);
    }

    /** Derivative of a unary op at one element, from its input x and output y. */
    interface Derivative {
        float at(float x, float y, Attributes attrs);
    }

    /** A unary op; {@code derivative} null means it has no gradient. */
    static OpDef unary(String name, UnaryKernel kernel, Derivative derivative, AttrSpec... attrs) {
        return new Op(name, Family.ELEMENTWISE, 1, 1, attrs) {
            @Override
            public boolean differentiable() {
                return derivative != null;
            }

            @Override
            public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
                if (derivative == null) {
                    return super.backward(node, in, out, gOut);
                }
                Attributes a = node.attributes();
                return List.of(Gradients.pointwise(in.get(0), out.get(0), gOut.get(0),
                        (x, y, g) -> g * derivative.at(x, y, a)));
            }

            @Override
            public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
                TensorInfo x = in.get(0);
                return List.of(TensorInfo.of(x.dtype(), x.shape()));
            }

            @Override
            public List<Tensor> forward(Node node, List<Tensor> in) {
                return List.of(kernel.apply(in.get(0), node.attributes()));
            }
        };
    }

    /** Gradients of a broadcasting binary op at the broadcast shape, before they are summed back to each operand. */
    interface BinaryGradient {
        List<Tensor> of(Tensor a, Tensor b, Tensor y, Tensor gy);
    }

    /** A broadcasting binary op; a null gradient marks a comparison (BOOL output, no gradient). */
    static OpDef binary(String name, BinaryOperator<Tensor> kernel, BinaryGradient gradient) {
        boolean comparison = gradient == null;
        AttrSpec[] attrs = comparison ? new AttrSpec[0]
                : new AttrSpec[] {optional(FusedClamp.MIN, FLOAT, null), optional(FusedClamp.MAX, FLOAT, null)};
        return new Op(name, Family.ELEMENTWISE, 2, 2, attrs) {
            @Override
            public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
                int[] s = Shapes.broadcast(in.get(0).shape(), in.get(1).shape());
                return List.of(TensorInfo.of(comparison ? DType.BOOL : in.get(0).dtype(), s));
            }

            @Override
            public boolean differentiable() {
                return !comparison;
            }

            @Override
            public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
                if (comparison) {
                    return super.backward(node, in, out, gOut);
                }
                Tensor gy = FusedClamp.maskGradient(node, out.get(0), gOut.get(0));
                List<Tensor> g = gradient.of(in.get(0), in.get(1), out.get(0), gy);
                return List.of(Gradients.sumToShape(g.get(0), in.get(0).shape()),
                        Gradients.sumToShape(g.get(1), in.get(1).shape()));
            }

            @Override
            public List<Tensor> forward(Node node, List<Tensor> in) {
                if (name.equals("Add") && FusedClamp.present(node) && in.get(0).dtype() == DType.FLOAT32) {
                    return List.of(Elementwise.addClamped(in.get(0), in.get(1), FusedClamp.lo(node),
                            FusedClamp.hi(node)));
                }
                Tensor y = kernel.apply(in.get(0), in.get(1));
                if (FusedClamp.present(node)) {
                    y = FusedClamp.apply(node, y == in.get(0) || y == in.get(1) ? y.copy() : y);
                }
                return List.of(y);
            }
        };
    }

    /** A variadic op; {@code linear} ops (Sum, Mean) pass the gradient to every input, scaled 1/n for Mean. */
    static OpDef variadic(String name, java.util.function.Function<Tensor[], Tensor> kernel, boolean linear) {
        return new Op(name, Family.ELEMENTWISE, 1, Integer.MAX_VALUE) {
            @Override
            public boolean differentiable() {
                return linear;
            }

            @Override
            public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
                if (!linear) {
                    return super.backward(node, in, out, gOut);
                }
                Tensor g = name().equals("Mean")
                        ? Elementwise.div(gOut.get(0), Tensor.scalar((float) in.size()).reshape()) : gOut.get(0);
                List<Tensor> grads = new ArrayList<>();
                for (Tensor x : in) {
                    grads.add(Gradients.sumToShape(g, x.shape()));
                }
                return grads;
            }

            @Override
            public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
                int[][] shapes = in.stream().map(TensorInfo::shape).toArray(int[][]::new);
                return List.of(TensorInfo.of(in.get(0).dtype(), Shapes.broadcast(shapes)));
            }

            @Override
            public List<Tensor> forward(Node node, List<Tensor> in) {
                return List.of(kernel.apply(in.toArray(Tensor[]::new)));
            }
        };
    }

    /**
     * Relu as its own class: the most common activation in training gets a tight backward loop (the shared
     * pointwise helper calls a different lambda per op, which the JIT cannot inline).
     */
    static final class Relu extends Op {
        Relu() {
            super("Relu", Family.ELEMENTWISE, 1, 1);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(in.get(0).dtype(), in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Elementwise.relu(in.get(0)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            return List.of(Elementwise.passWhereInRange(in.get(0), gOut.get(0), Float.MIN_VALUE, Float.POSITIVE_INFINITY));
        }
    }

    /** Clip with optional scalar min and max inputs (opset 11+ form). */
    static final class Clip extends Op {
        Clip() {
            super("Clip", Family.ELEMENTWISE, 1, 3);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(in.get(0).dtype(), in.get(0).shape()));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Elementwise.clip(in.get(0), optionalTensor(in, 1), optionalTensor(in, 2)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        /** The gradient passes where min ≤ x ≤ max (as PyTorch's clamp); the bounds get none. */
        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor min = optionalTensor(in, 1);
            Tensor max = optionalTensor(in, 2);
            float lo = min == null ? Float.NEGATIVE_INFINITY : (float) min.getDouble(0);
            float hi = max == null ? Float.POSITIVE_INFINITY : (float) max.getDouble(0);
            Tensor gx = Elementwise.passWhereInRange(in.get(0), gOut.get(0), lo, hi);
            return java.util.Arrays.asList(gx, null, null);
        }
    }

    static final class Where extends Op {
        Where() {
            super("Where", Family.ELEMENTWISE, 3, 3);
        }

        @Override
        public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
            return List.of(TensorInfo.of(in.get(1).dtype(),
                    Shapes.broadcast(in.get(0).shape(), in.get(1).shape(), in.get(2).shape())));
        }

        @Override
        public List<Tensor> forward(Node node, List<Tensor> in) {
            return List.of(Elementwise.where(in.get(0), in.get(1), in.get(2)));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public List<Tensor> backward(Node node, List<Tensor> in, List<Tensor> out, List<Tensor> gOut) {
            Tensor zero = Tensor.scalar(0f).reshape();
            Tensor g = gOut.get(0);
            return java.util.Arrays.asList(null,
                    Gradients.sumToShape(Elementwise.where(in.get(0), g, zero), in.get(1).shape()),
                    Gradients.sumToShape(Elementwise.where(in.get(0), zero, g), in.get(2).shape()));
        }
    }

}
