package io.gradsweep.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.chart.GradientCharts.Panel;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ChartsTest {

    private static final Path PREVIEW = Path.of("target", "charts-preview");

    // ------------------------------------------------------------------ heatmap

    @Test
    void heatmapOfGeometricDecayBrightensTowardsTheLoss() throws IOException {
        int rows = 12;
        int steps = 50;
        double[][] norms = new double[rows][steps];
        long[] trainingSteps = new long[rows];
        for (int i = 0; i < rows; i++) {
            trainingSteps[i] = 1 + 25L * i;
            for (int t = 0; t < steps; t++) {
                norms[i][t] = Math.pow(0.8, steps - 1 - t);
            }
        }
        BufferedImage img = decode(GradientCharts.profileHeatmap("decay", trainingSteps, norms,
            "layer 0"));
        assertSize(img, GradientCharts.WIDTH, GradientCharts.HEIGHT);
        assertNotBlank(img);
        assertTextInTitleBand(img);

        // Several rows: the heatmap is the longest run of coloured pixels across the image.
        for (double rowFraction : new double[] {0.35, 0.5, 0.65}) {
            int y = (int) (img.getHeight() * rowFraction);
            int[] run = longestColouredRun(img, y);
            assertTrue(run[1] - run[0] > img.getWidth() / 2, "heatmap spans the plot: " + run[0]
                + ".." + run[1]);
            double previous = -1;
            for (double f : new double[] {0.05, 0.25, 0.45, 0.65, 0.85, 0.98}) {
                double lum = luminance(img.getRGB(run[0] + (int) (f * (run[1] - run[0])), y));
                assertTrue(lum > previous + 0.02,
                    "colour must brighten along t (row y=" + y + ", at " + f + "): " + lum
                        + " after " + previous);
                previous = lum;
            }
        }
    }

    @Test
    void heatmapOfZerosIsGreyAndDoesNotThrow() throws IOException {
        double[][] norms = new double[5][20];
        BufferedImage img = decode(write("heatmap-all-zero.png", GradientCharts.profileHeatmap(
            "all zero", new long[] {1, 2, 3, 4, 5}, norms, null)));
        assertSize(img, GradientCharts.WIDTH, GradientCharts.HEIGHT);
        int grey = count(img, GradientCharts.MISSING);
        assertTrue(grey > img.getWidth() * img.getHeight() / 4, "plot is grey: " + grey);
        assertTextInTitleBand(img);
    }

    @Test
    void heatmapWithNanAndInfinityDoesNotThrow() throws IOException {
        double[][] norms = new double[4][10];
        for (double[] row : norms) {
            for (int t = 0; t < row.length; t++) {
                row[t] = Math.exp(t);
            }
        }
        norms[0][3] = Double.NaN;
        norms[1][5] = Double.POSITIVE_INFINITY;
        norms[2][0] = Double.NEGATIVE_INFINITY;
        norms[3][9] = 0;
        BufferedImage img = decode(write("heatmap-nan-inf.png", GradientCharts.profileHeatmap(
            "nan", new long[] {0, 10, 20, 30}, norms, "cell")));
        assertNotBlank(img);
        assertTrue(count(img, GradientCharts.MISSING) > 100, "non-finite cells are grey");
    }

    @Test
    void heatmapRejectsRaggedOrMismatchedInput() {
        assertThrows(IllegalArgumentException.class, () -> GradientCharts.profileHeatmap("x",
            new long[] {1, 2}, new double[][] {{1, 2}, {1}}, null));
        assertThrows(IllegalArgumentException.class, () -> GradientCharts.profileHeatmap("x",
            new long[] {1}, new double[][] {{1, 2}, {1, 2}}, null));
    }

    // ------------------------------------------------------------------ lines

    @Test
    void profileLinesDrawsEveryProfileAndSkipsZeros() throws IOException {
        Map<String, double[]> profiles = new LinkedHashMap<>();
        profiles.put("a", geometric(0.8, 50, 0));
        profiles.put("b", geometric(0.95, 50, 10));
        profiles.put("c", new double[] {0, Double.NaN, Double.POSITIVE_INFINITY, 1e-3, 1e-2});
        BufferedImage img = decode(GradientCharts.profileLines("lines", profiles));
        assertSize(img, GradientCharts.WIDTH, GradientCharts.HEIGHT);
        assertNotBlank(img);
        assertTextInTitleBand(img);
    }

    @Test
    void emptyInputsStillRender() throws IOException {
        assertSize(decode(GradientCharts.profileLines("none", Map.of())), GradientCharts.WIDTH,
            GradientCharts.HEIGHT);
        assertNotNull(decode(GradientCharts.smallMultiples("none", List.of(), 3)));
        assertNotNull(decode(GradientCharts.lossCurves("none", Map.of(), Double.NaN, null)));
        assertNotNull(decode(GradientCharts.profileLines("zeros",
            Map.of("z", new double[] {0, 0, 0}))));
    }

    @Test
    void smallMultiplesIsAGridOfPanels() throws IOException {
        List<Panel> panels = List.of(
            new Panel("tanh", Map.of("T=20", geometric(0.7, 20, 0))),
            new Panel("relu", Map.of("T=20", geometric(1.1, 20, 0))),
            new Panel("lstm", Map.of("T=20", geometric(0.97, 20, 0))));
        BufferedImage img = decode(GradientCharts.smallMultiples("grid", panels, 2));
        assertEquals(2 * GradientCharts.PANEL_WIDTH, img.getWidth());
        assertTrue(img.getHeight() > 2 * GradientCharts.PANEL_HEIGHT, "two rows of panels");
        assertNotBlank(img);
        assertTextInTitleBand(img);
        assertThrows(IllegalArgumentException.class,
            () -> GradientCharts.smallMultiples("grid", panels, 0));
    }

    // ------------------------------------------------------------------ bands

    @Test
    void bandIsTheMedianAndQuantilesAtEachStepAlignedAtTheLoss() {
        // three profiles of length 3 and one of length 2: index 0 only has the long ones
        List<double[]> ps = List.of(
            new double[] {1, 10, 100},
            new double[] {2, 20, 200},
            new double[] {3, Double.NaN, 300},
            new double[] {40, 400});
        GradientCharts.Band b = GradientCharts.Band.of("g", ps, 0.1, 0.9);
        assertEquals(4, b.profiles());
        assertEquals(3, b.median().length, "as long as the longest profile");
        assertEquals(2.0, b.median()[0], 1e-12, "median of 1, 2, 3");
        assertEquals(1.2, b.low()[0], 1e-12, "R_7 10% of 1, 2, 3: 1 + 0.2 * (2 - 1)");
        assertEquals(2.8, b.high()[0], 1e-12);
        assertEquals(20.0, b.median()[1], 1e-12, "10, 20, 40 (the NaN left out)");
        assertEquals(250.0, b.median()[2], 1e-12, "at the loss: 100, 200, 300, 400");
        GradientCharts.Band empty = GradientCharts.Band.of("z", List.of(new double[] {0, Double.NaN}), 0.1, 0.9);
        assertTrue(Double.isNaN(empty.median()[0]) && Double.isNaN(empty.high()[1]), "no data: NaN");
        assertThrows(IllegalArgumentException.class, () -> GradientCharts.Band.of("x", List.of(), 0.1, 0.9));
        assertThrows(IllegalArgumentException.class, () -> GradientCharts.Band.of("x", ps, 0.6, 0.9));
    }

    @Test
    void smallMultiplesDrawBandsWithTheirNote() throws IOException {
        Random rnd = new Random(3);
        List<Panel> panels = new java.util.ArrayList<>();
        for (String cell : new String[] {"rnn / tanh", "lstm"}) {
            List<GradientCharts.Band> bands = new java.util.ArrayList<>();
            for (int len : new int[] {25, 100}) {
                List<double[]> ps = new java.util.ArrayList<>();
                for (int k = 0; k < 50; k++) {
                    double[] p = geometric(cell.equals("lstm") ? 0.98 : 0.9, len, 0);
                    for (int t = 0; t < len; t++) {
                        p[t] *= 0.05 * Math.exp(0.3 * rnd.nextGaussian());
                    }
                    ps.add(p);
                }
                bands.add(GradientCharts.Band.of("T=" + len, ps, 0.1, 0.9));
            }
            panels.add(new Panel(cell + ":  100 trials", Map.of(), bands));
        }
        BufferedImage img = decode(write("bands.png", GradientCharts.smallMultiples("Bands",
            "200 trials: median and 10-90% band per group", panels, 2, true)));
        assertEquals(2 * GradientCharts.PANEL_WIDTH, img.getWidth());
        assertNotBlank(img);
        assertEquals(2, panels.get(0).series());
    }

    @Test
    void lossCurvesWithBaseline() throws IOException {
        Map<String, double[][]> curves = new LinkedHashMap<>();
        double[] steps = new double[100];
        double[] loss = new double[100];
        for (int i = 0; i < 100; i++) {
            steps[i] = i * 3;
            loss[i] = 0.5 * Math.exp(-i / 30.0) + 0.01;
        }
        curves.put("run", new double[][] {steps, loss});
        BufferedImage img = decode(GradientCharts.lossCurves("loss", curves, 1.0 / 6,
            "predict-1 baseline 1/6"));
        assertSize(img, GradientCharts.WIDTH, GradientCharts.HEIGHT);
        assertNotBlank(img);
        assertThrows(IllegalArgumentException.class, () -> GradientCharts.lossCurves("bad",
            Map.of("x", new double[][] {{1, 2}, {1}}), 1, ""));
    }

    // ------------------------------------------------------------------ preview

    /** A realistic synthetic example of each picture, written for a person to look at. */
    @Test
    void writePreviews() throws IOException {
        Random rnd = new Random(7);
        int steps = 60;
        int window = 40;
        long[] trainingSteps = new long[31];
        double[][] norms = new double[trainingSteps.length][steps];
        for (int i = 0; i < trainingSteps.length; i++) {
            trainingSteps[i] = i == 0 ? 1 : 10L * i;
            double rho = 0.78 + 0.17 * i / (trainingSteps.length - 1.0);
            for (int t = 0; t < steps; t++) {
                norms[i][t] = t < steps - window ? 0
                    : 0.3 * Math.pow(rho, steps - 1 - t) * Math.exp(0.15 * rnd.nextGaussian());
            }
        }
        norms[17][45] = Double.NaN;
        preview("heatmap.png", GradientCharts.profileHeatmap(
            "Gradient profile over training: vanilla RNN (tanh), adding task, T = 60",
            trainingSteps, norms, "layer 0: vanilla RNN, 64 units; truncated BPTT window 40"));

        Map<String, double[]> lines = new LinkedHashMap<>();
        lines.put("step 1 (init)", norms[0]);
        lines.put("step 150", norms[15]);
        lines.put("step 300 (end)", norms[30]);
        preview("lines.png", GradientCharts.profileLines(
            "||dL/dh_t|| at three points of training: vanilla RNN (tanh), T = 60", lines));

        String[] cells = {"RNN tanh", "RNN relu", "LSTM", "GRU"};
        double[] rhos = {0.75, 1.08, 0.97, 0.95};
        List<Panel> panels = new java.util.ArrayList<>();
        for (int c = 0; c < cells.length; c++) {
            Map<String, double[]> byLength = new LinkedHashMap<>();
            for (int len : new int[] {25, 50, 100}) {
                double[] p = geometric(rhos[c], len, 0);
                for (int t = 0; t < len; t++) {
                    p[t] *= 0.1 * Math.exp(0.1 * rnd.nextGaussian());
                }
                byLength.put("T = " + len, p);
            }
            panels.add(new Panel(cells[c], byLength));
        }
        preview("small-multiples.png", GradientCharts.smallMultiples(
            "Gradient profile at initialisation by cell type and sequence length", panels, 2));

        List<Panel> trials = new java.util.ArrayList<>();
        for (int c = 0; c < 5; c++) {
            Map<String, double[]> byTrial = new LinkedHashMap<>();
            for (int k = 0; k <= c % 3; k++) {
                double[] p = geometric(0.85 + 0.03 * c + 0.01 * k, 30, c == 4 ? 10 : 0);
                byTrial.put("lr " + (c + 1) + "e-3, seed " + k, p);
            }
            trials.add(new Panel("panel " + (c + 1), byTrial));
        }
        preview("small-multiples-own-legends.png", GradientCharts.smallMultiples(
            "Per-panel legends when the panels show different lines", trials, 3));

        Map<String, double[][]> curves = new LinkedHashMap<>();
        String[] names = {"RNN tanh", "LSTM", "GRU"};
        double[] rates = {0.0, 1.0 / 120, 1.0 / 80};
        for (int c = 0; c < names.length; c++) {
            double[] x = new double[300];
            double[] y = new double[300];
            for (int i = 0; i < 300; i++) {
                x[i] = i + 1;
                y[i] = (1.0 / 6) * (1.02 - 0.02 * i / 300.0) * Math.exp(-rates[c] * i)
                    * Math.exp(0.05 * rnd.nextGaussian()) + 1e-3;
            }
            curves.put(names[c], new double[][] {x, y});
        }
        preview("loss.png", GradientCharts.lossCurves("Training loss, adding task, T = 60",
            curves, 1.0 / 6, "predict-1 baseline 1/6"));
    }

    // ------------------------------------------------------------------ helpers

    private static void preview(String name, byte[] png) throws IOException {
        assertNotBlank(decode(write(name, png)));
    }

    private static byte[] write(String name, byte[] png) throws IOException {
        Files.createDirectories(PREVIEW);
        Files.write(PREVIEW.resolve(name), png);
        return png;
    }

    private static double[] geometric(double a, int n, int zeros) {
        double[] p = new double[n];
        for (int t = zeros; t < n; t++) {
            p[t] = Math.pow(a, n - 1 - t);
        }
        return p;
    }

    private static BufferedImage decode(byte[] png) throws IOException {
        assertTrue(png.length > 8, "PNG bytes");
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(img, "decodable PNG");
        return img;
    }

    private static void assertSize(BufferedImage img, int w, int h) {
        assertEquals(w, img.getWidth(), "width");
        assertEquals(h, img.getHeight(), "height");
    }

    /** Many distinct colours and a fair share of non-white pixels in the middle of the picture. */
    private static void assertNotBlank(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        int nonWhite = 0;
        int total = 0;
        for (int y = img.getHeight() / 6; y < img.getHeight() * 5 / 6; y++) {
            for (int x = img.getWidth() / 10; x < img.getWidth() * 9 / 10; x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                nonWhite += rgb == 0xFFFFFF ? 0 : 1;
                total++;
            }
        }
        assertTrue(colours.size() > 20, "distinct colours: " + colours.size());
        assertTrue(nonWhite > total / 100, "non-white pixels: " + nonWhite + " of " + total);
    }

    /** The title is drawn as dark text in the top band (fonts render headless). */
    private static void assertTextInTitleBand(BufferedImage img) {
        int dark = 0;
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                dark += luminance(img.getRGB(x, y)) < 0.3 ? 1 : 0;
            }
        }
        assertTrue(dark > 50, "title text pixels: " + dark);
    }

    private static int[] longestColouredRun(BufferedImage img, int y) {
        int bestStart = 0;
        int bestEnd = 0;
        int start = -1;
        for (int x = 0; x <= img.getWidth(); x++) {
            boolean coloured = x < img.getWidth() && chroma(img.getRGB(x, y)) > 25;
            if (coloured && start < 0) {
                start = x;
            } else if (!coloured && start >= 0) {
                if (x - 1 - start > bestEnd - bestStart) {
                    bestStart = start;
                    bestEnd = x - 1;
                }
                start = -1;
            }
        }
        return new int[] {bestStart, bestEnd};
    }

    private static int count(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF) ? 1 : 0;
            }
        }
        return n;
    }

    private static int chroma(int rgb) {
        Color c = new Color(rgb);
        return Math.max(c.getRed(), Math.max(c.getGreen(), c.getBlue()))
            - Math.min(c.getRed(), Math.min(c.getGreen(), c.getBlue()));
    }

    private static double luminance(int rgb) {
        Color c = new Color(rgb);
        return (0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue()) / 255.0;
    }
}
