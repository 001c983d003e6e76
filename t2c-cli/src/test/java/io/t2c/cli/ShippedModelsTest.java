package io.t2c.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's table of shipped models is the claim; this test is its evidence: every folder under models/ has a row,
 * `t2c eval` on the full Fashion-MNIST test set gives exactly the accuracy the row states, and all weights together
 * stay within the 8 MB budget.
 */
class ShippedModelsTest {
    static final Path ROOT = Path.of("..");
    /** A table row: | `models/NAME` | parameters | size | **93.48 %** | … */
    static final Pattern ROW = Pattern.compile("^\\| `models/([^`]+)` \\|[^|]*\\|[^|]*\\| \\*\\*([0-9]+\\.[0-9]{2}) %\\*\\* \\|",
            Pattern.MULTILINE);
    static final long BUDGET_BYTES = 8L * 1024 * 1024;

    static Map<String, String> readmeAccuracies() throws IOException {
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher m = ROW.matcher(Files.readString(ROOT.resolve("README.md")));
        while (m.find()) {
            rows.put(m.group(1), m.group(2));
        }
        return rows;
    }

    static TreeSet<String> shippedFolders() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("models"))) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void everyShippedModelHasAReadmeRowAndTheWeightsFitTheBudget() throws IOException {
        Map<String, String> rows = readmeAccuracies();
        assertEquals(shippedFolders(), new TreeSet<>(rows.keySet()), "models/ folders vs README rows");
        long bytes;
        try (Stream<Path> s = Files.walk(ROOT.resolve("models"))) {
            bytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(bytes <= BUDGET_BYTES, "shipped models take " + bytes + " bytes");
    }

    @Test
    void evalReproducesTheReadmeAccuracyOfEveryShippedModel() throws IOException {
        Map<String, String> rows = readmeAccuracies();
        assertTrue(rows.containsKey("resnet20_fmnist"), "README rows: " + rows.keySet());
        for (Map.Entry<String, String> row : rows.entrySet()) {
            CliTest.Result r = CliTest.t2c("eval", ROOT.resolve("models").resolve(row.getKey()).toString(),
                    "--data", "fashion-mnist:test", "--json");
            assertEquals(0, r.code(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            assertEquals(10_000, j.get("samples").asInt(), row.getKey());
            long expectedCorrect = Math.round(Double.parseDouble(row.getValue()) * 100);
            assertEquals(expectedCorrect, j.get("correct").asLong(), row.getKey() + ": README says " + row.getValue() + " %");
        }
    }
}
