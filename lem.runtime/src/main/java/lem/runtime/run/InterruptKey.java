package lem.runtime.run;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C while something long runs in the shell: stops that thing instead of the host. Installs
 * a SIGINT handler for its lifetime and restores the previous one on close. A run also takes
 * SIGTERM (a scheduler's time limit, {@code timeout}, {@code kill}) the same way, so that it records
 * what it measured and why it stopped; the termination is then passed on with
 * {@link #passOnTermination()}, and the process ends as SIGTERM asks. Uses {@code sun.misc.Signal}
 * (module jdk.unsupported) by reflection through the system class loader, so the bundle needs no
 * import of it; where it is missing, the signals keep their usual meaning.
 */
public final class InterruptKey implements AutoCloseable {
    /** The exit status of a process that SIGTERM ended, as shells report it (128 + 15). */
    static final int TERMINATED_STATUS = 143;

    private final Installed interrupt;
    private final Installed terminate;
    private final AtomicBoolean terminated;

    private InterruptKey(Installed interrupt, Installed terminate, AtomicBoolean terminated) {
        this.interrupt = interrupt;
        this.terminate = terminate;
        this.terminated = terminated;
    }

    /** Calls {@code onInterrupt} on each Ctrl-C until closed. */
    public static InterruptKey install(Runnable onInterrupt) {
        return new InterruptKey(Installed.handle("INT", onInterrupt), null, new AtomicBoolean());
    }

    /**
     * Calls {@code onInterrupt} on each Ctrl-C and {@code onTerminate} on SIGTERM until closed. After a
     * SIGTERM, {@link #terminated()} is true; call {@link #passOnTermination()} once what was measured
     * is saved and said.
     */
    public static InterruptKey install(Runnable onInterrupt, Runnable onTerminate) {
        AtomicBoolean terminated = new AtomicBoolean();
        Installed term = Installed.handle("TERM", () -> {
            terminated.set(true);
            onTerminate.run();
        });
        return new InterruptKey(Installed.handle("INT", onInterrupt), term, terminated);
    }

    /** Whether a SIGTERM arrived while installed. */
    public boolean terminated() {
        return terminated.get();
    }

    /**
     * Ends the process as the SIGTERM asked, through the handler that was there before (the JVM's:
     * shutdown hooks, then exit status 143). Does nothing when no SIGTERM arrived, or when the
     * signal was ignored before.
     */
    public void passOnTermination() {
        close();
        if (terminated() && terminate != null && terminate.signal != null && !terminate.previousIgnored()) {
            if (!terminate.invokePrevious()) {
                System.exit(TERMINATED_STATUS);
            }
        }
    }

    @Override
    public void close() {
        if (interrupt != null) {
            interrupt.restore();
        }
        if (terminate != null) {
            terminate.restore();
        }
    }

    /** One signal's handler, and the one it replaced. */
    private static final class Installed {
        private final Object signal;
        private final Object previous;
        private final Method handle;
        private final Class<?> handlerClass;
        private boolean restored;

        private Installed(Object signal, Object previous, Method handle, Class<?> handlerClass) {
            this.signal = signal;
            this.previous = previous;
            this.handle = handle;
            this.handlerClass = handlerClass;
        }

        static Installed handle(String name, Runnable action) {
            try {
                ClassLoader system = ClassLoader.getSystemClassLoader();
                Class<?> signalClass = Class.forName("sun.misc.Signal", true, system);
                Class<?> handlerClass = Class.forName("sun.misc.SignalHandler", true, system);
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                Object handler = Proxy.newProxyInstance(system, new Class<?>[] { handlerClass }, (proxy, method, args) -> {
                    if (method.getName().equals("handle")) {
                        action.run();
                        return null;
                    }
                    return method.getName().equals("toString") ? "lem " + name + " key" : null;
                });
                Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
                Object previous = handle.invoke(null, signal, handler);
                return new Installed(signal, previous, handle, handlerClass);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return new Installed(null, null, null, null); // no signal support: nothing to restore
            }
        }

        synchronized void restore() {
            if (handle != null && !restored) {
                restored = true;
                try {
                    handle.invoke(null, signal, previous);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // the previous handler could not be put back; the JVM's default stays unreachable
                }
            }
        }

        boolean previousIgnored() {
            try {
                return previous != null && previous.equals(handlerClass.getField("SIG_IGN").get(null));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return false;
            }
        }

        /** Calls the previous handler as the signal would have; false when it is the native default. */
        boolean invokePrevious() {
            try {
                handlerClass.getMethod("handle", signal.getClass()).invoke(previous, signal);
                return true;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return false; // SIG_DFL cannot be invoked from Java
            }
        }
    }
}
