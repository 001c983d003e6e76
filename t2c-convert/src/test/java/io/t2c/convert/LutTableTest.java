package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.quant.FakeQuantOp;
import io.t2c.quant.Granularity;
import io.t2c.quant.QuantSpec;
import io.t2c.quant.Role;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per function, every input code: the IntLut entry equals the code of what the fake-quant graph (input quantizer →
 * float op(s) → output quantizer) computes for that code, run by the ordinary float executor. The codes are fed in
 * order, one per tensor, and shuffled into an odd-length tensor, so the float kernel's vector bodies and scalar tails
 * both meet every code; the integer graph run on the same inputs gives the same codes, and the fast path equals the
 * reference.
 */
class LutTableTest {
    /** A hand-built fake-quant graph x → xq → body → yq → Flatten → out, with the quantizers' specs. */
    record Case(String name, Graph graph, QuantSpec in, QuantSpec out) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface Body {
        /** Adds the float nodes reading {@code x}; returns the value the output quantizer reads. */
        String add(List<Node> nodes, Map<String, Tensor> inits, String x);
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        Body sigmoid = unary("Sigmoid", Attributes.of());
        Body tanh = unary("Tanh", Attributes.of());
        Body hardSigmoid = unary("HardSigmoid", Attributes.of("alpha", 1.0 / 6, "beta", 0.5));
        Body hardSwish = unary("HardSwish", Attributes.of());
        Body gelu = unary("Gelu", Attributes.of());
        Body geluTanh = unary("Gelu", Attributes.of("approximate", "tanh"));
        Body leaky = unary("LeakyRelu", Attributes.of("alpha", 0.1));
        Body silu = (nodes, inits, x) -> {
            nodes.add(new Node("sig", "Sigmoid", List.of(x), List.of("sig"), Attributes.of()));
            nodes.add(new Node("silu", "Mul", List.of(x, "sig"), List.of("silu"), Attributes.of()));
            return "silu";
        };
        Body reluHardSwish = (nodes, inits, x) -> {
            nodes.add(new Node("hs", "HardSwish", List.of(x), List.of("hs"), Attributes.of()));
            inits.put("clip.min", Tensor.scalar(0f));
            inits.put("clip.max", Tensor.scalar(2f));
            nodes.add(new Node("clip", "Clip", List.of("hs", "clip.min", "clip.max"), List.of("clip"),
                    Attributes.of()));
            return "clip";
        };
        Object[][] bodies = {{"Sigmoid", sigmoid, -8.0, 8.0}, {"Tanh", tanh, -4.0, 4.0},
            {"HardSigmoid", hardSigmoid, -4.0, 4.0}, {"HardSwish", hardSwish, -5.0, 5.0}, {"Gelu", gelu, -6.0, 6.0},
            {"GeluTanh", geluTanh, -6.0, 6.0}, {"LeakyRelu", leaky, -3.0, 5.0}, {"SiLU", silu, -7.0, 7.0},
            {"Clip(HardSwish)", reluHardSwish, -5.0, 5.0}};
        for (Object[] b : bodies) {
            double lo = (double) b[2];
            double hi = (double) b[3];
            // signed symmetric input codes, and unsigned asymmetric ones with an odd zero point
            all.add(Arguments.of(build(b[0] + " int8", (Body) b[1], spec(8, true, (float) (hi / 127), 0))));
            float step = (float) ((hi - lo) / 255);
            all.add(Arguments.of(build(b[0] + " uint8", (Body) b[1], spec(8, false, step,
                    (int) Math.rint(-lo / step)))));
        }
        all.add(Arguments.of(build("Sigmoid int4", sigmoid, spec(4, true, 0.9f, 0))));
        return all.stream();
    }

    static Body unary(String op, Attributes a) {
        return (nodes, inits, x) -> {
            nodes.add(new Node("f", op, List.of(x), List.of("f"), a));
            return "f";
        };
    }

    static QuantSpec spec(int bits, boolean signed, float scale, int zp) {
        return QuantSpec.template(bits, signed, Granularity.perTensor()).withValues(new float[] {scale},
                new int[] {zp});
    }

    static Node fakeQuant(String name, String x, QuantSpec s, Map<String, Tensor> inits) {
        inits.put(name + ".scale", Tensor.of(new float[] {s.scale()[0]}, 1));
        inits.put(name + ".zp", Tensor.ofInts(new int[] {s.zeroPoint()[0]}, 1));
        return new Node(name, FakeQuantOp.NAME, List.of(x, name + ".scale", name + ".zp"), List.of(name),
                FakeQuantOp.attributes("minmax", Role.ACTIVATION, s, List.of()));
    }

