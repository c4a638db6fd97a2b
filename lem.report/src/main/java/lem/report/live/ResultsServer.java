package lem.report.live;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import lem.report.Report;
import lem.report.svg.Svg;
import lem.runtime.command.CommandFailure;

/**
 * The results over HTTP (the JDK's {@code com.sun.net.httpserver}), read-only and from disk
 * alone: {@code /} an index of experiments and campaigns, {@code /report/<id>} builds that
 * experiment's or campaign's report into {@code results/reports/<id>/} and shows it,
 * {@code /reports/<name>/<file>} serves a report's files, {@code /live} a page that polls
 * {@code /live.json} every second for the progress and power of what is running now.
 */
public final class ResultsServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "svg", "image/svg+xml",
            "png", "image/png", "json", "application/json", "csv", "text/csv; charset=utf-8");

    private final HttpServer server;
    private final ExecutorService executor;
    private final Path resultsRoot;
    private final long startedEpochMillis = System.currentTimeMillis();

    private ResultsServer(HttpServer server, ExecutorService executor, Path resultsRoot) {
        this.server = server;
        this.executor = executor;
        this.resultsRoot = resultsRoot;
    }

    /** Starts serving {@code resultsRoot} on {@code address:port} (port 0: any free one). */
    public static ResultsServer start(Path resultsRoot, InetAddress address, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "lem-serve");
            t.setDaemon(true);
            return t;
        });
        ResultsServer s = new ResultsServer(server, executor, resultsRoot.toAbsolutePath().normalize());
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/";
    }

    public Path resultsRoot() {
        return resultsRoot;
    }

    public long startedEpochMillis() {
        return startedEpochMillis;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "text/plain; charset=utf-8", "only GET: this server is read-only".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = URI.create(exchange.getRequestURI().getRawPath()).getPath();
            try {
                route(exchange, path);
            } catch (CommandFailure e) { // an id that names nothing: said as lem report says it
                send(exchange, 404, "text/html; charset=utf-8", page("lem: not found", "<p>" + Svg.escape(e.getMessage()) + "</p>"));
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                send(exchange, 500, "text/html; charset=utf-8", page("lem: error", "<p>" + Svg.escape(message) + "</p>"));
            }
        }
    }

    private void route(HttpExchange exchange, String path) throws IOException {
        if (path.equals("/")) {
            send(exchange, 200, TYPES.get("html"), index());
        } else if (path.equals("/live")) {
            send(exchange, 200, TYPES.get("html"), LivePage.html().getBytes(StandardCharsets.UTF_8));
        } else if (path.equals("/live.json")) {
            byte[] body = JSON.writeValueAsBytes(LiveStatus.of(resultsRoot, System.currentTimeMillis()));
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            send(exchange, 200, TYPES.get("json"), body);
        } else if (path.startsWith("/report/")) {
            String name = URLDecoder.decode(path.substring("/report/".length()), StandardCharsets.UTF_8);
            if (!safeName(name)) {
                notFound(exchange, path);
                return;
            }
            Report.Selection selection = Report.select(resultsRoot, List.of(name));
            Path out = resultsRoot.resolve(Report.REPORTS_DIR).resolve(selection.name());
            Report.write(selection, out, Optional.empty());
            exchange.getResponseHeaders().set("Location", "/reports/" + selection.name() + "/" + Report.HTML_FILE);
            send(exchange, 303, TYPES.get("html"), page("report", "<p>written: <a href=\"/reports/" + selection.name() + "/"
                    + Report.HTML_FILE + "\">" + Svg.escape(selection.name()) + "</a></p>"));
        } else if (path.startsWith("/reports/")) {
            String[] parts = path.substring("/reports/".length()).split("/");
            if (parts.length != 2 || !safeName(parts[0]) || !safeName(parts[1])) {
                notFound(exchange, path);
                return;
            }
            Path file = resultsRoot.resolve(Report.REPORTS_DIR).resolve(parts[0]).resolve(parts[1]);
            String type = TYPES.get(parts[1].substring(parts[1].lastIndexOf('.') + 1).toLowerCase(Locale.ROOT));
            if (type == null || !Files.isRegularFile(file)) {
                notFound(exchange, path);
                return;
            }
            send(exchange, 200, type, Files.readAllBytes(file));
        } else {
            notFound(exchange, path);
        }
    }

    /** A single path segment of letters, digits and {@code . _ = + , -}, not starting with a dot: no way out of the folder. */
    static boolean safeName(String name) {
        return !name.isEmpty() && !name.startsWith(".") && name.matches("[A-Za-z0-9._=+,-]+");
    }

    private void notFound(HttpExchange exchange, String path) throws IOException {
        send(exchange, 404, TYPES.get("html"), page("lem: not found", "<p>" + Svg.escape(path)
                + " is not here. <a href=\"/\">The index</a> lists what is.</p>"));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static byte[] page(String title, String body) {
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Svg.escape(title)
                + "</title><style>" + LivePage.CSS + "</style></head><body><p><a href=\"/\">index</a> | <a href=\"/live\">live</a></p>\n"
                + body + "</body></html>\n").getBytes(StandardCharsets.UTF_8);
    }

    private byte[] index() throws IOException {
        StringBuilder b = new StringBuilder("<h1>lem results: ").append(Svg.escape(resultsRoot.toString())).append("</h1>\n");
        b.append("<h2>Campaigns</h2>\n<table id=\"campaigns\"><tr><th>campaign</th><th>name</th><th>report</th></tr>\n");
        for (Path c : list(resultsRoot.resolve("campaigns"))) {
            JsonNode plan = read(c.resolve("plan.json"));
            if (plan == null) {
                continue;
            }
            String id = c.getFileName().toString();
            b.append("<tr><td>").append(Svg.escape(id)).append("</td><td>").append(Svg.escape(plan.path("name").asText()))
                    .append("</td><td>").append(reportLinks(id)).append("</td></tr>\n");
        }
        b.append("</table>\n<h2>Experiments</h2>\n<table id=\"experiments\"><tr><th>experiment</th><th>name</th><th>state</th>")
                .append("<th>report</th></tr>\n");
        for (Path e : list(resultsRoot)) {
            JsonNode status = read(e.resolve("status.json"));
            if (status == null && !Files.isRegularFile(e.resolve("result.json"))) {
                continue;
            }
            String id = e.getFileName().toString();
            b.append("<tr><td>").append(Svg.escape(id)).append("</td><td>")
                    .append(Svg.escape(status == null ? "" : status.path("name").asText())).append("</td><td>")
                    .append(Svg.escape(status == null ? "" : status.path("state").asText().toLowerCase(Locale.ROOT)))
                    .append("</td><td>").append(reportLinks(id)).append("</td></tr>\n");
        }
        b.append("</table>\n");
        return page("lem results", b.toString());
    }

    private String reportLinks(String id) {
        if (!safeName(id)) {
            return "";
        }
        String links = "<a href=\"/report/" + id + "\">make report</a>";
        if (Files.isRegularFile(resultsRoot.resolve(Report.REPORTS_DIR).resolve(id).resolve(Report.HTML_FILE))) {
            links = "<a href=\"/reports/" + id + "/" + Report.HTML_FILE + "\">report</a> | " + links.replace("make report", "remake");
        }
        return links;
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    private static JsonNode read(Path file) {
        try {
            return Files.isRegularFile(file) ? JSON.readTree(Files.readAllBytes(file)) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
