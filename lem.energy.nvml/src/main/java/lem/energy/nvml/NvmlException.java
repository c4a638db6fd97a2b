package lem.energy.nvml;

/** An NVML call failed, or the library could not be loaded; the message says which and why. */
final class NvmlException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The NVML return code, or {@link NvmlReturn#LIBRARY_NOT_FOUND} when loading failed. */
    private final int code;

    NvmlException(int code, String message) {
        super(message);
        this.code = code;
    }

    int code() {
        return code;
    }
}
