package lem.runtime.campaign;

/**
 * One run of a campaign's plan: addressable by its index alone, so that a background runner or a
 * Slurm array task ({@code SLURM_ARRAY_TASK_ID}) can run exactly one.
 *
 * @param index      0-based place in the campaign's order
 * @param experiment 0-based index into the campaign's experiments
 * @param cycle      1-based campaign cycle
 */
public record PlannedRun(int index, int experiment, int cycle) {
}
