package io.t2c.convert.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.t2c.io.onnx.OnnxBuilder;
import io.t2c.tensor.DType;
import io.t2c.tensor.Tensor;
import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The exported integer square root in ONNX Runtime against ⌊√v⌋ over the whole range it is proven for, [0, 2^62). */
class TransformerOnnxTest {
    @Test
    void isqrtIsTheFloorOfTheSquareRootUpTo2To62() {
        Random rnd = new Random(62);
        LongStream.Builder values = LongStream.builder();
        for (long v = 0; v < 4096; v++) {
            values.add(v);
        }
        // Around squares, where a double root is most likely truncated to the wrong side: k² − 1, k², k² + 1.
        long[] roots = {3, 94_906_265, 94_906_266, 1L << 26, (1L << 26) + 1, (1L << 31) - 1, (1L << 31) - 2};
        for (long k : roots) {
            values.add(k * k - 1).add(k * k).add(k * k + 1);
        }
        for (int i = 0; i < 20_000; i++) {
            long k = 1 + rnd.nextLong((1L << 31) - 1);
            values.add(k * k - 1).add(k * k).add(Math.min(k * k + 1, (1L << 62) - 1)).add(rnd.nextLong(1L << 62));
        }
        values.add((1L << 53) + 1).add((1L << 62) - 1);
        long[] v = values.build().toArray();

        OnnxBuilder b = new OnnxBuilder("isqrt", OnnxExport.OPSET);
        b.input("unused", DType.FLOAT32, 1);
        String root = TransformerOnnx.isqrt(b, b.constant("v", Tensor.ofLongs(v, v.length)));
        b.output(root, DType.INT64, v.length);
        long[] got = new OrtRunner().run(b.build().toByteArray(), "unused", Tensor.of(new float[] {0}, 1),
                List.of(root)).get(root).longs();
        for (int i = 0; i < v.length; i++) {
            assertEquals(BigInteger.valueOf(v[i]).sqrt().longValueExact(), got[i], "isqrt(" + v[i] + ")");
        }
    }
}
