package io.t2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A grid of PTQ methods × bit widths over one or more models, as a script of {@code t2c ptq} (and
 * {@code t2c convert}) run in this JVM with {@code --json}; one cell's failure is recorded in its cell.
 */
@Command(name = "sweep", description = "Run PTQ for every model × method × bit width and write the paper-style"
        + " table (rows: models; columns: methods × bits; cells: top-1) as Markdown and CSV, with a chart.",
        footer = {"%nExamples:%n  ./t2c sweep examples/fashion_cnn.onnx --methods minmax_channel+lsq,adaround+qdrop"
                + " --bits W8A8,W4A4 --limit 1000",
                "  ./t2c sweep models/resnet20_fmnist examples/fashion_cnn.onnx --methods minmax_channel+lsq"
                        + " --bits W8A8,W6A6,W4A4 --integer --json",
                "%nA method is WQ+AQ (weight and activation quantizer, see t2c ptq --list); bits are WnAm.",
                "Writes DIR/sweep.md, DIR/sweep.csv, DIR/sweep.png, DIR/sweep.json, DIR/report.html and one run"
                        + " folder per cell under DIR/cells/<model>/<wq>_<aq>_<bits>/."},
        mixinStandardHelpOptions = true)
final class SweepCommand implements Callable<Integer> {
    static final String RESULTS = "sweep.json";
    private static final Pattern BITS = Pattern.compile("W(\\d+)A(\\d+)", Pattern.CASE_INSENSITIVE);

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", arity = "1..*", description = "float ONNX models or model bundles (table rows)")
    List<Path> models;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:train",
            description = "calibration data (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--eval-data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "evaluation data (default ${DEFAULT-VALUE})")
    String evalData;

    @Option(names = "--methods", paramLabel = "WQ+AQ,...", required = true, split = ",",
            description = "methods, e.g. minmax_channel+lsq,adaround+qdrop")
    List<String> methods;

