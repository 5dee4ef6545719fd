package io.gradsweep.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;

import org.apache.commons.math3.stat.descriptive.rank.Percentile;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.LengthConstraintType;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.title.Title;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.Size2D;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * PNG pictures of gradient health: per-time-step gradient profiles ||dL/dh_t|| (heatmap over
 * training, line charts, small multiples) and loss curves. Every method returns the PNG bytes;
 * nothing is written to disk. Works headless.
 */
public final class GradientCharts {

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /**
     * One cell of a {@link #smallMultiples} grid: a title, its named profiles (one line each) and its bands (one
     * shaded band with its median line each, drawn beneath the lines).
     */
    public record Panel(String title, Map<String, double[]> profiles, List<Band> bands) {
        public Panel {
            Objects.requireNonNull(profiles, "profiles");
            bands = List.copyOf(Objects.requireNonNull(bands, "bands"));
        }

        /** A panel of lines only. */
        public Panel(String title, Map<String, double[]> profiles) {
            this(title, profiles, List.of());
        }

        /** How many series the panel draws: its lines and its bands. */
        public int series() {
            return profiles.size() + bands.size();
        }
    }

    /**
     * A group of profiles drawn as one: at each time step the median of the group's ||dL/dh_t|| and the band from
     * the {@code low} to the {@code high} quantile. The profiles are aligned at their last step (the loss), so a
     * group may mix lengths; index i of the arrays is the i-th step of the longest. Where no profile has a finite
     * positive value, all three are NaN (nothing drawn).
     *
     * @param profiles how many profiles the band summarises
     */
    public record Band(String name, int profiles, double[] median, double[] low, double[] high) {
        public Band {
            Objects.requireNonNull(name, "name");
            if (median.length != low.length || median.length != high.length) {
                throw new IllegalArgumentException("band '" + name + "': median, low and high must have the same "
                    + "length, got " + median.length + ", " + low.length + ", " + high.length);
            }
            if (profiles < 1) {
                throw new IllegalArgumentException("band '" + name + "': profiles must be >= 1, got " + profiles);
            }
        }

        /**
         * The band of {@code profiles} between the quantiles {@code lowQ} and {@code highQ} (in (0, 1), e.g. 0.1
         * and 0.9; commons-math3's {@link Percentile}, estimation R_7: linear interpolation, as numpy's default).
         * Zero and non-finite values are left out of the quantiles of their step.
         */
        public static Band of(String name, List<double[]> profiles, double lowQ, double highQ) {
            if (profiles.isEmpty()) {
                throw new IllegalArgumentException("band '" + name + "' needs at least one profile");
            }
            if (!(lowQ > 0 && lowQ < 0.5 && highQ > 0.5 && highQ < 1)) {
                throw new IllegalArgumentException("band '" + name + "': quantiles must satisfy 0 < low < 0.5 < "
                    + "high < 1, got " + lowQ + " and " + highQ);
            }
            int n = longest(profiles);
            double[] med = new double[n];
            double[] lo = new double[n];
            double[] hi = new double[n];
            Percentile q = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
            double[] at = new double[profiles.size()];
            for (int i = 0; i < n; i++) {
                int back = n - 1 - i; // steps before the loss
                int k = 0;
                for (double[] p : profiles) {
                    int j = p.length - 1 - back;
                    if (j >= 0 && Double.isFinite(p[j]) && p[j] > 0) {
                        at[k++] = p[j];
                    }
                }
                if (k == 0) {
                    med[i] = lo[i] = hi[i] = Double.NaN;
                    continue;
                }
                q.setData(at, 0, k);
                med[i] = q.evaluate(50);
                lo[i] = q.evaluate(100 * lowQ);
                hi[i] = q.evaluate(100 * highQ);
            }
            return new Band(name, profiles.size(), med, lo, hi);
        }
    }

    public static final int WIDTH = 1000;
    public static final int HEIGHT = 600;
    public static final int PANEL_WIDTH = 460;
    public static final int PANEL_HEIGHT = 340;

