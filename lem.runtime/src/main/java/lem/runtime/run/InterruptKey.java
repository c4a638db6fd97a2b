package lem.runtime.run;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Ctrl-C while something long runs in the shell: stops that thing instead of the host. Installs
 * a SIGINT handler for its lifetime and restores the previous one on close. Uses
 * {@code sun.misc.Signal} (module jdk.unsupported) by reflection through the system class loader,
 * so the bundle needs no import of it; where it is missing, Ctrl-C keeps its usual meaning.
 */
public final class InterruptKey implements AutoCloseable {
    private final Object signal;
    private final Object previous;
    private final Method handle;

    private InterruptKey(Object signal, Object previous, Method handle) {
        this.signal = signal;
        this.previous = previous;
        this.handle = handle;
    }

    /** Calls {@code onInterrupt} on each Ctrl-C until closed. */
    public static InterruptKey install(Runnable onInterrupt) {
        try {
            ClassLoader system = ClassLoader.getSystemClassLoader();
            Class<?> signalClass = Class.forName("sun.misc.Signal", true, system);
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler", true, system);
            Object signal = signalClass.getConstructor(String.class).newInstance("INT");
            Object handler = Proxy.newProxyInstance(system, new Class<?>[] { handlerClass }, (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    onInterrupt.run();
                    return null;
                }
                return method.getName().equals("toString") ? "lem interrupt key" : null;
            });
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object previous = handle.invoke(null, signal, handler);
            return new InterruptKey(signal, previous, handle);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new InterruptKey(null, null, null); // no signal support: nothing to restore
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            try {
                handle.invoke(null, signal, previous);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // the previous handler could not be put back; the JVM's default stays unreachable
            }
        }
    }
}
