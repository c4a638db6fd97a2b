package lem.report;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import lem.report.browser.HeadlessBrowser;
import lem.report.live.ResultsServer;
import lem.runtime.command.CommandFailure;
import lem.runtime.sql.ResultsSql;

/**
 * {@code lem:report} (an HTML report with SVG figures of experiments or a campaign) and
 * {@code lem:serve} (the reports and a live view over HTTP from the host, off until started,
 * bound to 127.0.0.1 unless {@code --bind} names another address).
 */
@Component(service = ReportCommands.class, property = { "osgi.command.scope=lem", "osgi.command.function=report",
        "osgi.command.function=serve" })
public class ReportCommands {
    static final String REPORT_USAGE = "usage: lem report <experiment id | campaign id> [more ids ...] | --query \"<SQL>\""
            + " [--out <folder>] [--dir <results folder>]";
    static final String SERVE_USAGE = "usage: lem serve [--port 8321] [--bind 127.0.0.1] [--dir <results folder>] | lem serve stop"
            + " | lem serve status";
    static final int DEFAULT_PORT = 8321;
    static final String LOOPBACK = "127.0.0.1";

    private final boolean oneShot;
    private ResultsServer server; // guarded by this
    /** The SQL engine (lem.results.sql) that answers {@code --query}; it may come and go. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ResultsSql sql;

    @Activate
    public ReportCommands(BundleContext context) {
        this.oneShot = context.getProperty("lem.argc") != null;
    }

    ReportCommands(boolean oneShot) {
        this.oneShot = oneShot;
    }

    @Deactivate
    synchronized void deactivate() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @Descriptor("write an HTML report with SVG figures (and PNG with chromium-headless-shell) of experiments, a campaign"
            + " or the experiments a query selects")
    public String report(@Descriptor("experiment ids, unique prefixes or a campaign id, or --query \"<SQL>\" whose"
            + " experiment_id column names the experiments; --out <folder> (default results/reports/<name>), --dir"
            + " <results folder> (default results)") String... args) throws IOException {
        List<String> ids = new ArrayList<>();
        String out = null;
        String dir = "results";
        String query = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--out" -> out = value(args, ++i, "--out", REPORT_USAGE);
            case "--query" -> query = value(args, ++i, "--query", REPORT_USAGE);
            case "--dir" -> dir = value(args, ++i, "--dir", REPORT_USAGE);
            default -> {
                if (args[i].startsWith("-")) {
                    throw new CommandFailure("lem report: unknown option " + args[i] + "; " + REPORT_USAGE);
                }
                ids.add(args[i]);
            }
            }
        }
        Path resultsRoot = workingDirectory().resolve(dir);
        if (query != null) {
            if (!ids.isEmpty()) {
                throw new CommandFailure("lem report: name experiments or give --query, not both; " + REPORT_USAGE);
            }
            ids = QuerySelection.experimentIds(sql, resultsRoot, query);
        }
        if (ids.isEmpty()) {
            throw new CommandFailure("lem report: no experiment or campaign named; " + REPORT_USAGE);
        }
        Report.Selection selection = Report.select(resultsRoot, ids);
        if (query != null) {
            selection = QuerySelection.named(selection, query);
        }
        Path target = out == null ? resultsRoot.resolve(Report.REPORTS_DIR).resolve(selection.name()) : workingDirectory().resolve(out);
        return Report.write(selection, target.toAbsolutePath().normalize(), HeadlessBrowser.find()).describe();
    }

    @Descriptor("serve the reports, an index of results and a live view (/live) over HTTP; stop; status")
    public synchronized String serve(@Descriptor("[stop | status] [--port N (default 8321, 0: any free)] [--bind address"
            + " (default 127.0.0.1)] [--dir <results folder>]") String... args) throws IOException {
        if (args.length == 1 && args[0].equals("stop")) {
            if (server == null) {
                return "lem serve: not serving";
            }
            String url = server.url();
            server.close();
            server = null;
            return "stopped serving " + url;
        }
        if (args.length == 1 && args[0].equals("status")) {
            return server == null ? "not serving (lem serve starts it)"
                    : "serving " + server.resultsRoot() + " on " + server.url() + " since " + Instant.ofEpochMilli(server.startedEpochMillis())
                            + "; live view: " + server.url() + "live";
        }
        int port = DEFAULT_PORT;
        String bind = null;
        String dir = "results";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
            case "--port" -> port = port(value(args, ++i, "--port", SERVE_USAGE));
            case "--bind" -> bind = value(args, ++i, "--bind", SERVE_USAGE);
            case "--dir" -> dir = value(args, ++i, "--dir", SERVE_USAGE);
            default -> throw new CommandFailure("lem serve: unknown argument '" + args[i] + "'; " + SERVE_USAGE);
            }
        }
        if (server != null) {
            throw new CommandFailure("lem serve: already serving on " + server.url() + " (lem serve stop first)");
        }
        InetAddress address = address(bind);
        String warning = address.isLoopbackAddress() ? ""
                : "\nwarning: bound to " + address.getHostAddress() + " as --bind asked, not to the loopback address: anyone who can"
                        + " reach this host on port " + port + " can read these results (there is no login)";
        try {
            server = ResultsServer.start(workingDirectory().resolve(dir), address, port);
        } catch (java.net.BindException e) {
            throw new CommandFailure("lem serve: cannot listen on " + address.getHostAddress() + ":" + port + " (" + e.getMessage()
                    + "); choose another --port");
        }
        String started = "serving " + server.resultsRoot() + " on " + server.url() + " (live view: " + server.url() + "live)"
                + warning;
        if (oneShot) {
            // `./lem serve` outside the host: serve until the process is stopped (Ctrl-C)
            System.out.println(started + "\nserving until Ctrl-C; in the long-lived host (./lem) serve runs in the background");
            System.out.flush();
            try {
                Thread.currentThread().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return started;
    }

    /**
     * The address to bind: 127.0.0.1 when none is given. Any address is accepted only when named
     * with --bind; a name that does not resolve is refused.
     */
    static InetAddress address(String bind) {
        try {
            return InetAddress.getByName(bind == null ? LOOPBACK : bind);
        } catch (UnknownHostException e) {
            throw new CommandFailure("lem serve: --bind '" + bind + "' is not an address of this host (e.g. 127.0.0.1, the"
                    + " default, or 0.0.0.0 for every interface)");
        }
    }

    static int port(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new CommandFailure("lem serve: --port '" + text + "' is not a port number (0 to 65535; 0 picks a free one);"
                + " the address goes in --bind");
    }

    private static String value(String[] args, int i, String option, String usage) {
        if (i >= args.length) {
            throw new CommandFailure(option + " needs a value; " + usage);
        }
        return args[i];
    }

    static Path workingDirectory() {
        return Path.of(System.getProperty("user.dir"));
    }

    /** The server now running, for tests; null when off. */
    synchronized ResultsServer server() {
        return server;
    }
}