    @Option(names = "--bits", paramLabel = "WnAm,...", required = true, split = ",",
            description = "bit widths, e.g. W8A8,W4A4")
    List<String> bits;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/sweep", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate on the first N samples only")
    int limit;

    @Option(names = "--samples", paramLabel = "N", description = "calibration samples per cell (t2c ptq --samples)")
    Integer samples;

    @Option(names = "--integer", description = "also convert each cell (t2c convert): integer top-1 and bit-exact ops")
    boolean integer;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    /** One cell's outcome; {@code error} is set when a stage failed, and the numbers it did not reach stay null. */
    record Cell(String model, String method, String bits, Double fp32Top1, Double fakequantTop1, Double integerTop1,
                Integer bitExact, Integer ops, String error, String run) {
        String text() {
            if (error != null) {
                return "error: " + error;
            }
            String fq = String.format("%.2f", 100 * fakequantTop1);
            return integerTop1 == null ? fq : fq + String.format(" (int %.2f, %d/%d exact)", 100 * integerTop1, bitExact, ops);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model);
            m.put("method", method);
            m.put("bits", bits);
            m.put("fp32_top1", fp32Top1);
            m.put("fakequant_top1", fakequantTop1);
            m.put("integer_top1", integerTop1);
            m.put("bit_exact", bitExact);
            m.put("ops", ops);
            m.put("error", error);
            m.put("run", run);
            return m;
        }

        static Cell fromJson(JsonNode j) {
            return new Cell(j.get("model").asText(), j.get("method").asText(), j.get("bits").asText(),
                    number(j, "fp32_top1"), number(j, "fakequant_top1"), number(j, "integer_top1"),
                    j.hasNonNull("bit_exact") ? j.get("bit_exact").asInt() : null,
                    j.hasNonNull("ops") ? j.get("ops").asInt() : null,
                    j.hasNonNull("error") ? j.get("error").asText() : null, j.get("run").asText());
        }

        private static Double number(JsonNode j, String key) {
            return j.hasNonNull(key) ? j.get(key).asDouble() : null;
        }
    }

    /** The table: rows are models, columns FP32 then method × bits in the order given. */
    record Grid(List<String> models, List<String> methods, List<String> bits, List<Cell> cells) {
        static Grid fromJson(JsonNode j) {
            List<Cell> cells = new ArrayList<>();
            j.get("cells").forEach(c -> cells.add(Cell.fromJson(c)));
            return new Grid(strings(j.get("models")), strings(j.get("methods")), strings(j.get("bits")), cells);
        }

        private static List<String> strings(JsonNode array) {
            List<String> s = new ArrayList<>();
            array.forEach(e -> s.add(e.asText()));
            return s;
        }

        List<String> header() {
            List<String> h = new ArrayList<>(List.of("model", "FP32"));
            methods.forEach(m -> bits.forEach(b -> h.add(m + " " + b)));
            return h;
        }

        List<List<String>> rows() {
            List<List<String>> rows = new ArrayList<>();
            for (String model : models) {
                List<String> row = new ArrayList<>(List.of(model, cells.stream().filter(c -> c.model().equals(model)
                        && c.fp32Top1() != null).findFirst().map(c -> String.format("%.2f", 100 * c.fp32Top1()))
                        .orElse("")));
                methods.forEach(m -> bits.forEach(b -> row.add(cells.stream().filter(c -> c.model().equals(model)
                        && c.method().equals(m) && c.bits().equals(b)).findFirst().map(Cell::text).orElse(""))));
                rows.add(row);
            }
            return rows;
        }

        String markdown() {
            StringBuilder sb = new StringBuilder();
            sb.append(mdRow(header())).append('|').append(" --- |".repeat(header().size())).append('\n');
            rows().forEach(r -> sb.append(mdRow(r)));
            return sb.toString();
        }

        private static String mdRow(List<String> cells) {
            return "| " + String.join(" | ", cells.stream().map(c -> c.replace("|", "\\|")).toList()) + " |\n";
        }

        String csv() {
            StringBuilder sb = new StringBuilder();
            sb.append(csvRow(header()));
            rows().forEach(r -> sb.append(csvRow(r)));
            return sb.toString();
        }

        private static String csvRow(List<String> cells) {
            return String.join(",", cells.stream().map(c -> c.matches(".*[\",\\n].*")
                    ? "\"" + c.replace("\"", "\"\"") + "\"" : c).toList()) + "\n";
        }

        String html() {
            StringBuilder sb = new StringBuilder("<table><tr>");
            header().forEach(h -> sb.append("<th>").append(RunReport.esc(h)).append("</th>"));
            sb.append("</tr>\n");
            for (List<String> r : rows()) {
                sb.append("<tr>");
                r.forEach(c -> sb.append("<td>").append(RunReport.esc(c)).append("</td>"));
                sb.append("</tr>\n");
            }
            return sb.append("</table>\n<p>Cells: fake-quant top-1 in %").append(cells.stream()
                    .anyMatch(c -> c.integerTop1() != null) ? "; int: the integer model's top-1 and its bit-exact ops" : "")
                    .append(".</p>\n").toString();
        }

        /** Successful cells as chart points; the series is the method, prefixed by the model when several. */
        List<Charts.Point> points() {
            List<Charts.Point> p = new ArrayList<>();
            for (Cell c : cells) {
                if (c.error() == null) {
                    String series = models.size() > 1 ? c.model() + " · " + c.method() : c.method();
                    p.add(new Charts.Point(series, weightBits(c.bits()), c.fakequantTop1()));
                }
            }
            return p;
        }
    }

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        for (String m : methods) {
            if (!m.matches("[^+\\s]+\\+[^+\\s]+")) {
                throw new T2cException("--methods: '" + m + "' is not WQ+AQ; e.g. --methods minmax_channel+lsq,adaround+qdrop");
            }
        }
        bits.forEach(SweepCommand::weightBits);
        for (Path m : models) {
            if (!Files.exists(m)) {
                throw new T2cException("the model " + m + " does not exist; give float ONNX models or bundles, e.g."
                        + " ./t2c sweep examples/fashion_cnn.onnx --methods minmax_channel+lsq --bits W8A8");
            }
        }
        Files.createDirectories(out);
        Path log = out.resolve("sweep.log");
        Files.deleteIfExists(log);
        var w = o.human();
        List<String> modelNames = models.stream().map(SweepCommand::modelName).toList();
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            for (String method : methods) {
                for (String b : bits) {
                    Cell c = runCell(w, log, models.get(i), modelNames.get(i), method, b);
                    cells.add(c);
                    w.printf("  %s %s %s: %s%n", modelNames.get(i), method, b, c.text());
                    w.flush();
                }
            }
        }
        Grid grid = new Grid(modelNames, methods, bits, cells);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("models", modelNames);
        result.put("methods", methods);
        result.put("bits", bits);
        result.put("cells", cells.stream().map(Cell::toMap).toList());
        Files.writeString(out.resolve(RESULTS), Output.JSON.writeValueAsString(result));
        Files.writeString(out.resolve("sweep.md"), grid.markdown());
        Files.writeString(out.resolve("sweep.csv"), grid.csv());
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("markdown", out.resolve("sweep.md").toString());
        paths.put("csv", out.resolve("sweep.csv").toString());
        if (!grid.points().isEmpty()) {
            Files.write(out.resolve("sweep.png"), Charts.accuracyVsBits(grid.points()));
            paths.put("chart", out.resolve("sweep.png").toString());
        }
        paths.put("report", RunReport.write(out).path().toString());
        paths.put("log", log.toString());

        w.println();
        Table t = new Table(grid.header().toArray(String[]::new));
        grid.rows().forEach(r -> t.add(r.toArray()));
        t.print(w);
        paths.forEach((k, v) -> w.printf("%-9s %s%n", k + ":", v));
        w.flush();
        result.put("paths", paths);
        o.result(result);
        return cells.stream().anyMatch(c -> c.error() != null) ? 1 : 0;
    }

    /** ptq (and convert) of one cell into its own run folder; a failing stage ends the cell, not the sweep. */
    private Cell runCell(PrintWriter w, Path log, Path model, String modelName, String method, String b)
            throws IOException {
        String[] wqAq = method.split("\\+");
        Matcher m = BITS.matcher(b);
        m.matches();
        Path run = out.resolve("cells").resolve(modelName).resolve(wqAq[0] + "_" + wqAq[1] + "_" + b.toUpperCase());
        List<String> ptq = new ArrayList<>(List.of("ptq", model.toString(), "--out", run.toString(), "--data", data,
                "--eval-data", evalData, "--wq", wqAq[0], "--aq", wqAq[1], "--wbit", m.group(1), "--abit", m.group(2),
                "--no-report"));
        if (samples != null) {
            ptq.addAll(List.of("--samples", samples.toString()));
        }
        if (limit > 0) {
            ptq.addAll(List.of("--limit", Integer.toString(limit)));
        }
        w.printf("%s %s %s: t2c %s%n", modelName, method, b, String.join(" ", ptq));
        w.flush();
        Stage p = stage(log, ptq);
        if (p.error() != null) {
            return new Cell(modelName, method, b, null, null, null, null, null, p.error(), run.toString());
        }
        Double fp32 = p.result().get("fp32_top1").asDouble();
        Double fq = p.result().get("fakequant_top1").asDouble();
        if (!integer) {
            return new Cell(modelName, method, b, fp32, fq, null, null, null, null, run.toString());
        }
        List<String> convert = new ArrayList<>(List.of("convert", run.toString(), "--data", evalData, "--no-report"));
        if (limit > 0) {
            convert.addAll(List.of("--limit", Integer.toString(limit)));
        }
        Stage c = stage(log, convert);
        if (c.error() != null) {
            return new Cell(modelName, method, b, fp32, fq, null, null, null, c.error(), run.toString());
        }
        return new Cell(modelName, method, b, fp32, fq, c.result().get("integer_top1").asDouble(),
                c.result().get("bit_exact").asInt(), c.result().get("ops").asInt(), null, run.toString());
    }

    /** A command's JSON result, or the one-line error it ended with. */
    private record Stage(JsonNode result, String error) {}

    /**
     * Runs one command with --json in this JVM and appends its human output to the log. Exit 1 with a result
     * (convert: not every op bit-exact) is an outcome to report, not a failure.
     */
    private static Stage stage(Path log, List<String> args) throws IOException {
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        List<String> withJson = new ArrayList<>(args);
        withJson.add("--json");
        int code = Main.execute(withJson.toArray(String[]::new), new PrintWriter(stdout, true),
                new PrintWriter(stderr, true));
        Files.writeString(log, "$ t2c " + String.join(" ", args) + System.lineSeparator() + stderr
                + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        if (code > 1 || stdout.toString().isBlank()) {
            return new Stage(null, stderr.toString().strip().lines().reduce((a, b) -> b).orElse("exit " + code)
                    .replaceFirst("^t2c: error: ", ""));
        }
        return new Stage(Output.JSON.readTree(stdout.toString()), null);
    }

    static int weightBits(String b) {
        Matcher m = BITS.matcher(b);
        if (!m.matches()) {
            throw new T2cException("--bits: '" + b + "' is not WnAm; e.g. --bits W8A8,W4A4");
        }
        return Integer.parseInt(m.group(1));
    }

    private static String modelName(Path model) {
        String name = model.toAbsolutePath().normalize().getFileName().toString();
        return name.endsWith(".onnx") ? name.substring(0, name.length() - ".onnx".length()) : name;
    }
}
