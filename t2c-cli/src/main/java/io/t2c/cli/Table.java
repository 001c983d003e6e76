package io.t2c.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with right-aligned numeric columns, for command summaries. */
final class Table {
    private final String[] header;
    private final boolean[] numeric;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        this.header = header;
        this.numeric = new boolean[header.length];
    }

    /** A fraction as a percentage cell, two decimals: 0.9293 → "92.93 %". */
    static String percent(double fraction) {
        return String.format("%.2f %%", 100 * fraction);
    }

    Table numeric(int... columns) {
        for (int c : columns) {
            numeric[c] = true;
        }
        return this;
    }

    void add(Object... cells) {
        String[] r = new String[header.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
        }
        rows.add(r);
    }

    void print(PrintWriter w) {
        int[] width = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            width[i] = header[i].length();
            for (String[] r : rows) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        line(w, header, width);
        StringBuilder sep = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
            sep.append(i == 0 ? "" : "  ").append("-".repeat(width[i]));
        }
        w.println(sep);
        for (String[] r : rows) {
            line(w, r, width);
        }
        w.flush();
    }

    private void line(PrintWriter w, String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append("  ");
            }
            String c = cells[i];
            String pad = " ".repeat(width[i] - c.length());
            sb.append(numeric[i] ? pad + c : (i == cells.length - 1 ? c : c + pad));
        }
        w.println(sb);
    }

    static String thousands(long v) {
        return String.format("%,d", v);
    }
}
