package io.t2c.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.t2c.convert.export.CCheck;
import io.t2c.convert.export.CExport;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The C reference (t2c export --to c) compiled with gcc and compared bit for bit with our integer executor. */
class CExportTest {
    static Dataset test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void data() {
        test = Datasets.open("fashion-mnist:test");
    }

    static Path gcc() {
        var gcc = CCheck.gcc();
        Assumptions.assumeTrue(gcc.isPresent(), "gcc is not on the PATH");
        return gcc.get();
    }

    /** Writes the C reference, compiles it at -O1 and runs it on the images; returns the report. */
    CCheck.Report check(Graph ig, Tensor images, String name) throws IOException {
        Path gcc = gcc();
        CExport.Result r = CExport.write(ig, tmp.resolve(name));
        assertTrue(r.written());
        CCheck.Report report = CCheck.run(gcc, r.dir(), ig, images, 1);
        System.out.printf("%s: C reference %d/%d samples bit-exact (compiled in %.1f s), ops %s%n", name,
                report.exactSamples(), report.samples(), report.compileSeconds(), r.ops());
        assertNull(report.firstMismatch(), name);
        assertEquals(report.samples(), report.exactSamples());
        return report;
    }

    @Test
    void exampleCnnIsBitExact() throws IOException {
        Graph ig = LowerToInteger.run(ConvertCnnTest.fakeQuant(8), LowerToInteger.Options.defaults());
        check(ig, test.batch(0, 8).images(), "fashion_cnn");
    }
}
