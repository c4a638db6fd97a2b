package lem.report.svg;

import java.util.Locale;

/**
 * Writes SVG elements as text: attributes escaped, coordinates with two decimals, no external
 * reference (no fonts, no links), so a figure opens the same on any machine, inline in HTML or as
 * its own {@code .svg} file.
 */
public final class Svg {
    public static final String NAMESPACE = "http://www.w3.org/2000/svg";
    public static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

    private final StringBuilder out = new StringBuilder(4096);

    /** Opens the root element; {@code id} names the figure. */
    public Svg(String id, double widthPx, double heightPx) {
        out.append("<svg xmlns=\"").append(NAMESPACE).append("\" class=\"figure\" id=\"").append(escape(id))
                .append("\" width=\"").append(num(widthPx)).append("\" height=\"").append(num(heightPx))
                .append("\" viewBox=\"0 0 ").append(num(widthPx)).append(' ').append(num(heightPx)).append("\" ")
                .append(FONT).append(" font-size=\"12\">\n");
        out.append("<rect class=\"background\" x=\"0\" y=\"0\" width=\"").append(num(widthPx)).append("\" height=\"")
                .append(num(heightPx)).append("\" fill=\"#ffffff\"/>\n");
    }

    /** A number as SVG wants it: two decimals at most, '.' as the separator, no "-0". */
    public static String num(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("not a drawable coordinate: " + value);
        }
        String s = String.format(Locale.ROOT, "%.2f", value);
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return s.equals("-0") ? "0" : s;
    }

    /** Text for XML content or an attribute: &amp;, &lt;, &gt;, quotes escaped. */
    public static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
            case '&' -> b.append("&amp;");
            case '<' -> b.append("&lt;");
            case '>' -> b.append("&gt;");
            case '"' -> b.append("&quot;");
            case '\'' -> b.append("&#39;");
            default -> b.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
            }
        }
        return b.toString();
    }

    public Svg line(double x1, double y1, double x2, double y2, String stroke, double width, String cssClass) {
        out.append("<line class=\"").append(cssClass).append("\" x1=\"").append(num(x1)).append("\" y1=\"").append(num(y1))
                .append("\" x2=\"").append(num(x2)).append("\" y2=\"").append(num(y2)).append("\" stroke=\"").append(stroke)
                .append("\" stroke-width=\"").append(num(width)).append("\"/>\n");
        return this;
    }

    /** A text; {@code anchor} is start, middle or end; {@code rotate} in degrees about (x, y). */
    public Svg text(double x, double y, String text, String anchor, double fontPx, double rotate, String cssClass) {
        out.append("<text class=\"").append(cssClass).append("\" x=\"").append(num(x)).append("\" y=\"").append(num(y))
                .append("\" text-anchor=\"").append(anchor).append("\" font-size=\"").append(num(fontPx)).append('"');
        if (rotate != 0) {
            out.append(" transform=\"rotate(").append(num(rotate)).append(' ').append(num(x)).append(' ').append(num(y))
                    .append(")\"");
        }
        out.append(" fill=\"#222222\">").append(escape(text)).append("</text>\n");
        return this;
    }

    /** A path from its {@code d} data; {@code title} (may be null) shows on hover. */
    public Svg path(String d, String stroke, double width, String fill, String dash, String cssClass, String title) {
        out.append("<path class=\"").append(cssClass).append("\" d=\"").append(d).append("\" stroke=\"").append(stroke)
                .append("\" stroke-width=\"").append(num(width)).append("\" fill=\"").append(fill).append('"');
        if (dash != null) {
            out.append(" stroke-dasharray=\"").append(dash).append('"');
        }
        return close("path", title);
    }

    public Svg circle(double cx, double cy, double r, String fill, String stroke, String cssClass, String title) {
        out.append("<circle class=\"").append(cssClass).append("\" cx=\"").append(num(cx)).append("\" cy=\"").append(num(cy))
                .append("\" r=\"").append(num(r)).append("\" fill=\"").append(fill).append("\" stroke=\"").append(stroke)
                .append('"');
        return close("circle", title);
    }

    public Svg rect(double x, double y, double width, double height, String fill, double opacity, String cssClass,
            String title) {
        out.append("<rect class=\"").append(cssClass).append("\" x=\"").append(num(x)).append("\" y=\"").append(num(y))
                .append("\" width=\"").append(num(Math.max(0, width))).append("\" height=\"").append(num(Math.max(0, height)))
                .append("\" fill=\"").append(fill).append("\" fill-opacity=\"").append(num(opacity)).append('"');
        return close("rect", title);
    }

    private Svg close(String element, String title) {
        if (title == null) {
            out.append("/>\n");
        } else {
            out.append("><title>").append(escape(title)).append("</title></").append(element).append(">\n");
        }
        return this;
    }

    /** The document, closed. */
    public String finish() {
        return out + "</svg>\n";
    }
}
