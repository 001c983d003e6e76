package io.t2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.t2c.convert.LayerSqnr;
import io.t2c.graph.Executor;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.quant.FakeQuantOp;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * RUN/report.html: one self-contained page (inline CSS, charts as PNG data URIs, no links) with the run's summary,
 * per-layer SQNR, weight and activation histograms against each quantizer's grid, and the sweep when one ran there.
 */
final class RunReport {
    static final String FILE = "report.html";
    /** Samples run through the float graph for activation histograms: enough for a shape, cheap on a CPU. */
    private static final int ACTIVATION_SAMPLES = 16;
    /** Values per histogram; larger tensors are subsampled with a fixed stride. */
    private static final int MAX_VALUES = 200_000;

    private final Path run;
    private final StringBuilder html = new StringBuilder();
    private int charts;

    private RunReport(Path run) {
        this.run = run;
    }

    /** What was written: the page and how many charts it embeds. */
    record Written(Path path, int charts, long bytes) {}

    /**
     * The report at the end of another command: its failure is a warning, since the command's own results are
     * already written and valid.
     */
    static void writeAfterCommand(Path run, java.io.PrintWriter human) {
        try {
            human.printf("wrote %s%n", write(run).path());
        } catch (IOException | RuntimeException e) {
            human.printf("t2c: warning: %s not written (%s); retry with ./t2c report %s%n", FILE, e, run);
        }
    }

    static Written write(Path run) throws IOException {
        Path ptqDir = run.resolve("ptq");
        if (!Files.isDirectory(ptqDir) && !Files.exists(run.resolve(SweepCommand.RESULTS))) {
            throw new T2cException(run + " is not a run folder (no ptq/ and no " + SweepCommand.RESULTS + "); run t2c ptq"
                    + " or t2c sweep into it first");
        }
        RunReport r = new RunReport(run);
        r.build();
        Path target = run.resolve(FILE);
        Path tmp = run.resolve(FILE + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, r.html);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return new Written(target, r.charts, Files.size(target));
    }

    private void build() throws IOException {
        String title = "t2c report: " + run.toAbsolutePath().normalize().getFileName();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>").append(CSS).append("</style></head><body>\n<h1>").append(esc(title))
                .append("</h1>\n<p class=\"meta\">").append(esc(run.toAbsolutePath().normalize().toString()))
                .append(" · written ").append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append("</p>\n");
        List<Path> ptqRuns = ptqRuns();
        JsonNode convert = readJson(run.resolve("t2c/summary.json"));
        if (!ptqRuns.isEmpty()) {
            summary(ptqRuns, convert);
        }
        JsonNode quickstart = readJson(run.resolve(QuickstartCommand.RESULT));
        if (quickstart != null && quickstart.has("seconds")) {
            stageTimes(quickstart.get("seconds"));
        }
        if (convert != null && convert.has("sqnr_db")) {
            sqnr(convert.get("sqnr_db"));
        }
        JsonNode sweep = readJson(run.resolve(SweepCommand.RESULTS));
        if (sweep != null) {
            sweep(sweep);
        }
        for (Path p : ptqRuns) {
            histograms(p);
        }
        html.append("</body></html>\n");
    }

