package io.t2c.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report", description = "Write RUN/report.html: one self-contained page (opens offline) with the"
        + " summary table, per-layer SQNR, weight and activation histograms against each quantizer's grid, and the"
        + " accuracy against bit width of a sweep.",
        footer = {"%nExamples:%n  ./t2c report runs/quickstart", "  ./t2c report runs/sweep --json",
                "%nt2c ptq, convert, quickstart and sweep write it themselves at the end; run this after editing a run"
                        + " folder by hand or to refresh an old one."},
        mixinStandardHelpOptions = true)
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "run folder (t2c ptq / convert / quickstart) or sweep folder")
    Path run;

    @Option(names = "--json", description = "print one JSON object on stdout (human output goes to stderr)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Output o = new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        RunReport.Written r = RunReport.write(run);
        o.human().printf("wrote %s (%d charts, %s bytes)%n", r.path(), r.charts(), Table.thousands(r.bytes()));
        o.human().flush();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("path", r.path().toString());
        result.put("charts", r.charts());
        result.put("bytes", r.bytes());
        o.result(result);
        return 0;
    }
}
