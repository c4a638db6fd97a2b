package lem.energy.nvml;

import com.sun.jna.Pointer;

import lem.api.energy.DeviceInfo;

/**
 * A GPU or MIG instance NVML sees.
 *
 * @param id          its UUID ({@code GPU-...} or {@code MIG-...})
 * @param handle      its own NVML handle
 * @param boardHandle the physical GPU's handle: energy and power exist for the whole board only,
 *                    so a MIG instance reads its parent's
 * @param boardId     the physical GPU's UUID
 * @param mig         true for a MIG instance
 * @param info        what a result records about it
 */
record GpuDevice(String id, Pointer handle, Pointer boardHandle, String boardId, boolean mig, DeviceInfo info) {
}
