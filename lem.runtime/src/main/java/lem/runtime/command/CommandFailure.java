package lem.runtime.command;

/**
 * A command failed for a reason the user can act on (a wrong name, a bad file). The shell and
 * {@code lem <command>} print the message alone, without a stack trace, and exit non-zero.
 */
public class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailure(String message) {
        super(message);
    }
}
