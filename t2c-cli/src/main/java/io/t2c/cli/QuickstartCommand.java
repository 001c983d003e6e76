package io.t2c.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole flow in one command, as a script of the other commands run in this JVM with {@code --json}: each stage's
 * result object feeds the summary, its human output (tables, progress) goes to RUN/quickstart.log.
 */
@Command(name = "quickstart", description = "The whole Torch2Chip flow on the shipped ResNet-20 (Fashion-MNIST):"
        + " FP32 and W8A8 PTQ (minmax_channel + lsq), integer conversion with the bit-exact check, test vectors of"
        + " one sample, the ONNX export and the C reference (checked with gcc when present); one summary table,"
        + " RUN/report.html and every path written.",
        footer = {"%nExamples:%n  ./t2c quickstart", "  ./t2c quickstart --out runs/qs --json",
                "%nEach stage is also a command of its own: t2c ptq, t2c convert, t2c extract, t2c export (see their --help)."},
        mixinStandardHelpOptions = true)
final class QuickstartCommand implements Callable<Integer> {
    static final String SHIPPED_MODEL = "models/resnet20_fmnist";
    /** The result object, kept in the run folder for t2c report's stage times. */
    static final String RESULT = "quickstart.json";

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = "float model (default: the shipped " + SHIPPED_MODEL + ")")
    Path model;

    @Option(names = "--out", paramLabel = "RUN", defaultValue = "runs/quickstart", description = "run folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--limit", paramLabel = "N", description = "evaluate on the first N test images only (default: all 10,000)")
    int limit;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    /** One stage: its name, its command line, the JSON it returned and how long it took. */
    private record Stage(String name, JsonNode result, double seconds) {}

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        Path source = model != null ? model : Datasets.repoRoot().resolve(SHIPPED_MODEL);
        if (!Files.exists(source)) {
            throw new T2cException("the model " + source + " does not exist; give --model MODEL (a float ONNX model or"
                    + " bundle)");
        }
        Files.createDirectories(out);
        Path log = out.resolve("quickstart.log");
        Files.deleteIfExists(log);
        List<String> evalLimit = limit > 0 ? List.of("--limit", Integer.toString(limit)) : List.of();
        var w = o.human();
        List<Stage> stages = new ArrayList<>();
        stages.add(stage(w, log, "ptq W8A8", concat(List.of("ptq", source.toString(), "--out", out.toString(),
                "--data", "fashion-mnist:train", "--eval-data", "fashion-mnist:test", "--wq", "minmax_channel", "--aq",
                "lsq", "--wbit", "8", "--abit", "8", "--no-report"), evalLimit)));
        stages.add(stage(w, log, "convert", concat(List.of("convert", out.toString(), "--ptq", "minmax_channel_lsq",
                "--data", "fashion-mnist:test", "--no-report"), evalLimit)));
        stages.add(stage(w, log, "extract", List.of("extract", out.toString(), "--data", "fashion-mnist:test",
                "--samples", "1", "--format", "npy,hex,c")));
        stages.add(stage(w, log, "export", List.of("export", out.toString(), "--to", "onnx")));
        stages.add(stage(w, log, "export C", List.of("export", out.toString(), "--to", "c", "--samples", "4")));
        JsonNode ptq = stages.get(0).result();
        JsonNode convert = stages.get(1).result();
        JsonNode extract = stages.get(2).result();
        JsonNode export = stages.get(3).result();
        JsonNode exportC = stages.get(4).result();

        Table summary = new Table("model", "top-1", "agreement", "bit-exact").numeric(1, 2);
        summary.add("FP32", Table.percent(ptq.get("fp32_top1").asDouble()), "", "");
        summary.add("W8A8 fake-quant", Table.percent(convert.get("fakequant_top1").asDouble()),
                Table.percent(ptq.get("agreement").asDouble()) + " vs FP32", "");
        summary.add("W8A8 integer", Table.percent(convert.get("integer_top1").asDouble()),
                Table.percent(convert.get("agreement").asDouble()) + " vs fake-quant",
                convert.get("bit_exact").asInt() + "/" + convert.get("ops").asInt() + " ops");
        w.println();
        summary.print(w);
        Table times = new Table("stage", "time").numeric(1);
        stages.forEach(s -> times.add(s.name(), String.format("%.1f s", s.seconds())));
        times.print(w);
        String selfCheck = extract.get("self_check").asInt() + "/" + extract.get("ops").asInt() + " ops";
        w.printf("test vectors of 1 sample: self-check %s%n", selfCheck);
        JsonNode cExact = exportC.get("bit_exact_vs_c");
        w.println(cExact.isNull() ? "C reference: not checked (gcc is not on the PATH)"
                : "C reference: " + cExact.asInt() + "/" + exportC.get("samples").asInt() + " samples bit-exact");
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("fake-quant model", convert.get("paths").get("fakequant").asText());
        paths.put("integer model", convert.get("paths").get("integer").asText());
        paths.put("test vectors", extract.get("path").asText());
        paths.put("ONNX model", export.get("path").asText());
        paths.put("C reference", exportC.get("path").asText());
        paths.put("log", log.toString());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", source.toString());
        result.put("fp32_top1", ptq.get("fp32_top1").asDouble());
        result.put("fakequant_top1", convert.get("fakequant_top1").asDouble());
        result.put("integer_top1", convert.get("integer_top1").asDouble());
        result.put("agreement", convert.get("agreement").asDouble());
        result.put("bit_exact", convert.get("bit_exact").asInt());
        result.put("ops", convert.get("ops").asInt());
        result.put("self_check", extract.get("self_check").asInt());
        result.put("extracted_ops", extract.get("ops").asInt());
        result.put("c_bit_exact", cExact.isNull() ? null : cExact.asInt());
        result.put("c_samples", cExact.isNull() ? null : exportC.get("samples").asInt());
        Map<String, Double> seconds = new LinkedHashMap<>();
        stages.forEach(s -> seconds.put(s.name(), s.seconds()));
        result.put("seconds", seconds);
        Files.writeString(out.resolve(RESULT), Output.JSON.writeValueAsString(result));
        paths.put("report", RunReport.write(out).path().toString());
        result.put("paths", paths);
        paths.forEach((k, v) -> w.printf("%-17s %s%n", k + ":", v));
        w.flush();
        o.result(result);
        return convert.get("bit_exact").asInt() == convert.get("ops").asInt() ? 0 : 1;
    }

    /** Runs one command with --json; its human output is appended to the log; a failure stops the quickstart. */
    private Stage stage(PrintWriter w, Path log, String name, List<String> args) throws IOException {
        w.printf("%-10s t2c %s%n", name, String.join(" ", args));
        w.flush();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> withJson = new ArrayList<>(args);
        withJson.add("--json");
        long t0 = System.nanoTime();
        int code = Main.execute(withJson.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Files.writeString(log, "$ t2c " + String.join(" ", args) + System.lineSeparator() + err
                + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (code != 0 || out.toString().isBlank()) {
            String last = err.toString().strip().lines().reduce((a, b) -> b).orElse("no output")
                    .replaceFirst("^t2c: error: ", "");
            throw new T2cException("quickstart stage '" + name + "' failed (exit " + code + "): " + last + "; see " + log);
        }
        return new Stage(name, Output.JSON.readTree(out.toString()), seconds);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
