package io.t2c.tensor.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceAlsoInNestedLoops() {
        for (int n : new int[] {1, 2, 3, 17, 1000}) {
            for (int minChunk : new int[] {1, 4, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n * 3);
                Parallel.forRange(n, minChunk, (a, b) -> {
                    for (int i = a; i < b; i++) {
                        int outer = i;
                        Parallel.forRange(3, 1, (c, d) -> {
                            for (int j = c; j < d; j++) {
                                hits.incrementAndGet(outer * 3 + j);
                            }
                        });
                    }
                });
                for (int i = 0; i < hits.length(); i++) {
                    assertEquals(1, hits.get(i), "n " + n + " minChunk " + minChunk + " index " + i);
                }
            }
        }
    }

    @Test
    void aFailingChunkFailsTheLoopAndLeavesThePoolUsable() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1,
                (a, b) -> {
                    if (b == 1000) {
                        throw new IllegalStateException("last chunk");
                    }
                }));
        assertEquals("last chunk", e.getMessage());
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.forRange(100, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < 100; i++) {
            assertEquals(1, hits.get(i));
        }
    }
}
