package lem.runtime.results;

/**
 * One raw file that aggregation read.
 *
 * @param cycle                 1-based cycle
 * @param process               0-based process
 * @param path                  relative to the experiment directory
 * @param complete              whether the process finished its window
 * @param incompleteReason      why not, or null
 * @param includedInStatistics  whether its numbers are in the metrics and statistics
 * @param exclusionReason       why not, or empty
 */
public record RawFileEntry(int cycle, int process, String path, boolean complete, String incompleteReason,
        boolean includedInStatistics, String exclusionReason) {
}
