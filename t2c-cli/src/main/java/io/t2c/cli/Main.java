package io.t2c.cli;

import io.t2c.tensor.T2cException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code t2c} command. User errors ({@link T2cException}, bad flags) print one line to stderr and exit 2;
 * anything else is a bug and exits 70 with a short report.
 */
@Command(name = "t2c", mixinStandardHelpOptions = true, version = "t2c 0.1.0",
        description = "Torch2Chip for the JVM: import, run, quantize and convert neural networks to bit-exact integer models.",
        subcommands = {InspectCommand.class, RunCommand.class, EvalCommand.class, TrainCommand.class, PtqCommand.class,
                ConvertCommand.class, ExtractCommand.class, ExportCommand.class, QuickstartCommand.class,
                SweepCommand.class, ReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int USER_ERROR = 2;
    public static final int INTERNAL_ERROR = 70;
    static final int USAGE_WIDTH = 160;

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (tests call this). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = commandLine();
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setParameterExceptionHandler((ex, a) -> {
            err.println("t2c: error: " + ex.getMessage() + " (see: t2c " + commandPath(ex.getCommandLine()) + " --help)");
            return USER_ERROR;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            Throwable t = ex;
            if (t instanceof T2cException) {
                err.println("t2c: error: " + t.getMessage());
                return USER_ERROR;
            }
            if (t instanceof OutOfMemoryError) {
                err.println("t2c: error: out of memory; use a smaller batch or give the JVM more heap (JAVA_OPTS=-Xmx16g)");
                return USER_ERROR;
            }
            err.println("t2c: internal error (a bug, please report it): " + t);
            StackTraceElement[] st = t.getStackTrace();
            for (int i = 0; i < Math.min(8, st.length); i++) {
                err.println("    at " + st[i]);
            }
            return INTERNAL_ERROR;
        });
        return cmd.execute(args);
    }

    /**
     * The command tree. Help is 160 columns wide so that each example in a footer stays on one line and can be
     * copied as it is; wrapped at 80 it would break mid-command.
     */
    static CommandLine commandLine() {
        return new CommandLine(new Main()).setUsageHelpWidth(USAGE_WIDTH);
    }

    private static String commandPath(CommandLine c) {
        String name = c.getCommandName();
        return c.getParent() == null ? "" : name;
    }
}
