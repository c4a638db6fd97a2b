package lem.app;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code lem} with no arguments: the interactive Gogo shell, started by lem rather than by the
 * Gogo shell bundle.
 * <p>
 * The Gogo shell bundle runs its console as the command {@code gosh --login}, so every line typed
 * afterwards is a child job of that one job, and Gogo 1.1.6 never removes a finished child: one
 * {@code CommandSessionImpl$JobImpl} (with its pipes and result) stays on the heap per command, for
 * as long as the host runs (about 67 KB per experiment). Calling the {@code gogo:gosh} function
 * directly runs the same console outside any job, so each line is a job of its own that Gogo drops
 * when it finishes. The launcher sets {@code lem.interactive=true} and passes {@code --nointeractive}
 * to the Gogo shell bundle so that only this console reads the terminal.
 */
@Component(immediate = true)
public class InteractiveShell {
    static final String INTERACTIVE = "lem.interactive";
    private static final long GOSH_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    @Activate
    public InteractiveShell(@Reference CommandProcessor processor, BundleContext context) {
        if (Boolean.parseBoolean(context.getProperty(INTERACTIVE))) {
            Thread console = new Thread(() -> run(processor), "lem-shell");
            console.start();
        }
    }

    private static void run(CommandProcessor processor) {
        // the process's own descriptors: Gogo's System.out is a per-thread redirection
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true);
        CommandSession session = processor.createSession(new FileInputStream(FileDescriptor.in),
                new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err));
        try {
            Function gosh = awaitGosh(session);
            if (gosh == null) {
                err.println("lem: the Gogo shell did not start; the host runs without a console");
                return;
            }
            // --login reads etc/gosh_profile under gosh.home (lem's home); at end of input gosh stops the framework
            gosh.execute(session, List.of("--login"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            err.println("lem: the shell stopped: " + e);
        } finally {
            session.close();
        }
    }

    private static Function awaitGosh(CommandSession session) throws InterruptedException {
        long deadline = System.nanoTime() + GOSH_TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            if (session.get("gogo:gosh") instanceof Function f) {
                return f;
            }
            Thread.sleep(20);
        }
        return null;
    }
}
