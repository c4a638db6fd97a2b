package lem.report.svg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class SvgTest {
    /** Parses the SVG as XML (it must be well-formed) and counts the elements of class "mark" by name. */
    static int marks(String svg, String element) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        NodeList nodes = doc.getElementsByTagNameNS(Svg.NAMESPACE, element);
        int n = 0;
        for (int i = 0; i < nodes.getLength(); i++) {
            if ("mark".equals(((Element) nodes.item(i)).getAttribute("class"))) {
                n++;
            }
        }
        return n;
    }

    static List<String> texts(String svg, String cssClass) {
        Matcher m = Pattern.compile("<text class=\"" + cssClass + "\"[^>]*>([^<]*)</text>").matcher(svg);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void numbersAndTextAreWrittenSafely() {
        assertEquals("12.5", Svg.num(12.5));
        assertEquals("3", Svg.num(3.0));
        assertEquals("0.33", Svg.num(1 / 3.0));
        assertEquals("0", Svg.num(-0.001));
        assertThrows(IllegalArgumentException.class, () -> Svg.num(Double.NaN));
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", Svg.escape("a <b> & \"c\" 'd'"));
    }

    @Test
    void aChartDrawsEveryLayerAsMarksAndIsWellFormed() throws Exception {
        Chart chart = new Chart("c1", "Power <GPU-0>", 600, 300).axes(Axis.linear("time", "s", 0, 10, 6),
                Axis.linear("power", "W", 0, 300, 6));
        chart.spans("prefill", "#E69F00", new double[] {0, 4}, new double[] {1, 5});
        chart.spans("decode", "#56B4E9", new double[] {1}, new double[] {4});
        chart.horizontal("idle baseline", "#444444", 60);
        chart.horizontal("off the plot", "#444444", 900); // above the y range: not drawn
        chart.line("power", "#0072B2", new double[] {0, 5, 10}, new double[] {60, 250, 70});
        chart.points("front", "#D55E00", new double[] {2, 3}, new double[] {100, 200}, List.of("a", "b"), false);
        chart.errorBars("#000000", new double[] {100, 200}, new double[] {1.5, 2.5}, new double[] {2.5, Double.NaN});
        String svg = chart.render();
        assertEquals(3, marks(svg, "rect"));
        assertEquals(3, marks(svg, "path")); // baseline, power line, one error bar (the NaN one is left out)
        assertEquals(2, marks(svg, "circle"));
        assertTrue(svg.contains("Power &lt;GPU-0&gt;"));
        assertEquals(List.of("prefill", "decode", "idle baseline", "off the plot", "power", "front"), texts(svg, "legend"));
        assertEquals(List.of("time (s)", "power (W)"), texts(svg, "axis-title"));
    }

    @Test
    void aStepLineHoldsEachValueUntilTheNextX() {
        Chart chart = new Chart("cdf", "cdf", 400, 300).axes(Axis.linear("x", "", 0, 10, 6), Axis.linear("share", "", 0, 1, 6));
        chart.steps("a", "#000", new double[] {0, 5, 10}, new double[] {0, 0.5, 1});
        String svg = chart.render();
        Matcher m = Pattern.compile("<path class=\"mark\" d=\"([^\"]+)\"").matcher(svg);
        assertTrue(m.find());
        String[] moves = m.group(1).split("(?=[ML])");
        // M (x0,y0), then for each next point a horizontal move at the old y, then the new point
        assertEquals(5, moves.length, m.group(1));
        assertEquals(moves[0].substring(moves[0].indexOf(',')), moves[1].substring(moves[1].indexOf(',')));
        assertEquals(moves[1].substring(1, moves[1].indexOf(',')), moves[2].substring(1, moves[2].indexOf(',')));
    }

    @Test
    void valuesALogAxisCannotDrawAreLeftOutNotClamped() throws Exception {
        Chart chart = new Chart("log", "log", 500, 300).axes(Axis.log("x", "ms", 1, 1000, 10), Axis.linear("y", "", 0, 1, 6));
        chart.points("p", "#000", new double[] {0, 10, 100}, new double[] {0.5, 0.5, 0.5}, null, true);
        assertEquals(2, marks(chart.render(), "circle"));
    }

    @Test
    void tickLabelsOfARenderedChartDoNotOverlap() {
        Chart chart = new Chart("narrow", "narrow", 260, 200).axes(Axis.linear("tokens", "", 0, 2_345_678, 12),
                Axis.linear("y", "", 0, 1, 12));
        chart.line("l", "#000", new double[] {0, 2_345_678}, new double[] {0, 1});
        String svg = chart.render();
        Matcher m = Pattern.compile("<text class=\"tick\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" text-anchor=\"middle\"[^>]*>([^<]*)<")
                .matcher(svg);
        double lastRight = Double.NEGATIVE_INFINITY;
        int n = 0;
        while (m.find()) {
            double x = Double.parseDouble(m.group(1));
            double half = Axis.labelWidth(m.group(3), 12) / 2;
            assertTrue(x - half >= lastRight, "label " + m.group(3) + " overlaps the one before it");
            lastRight = x + half;
            n++;
        }
        assertTrue(n >= 2, svg);
    }

    @Test
    void intervalChartHasADotPerExperimentAndABarPerInterval() throws Exception {
        String svg = new IntervalChart("e", "Energy", "J per output token", "J/token").row("exp-a", 0.5, 0.4, 0.6)
                .row("exp-b-" + "x".repeat(80), 0.8, null, null).render(700);
        assertEquals(2, marks(svg, "circle"));
        assertEquals(1, marks(svg, "path"));
        List<String> names = texts(svg, "category");
        assertEquals("exp-a", names.get(0));
        assertEquals(IntervalChart.MAX_NAME_CHARS, names.get(1).length());
        assertTrue(svg.contains("exp-a: 0.5000 J/token, 95% CI [0.4000, 0.6000]"), svg);
        assertFalse(texts(svg, "tick").isEmpty());
        assertEquals("0.0", texts(svg, "tick").get(0)); // the value axis starts at 0
    }
}
