package lem.backend.djl;

import ai.djl.engine.Engine;

/**
 * Sets the thread's context class loader to the class loader of DJL itself (in a framework: the
 * lem.djl library bundle's loader), and restores it on close. DJL finds its engines and tokenizer
 * natives through {@link java.util.ServiceLoader} and the context class loader; inside an OSGi
 * framework that is not DJL's loader, and DJL then reports "Deep learning engine not found:
 * PyTorch". DJL's loader, not this bundle's, because the natives DJL loads bind to the loader
 * that finds them for the life of the JVM: the library bundle outlives every revision of this
 * one, so an updated lem.backend.djl reuses the loaded libtorch. Every DJL entry point runs
 * inside one.
 */
final class DjlClassLoaderScope implements AutoCloseable {

    private final Thread thread;
    private final ClassLoader previous;

    private DjlClassLoaderScope() {
        thread = Thread.currentThread();
        previous = thread.getContextClassLoader();
        thread.setContextClassLoader(Engine.class.getClassLoader());
    }

    static DjlClassLoaderScope enter() {
        return new DjlClassLoaderScope();
    }

    @Override
    public void close() {
        thread.setContextClassLoader(previous);
    }
}
