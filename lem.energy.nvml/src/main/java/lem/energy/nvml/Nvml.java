package lem.energy.nvml;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * A loaded libnvidia-ml with typed calls for the one-off queries (inventory, versions). The
 * sampler and the energy counters call {@link #samplerCalls()} with their own buffers.
 */
final class Nvml {
    /** System property naming the library (a path or a JNA name) when the component's config does not. */
    static final String LIBRARY_PROPERTY = "lem.nvml.library";
    /** Tried in order when nothing is configured: driver hosts often lack the unversioned .so link. */
    static final List<String> DEFAULT_LIBRARIES = List.of("libnvidia-ml.so.1", "nvidia-ml");

    private static final int UUID_BUFFER = 96;
    private static final int NAME_BUFFER = 96;
    private static final int DRIVER_VERSION_BUFFER = 80;

    private final NvmlLibrary library;
    private final NvmlSamplerCalls samplerCalls;
    private final String libraryName;
    private final AtomicInteger openScopes = new AtomicInteger();

    private Nvml(NvmlLibrary library, String libraryName) {
        this.library = library;
        this.libraryName = libraryName;
        NvmlSamplerCalls direct = DirectSamplerCalls.bind(libraryName);
        this.samplerCalls = direct != null ? direct : library;
    }

    /**
     * Loads the library: {@code configured} when not blank, else the system property
     * {@value #LIBRARY_PROPERTY}, else {@link #DEFAULT_LIBRARIES}.
     */
    static Nvml load(String configured) throws NvmlException {
        List<String> candidates;
        if (configured != null && !configured.isBlank()) {
            candidates = List.of(configured.trim());
        } else {
            String property = System.getProperty(LIBRARY_PROPERTY, "");
            candidates = property.isBlank() ? DEFAULT_LIBRARIES : List.of(property.trim());
        }
        List<String> failures = new ArrayList<>();
        for (String candidate : candidates) {
            try {
                return new Nvml(Native.load(candidate, NvmlLibrary.class), candidate);
            } catch (UnsatisfiedLinkError e) {
                failures.add(candidate + ": " + firstLine(e.getMessage()));
            }
        }
        throw new NvmlException(NvmlReturn.LIBRARY_NOT_FOUND, "NVML library not found: " + String.join("; ", failures)
                + " (no NVIDIA driver on this host? set " + LIBRARY_PROPERTY + " or the component's 'library' to its path)");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "not found";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    NvmlLibrary library() {
        return library;
    }

    /** The per-sample calls: direct-mapped where possible, else the proxy. */
    NvmlSamplerCalls samplerCalls() {
        return samplerCalls;
    }

    /** Whether {@link #samplerCalls()} bypasses the interface proxy. */
    boolean directSampling() {
        return samplerCalls != library;
    }

    String libraryName() {
        return libraryName;
    }

    /** NVML's text for a return code, with the code. */
    String describe(int code) {
        String text;
        try {
            text = library.nvmlErrorString(code);
        } catch (UnsatisfiedLinkError e) {
            text = null;
        }
        return (text == null ? NvmlReturn.name(code) : text) + " (" + code + ")";
    }

    void check(int code, String function) throws NvmlException {
        if (code != NvmlReturn.SUCCESS) {
            throw new NvmlException(code, function + " failed: " + describe(code));
        }
    }

    /**
     * Initialises NVML for the life of the returned scope. NVML counts {@code nvmlInit_v2} calls;
     * each scope makes exactly one and its close exactly one {@code nvmlShutdown}.
     */
    Scope open() throws NvmlException {
        int code = library.nvmlInit_v2();
        if (code != NvmlReturn.SUCCESS) {
            String hint = code == NvmlReturn.DRIVER_NOT_LOADED ? " (the NVIDIA kernel driver is not loaded)"
                    : code == NvmlReturn.NO_PERMISSION ? " (no permission to open /dev/nvidia*)" : "";
            throw new NvmlException(code, "nvmlInit_v2 failed: " + describe(code) + hint);
        }
        openScopes.incrementAndGet();
        return new Scope();
    }

    /** Scopes open now (for tests and diagnostics). */
    int openScopes() {
        return openScopes.get();
    }

    /** One {@code nvmlInit_v2}, released by {@link #close()}. */
    final class Scope implements AutoCloseable {
        private final AtomicBoolean closed = new AtomicBoolean();

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                openScopes.decrementAndGet();
                library.nvmlShutdown();
            }
        }
    }

    int deviceCount() throws NvmlException {
        Memory count = new Memory(4);
        check(library.nvmlDeviceGetCount_v2(count), "nvmlDeviceGetCount_v2");
        return count.getInt(0);
    }

    Pointer deviceByIndex(int index) throws NvmlException {
        Memory handle = new Memory(Native.POINTER_SIZE);
        check(library.nvmlDeviceGetHandleByIndex_v2(index, handle), "nvmlDeviceGetHandleByIndex_v2(" + index + ")");
        return handle.getPointer(0);
    }

    String uuid(Pointer device) throws NvmlException {
        Memory buffer = new Memory(UUID_BUFFER);
        check(library.nvmlDeviceGetUUID(device, buffer, UUID_BUFFER), "nvmlDeviceGetUUID");
        return buffer.getString(0, "US-ASCII");
    }

    String name(Pointer device) throws NvmlException {
        Memory buffer = new Memory(NAME_BUFFER);
        check(library.nvmlDeviceGetName(device, buffer, NAME_BUFFER), "nvmlDeviceGetName");
        return buffer.getString(0, "UTF-8");
    }

    String driverVersion() throws NvmlException {
        Memory buffer = new Memory(DRIVER_VERSION_BUFFER);
        check(library.nvmlSystemGetDriverVersion(buffer, DRIVER_VERSION_BUFFER), "nvmlSystemGetDriverVersion");
        return buffer.getString(0, "US-ASCII");
    }

    /** CUDA driver version as NVML encodes it (1000 x major + 10 x minor). */
    int cudaDriverVersion() throws NvmlException {
        Memory version = new Memory(4);
        check(library.nvmlSystemGetCudaDriverVersion(version), "nvmlSystemGetCudaDriverVersion");
        return version.getInt(0);
    }

    /** 12040 -> "12.4"; 11080 -> "11.8" (nvml.h's NVML_CUDA_DRIVER_VERSION_MAJOR/MINOR). */
    static String formatCudaVersion(int encoded) {
        return (encoded / 1000) + "." + (encoded % 1000 / 10);
    }

    long enforcedPowerLimitMilliwatts(Pointer device) throws NvmlException {
        Memory limit = new Memory(4);
        check(library.nvmlDeviceGetEnforcedPowerLimit(device, limit), "nvmlDeviceGetEnforcedPowerLimit");
        return Integer.toUnsignedLong(limit.getInt(0));
    }

    /** Current MIG mode: 1 enabled, 0 disabled, -1 when the GPU has no MIG. */
    int migMode(Pointer device) {
        Memory current = new Memory(4);
        Memory pending = new Memory(4);
        int code = library.nvmlDeviceGetMigMode(device, current, pending);
        return code == NvmlReturn.SUCCESS ? current.getInt(0) : -1;
    }

    boolean isMigDevice(Pointer device) {
        Memory isMig = new Memory(4);
        try {
            return library.nvmlDeviceIsMigDeviceHandle(device, isMig) == NvmlReturn.SUCCESS && isMig.getInt(0) != 0;
        } catch (UnsatisfiedLinkError e) {
            return false; // drivers before MIG existed
        }
    }

    /** The MIG instances of a physical GPU in MIG mode, by slot. */
    List<Pointer> migDevices(Pointer device) throws NvmlException {
        Memory count = new Memory(4);
        check(library.nvmlDeviceGetMaxMigDeviceCount(device, count), "nvmlDeviceGetMaxMigDeviceCount");
        List<Pointer> result = new ArrayList<>();
        Memory handle = new Memory(Native.POINTER_SIZE);
        for (int slot = 0; slot < count.getInt(0); slot++) {
            int code = library.nvmlDeviceGetMigDeviceHandleByIndex(device, slot, handle);
            if (code == NvmlReturn.SUCCESS) {
                result.add(handle.getPointer(0));
            } else if (code != NvmlReturn.NOT_FOUND) {
                check(code, "nvmlDeviceGetMigDeviceHandleByIndex(" + slot + ")");
            }
        }
        return result;
    }

    Pointer parentOfMig(Pointer migDevice) throws NvmlException {
        Memory handle = new Memory(Native.POINTER_SIZE);
        check(library.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(migDevice, handle),
                "nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
        return handle.getPointer(0);
    }
}
