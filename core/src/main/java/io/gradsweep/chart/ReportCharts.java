package io.gradsweep.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.LengthConstraintType;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.title.Title;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.Size2D;
import org.jfree.data.Range;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The figures of the ablation report: one or more panels of lines over a numeric or categorical x axis, with
 * optional 95% error bars and dashed reference lines (a baseline, r = 1, horizon = T), a title and subtitle above
 * and one legend below for all panels. Same look as {@link GradientCharts}. Returns PNG bytes.
 */
public final class ReportCharts {

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final int PANEL_WIDTH = 560;
  public static final int PANEL_HEIGHT = 400;
  /** Narrowest figure: a single panel is drawn this wide. */
  public static final int MIN_WIDTH = 900;

  /**
   * A line: points (x, y), optional error bars [low, high] per point (null: none). A {@code reference} line is drawn
   * dashed and grey, without markers (baselines and other yardsticks); other lines get a colour per name, the same
   * in every panel. Points with a non-finite y are left out.
   */
  public record Line(String name, double[] x, double[] y, double[] low, double[] high, boolean reference) {
    public Line {
      Objects.requireNonNull(name, "name");
      if (x.length != y.length || (low != null && low.length != x.length)
          || (high != null && high.length != x.length)) {
        throw new IllegalArgumentException("line '" + name + "': x, y, low and high must have the same length");
      }
    }

    public static Line of(String name, double[] x, double[] y) {
      return new Line(name, x, y, null, null, false);
    }

    /** A dashed horizontal reference line at {@code y} across the panel. */
    public static Line horizontal(String name, double y) {
      return new Line(name, new double[] {Double.NaN, Double.NaN}, new double[] {y, y}, null, null, true);
    }
  }

  /**
   * One panel. {@code categories}: when not null the x axis is categorical, x = index into it. {@code rate}: the y
   * axis is a share in [0, 1], labelled in percent. {@code logY}: log y axis.
   */
  public record Panel(String title, String xLabel, String yLabel, List<Line> lines, List<String> categories, boolean rate,
      boolean logY) {
    public Panel {
      lines = List.copyOf(lines);
      categories = categories == null ? null : List.copyOf(categories);
    }
  }

  private ReportCharts() {}

  /** The figure: title, subtitle (may be null; may hold line breaks), panels in {@code columns}, one legend. */
  public static byte[] figure(String title, String subtitle, List<Panel> panels, int columns) {
    if (panels.isEmpty()) {
      throw new IllegalArgumentException("a figure needs at least one panel");
    }
    int cols = Math.max(1, Math.min(columns, panels.size()));
    int rows = (panels.size() + cols - 1) / cols;
    int width = Math.max(cols * PANEL_WIDTH, MIN_WIDTH);
    int panelWidth = width / cols;

    Map<String, Integer> colours = new LinkedHashMap<>();
    LegendItemCollection items = new LegendItemCollection();
    List<XYPlot> plots = new ArrayList<>();
    for (Panel p : panels) {
      for (Line l : p.lines()) {
        if (!l.reference()) {
          colours.putIfAbsent(l.name(), colours.size());
        }
      }
    }
    Map<String, LegendItem> legend = new LinkedHashMap<>();
    for (Panel p : panels) {
      XYPlot plot = plot(p, colours);
      plots.add(plot);
      LegendItemCollection c = plot.getLegendItems();
      for (int i = 0; i < c.getItemCount(); i++) {
        legend.putIfAbsent(c.get(i).getLabel(), c.get(i));
      }
    }
    legend.values().forEach(items::add);

    List<Title> header = new ArrayList<>();
    TextTitle t = new TextTitle(title, GradientCharts.font(Font.BOLD, 22, 1.0));
    t.setPaint(GradientCharts.INK);
    t.setMargin(2, 0, 2, 0);
    header.add(t);
    if (subtitle != null && !subtitle.isBlank()) {
      TextTitle s = new TextTitle(subtitle, GradientCharts.font(Font.PLAIN, 15, 1.0));
      s.setPaint(new Color(0x50, 0x50, 0x50));
      s.setMargin(2, 10, 6, 10);
      header.add(s);
    }
    LegendTitle lt = new LegendTitle(() -> items);
    lt.setItemFont(GradientCharts.font(Font.PLAIN, 15, 1.0));
    lt.setItemPaint(GradientCharts.INK);
    lt.setBackgroundPaint(Color.WHITE);
    lt.setFrame(BlockBorder.NONE);
    lt.setPosition(RectangleEdge.BOTTOM);
    lt.setHorizontalAlignment(HorizontalAlignment.CENTER);
    lt.setItemLabelPadding(new RectangleInsets(2, 4, 2, 14));

    Graphics2D measure = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
    RectangleConstraint upToWidth = new RectangleConstraint(0, new Range(0, width - 20),
        LengthConstraintType.RANGE, 0, null, LengthConstraintType.NONE);
    double headerH = 8;
    List<Size2D> sizes = new ArrayList<>();
    for (Title h : header) {
      Size2D size = h.arrange(measure, upToWidth);
      sizes.add(size);
      headerH += size.height;
    }
    Size2D legendSize = items.getItemCount() == 0 ? new Size2D(0, 0) : lt.arrange(measure, upToWidth);
    measure.dispose();
    double footerH = legendSize.height + (items.getItemCount() == 0 ? 0 : 12);
    int height = (int) Math.ceil(headerH + 6 + rows * PANEL_HEIGHT + footerH);

    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = GradientCharts.canvas(img);
    double top = 8;
    for (int i = 0; i < header.size(); i++) {
      Size2D size = header.get(i).arrange(g, upToWidth);
      header.get(i).draw(g, new Rectangle2D.Double(Math.max(0, (width - size.width) / 2), top, size.width,
          size.height));
      top += sizes.get(i).height;
    }
    double gridTop = headerH + 6;
    for (int k = 0; k < panels.size(); k++) {
      JFreeChart chart = GradientCharts.chart(panels.get(k).title(), plots.get(k), 0.85, false, null, null);
      chart.draw(g, new Rectangle2D.Double((k % cols) * panelWidth, gridTop + (k / cols) * PANEL_HEIGHT,
          panelWidth, PANEL_HEIGHT));
    }
    if (items.getItemCount() > 0) {
      Size2D size = lt.arrange(g, upToWidth);
      lt.draw(g, new Rectangle2D.Double(Math.max(0, (width - size.width) / 2), height - footerH + 4, size.width,
          size.height));
    }
    g.dispose();
    return GradientCharts.png(img);
  }