    /** The graph, with an unsigned output spec spanning what the body produces on the input codes. */
    static Case build(String name, Body body, QuantSpec in) {
        List<Node> nodes = new ArrayList<>();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        nodes.add(fakeQuant("xq", "x", in, inits));
        String y = body.add(nodes, inits, "xq");
        Graph probe = new Graph("probe", List.of(new Value("x", DType.FLOAT32, new int[] {1, -1})),
                List.of(new Value(y, DType.FLOAT32, new int[] {1, -1})), nodes, inits, Map.of());
        float[] f = new Executor(probe).run(Map.of("x", inputs(in, 0))).get(y).floats();
        double min = 0;
        double max = 0;
        for (float v : f) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float step = (float) ((max - min) / 255);
        QuantSpec out = spec(8, false, step, (int) Math.rint(-min / step));
        nodes.add(fakeQuant("yq", y, out, inits));
        nodes.add(new Node("flat", "Flatten", List.of("yq"), List.of("out"), Attributes.of("axis", 1L)));
        Graph g = new Graph(name, List.of(new Value("x", DType.FLOAT32, new int[] {1, -1})),
                List.of(new Value("out", DType.FLOAT32, new int[] {1, -1})), nodes, inits, Map.of());
        return new Case(name, g, in, out);
    }

    /** All codes of spec s in order (shuffle 0) or shuffled with repeats into an odd length (seed ≠ 0). */
    static Tensor inputs(QuantSpec s, long shuffle) {
        int n = s.qmax() - s.qmin() + 1;
        int[] codes = new int[shuffle == 0 ? n : 3 * n + 5];
        Random r = new Random(shuffle);
        for (int i = 0; i < codes.length; i++) {
            codes[i] = s.qmin() + (shuffle == 0 || i < n ? i % n : r.nextInt(n));
        }
        if (shuffle != 0) {
            for (int i = codes.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = codes[i];
                codes[i] = codes[j];
                codes[j] = t;
            }
        }
        float[] x = new float[codes.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((codes[i] - s.zeroPoint()[0]) * (double) s.scale()[0]);
        }
        return Tensor.of(x, 1, x.length);
    }

    static int code(QuantSpec s, float x) {
        return (int) Math.rint(x / (double) s.scale()[0]) + s.zeroPoint()[0];
    }

    static int inputCode(QuantSpec s, float x) {
        return code(s, x);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tableEqualsTheFakeQuantGraphOnEveryCode(Case c) {
        Graph ig = LowerToInteger.run(c.graph(), LowerToInteger.Options.defaults());
        Node lut = ig.nodes().stream().filter(n -> n.opType().equals(IntegerOps.LUT)).findFirst().orElseThrow();
        assertTrue(ig.nodes().stream().noneMatch(n -> n.opType().equals("Mul") || n.opType().equals("Clip")),
                "the region is one table");
        int[] table = ig.initializer(lut.input(1)).ints();
        int n = c.in().qmax() - c.in().qmin() + 1;
        assertEquals(n, table.length);
        assertEquals(c.in().qmin(), lut.attributes().getLong(IntegerOps.X_MIN, 99));
        Executor fake = new Executor(c.graph());
        Executor integer = new Executor(ig);
        int mismatches = 0;
        StringBuilder first = new StringBuilder();
        for (long shuffle : new long[] {0, 1, 2}) {
            Tensor x = inputs(c.in(), shuffle);
            float[] want = fake.run(Map.of("x", x)).get("out").floats();
            float[] got = integer.run(Map.of("x", x)).get("out").floats();
            for (int i = 0; i < want.length; i++) {
                int in = inputCode(c.in(), x.floats()[i]);
                int expected = code(c.out(), want[i]);
                if (table[in - c.in().qmin()] != expected || code(c.out(), got[i]) != expected) {
                    if (mismatches++ == 0) {
                        first.append("input code ").append(in).append(": fake-quant code ").append(expected)
                                .append(", table ").append(table[in - c.in().qmin()]);
                    }
                }
            }
        }
        // one input per tensor: the float kernel's scalar tail
        for (int q = c.in().qmin(); q <= c.in().qmax(); q++) {
            float v = (float) ((q - c.in().zeroPoint()[0]) * (double) c.in().scale()[0]);
            float want = fake.run(Map.of("x", Tensor.of(new float[] {v}, 1, 1))).get("out").floats()[0];
            if (table[q - c.in().qmin()] != code(c.out(), want) && mismatches++ == 0) {
                first.append("single input code ").append(q).append(": fake-quant code ").append(code(c.out(), want))
                        .append(", table ").append(table[q - c.in().qmin()]);
            }
        }
        assertEquals(0, mismatches, c.name() + ": " + first);
        BitExactChecker.Report r = new BitExactChecker(ig).check(List.of(inputs(c.in(), 3)));
        assertEquals(r.ops(), r.exactOps(), r.mismatches().toString());
    }
}
