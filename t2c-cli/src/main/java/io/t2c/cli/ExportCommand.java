package io.t2c.cli;

import io.t2c.convert.export.ExportCheck;
import io.t2c.convert.export.OnnxExport;
import io.t2c.convert.export.OnnxRunner;
import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.data.Dataset;
import io.t2c.io.data.Datasets;
import io.t2c.tensor.T2cException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", description = "Write the integer model as ONNX: the exact style (integer ONNX ops, bit for"
        + " bit our arithmetic) or the QOperator style (QLinearConv, Quantize/DequantizeLinear; float requantization,"
        + " not bit-exact by construction).",
        footer = {"%nExamples:%n  ./t2c export runs/cnn --to onnx", "  ./t2c export runs/cnn --to onnx --style qoperator"
                + " --out cnn-qop.onnx --json",
                "%nReads RUN/t2c/model (t2c convert); writes RUN/t2c/model.onnx. When ONNX Runtime is on the class"
                        + " path the export is run on --samples real samples and compared with our integer model."},
        mixinStandardHelpOptions = true)
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "run folder with an integer model (t2c convert)")
    Path run;

    @Option(names = "--to", paramLabel = "FORMAT", required = true, description = "onnx")
    String to;

    @Option(names = "--style", paramLabel = "STYLE", defaultValue = "exact",
            description = "exact or qoperator (default ${DEFAULT-VALUE})")
    String style;

    @Option(names = "--out", paramLabel = "FILE", description = "default RUN/t2c/model.onnx")
    Path out;

    @Option(names = "--data", paramLabel = "DATASET", defaultValue = "fashion-mnist:test",
            description = "samples for the check against ONNX Runtime (default ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "16",
            description = "the first N samples of the dataset (default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        if (!to.equals("onnx")) {
            throw new T2cException("--to " + to + " is not supported; use --to onnx");
        }
        OnnxExport.Style exportStyle = OnnxExport.Style.parse(style);
        if (samples < 1) {
            throw new T2cException("--samples must be at least 1, got " + samples);
        }
        Path model = run.resolve("t2c").resolve("model");
        if (!Files.isDirectory(model)) {
            throw new T2cException(run + " has no integer model (" + model + "); run t2c convert " + run + " first");
        }
        Graph integer = ModelBundle.read(model);
        OnnxExport.Result result = OnnxExport.export(integer, exportStyle);
        Path file = out != null ? out : run.resolve("t2c").resolve("model.onnx");
        OnnxExport.write(result.model(), file);

        var w = o.human();
        Table t = new Table("onnx op", "count");
        result.ops().forEach((op, n) -> t.add(op, String.valueOf(n)));
        t.print(w);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("path", file.toString());
        json.put("style", exportStyle.id());
        json.put("ops", result.ops());
        boolean differs = false;
        Optional<OnnxRunner> runner = OnnxRunner.find();
        if (runner.isEmpty()) {
            w.println("not checked against ONNX Runtime: it is not on the class path (the test suite runs the check)");
            json.put("bit_exact_vs_ort", null);
            json.put("top1_agreement", null);
        } else {
            Dataset dataset = Datasets.open(data);
            if (samples > dataset.size()) {
                throw new T2cException("--samples " + samples + " exceeds the " + dataset.size() + " samples of "
                        + dataset.name());
            }
            int[] indices = new int[samples];
            for (int i = 0; i < samples; i++) {
                indices[i] = i;
            }
            ExportCheck.Report r = ExportCheck.run(integer, result, dataset.batch(indices).images(), runner.get());
            if (exportStyle == OnnxExport.Style.EXACT) {
                w.printf("bit-exact vs ONNX Runtime: %d/%d samples (%d values each)%n", r.exactSamples(), r.samples(),
                        r.values());
                if (r.firstMismatch() != null) {
                    w.println("  first difference: " + r.firstMismatch());
                }
                json.put("bit_exact_vs_ort", r.exactSamples());
                differs = r.exactSamples() < r.samples();
            } else {
                w.printf("top-1 agreement with the integer model: %.2f %% on %d samples (float requantization: not"
                        + " bit-exact by construction; %d/%d samples equal)%n", 100 * r.agreement(), r.samples(),
                        r.exactSamples(), r.samples());
                json.put("bit_exact_vs_ort", null);
            }
            json.put("top1_agreement", r.agreement());
            json.put("samples", r.samples());
        }
        w.printf("wrote %s (%s style)%n", file, exportStyle.id());
        w.flush();
        o.result(json);
        return differs ? 1 : 0;
    }
}
