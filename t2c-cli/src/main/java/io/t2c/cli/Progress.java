package io.t2c.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise (logs, CI).
 * Silent when the total is tiny.
 */
final class Progress {
    private final PrintWriter err;
    private final String label;
    private final int total;
    private final boolean terminal = System.console() != null;
    private final long start = System.nanoTime();
    private int lastDecile = -1;

    Progress(PrintWriter err, String label, int total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    void update(int done, String extra) {
        if (total <= 0) {
            return;
        }
        double f = Math.min(1, (double) done / total);
        double secs = (System.nanoTime() - start) / 1e9;
        String line = String.format("%s [%-30s] %3.0f%% %d/%d %.1fs%s", label, "=".repeat((int) (f * 30)), f * 100, done,
                total, secs, extra == null ? "" : " " + extra);
        if (terminal) {
            err.print("\r" + line + (done >= total ? "\n" : ""));
            err.flush();
        } else {
            int decile = (int) (f * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                err.println(line);
                err.flush();
            }
        }
    }
}
