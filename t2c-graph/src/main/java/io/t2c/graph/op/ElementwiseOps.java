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
        // unary, no attributes
        ops.add(unary("Neg", (x, a) -> Elementwise.neg(x)));
        ops.add(unary("Abs", (x, a) -> Elementwise.abs(x)));
        ops.add(unary("Sqrt", (x, a) -> Elementwise.sqrt(x)));
        ops.add(unary("Exp", (x, a) -> Elementwise.exp(x)));
        ops.add(unary("Log", (x, a) -> Elementwise.log(x)));
        ops.add(unary("Erf", (x, a) -> Elementwise.erf(x)));
        ops.add(unary("Reciprocal", (x, a) -> Elementwise.reciprocal(x)));
        ops.add(unary("Relu", (x, a) -> Elementwise.relu(x)));
        ops.add(unary("Sigmoid", (x, a) -> Elementwise.sigmoid(x)));
        ops.add(unary("Tanh", (x, a) -> Elementwise.tanh(x)));
        ops.add(unary("HardSwish", (x, a) -> Elementwise.hardSwish(x)));
        ops.add(unary("Floor", (x, a) -> Elementwise.floor(x)));
        ops.add(unary("Ceil", (x, a) -> Elementwise.ceil(x)));
        ops.add(unary("Not", (x, a) -> Elementwise.not(x)));
        // unary with attributes
        ops.add(unary("LeakyRelu", (x, a) -> Elementwise.leakyRelu(x, a.getFloat("alpha", 0.01f)),
                optional("alpha", FLOAT, 0.01)));
        ops.add(unary("HardSigmoid", (x, a) -> Elementwise.hardSigmoid(x, a.getFloat("alpha", 0.2f), a.getFloat("beta", 0.5f)),
                optional("alpha", FLOAT, 0.2), optional("beta", FLOAT, 0.5)));
        ops.add(unary("Gelu", (x, a) -> switch (a.getString("approximate", "none")) {
            case "none" -> Elementwise.gelu(x);
            case "tanh" -> Elementwise.geluTanh(x);
            default -> throw new io.t2c.tensor.T2cException("Gelu: approximate must be 'none' or 'tanh', got '"
                    + a.getString("approximate", "") + "'");
        }, optional("approximate", STRING, "none")));
        ops.add(new Clip());
        // binary arithmetic (same dtype in, same dtype out)
        ops.add(binary("Add", Elementwise::add, false));
        ops.add(binary("Sub", Elementwise::sub, false));
        ops.add(binary("Mul", Elementwise::mul, false));
        ops.add(binary("Div", Elementwise::div, false));
        ops.add(binary("Pow", Elementwise::pow, false));
        ops.add(binary("PRelu", Elementwise::prelu, false));
        // comparisons → BOOL
        ops.add(binary("Equal", Elementwise::equal, true));
        ops.add(binary("Less", Elementwise::less, true));
        ops.add(binary("Greater", Elementwise::greater, true));
        // variadic
        ops.add(variadic("Min", Elementwise::min));
        ops.add(variadic("Max", Elementwise::max));
        ops.add(variadic("Sum", Elementwise::sum));
        ops.add(variadic("Mean", xs -> {
            Tensor s = Elementwise.sum(xs);
            return Elementwise.div(s, Tensor.scalar((float) xs.length).reshape().cast(s.dtype()));
        }));
        ops.add(new Where());
        return ops;
    }

    interface UnaryKernel {
        Tensor apply(Tensor x, Attributes attrs);
    }

    static OpDef unary(String name, UnaryKernel kernel, AttrSpec... attrs) {
        return new Op(name, Family.ELEMENTWISE, 1, 1, attrs) {
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

    static OpDef binary(String name, BinaryOperator<Tensor> kernel, boolean comparison) {
        return new Op(name, Family.ELEMENTWISE, 2, 2) {
            @Override
            public List<TensorInfo> inferShapes(Node node, List<TensorInfo> in) {
                int[] s = Shapes.broadcast(in.get(0).shape(), in.get(1).shape());
                return List.of(TensorInfo.of(comparison ? DType.BOOL : in.get(0).dtype(), s));
            }

            @Override
            public List<Tensor> forward(Node node, List<Tensor> in) {
                return List.of(kernel.apply(in.get(0), in.get(1)));
            }
        };
    }

    static OpDef variadic(String name, java.util.function.Function<Tensor[], Tensor> kernel) {
        return new Op(name, Family.ELEMENTWISE, 1, Integer.MAX_VALUE) {
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
    }

}
