package io.t2c.io.tensorfile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Shared test helpers: fixture paths, random tensors of every dtype, tensor equality, error assertions. */
final class Fixtures {
    /** Shapes for round trips: scalar, empty, odd sizes, ones. */
    static final List<int[]> SHAPES = List.of(new int[] {}, new int[] {0}, new int[] {3}, new int[] {2, 3},
            new int[] {2, 0, 4}, new int[] {1, 1, 1, 5}, new int[] {4, 3, 2, 1}, new int[] {7, 5});

    private Fixtures() {}

    static Path resource(String name) {
        URL url = Fixtures.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A tensor of {@code t} with seeded random values over the type's whole range (NaN/inf included for floats). */
    static Tensor random(DType t, Random rnd, int... shape) {
        Tensor z = Tensor.zeros(t, shape);
        int n = z.size();
        switch (t) {
            case FLOAT32 -> {
                float[] f = z.floats();
                for (int i = 0; i < n; i++) {
                    f[i] = switch (rnd.nextInt(10)) {
                        case 0 -> Float.NaN;
                        case 1 -> Float.NEGATIVE_INFINITY;
                        case 2 -> Float.intBitsToFloat(rnd.nextInt());
                        default -> (float) rnd.nextGaussian();
                    };
                }
            }
            case INT8, UINT8 -> rnd.nextBytes(z.bytes());
            case BOOL -> {
                byte[] b = z.bytes();
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) rnd.nextInt(2);
                }
            }
            case INT16 -> {
                short[] s = z.shorts();
                for (int i = 0; i < n; i++) {
                    s[i] = (short) rnd.nextInt();
                }
            }
            case INT32 -> {
                int[] v = z.ints();
                for (int i = 0; i < n; i++) {
                    v[i] = rnd.nextInt();
                }
            }
            case INT64 -> {
                long[] v = z.longs();
                for (int i = 0; i < n; i++) {
                    v[i] = rnd.nextLong();
                }
            }
        }
        return z;
    }

    /** Same dtype, shape and bits (NaN equals NaN). */
    static void assertTensorEquals(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        assertTrue(Arrays.deepEquals(new Object[] {expected.data()}, new Object[] {actual.data()}),
                () -> what + " values differ: expected " + Arrays.toString(expected.toDoubleArray()) + " got "
                        + Arrays.toString(actual.toDoubleArray()));
    }

    /** Asserts a T2cException whose message contains every fragment; returns the message. */
    static String assertFails(Executable call, String... fragments) {
        T2cException e = assertThrows(T2cException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message should contain '" + f + "': " + e.getMessage());
        }
        return e.getMessage();
    }
}
