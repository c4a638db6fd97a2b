package lem.report;

import lem.runtime.command.CommandFailure;

/**
 * A results file the report cannot use, or an argument it cannot act on: the shell prints the
 * message alone, naming the file or value and what is wrong.
 */
class ReportException extends CommandFailure {
    private static final long serialVersionUID = 1L;

    ReportException(String message) {
        super(message);
    }
}
