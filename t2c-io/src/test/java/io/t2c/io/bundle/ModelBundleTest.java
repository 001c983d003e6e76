package io.t2c.io.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.graph.Attributes;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.tensorfile.Npy;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelBundleTest {
    @TempDir
    Path dir;

    static final Path EXAMPLES = Path.of("..", "examples");

    @Test
    void roundTripKeepsTheFunctionFolderAndZip() {
        Graph g = OnnxImporter.load(EXAMPLES.resolve("fashion_cnn.onnx"));
        Tensor x = Npy.read(EXAMPLES.resolve("fashion_samples.npy"));
        Tensor want = new Executor(g).run(x);
        for (Path p : List.of(dir.resolve("model"), dir.resolve("model.zip"))) {
            if (p.toString().endsWith(".zip")) {
                ModelBundle.writeZip(g, p);
            } else {
                ModelBundle.write(g, p);
            }
            assertTrue(ModelBundle.isBundle(p));
            Graph back = ModelBundle.read(p);
            assertEquals(g.nodes().stream().map(Node::name).toList(), back.nodes().stream().map(Node::name).toList());
            assertEquals(g.metadata(), back.metadata());
            assertArrayEquals(want.floats(), new Executor(back).run(x).floats(), "bit-identical outputs");
        }
    }

    @Test
    void everyAttributeTypeSurvives() {
        Attributes attrs = Attributes.of("i", 3L, "f", 0.25, "s", "half_pixel", "is", new long[] {1, -2},
                "fs", new double[] {0.5, 1.5}, "ss", new String[] {"a", "b"}, "value", Tensor.of(new float[] {7f}, 1));
        Graph g = new Graph("attrs", List.of(new Value("x", DType.FLOAT32, new int[] {-1, 2})),
                List.of(new Value("y", DType.FLOAT32, null)),
                List.of(new Node("id", "Identity", List.of("x"), List.of("y"), attrs)), Map.of(), Map.of("k", "v"));
        ModelBundle.write(g, dir.resolve("b"));
        Node back = ModelBundle.read(dir.resolve("b")).nodes().get(0);
        Attributes a = back.attributes();
        assertEquals(3L, a.getLong("i", 0));
        assertEquals(0.25, a.getDouble("f", 0));
        assertEquals("half_pixel", a.getString("s", ""));
        assertArrayEquals(new long[] {1, -2}, a.getLongs("is"));
        assertArrayEquals(new double[] {0.5, 1.5}, a.getDoubles("fs"));
        assertArrayEquals(new String[] {"a", "b"}, a.getStrings("ss"));
        assertEquals(7f, a.getTensor("value").floats()[0]);
    }

    @Test
    void badBundlesAreClearErrors() throws IOException {
        Path wrongFormat = dir.resolve("wrong");
        Files.createDirectories(wrongFormat);
        Files.writeString(wrongFormat.resolve("graph.json"), "{\"format\": 99}");
        T2cException e = assertThrows(T2cException.class, () -> ModelBundle.read(wrongFormat));
        assertTrue(e.getMessage().contains("format 99"), e.getMessage());
        Path notJson = dir.resolve("notjson");
        Files.createDirectories(notJson);
        Files.writeString(notJson.resolve("graph.json"), "{{{");
        e = assertThrows(T2cException.class, () -> ModelBundle.read(notJson));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        Path junkZip = dir.resolve("junk.zip");
        Files.writeString(junkZip, "not a zip");
        e = assertThrows(T2cException.class, () -> ModelBundle.read(junkZip));
        assertTrue(e.getMessage().contains("junk.zip"), e.getMessage());
    }

    @Test
    void refusesToOverwriteSomethingThatIsNotABundle() throws IOException {
        Path folder = dir.resolve("precious");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("notes.txt"), "keep me");
        Graph g = OnnxImporter.load(EXAMPLES.resolve("fashion_cnn.onnx"));
        assertThrows(T2cException.class, () -> ModelBundle.write(g, folder));
        assertTrue(Files.exists(folder.resolve("notes.txt")));
        try (var s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp folder left behind");
        }
    }
}