    private List<Path> ptqRuns() throws IOException {
        Path dir = run.resolve("ptq");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p.resolve("model"))).sorted().toList();
        }
    }

    private void summary(List<Path> ptqRuns, JsonNode convert) throws IOException {
        String converted = convert == null ? null
                : Path.of(convert.get("paths").get("fakequant").asText()).getParent().getFileName().toString();
        html.append("<h2>Summary</h2>\n<table><tr><th>PTQ result</th><th>bits</th><th>FP32 top-1</th>"
                + "<th>fake-quant top-1</th><th>integer top-1</th><th>agreement fake-quant vs FP32</th>"
                + "<th>agreement integer vs fake-quant</th><th>bit-exact ops</th><th>samples</th>"
                + "<th>calibration</th><th>reconstruction</th></tr>\n");
        for (Path p : ptqRuns) {
            JsonNode s = readJson(p.resolve("summary.json"));
            String name = p.getFileName().toString();
            boolean hasInteger = name.equals(converted);
            html.append("<tr><td>").append(esc(name)).append("</td>");
            cell(s == null ? "" : "W" + s.path("wbit").asText() + "A" + s.path("abit").asText());
            cell(pct(s, "fp32_top1"));
            cell(pct(s, "fakequant_top1"));
            cell(hasInteger ? pct(convert, "integer_top1") : "");
            cell(pct(s, "agreement"));
            cell(hasInteger ? pct(convert, "agreement") : "");
            cell(hasInteger ? convert.get("bit_exact").asInt() + "/" + convert.get("ops").asInt() : "");
            cell(s != null && s.has("samples") ? Table.thousands(s.get("samples").asLong()) : "");
            cell(seconds(s, "calibration_seconds"));
            cell(seconds(s, "reconstruction_seconds"));
            html.append("</tr>\n");
        }
        html.append("</table>\n");
        if (convert != null) {
            html.append("<p>Integer model: requantization multiplier of ").append(convert.path("requant_bits").asInt())
                    .append(" bits, rounding ").append(esc(convert.path("rounding").asText()))
                    .append("; bit-exact check on ").append(convert.path("check_samples").asInt())
                    .append(" samples.</p>\n");
        }
    }

    private void stageTimes(JsonNode seconds) {
        html.append("<h2>Stage times (t2c quickstart)</h2>\n<table><tr><th>stage</th><th>time</th></tr>\n");
        seconds.fields().forEachRemaining(e -> html.append("<tr><td>").append(esc(e.getKey())).append("</td><td>")
                .append(String.format("%.1f s", e.getValue().asDouble())).append("</td></tr>\n"));
        html.append("</table>\n");
    }

    private void sqnr(JsonNode sqnrDb) throws IOException {
        Map<String, Double> finite = new LinkedHashMap<>();
        List<String> exact = new ArrayList<>();
        sqnrDb.fields().forEachRemaining(e -> {
            double db = e.getValue().asDouble();
            if (Double.isFinite(db)) {
                finite.put(e.getKey(), db);
            } else {
                exact.add(e.getKey());
            }
        });
        html.append("<h2>Per-layer SQNR</h2>\n");
        if (!finite.isEmpty()) {
            figure(Charts.sqnrBars(finite), "SQNR of each integer layer's output against the float model's (t2c convert)");
        }
        if (!exact.isEmpty()) {
            html.append("<p>Equal to float (infinite SQNR, not drawn): ").append(esc(String.join(", ", exact)))
                    .append("</p>\n");
        }
    }

    private void sweep(JsonNode sweep) throws IOException {
        html.append("<h2>Sweep</h2>\n");
        SweepCommand.Grid grid = SweepCommand.Grid.fromJson(sweep);
        html.append(grid.html());
        List<Charts.Point> points = grid.points();
        if (!points.isEmpty()) {
            figure(Charts.accuracyVsBits(points), "fake-quant top-1 against weight bit width, per method");
        }
    }

    /** Weight and activation histograms of every quantized layer of one PTQ result, with the grid overlaid. */
    private void histograms(Path ptqRun) throws IOException {
        Graph fakeQuant = ModelBundle.read(ptqRun.resolve("model"));
        List<Node> quantizers = fakeQuant.nodes().stream().filter(n -> n.opType().equals(FakeQuantOp.NAME)).toList();
        html.append("<h2>Quantizers of ").append(esc(ptqRun.getFileName().toString())).append("</h2>\n");
        Map<String, Tensor> activations = activationSamples(ptqRun, fakeQuant, quantizers);
        for (Node q : quantizers) {
            String role = q.attributes().getString("role", "activation");
            Tensor x = role.equals("weight") ? fakeQuant.initializer(q.input(0)) : activations.get(q.input(0));
            if (x == null || x.dtype() != DType.FLOAT32) {
                continue;
            }
            QuantGrid grid = QuantGrid.of(q, fakeQuant);
            String title = role + " " + q.input(0) + " (" + q.attributes().getString("quantizer", "?") + ", "
                    + q.attributes().getInt("bits", 0) + " bits)";
            figure(Charts.histogram(title, subsample(x.floats()), grid.levels()), esc(title) + "; " + esc(grid.caption()));
        }
    }

    /** The float value each activation quantizer reads, on the first samples of the run's calibration data. */
    private Map<String, Tensor> activationSamples(Path ptqRun, Graph fakeQuant, List<Node> quantizers) {
        JsonNode s = readJson(ptqRun.resolve("summary.json"));
        String data = s == null ? null : s.has("calibration_data") ? s.get("calibration_data").asText()
                : s.has("dataset") ? s.get("dataset").asText() : null;
        if (data == null) {
            html.append("<p>No dataset recorded in summary.json: activation histograms are left out.</p>\n");
            return Map.of();
        }
        Dataset dataset;
        try {
            dataset = Datasets.open(data);
        } catch (T2cException e) {
            html.append("<p>Activation histograms are left out: ").append(esc(e.getMessage())).append("</p>\n");
            return Map.of();
        }
        Graph fp = LayerSqnr.floatModel(fakeQuant);
        String input = fp.inputs().get(0).name();
        Tensor batch = dataset.batch(0, Math.min(ACTIVATION_SAMPLES, dataset.size())).images();
        List<String> wanted = quantizers.stream().filter(q -> !q.attributes().getString("role", "").equals("weight"))
                .map(q -> q.input(0)).distinct().toList();
        List<Value> outputs = wanted.stream().filter(v -> !v.equals(input)).map(v -> new Value(v, DType.FLOAT32, null))
                .toList();
        Map<String, Tensor> values = new LinkedHashMap<>();
        if (!outputs.isEmpty()) {
            values.putAll(new Executor(new Graph(fp.name(), fp.inputs(), outputs, fp.nodes(), fp.initializers(),
                    fp.metadata())).run(Map.of(input, batch)));
        }
        if (wanted.contains(input)) {
            values.put(input, batch);
        }
        return values;
    }

    private static float[] subsample(float[] v) {
        if (v.length <= MAX_VALUES) {
            return v;
        }
        int stride = (v.length + MAX_VALUES - 1) / MAX_VALUES;
        float[] out = new float[(v.length + stride - 1) / stride];
        for (int i = 0; i < out.length; i++) {
            out[i] = v[i * stride];
        }
        return out;
    }

    private void figure(byte[] png, String captionHtml) {
        charts++;
        html.append("<figure><img alt=\"chart\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\"><figcaption>").append(captionHtml)
                .append("</figcaption></figure>\n");
    }

    private void cell(String text) {
        html.append("<td>").append(esc(text)).append("</td>");
    }

    private static String pct(JsonNode j, String key) {
        return j != null && j.has(key) ? Table.percent(j.get(key).asDouble()) : "";
    }

    private static String seconds(JsonNode j, String key) {
        return j != null && j.has(key) ? String.format("%.1f s", j.get(key).asDouble()) : "";
    }

    private static JsonNode readJson(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Output.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new T2cException("cannot read " + file + ": " + e.getMessage().lines().findFirst().orElse("")
                    + "; rerun the command that wrote it");
        }
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = """
            body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
            h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
            .meta{color:#666}table{border-collapse:collapse;margin:.6em 0}
            th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f3f3}
            td:first-child,th:first-child{text-align:left}
            figure{display:inline-block;margin:.6em;vertical-align:top}figcaption{font-size:.85em;color:#555;max-width:640px}
            """;
}
