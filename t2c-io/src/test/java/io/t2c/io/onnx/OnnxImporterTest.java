package io.t2c.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    @TempDir
    Path dir;

    static ModelProto identityModel() {
        OnnxBuilder b = new OnnxBuilder("id", 13);
        String x = b.input("x", DType.FLOAT32, -1, 4);
        String y = b.node("Identity", x);
        b.output(y, DType.FLOAT32, -1, 4);
        return b.build();
    }

    @Test
    void truncatedFileGivesOneClearError() throws IOException {
        byte[] full = identityModel().toByteArray();
        Path p = dir.resolve("trunc.onnx");
        Files.write(p, Arrays.copyOf(full, full.length / 2));
        T2cException e = assertThrows(T2cException.class, () -> OnnxImporter.load(p));
        assertTrue(e.getMessage().startsWith("trunc.onnx is not "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void nonOnnxFilesAreRefused() throws IOException {
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "this is not a model\n");
        T2cException e1 = assertThrows(T2cException.class, () -> OnnxImporter.load(text));
        assertTrue(e1.getMessage().contains("notes.onnx is not"), e1.getMessage());
        Path random = dir.resolve("random.onnx");
        byte[] bytes = new byte[4096];
        new Random(7).nextBytes(bytes);
        Files.write(random, bytes);
        T2cException e2 = assertThrows(T2cException.class, () -> OnnxImporter.load(random));
        assertTrue(e2.getMessage().contains("random.onnx is not"), e2.getMessage());
        T2cException e3 = assertThrows(T2cException.class, () -> OnnxImporter.load(dir.resolve("missing.onnx")));
        assertTrue(e3.getMessage().contains("no such file"), e3.getMessage());
    }

    @Test
    void absurdDeclaredDimensionsAreRefusedBeforeAllocating() {
        // An initializer claiming 10^12 elements with 16 bytes of data.
        ModelProto base = identityModel();
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1_000_000).addDims(1_000_000)
                .setRawData(ByteString.copyFrom(new byte[16])).build();
        ModelProto m = base.toBuilder().setGraph(base.getGraph().toBuilder().addInitializer(huge)).build();
        T2cException e = assertThrows(T2cException.class, () -> new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(m, "huge.onnx"));
        assertTrue(e.getMessage().contains("huge.onnx") && e.getMessage().contains("'w'"), e.getMessage());
        // A tensor whose declared size disagrees with its bytes.
        TensorProto lying = TensorProto.newBuilder().setName("v").setDataType(1).addDims(10)
                .setRawData(ByteString.copyFrom(new byte[8])).build();
        ModelProto m2 = base.toBuilder().setGraph(base.getGraph().toBuilder().addInitializer(lying)).build();
        T2cException e2 = assertThrows(T2cException.class, () -> new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(m2, "lie.onnx"));
        assertTrue(e2.getMessage().contains("holds 8 bytes"), e2.getMessage());
        // An input declaring an absurd shape.
        OnnxBuilder b = new OnnxBuilder("big", 13);
        b.output(b.node("Identity", b.input("x", DType.FLOAT32, 100_000, 100_000, 100_000)), DType.FLOAT32);
        T2cException e3 = assertThrows(T2cException.class, () -> new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(b.build(), "big.onnx"));
        assertTrue(e3.getMessage().contains("more than"), e3.getMessage());
    }

    @Test
    void unsupportedOpsAreAllListedWithTheirNodes() {
        OnnxBuilder b = new OnnxBuilder("u", 13);
        String x = b.input("x", DType.FLOAT32, 1, 4);
        String y = b.node("Identity", b.node("Celu", b.node("Selu", b.node("Celu", x))));
        b.output(y, DType.FLOAT32, 1, 4);
        T2cException e = assertThrows(T2cException.class,
                () -> new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(b.build(), "u.onnx"));
        assertTrue(e.getMessage().contains("Celu (nodes: celu_0, celu_2)"), e.getMessage());
        assertTrue(e.getMessage().contains("Selu (nodes: selu_1)"), e.getMessage());
    }

    @Test
    void constantNodesAndLegacyAttributesBecomeConstantInputs() {
        OnnxBuilder b = new OnnxBuilder("legacy", 11);
        String x = b.input("x", DType.FLOAT32, -1, 1, 4);
        String y = b.node("Squeeze", Attributes.of("axes", new long[] {1}), x);
        b.output(y, DType.FLOAT32, -1, 4);
        Graph g = new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(b.build(), "legacy.onnx");
        Node sq = g.nodes().get(0);
        assertEquals("Squeeze", sq.opType());
        assertEquals(2, sq.inputs().size());
        assertEquals(1L, g.initializer(sq.input(1)).getLong(0));
        assertTrue(!sq.attributes().has("axes"));
        Tensor out = new io.t2c.graph.Executor(g).run(Tensor.zeros(DType.FLOAT32, 3, 1, 4));
        assertEquals(Arrays.toString(new int[] {3, 4}), Arrays.toString(out.shape()));
    }

    @Test
    void externalDataIsRefused() {
        ModelProto base = identityModel();
        TensorProto ext = TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
        ModelProto m = base.toBuilder().setGraph(base.getGraph().toBuilder().addInitializer(ext)).build();
        T2cException e = assertThrows(T2cException.class, () -> new OnnxImporter(io.t2c.graph.op.OpRegistry.standard()).convert(m, "ext.onnx"));
        assertTrue(e.getMessage().contains("external file"), e.getMessage());
    }
}