  /** One panel's plot: its x axis, its lines placed on it, their series and style, its y axis. */
  private static XYPlot plot(Panel p, Map<String, Integer> colours) {
    XAxis x = xAxis(p);
    List<Line> data = place(p, x.lo(), x.hi());
    Points points = points(p, data);
    XYPlot plot = new XYPlot(points.dataset(), x.axis(), yAxis(p, points.yLo(), points.yHi()),
        renderer(data, colours));
    if (p.logY()) {
      plot.setRangeMinorGridlinesVisible(true);
      plot.setRangeMinorGridlinePaint(new Color(0xEE, 0xEE, 0xEE));
      plot.setRangeMinorGridlineStroke(new BasicStroke(1f));
    }
    return plot;
  }

  /** An x axis and the range it shows. */
  private record XAxis(ValueAxis axis, double lo, double hi) {}

  /** The points of a panel's lines as series, and the y range they span with their error bars. */
  private record Points(YIntervalSeriesCollection dataset, double yLo, double yHi) {}

  /** Categories (x = index) one slot each; numbers: the lines' finite x values with 6% room either side. */
  private static XAxis xAxis(Panel p) {
    ValueAxis x;
    double xLo;
    double xHi;
    if (p.categories() != null) {
      SymbolAxis sx = new SymbolAxis(p.xLabel(), p.categories().toArray(new String[0]));
      sx.setGridBandsVisible(false);
      x = sx;
      xLo = -0.5;
      xHi = p.categories().size() - 0.5;
    } else {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (Line l : p.lines()) {
        for (double v : l.x()) {
          if (Double.isFinite(v)) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
      }
      if (lo > hi) {
        lo = 0;
        hi = 1;
      }
      double pad = hi > lo ? 0.06 * (hi - lo) : Math.max(1, Math.abs(lo) * 0.1);
      xLo = lo - pad;
      xHi = hi + pad;
      NumberAxis nx = new NumberAxis(p.xLabel());
      nx.setAutoRangeIncludesZero(false);
      x = nx;
    }
    x.setRange(xLo, xHi);
    return new XAxis(x, xLo, xHi);
  }

  /**
   * The lines as drawn: horizontal reference lines spread across [xLo, xHi]; the other lines shifted apart a little
   * (a jitter centred on the true x) so that their error bars do not cover each other.
   */
  private static List<Line> place(Panel p, double xLo, double xHi) {
    List<Line> data = new ArrayList<>();
    int plain = (int) p.lines().stream().filter(l -> !l.reference()).count();
    double jitterStep = plain < 2 ? 0 : (p.categories() != null ? 0.07 : 0.012 * (xHi - xLo));
    int k = 0;
    for (Line l : p.lines()) {
      if (l.reference()) {
        double[] xs = l.x().clone();
        if (!Double.isFinite(xs[0])) { // horizontal: across the panel
          xs = new double[] {xLo, xHi};
        }
        data.add(new Line(l.name(), xs, l.y(), null, null, true));
      } else {
        double shift = (k++ - (plain - 1) / 2.0) * jitterStep;
        double[] xs = l.x().clone();
        for (int i = 0; i < xs.length; i++) {
          xs[i] += shift;
        }
        data.add(new Line(l.name(), xs, l.y(), l.low(), l.high(), false));
      }
    }
    return data;
  }

  /** One series per line, without non-finite y (and y <= 0 on a log axis); missing error bars collapse to y. */
  private static Points points(Panel p, List<Line> data) {
    YIntervalSeriesCollection ds = new YIntervalSeriesCollection();
    double yLo = Double.POSITIVE_INFINITY;
    double yHi = Double.NEGATIVE_INFINITY;
    for (Line l : data) {
      YIntervalSeries s = new YIntervalSeries(l.name(), false, true);
      for (int j = 0; j < l.x().length; j++) {
        double y = l.y()[j];
        if (!Double.isFinite(y) || (p.logY() && y <= 0)) {
          continue;
        }
        double lo = l.low() == null || !Double.isFinite(l.low()[j]) ? y : l.low()[j];
        double hi = l.high() == null || !Double.isFinite(l.high()[j]) ? y : l.high()[j];
        if (p.logY()) {
          lo = lo > 0 ? lo : y;
        }
        s.add(l.x()[j], y, lo, hi);
        yLo = Math.min(yLo, lo);
        yHi = Math.max(yHi, hi);
      }
      ds.addSeries(s);
    }
    return new Points(ds, yLo, yHi);
  }

  /**
   * Lines with markers and vertical error bars: reference lines dashed in ink without markers, each in the next
   * dash pattern; the others in their name's colour (and, past the palette, a dash pattern).
   */
  private static XYErrorRenderer renderer(List<Line> data, Map<String, Integer> colours) {
    XYErrorRenderer r = new XYErrorRenderer();
    r.setDrawXError(false);
    r.setDrawYError(true);
    r.setCapLength(7);
    r.setErrorStroke(new BasicStroke(1.6f));
    double radius = 4.5;
    float[][] refDashes = {{8f, 5f}, {2f, 4f}, {12f, 4f, 2f, 4f}};
    int refs = 0;
    for (int i = 0; i < data.size(); i++) {
      Line l = data.get(i);
      if (l.reference()) {
        r.setSeriesPaint(i, GradientCharts.INK);
        r.setSeriesStroke(i, new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            refDashes[refs++ % refDashes.length], 0f));
        r.setSeriesShapesVisible(i, false);
        r.setSeriesLinesVisible(i, true);
        r.setSeriesVisibleInLegend(i, true);
      } else {
        int c = colours.get(l.name());
        Color colour = GradientCharts.LINE_COLOURS[c % GradientCharts.LINE_COLOURS.length];
        float[] dash = GradientCharts.DASHES[(c / GradientCharts.LINE_COLOURS.length) % GradientCharts.DASHES.length];
        r.setSeriesPaint(i, colour);
        r.setSeriesStroke(i, dash == null ? new BasicStroke(2.4f)
            : new BasicStroke(2.4f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
        r.setSeriesShape(i, new Ellipse2D.Double(-radius, -radius, 2 * radius, 2 * radius));
        r.setSeriesShapesVisible(i, true);
        r.setSeriesLinesVisible(i, true);
      }
    }
    r.setDefaultLegendShape(new Line2D.Double(-12, 0, 12, 0));
    return r;
  }

  /** The y axis over [yLo, yHi]: log (decades), a rate in percent, or linear with 8% room either side. */
  private static ValueAxis yAxis(Panel p, double yLo, double yHi) {
    return p.logY() ? logYAxis(p, yLo, yHi) : linearYAxis(p, yLo, yHi);
  }

  private static ValueAxis logYAxis(Panel p, double yLo, double yHi) {
    LogAxis ly = new LogAxis(p.yLabel());
    ly.setBase(10);
    ly.setBaseSymbol("10");
    ly.setSmallestValue(Double.MIN_NORMAL);
    ly.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    List<double[]> all = new ArrayList<>();
    all.add(new double[] {yLo, yHi});
    Range range = GradientCharts.logRange(all);
    ly.setRange(range);
    if (Math.log10(range.getUpperBound() / range.getLowerBound()) <= 5) {
      ly.setMinorTickMarksVisible(true); // one decade per tick: 2..9 x 10^k as minor grid lines
      ly.setMinorTickCount(9);
    }
    return ly;
  }

  private static ValueAxis linearYAxis(Panel p, double yLo, double yHi) {
    NumberAxis ny = new NumberAxis(p.yLabel());
    if (p.rate()) {
      ny.setRange(-0.04, 1.04);
      NumberFormat pct = NumberFormat.getPercentInstance(Locale.ROOT);
      ny.setNumberFormatOverride(pct);
      ny.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(0.25, pct));
    } else if (yLo <= yHi) {
      double pad = yHi > yLo ? 0.08 * (yHi - yLo) : Math.max(0.5, Math.abs(yHi) * 0.1);
      ny.setRange(yLo - pad, yHi + pad);
    }
    return ny;
  }
}
