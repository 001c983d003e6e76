package io.t2c.io.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Value;
import io.t2c.graph.op.OpRegistry;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs the ONNX conformance tests shipped by Debian's libonnx-testdata (node, pytorch-converted, pytorch-operator,
 * simple): every test whose model imports (all its ops and types supported) is run and compared with the expected
 * outputs at ONNX's own tolerance (rtol 1e-3, atol 1e-7). Prints pass counts per op and the skipped tests with the
 * reason; fails on any failure.
 */
class OnnxConformanceTest {
    static final Path ROOT = Path.of("/usr/share/libonnx-testdata/data");
    static final double RTOL = 1e-3;
    static final double ATOL = 1e-7;

    /** Tests that import but exercise a feature we deliberately do not implement, with the reason. */
    static final Map<String, String> KNOWN_UNSUPPORTED = Map.ofEntries(
            Map.entry("test_training_dropout", "training-mode Dropout is random; we run inference only"),
            Map.entry("test_training_dropout_default", "training-mode Dropout is random; we run inference only"),
            Map.entry("test_training_dropout_default_mask", "training-mode Dropout is random; we run inference only"),
            Map.entry("test_training_dropout_mask", "training-mode Dropout is random; we run inference only"));

    record Outcome(String test, List<String> ops, String status, String detail) {}

    @Test
    void conformanceSuitePasses() throws IOException {
        assumeTrue(Files.isDirectory(ROOT), "libonnx-testdata is not installed (apt-get install libonnx-testdata)");
        List<Outcome> outcomes = new ArrayList<>();
        for (String suite : List.of("node", "pytorch-converted", "pytorch-operator", "simple")) {
            Path dir = ROOT.resolve(suite);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> tests = Files.list(dir)) {
                for (Path t : tests.sorted().toList()) {
                    if (Files.exists(t.resolve("model.onnx"))) {
                        outcomes.add(runOne(suite, t));
                    }
                }
            }
        }
        report(outcomes);
        List<Outcome> failed = outcomes.stream().filter(o -> o.status().equals("fail")).toList();
        assertTrue(failed.isEmpty(), failed.size() + " conformance tests failed: "
                + failed.stream().map(o -> o.test() + " (" + o.detail() + ")").toList());
    }

    static Outcome runOne(String suite, Path dir) {
        String name = dir.getFileName().toString();
        String id = suite + "/" + name;
        ModelProto model;
        try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            return new Outcome(id, List.of(), "skip", "unreadable model: " + e.getMessage());
        }
        List<String> ops = new ArrayList<>(new TreeSet<>(model.getGraph().getNodeList().stream()
                .map(NodeProto::getOpType).toList()));
        if (KNOWN_UNSUPPORTED.containsKey(name)) {
            return new Outcome(id, ops, "skip", KNOWN_UNSUPPORTED.get(name));
        }
        Graph g;
        try {
            g = new OnnxImporter(OpRegistry.standard()).convert(model, id);
        } catch (T2cException e) {
            return new Outcome(id, ops, "skip", "not importable: " + e.getMessage());
        }
        try {
            Path data = dir.resolve("test_data_set_0");
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            List<Value> inputs = g.inputs();
            int declaredInputs = (int) model.getGraph().getInputList().stream()
                    .filter(v -> model.getGraph().getInitializerList().stream().noneMatch(i -> i.getName().equals(v.getName())))
                    .count();
            for (int i = 0; i < declaredInputs; i++) {
                Path p = data.resolve("input_" + i + ".pb");
                if (!Files.exists(p)) {
                    break;
                }
                TensorProto tp = TensorProto.parseFrom(Files.readAllBytes(p));
                String inName = tp.getName().isEmpty() ? model.getGraph().getInput(i).getName() : tp.getName();
                feeds.put(inName, OnnxTensors.toTensor(tp, id));
            }
            feeds.keySet().retainAll(inputs.stream().map(Value::name).toList());
            Map<String, Tensor> got = new Executor(g).run(feeds);
            List<Value> outs = g.outputs();
            for (int i = 0; i < outs.size(); i++) {
                Path p = data.resolve("output_" + i + ".pb");
                Tensor want = OnnxTensors.toTensor(TensorProto.parseFrom(Files.readAllBytes(p)), id);
                String diff = compare(want, got.get(outs.get(i).name()));
                if (diff != null) {
                    return new Outcome(id, ops, "fail", "output " + outs.get(i).name() + ": " + diff);
                }
            }
            return new Outcome(id, ops, "pass", "");
        } catch (T2cException e) {
            if (e.getMessage().contains("element type")) {
                return new Outcome(id, ops, "skip", "unsupported element type: " + e.getMessage());
            }
            return new Outcome(id, ops, "fail", e.getMessage());
        } catch (RuntimeException | IOException | AssertionError e) {
            return new Outcome(id, ops, "fail", e.toString());
        }
    }

    static String compare(Tensor want, Tensor got) {
        if (got == null) {
            return "missing";
        }
        if (!Arrays.equals(want.shape(), got.shape())) {
            return "shape " + Arrays.toString(got.shape()) + ", expected " + Arrays.toString(want.shape());
        }
        for (int i = 0; i < want.size(); i++) {
            double w = want.getDouble(i);
            double g = got.getDouble(i);
            if (Double.isNaN(w) && Double.isNaN(g)) {
                continue;
            }
            if (w == g) {
                continue;
            }
            if (!(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))) {
                return "element " + i + " is " + g + ", expected " + w;
            }
        }
        return null;
    }

    static void report(List<Outcome> outcomes) {
        Map<String, int[]> perOp = new TreeMap<>();
        for (Outcome o : outcomes) {
            for (String op : o.ops()) {
                int[] c = perOp.computeIfAbsent(op, k -> new int[3]);
                c[o.status().equals("pass") ? 0 : o.status().equals("fail") ? 1 : 2]++;
            }
        }
        StringBuilder sb = new StringBuilder("ONNX conformance (libonnx-testdata): op, passed, failed, skipped\n");
        perOp.forEach((op, c) -> {
            if (c[0] + c[1] > 0) {
                sb.append(String.format("  %-22s %4d %4d %4d%n", op, c[0], c[1], c[2]));
            }
        });
        long pass = outcomes.stream().filter(o -> o.status().equals("pass")).count();
        long fail = outcomes.stream().filter(o -> o.status().equals("fail")).count();
        long skip = outcomes.size() - pass - fail;
        sb.append(String.format("total: %d passed, %d failed, %d skipped (of %d tests)%n", pass, fail, skip, outcomes.size()));
        sb.append("failed:\n");
        outcomes.stream().filter(o -> o.status().equals("fail"))
                .forEach(o -> sb.append("  ").append(o.test()).append(": ").append(o.detail()).append('\n'));
        sb.append("skipped (reason):\n");
        outcomes.stream().filter(o -> o.status().equals("skip"))
                .forEach(o -> sb.append("  ").append(o.test()).append(": ").append(firstLine(o.detail())).append('\n'));
        String text = sb.toString();
        System.out.println(text.substring(0, text.indexOf("skipped (reason)")));
        try {
            Path out = Path.of("target", "onnx-conformance.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String l = nl < 0 ? s : s.substring(0, nl);
        return l.length() > 200 ? l.substring(0, 200) + "…" : l;
    }
}