    static final String TIME_AXIS = "time step t (loss at t = T-1)";
    static final String STEPS_BEFORE_LOSS_AXIS = "time step t - (T-1)  (loss at 0; profiles of any T aligned there)";
    static final String NORM_AXIS = "||dL/dh_t||  (log scale)";
    static final String COLOUR_AXIS = "log10 ||dL/dh_t||";
    /** Colour of zero / non-finite heatmap cells. */
    static final Color MISSING = new Color(0xD0, 0xD0, 0xD0);

    private static final String SANS = Font.SANS_SERIF;
    static final Color INK = new Color(0x20, 0x20, 0x20);
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);
    /** Qualitative line colours, chosen to stay apart from each other on white. */
    static final Color[] LINE_COLOURS = {
        new Color(0x1F, 0x5F, 0xB4), new Color(0xE0, 0x70, 0x10), new Color(0x2A, 0x9A, 0x3C),
        new Color(0xC8, 0x24, 0x32), new Color(0x7B, 0x4F, 0xB0), new Color(0x8A, 0x5A, 0x2B),
        new Color(0xD9, 0x5C, 0xB0), new Color(0x55, 0x55, 0x55), new Color(0xA8, 0xA0, 0x10),
        new Color(0x10, 0xA8, 0xC0),
    };
    static final float[][] DASHES = {null, {9f, 5f}, {2f, 4f}};
    /** Anchors of the heatmap colour ramp, dark to light (luminance rises monotonically). */
    private static final float[][] RAMP = {
        {0.12f, 0.05f, 0.30f}, {0.20f, 0.25f, 0.60f}, {0.10f, 0.52f, 0.58f},
        {0.35f, 0.74f, 0.36f}, {0.99f, 0.90f, 0.22f},
    };

    private GradientCharts() {
    }

    // ------------------------------------------------------------------ public pictures

    /**
     * Heatmap of the gradient profile over training: {@code norms[i][t]} is ||dL/dh_t|| at
     * training step {@code trainingSteps[i]}. Colour is log10 of the norm; zero and non-finite
     * cells are drawn grey.
     */
    public static byte[] profileHeatmap(String title, long[] trainingSteps, double[][] norms,
                                        String layerLabel) {
        Objects.requireNonNull(trainingSteps, "trainingSteps");
        Objects.requireNonNull(norms, "norms");
        if (norms.length == 0 || trainingSteps.length != norms.length) {
            throw new IllegalArgumentException("need one non-empty norms row per training step: "
                + trainingSteps.length + " steps, " + norms.length + " rows");
        }
        int rows = norms.length;
        int steps = norms[0].length;
        double[] x = new double[rows * steps];
        double[] y = new double[rows * steps];
        double[] z = new double[rows * steps];
        double[] finite = new double[rows * steps];
        int nFinite = 0;
        boolean zeros = false;
        boolean nonFinite = false;
        for (int i = 0; i < rows; i++) {
            if (norms[i].length != steps) {
                throw new IllegalArgumentException("row " + i + " has " + norms[i].length
                    + " time steps, row 0 has " + steps);
            }
            for (int t = 0; t < steps; t++) {
                int k = i * steps + t;
                double v = norms[i][t];
                x[k] = t;
                y[k] = i;
                if (Double.isFinite(v) && v > 0) {
                    z[k] = Math.log10(v);
                    finite[nFinite++] = z[k];
                } else {
                    z[k] = Double.NaN;
                    zeros |= v == 0;
                    nonFinite |= !(v == 0);
                }
            }
        }
        Range range = robustRange(Arrays.copyOf(finite, nFinite));
        Ramp ramp = new Ramp(range.getLowerBound(), range.getUpperBound());

        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("log10 norm", new double[][] {x, y, z});
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setBlockWidth(1);
        renderer.setBlockHeight(1);
        renderer.setBlockAnchor(RectangleAnchor.CENTER);
        renderer.setPaintScale(ramp);
        NumberAxis timeAxis = integerAxis(TIME_AXIS, steps);
        NumberAxis stepAxis = integerAxis("training step", rows);
        stepAxis.setNumberFormatOverride(new RowLabels(trainingSteps));
        XYPlot plot = new XYPlot(data, timeAxis, stepAxis, renderer);

        List<String> notes = new ArrayList<>();
        if (layerLabel != null && !layerLabel.isBlank()) {
            notes.add(layerLabel);
        }
        List<String> facts = new ArrayList<>();
        facts.add("T = " + steps + " time steps, " + rows + " recorded training steps");
        if (zeros || nonFinite) {
            facts.add("grey: " + (zeros && nonFinite ? "zero or non-finite gradient"
                : zeros ? "zero gradient" : "non-finite gradient")
                + (nFinite == 0 ? " (every cell)" : ""));
        }
        PaintScaleLegend legend = null;
        if (nFinite > 0) {
            NumberAxis colourAxis = new NumberAxis(COLOUR_AXIS);
            colourAxis.setRange(range);
            legend = new PaintScaleLegend(ramp, colourAxis);
            legend.setSubdivisionCount(256);
            legend.setStripWidth(18);
            legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
            legend.setAxisOffset(4);
            legend.setPosition(RectangleEdge.RIGHT);
            legend.setMargin(new RectangleInsets(30, 12, 30, 8));
        }
        notes.add(String.join("   \u00b7   ", facts));
        return png(chart(title, plot, 1.0, false, String.join("\n", notes), legend),
            WIDTH, HEIGHT);
    }

    /** One line per profile, x = time step t, y = ||dL/dh_t|| on a log axis. */
    public static byte[] profileLines(String title, Map<String, double[]> profiles) {
        Objects.requireNonNull(profiles, "profiles");
        XYPlot plot = profilePlot(profiles, List.of(), longest(profiles.values()), logRange(profiles.values()),
            colourIndex(profiles.keySet()), 1.0, false);
        return png(chart(title, plot, 1.0, true, skippedNote(profiles.values()), null), WIDTH, HEIGHT);
    }

    /**
     * A grid of small log-y profile charts with shared axes. Lines with the same name have the
     * same colour in every panel; when all panels show the same names, one common legend is drawn
     * at the bottom, otherwise each panel has its own.
     */
    public static byte[] smallMultiples(String title, List<Panel> panels, int columns) {
        return smallMultiples(title, panels, columns, false);
    }

    /**
     * As {@link #smallMultiples(String, List, int)}; with {@code alignAtLoss} every profile is drawn against
     * t - (T-1), so that profiles of different lengths T line up at their loss step (x = 0) and the x axis counts
     * the steps back from it.
     */
    public static byte[] smallMultiples(String title, List<Panel> panels, int columns, boolean alignAtLoss) {
        return smallMultiples(title, null, panels, columns, alignAtLoss);
    }

    /**
     * As {@link #smallMultiples(String, List, int, boolean)}, with {@code note} (may be null; may hold line breaks)
     * under the title, e.g. what the bands of the panels summarise.
     */
    public static byte[] smallMultiples(String title, String note, List<Panel> panels, int columns,
                                        boolean alignAtLoss) {
        Objects.requireNonNull(panels, "panels");
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be >= 1: " + columns);
        }
        if (panels.isEmpty()) {
            panels = List.of(new Panel("", Map.of()));
        }
        List<double[]> all = new ArrayList<>();
        LinkedHashSet<String> names = new LinkedHashSet<>();
        boolean sameNames = true;
        for (Panel p : panels) {
            all.addAll(p.profiles().values());
            names.addAll(p.profiles().keySet());
            for (Band b : p.bands()) {
                all.add(b.low());
                all.add(b.high());
                all.add(b.median());
                names.add(b.name());
            }
            sameNames &= seriesNames(p).equals(seriesNames(panels.get(0)));
        }
        Range y = logRange(all);
        int maxLen = longest(all);
        Map<String, Integer> colours = colourIndex(names);
        boolean commonLegend = sameNames && !names.isEmpty();

        int cols = Math.min(columns, panels.size());
        int rows = (panels.size() + cols - 1) / cols;
        int panelH = PANEL_HEIGHT + (commonLegend ? 0 : 40);
        int width = cols * PANEL_WIDTH;

        // Header (title, note) and common legend come from a chart whose plot only names the
        // lines; they are measured first, then drawn above and below the grid of panels.
        Map<String, double[]> legendOnly = new LinkedHashMap<>();
        names.forEach(n -> legendOnly.put(n, new double[maxLen])); // zeros: nothing drawn
        String sub = (note == null || note.isBlank() ? "" : note + "\n") + "axes shared by all panels"
            + orEmpty(skippedNote(all), ";  ");
        JFreeChart frame = chart(title, profilePlot(legendOnly, List.of(), maxLen, y, colours, 1.0, alignAtLoss),
            1.0, commonLegend, sub, null);
        List<Title> header = new ArrayList<>();
        if (frame.getTitle() != null) {
            header.add(frame.getTitle());
        }
        header.addAll(frame.getSubtitles());
        Graphics2D measure = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        RectangleConstraint upToWidth = new RectangleConstraint(0, new Range(0, width),
            LengthConstraintType.RANGE, 0, null, LengthConstraintType.NONE);
        Size2D[] sizes = header.stream().map(t -> t.arrange(measure, upToWidth))
            .toArray(Size2D[]::new);
        measure.dispose();
        double headerH = 8;
        double footerH = 0;
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i) instanceof LegendTitle) {
                footerH += sizes[i].height + 10;
            } else {
                headerH += sizes[i].height;
            }
        }
        headerH += 8;
        int height = (int) Math.ceil(headerH + rows * panelH + footerH);
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        double top = 8;
        for (int i = 0; i < header.size(); i++) {
            Title t = header.get(i);
            Size2D size = t.arrange(g, upToWidth);
            double left = Math.max(0, (width - size.width) / 2);
            if (t instanceof LegendTitle) {
                t.draw(g, new Rectangle2D.Double(left, height - footerH, size.width, size.height));
            } else {
                t.draw(g, new Rectangle2D.Double(left, top, size.width, size.height));
                top += size.height;
            }
        }
        for (int k = 0; k < panels.size(); k++) {
            Panel p = panels.get(k);
            XYPlot plot = profilePlot(p.profiles(), p.bands(), maxLen, y, colours, 0.8, alignAtLoss);
            chart(p.title(), plot, 0.8, !commonLegend, null, null).draw(g, new Rectangle2D.Double(
                (k % cols) * PANEL_WIDTH, headerH + (k / cols) * panelH, PANEL_WIDTH, panelH));
        }
        g.dispose();
        return png(img);
    }

    /**
     * Loss curves {@code name -> {steps[], losses[]}} on a log y axis, with a dashed horizontal
     * baseline (e.g. the loss of a trivial predictor) labelled {@code baselineLabel}.
     */
    public static byte[] lossCurves(String title, Map<String, double[][]> curves, double baseline,
                                    String baselineLabel) {
        Objects.requireNonNull(curves, "curves");
        List<double[]> losses = new ArrayList<>();
        Map<String, double[][]> series = new LinkedHashMap<>();
        curves.forEach((name, c) -> {
            if (c == null || c.length != 2 || c[0].length != c[1].length) {
                throw new IllegalArgumentException("curve '" + name
                    + "' must be {steps[], losses[]} of equal length");
            }
            losses.add(c[1]);
            series.put(name, c);
        });
        boolean drawBaseline = Double.isFinite(baseline) && baseline > 0;
        if (drawBaseline) {
            losses.add(new double[] {baseline});
        }
        XYPlot plot = linePlot(series, "training step", "loss  (log scale)", logRange(losses),
            colourIndex(curves.keySet()), 1.0);
        if (drawBaseline) {
            ValueMarker line = new ValueMarker(baseline, INK, new BasicStroke(1.8f,
                BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {10f, 6f}, 0f));
            line.setLabel(baselineLabel);
            line.setLabelFont(font(Font.PLAIN, 15, 1.0));
            line.setLabelPaint(INK);
            line.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            line.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            line.setLabelOffset(new RectangleInsets(4, 8, 4, 8));
            line.setLabelBackgroundColor(new Color(255, 255, 255, 210));
            plot.addRangeMarker(line, Layer.FOREGROUND);
            LegendItemCollection items = plot.getLegendItems();
            items.add(new LegendItem(baselineLabel == null ? "baseline" : baselineLabel, null, null,
                null, new Line2D.Double(-12, 0, 12, 0), line.getStroke(), INK));
            plot.setFixedLegendItems(items);
        }
        return png(chart(title, plot, 1.0, true, skippedNote(losses), null), WIDTH, HEIGHT);
    }

    // ------------------------------------------------------------------ shared chart setup

    /**
     * The one place where charts get their look: white background, fonts scaled by {@code scale},
     * light grid, legend at the bottom, optional subtitle line and optional extra title (e.g. a
     * colour legend).
     */
    static JFreeChart chart(String title, XYPlot plot, double scale, boolean legend,
                                    String subtitle, Title extra) {
        JFreeChart chart = new JFreeChart(title, font(Font.BOLD, 22, scale), plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(8 * scale, 10 * scale, 8 * scale, 14 * scale));
        chart.setTextAntiAlias(true);
        if (chart.getTitle() != null) {
            chart.getTitle().setPaint(INK);
            chart.getTitle().setMargin(2, 0, 2, 0);
        }
        if (subtitle != null && !subtitle.isBlank()) {
            TextTitle sub = new TextTitle(subtitle, font(Font.PLAIN, 15, scale));
            sub.setPaint(new Color(0x50, 0x50, 0x50));
            sub.setMargin(0, 0, 6 * scale, 0);
            chart.addSubtitle(sub);
        }
        if (legend) {
            LegendTitle l = chart.getLegend();
            l.setItemFont(font(Font.PLAIN, 15, scale));
            l.setItemPaint(INK);
            l.setBackgroundPaint(Color.WHITE);
            l.setFrame(BlockBorder.NONE);
            l.setHorizontalAlignment(HorizontalAlignment.CENTER);
            l.setItemLabelPadding(new RectangleInsets(2, 4, 2, 14 * scale));
        }
        if (extra instanceof PaintScaleLegend psl) {
            psl.setBackgroundPaint(Color.WHITE);
            styleAxis(psl.getAxis(), scale);
        }
        if (extra != null) {
            chart.addSubtitle(extra);
        }
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(Color.GRAY);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setNoDataMessage("no data");
        plot.setNoDataMessageFont(font(Font.PLAIN, 18, scale));
        styleAxis(plot.getDomainAxis(), scale);
        styleAxis(plot.getRangeAxis(), scale);
        return chart;
    }

    private static void styleAxis(ValueAxis axis, double scale) {
        axis.setLabelFont(font(Font.PLAIN, 16, scale));
        axis.setTickLabelFont(font(Font.PLAIN, 14, scale));
        axis.setLabelPaint(INK);
        axis.setTickLabelPaint(INK);
    }

    static Font font(int style, int size, double scale) {
        return new Font(SANS, style, (int) Math.round(size * Math.max(scale, 0.7)));
    }

    private static XYPlot linePlot(Map<String, double[][]> series, String xLabel, String yLabel,
                                   Range yRange, Map<String, Integer> colours, double scale) {
        XYSeriesCollection data = new XYSeriesCollection();
        int maxPoints = 0;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey(), false, true);
            double[] xs = e.getValue()[0];
            double[] ys = e.getValue()[1];
            for (int i = 0; i < xs.length; i++) {
                boolean ok = Double.isFinite(ys[i]) && ys[i] > 0 && Double.isFinite(xs[i]);
                s.add(xs[i], ok ? ys[i] : Double.NaN); // NaN breaks the line: nothing drawn there
            }
            data.addSeries(s);
            maxPoints = Math.max(maxPoints, xs.length);
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, maxPoints <= 40);
        double r = 3.5 * scale;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            int c = colours.get((String) data.getSeriesKey(i));
            float[] dash = DASHES[(c / LINE_COLOURS.length) % DASHES.length];
            float w = (float) (2.4 * scale);
            renderer.setSeriesPaint(i, LINE_COLOURS[c % LINE_COLOURS.length]);
            renderer.setSeriesStroke(i, dash == null ? new BasicStroke(w)
                : new BasicStroke(w, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
            renderer.setSeriesShape(i, new Ellipse2D.Double(-r, -r, 2 * r, 2 * r));
        }
        NumberAxis x = new NumberAxis(xLabel);
        x.setAutoRangeIncludesZero(false);
        LogAxis y = new LogAxis(yLabel);
        y.setBase(10);
        y.setBaseSymbol("10");
        y.setSmallestValue(Double.MIN_NORMAL);
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        y.setRange(yRange);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        if (Math.log10(yRange.getUpperBound() / yRange.getLowerBound()) <= 5) {
            y.setMinorTickMarksVisible(true); // with one decade per tick: 2..9 x 10^k
            y.setMinorTickCount(9);
            plot.setRangeMinorGridlinesVisible(true);
            plot.setRangeMinorGridlinePaint(new Color(0xEE, 0xEE, 0xEE));
            plot.setRangeMinorGridlineStroke(new BasicStroke(1f));
        }
        return plot;
    }

    /**
     * Line plot of profiles against time step t, x axis covering {@code length} steps; the bands (if any) drawn
     * beneath the lines as shaded areas around their median lines.
     */
    private static XYPlot profilePlot(Map<String, double[]> profiles, List<Band> bands, int length, Range yRange,
                                      Map<String, Integer> colours, double scale, boolean alignAtLoss) {
        XYPlot plot = linePlot(asSeries(profiles, alignAtLoss),
            alignAtLoss ? STEPS_BEFORE_LOSS_AXIS : TIME_AXIS, NORM_AXIS, yRange, colours, scale);
        if (!bands.isEmpty()) {
            plot.setDataset(1, bandSeries(bands, alignAtLoss));
            plot.setRenderer(1, bandRenderer(bands, colours, scale));
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.REVERSE); // bands first, lines on top
        }
        int n = Math.max(length, 1);
        if (alignAtLoss) {
            plot.getDomainAxis().setRange(-(n - 1) - 0.5, 0.5);
        } else {
            plot.getDomainAxis().setRange(-0.5, n - 0.5);
        }
        return plot;
    }

    /** The bands as series: x as for profiles, y the median, the interval the band; steps without data left out. */
    private static YIntervalSeriesCollection bandSeries(List<Band> bands, boolean alignAtLoss) {
        YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
        for (Band b : bands) {
            YIntervalSeries s = new YIntervalSeries(b.name(), false, true);
            int shift = alignAtLoss ? b.median().length - 1 : 0;
            for (int i = 0; i < b.median().length; i++) {
                double m = b.median()[i];
                if (Double.isFinite(m) && m > 0) {
                    s.add(i - shift, m, b.low()[i], b.high()[i]);
                }
            }
            ds.addSeries(s);
        }
        return ds;
    }

    /** Median lines in their name's colour over a translucent band of the same colour. */
    private static DeviationRenderer bandRenderer(List<Band> bands, Map<String, Integer> colours, double scale) {
        DeviationRenderer r = new DeviationRenderer(true, false);
        r.setAlpha(0.22f);
        for (int i = 0; i < bands.size(); i++) {
            int c = colours.get(bands.get(i).name());
            Color colour = LINE_COLOURS[c % LINE_COLOURS.length];
            float[] dash = DASHES[(c / LINE_COLOURS.length) % DASHES.length];
            float w = (float) (2.4 * scale);
            r.setSeriesPaint(i, colour);
            r.setSeriesFillPaint(i, colour);
            r.setSeriesStroke(i, dash == null ? new BasicStroke(w)
                : new BasicStroke(w, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
        }
        return r;
    }

    /** The names of a panel's series in order: lines, then bands. */
    private static List<String> seriesNames(Panel p) {
        List<String> n = new ArrayList<>(p.profiles().keySet());
        p.bands().forEach(b -> n.add(b.name()));
        return n;
    }

    private static int longest(Collection<double[]> values) {
        return values.stream().mapToInt(v -> v.length).max().orElse(1);
    }

    private static Map<String, double[][]> asSeries(Map<String, double[]> profiles, boolean alignAtLoss) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        profiles.forEach((name, p) -> {
            Objects.requireNonNull(p, name);
            double[] t = new double[p.length];
            int shift = alignAtLoss ? p.length - 1 : 0;
            Arrays.setAll(t, i -> i - shift);
            out.put(name, new double[][] {t, p});
        });
        return out;
    }

    private static Map<String, Integer> colourIndex(Collection<String> names) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (String n : names) {
            index.putIfAbsent(n, index.size());
        }
        return index;
    }

    private static NumberAxis integerAxis(String label, int n) {
        NumberAxis axis = new NumberAxis(label);
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        axis.setRange(-0.5, n - 0.5);
        return axis;
    }

    // ------------------------------------------------------------------ ranges and notes

    /** Log-axis range covering the finite positive values, padded by a little in log space. */
    static Range logRange(Iterable<double[]> values) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] vs : values) {
            for (double v : vs) {
                if (Double.isFinite(v) && v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return new Range(0.1, 10);
        }
        double a = Math.log10(lo);
        double b = Math.log10(hi);
        double pad = Math.max(0.05 * (b - a), 0.15);
        a -= pad;
        b += pad;
        if (Math.floor(b) - Math.ceil(a) < 1) { // fewer than two labelled decades: round outwards
            a = Math.floor(a);
            b = Math.ceil(b);
        }
        return new Range(Math.pow(10, a), Math.pow(10, b));
    }

    /** 1st to 99th percentile of the values (log10 norms); a unit range if they are all equal. */
    static Range robustRange(double[] v) {
        if (v.length == 0) {
            return new Range(-1, 0);
        }
        double[] s = v.clone();
        Arrays.sort(s);
        double lo = percentile(s, 0.01);
        double hi = percentile(s, 0.99);
        return hi - lo < 1e-9 ? new Range(lo - 0.5, hi + 0.5) : new Range(lo, hi);
    }

    private static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    private static String skippedNote(Iterable<double[]> values) {
        for (double[] vs : values) {
            for (double v : vs) {
                if (!(Double.isFinite(v) && v > 0)) {
                    return "zero / non-finite values are not plotted (gaps)";
                }
            }
        }
        return null;
    }

    private static String orEmpty(String s, String prefix) {
        return s == null ? "" : prefix + s;
    }

    // ------------------------------------------------------------------ rendering

    static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
            RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setPaint(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    private static byte[] png(JFreeChart chart, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        g.dispose();
        return png(img);
    }

    static byte[] png(BufferedImage img) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ colour scale

    /** Continuous dark-to-light colour ramp over [lower, upper]; NaN maps to {@link #MISSING}. */
    private record Ramp(double lower, double upper) implements PaintScale {
        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            if (Double.isNaN(value)) {
                return MISSING;
            }
            double f = (value - lower) / (upper - lower);
            f = Math.max(0, Math.min(1, f)) * (RAMP.length - 1);
            int i = Math.min((int) f, RAMP.length - 2);
            float w = (float) (f - i);
            float[] a = RAMP[i];
            float[] b = RAMP[i + 1];
            return new Color(a[0] + w * (b[0] - a[0]), a[1] + w * (b[1] - a[1]),
                a[2] + w * (b[2] - a[2]));
        }
    }

    /** Tick labels of the heatmap's row axis: row index -> recorded training step. */
    private static final class RowLabels extends NumberFormat {
        private final long[] steps;

        RowLabels(long[] steps) {
            this.steps = steps.clone();
        }

        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            long i = Math.round(v);
            if (Math.abs(v - i) < 1e-6 && i >= 0 && i < steps.length) {
                to.append(steps[(int) i]);
            }
            return to;
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
            return format((double) v, to, pos);
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            return null;
        }
    }
}
