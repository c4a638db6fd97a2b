package lem.backend.djl;

/**
 * Sets the thread's context class loader to this bundle's class loader, and restores it on close.
 * DJL finds its engines and tokenizer natives through {@link java.util.ServiceLoader} and the
 * context class loader; inside an OSGi framework that is not the bundle's loader, and DJL then
 * reports "Deep learning engine not found: PyTorch". Every DJL entry point runs inside one.
 */
final class BundleClassLoaderScope implements AutoCloseable {

    private final Thread thread;
    private final ClassLoader previous;

    private BundleClassLoaderScope() {
        thread = Thread.currentThread();
        previous = thread.getContextClassLoader();
        thread.setContextClassLoader(BundleClassLoaderScope.class.getClassLoader());
    }

    static BundleClassLoaderScope enter() {
        return new BundleClassLoaderScope();
    }

    @Override
    public void close() {
        thread.setContextClassLoader(previous);
    }
}
