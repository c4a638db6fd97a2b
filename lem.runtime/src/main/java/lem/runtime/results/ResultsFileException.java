package lem.runtime.results;

import java.nio.file.Path;

/** A results file that is missing, unreadable or malformed; the message names the file. */
public class ResultsFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ResultsFileException(Path file, String problem, Throwable cause) {
        super(file + " " + problem, cause);
        this.file = file;
    }

    public ResultsFileException(Path file, String problem) {
        this(file, problem, null);
    }

    public Path file() {
        return file;
    }
}
