package io.t2c.cli;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The charts of reports and sweeps, rendered headless to PNG bytes (XChart). */
final class Charts {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 320;
    private static final int BINS = 80;
    /** Beyond 6 bits the level markers merge into a solid bar; only the clipping range is drawn then. */
    private static final int MAX_GRID_MARKERS = 64;

    static {
        // Rendering needs no display: CI machines and servers have none.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** One accuracy line per series name, against bit width; the y axis is top-1 in percent. */
    record Point(String series, int bits, double top1) {}

    /**
     * A histogram of {@code values} with the quantization grid below it: a marker at each representable level
     * ({@code grid}, dequantized) and the clipping range as two vertical lines.
     */
    static byte[] histogram(String title, float[] values, double[] grid) throws IOException {
        double lo = grid.length > 0 ? Math.min(grid[0], min(values)) : min(values);
        double hi = grid.length > 0 ? Math.max(grid[grid.length - 1], max(values)) : max(values);
        if (hi <= lo) {
            hi = lo + 1;
        }
        double width = (hi - lo) / BINS;
        double[] counts = new double[BINS];
        for (float v : values) {
            counts[(int) Math.min(BINS - 1, Math.max(0, (v - lo) / width))]++;
        }
        double[] x = new double[BINS];
        for (int i = 0; i < BINS; i++) {
            x[i] = lo + i * width;
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("value")
                .yAxisTitle("count").build();
        style(chart.getStyler());
        XYSeries bars = chart.addSeries("values (" + Table.thousands(values.length) + ")", x, counts);
        bars.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
        bars.setMarker(SeriesMarkers.NONE);
        if (grid.length > 0) {
            double peak = 0;
            for (double c : counts) {
                peak = Math.max(peak, c);
            }
            if (grid.length <= MAX_GRID_MARKERS) {
                XYSeries levels = chart.addSeries("grid (" + grid.length + " levels)", grid, new double[grid.length]);
                levels.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                levels.setMarker(SeriesMarkers.DIAMOND);
                levels.setMarkerColor(Color.RED);
            }
            XYSeries clip = chart.addSeries("clipping range", new double[] {grid[0], grid[0], Double.NaN,
                    grid[grid.length - 1], grid[grid.length - 1]}, new double[] {0, peak, Double.NaN, 0, peak});
            clip.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            clip.setMarker(SeriesMarkers.NONE);
            clip.setLineColor(Color.RED);
        }
        return png(chart);
    }

    /** One bar per layer: its SQNR in dB. */
    static byte[] sqnrBars(Map<String, Double> sqnrDb) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(WIDTH, 28 * sqnrDb.size())).height(HEIGHT + 120)
                .title("SQNR per layer (integer vs float)").xAxisTitle("layer").yAxisTitle("SQNR dB").build();
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.addSeries("SQNR dB", new ArrayList<>(sqnrDb.keySet()), new ArrayList<>(sqnrDb.values()));
        return png(chart);
    }

    /** Accuracy against bit width, one line per series (a method, or model · method when several models). */
    static byte[] accuracyVsBits(List<Point> points) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT + 40).title("top-1 against weight bit width")
                .xAxisTitle("weight bits").yAxisTitle("top-1 %").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        for (String series : points.stream().map(Point::series).distinct().toList()) {
            List<Point> line = points.stream().filter(p -> p.series().equals(series))
                    .sorted(java.util.Comparator.comparingInt(Point::bits)).toList();
            XYSeries s = chart.addSeries(series, line.stream().mapToDouble(Point::bits).toArray(),
                    line.stream().mapToDouble(p -> 100 * p.top1()).toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return png(chart);
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
    }

    private static byte[] png(Chart<?, ?> chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static double min(float[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (float f : v) {
            m = Math.min(m, f);
        }
        return v.length == 0 ? 0 : m;
    }

    private static double max(float[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (float f : v) {
            m = Math.max(m, f);
        }
        return v.length == 0 ? 0 : m;
    }
}
