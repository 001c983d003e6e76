package io.t2c.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BatchesTest {
    private static int[] flatten(List<int[]> batches) {
        return batches.stream().flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void sequentialKeepsTheLastPartialBatch() {
        List<int[]> b = Batches.sequential(10, 4);
        assertEquals(3, b.size());
        assertArrayEquals(new int[] {8, 9}, b.get(2));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, flatten(b));
        assertEquals(0, Batches.sequential(0, 4).size());
        assertEquals(1, Batches.sequential(3, Integer.MAX_VALUE).size());
    }

    @Test
    void shuffledIsASeededPermutation() {
        List<int[]> a = Batches.shuffled(103, 10, 7L, 0, false);
        List<int[]> b = Batches.shuffled(103, 10, 7L, 0, false);
        assertEquals(11, a.size());
        assertEquals(3, a.get(10).length);
        assertArrayEquals(flatten(a), flatten(b));
        int[] sorted = flatten(a).clone();
        Arrays.sort(sorted);
        int[] identity = new int[103];
        Arrays.setAll(identity, i -> i);
        assertArrayEquals(identity, sorted);
        assertFalse(Arrays.equals(identity, flatten(a)));
        assertFalse(Arrays.equals(flatten(a), flatten(Batches.shuffled(103, 10, 7L, 1, false))));
        assertFalse(Arrays.equals(flatten(a), flatten(Batches.shuffled(103, 10, 8L, 0, false))));
    }

    @Test
    void dropLastLeavesOutThePartialBatch() {
        List<int[]> full = Batches.shuffled(103, 10, 7L, 0, false);
        List<int[]> dropped = Batches.shuffled(103, 10, 7L, 0, true);
        assertEquals(10, dropped.size());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(full.get(i), dropped.get(i));
        }
        assertEquals(0, Batches.shuffled(5, 10, 1L, 0, true).size());
        assertThrows(IllegalArgumentException.class, () -> Batches.sequential(5, 0));
    }
}
