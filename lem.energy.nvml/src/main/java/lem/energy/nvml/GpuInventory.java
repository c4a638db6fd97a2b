package lem.energy.nvml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;

/** Lists the GPUs (keyed by UUID, since NVML's index need not match CUDA's) and MIG instances. */
final class GpuInventory {
    private GpuInventory() {
    }

    /**
     * Physical GPUs first, in NVML order, each followed by its MIG instances.
     *
     * @param checkCounters whether to try each energy counter (about 4 ms a GPU) for the facts
     */
    static List<GpuDevice> scan(Nvml nvml, boolean checkCounters) throws NvmlException {
        List<GpuDevice> devices = new ArrayList<>();
        int count = nvml.deviceCount();
        for (int index = 0; index < count; index++) {
            Pointer handle = nvml.deviceByIndex(index);
            String uuid = nvml.uuid(handle);
            String name = nvml.name(handle);
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("nvml_index", Integer.toString(index));
            try {
                facts.put("power_limit_w", Double.toString(nvml.enforcedPowerLimitMilliwatts(handle) / 1000.0));
            } catch (NvmlException e) {
                facts.put("power_limit_w", "unknown: " + e.getMessage());
            }
            int migMode = nvml.migMode(handle);
            facts.put("mig_mode", migMode == 1 ? "enabled" : migMode == 0 ? "disabled" : "not supported");
            if (checkCounters) {
                facts.put("energy_counter", energyCounterSupport(nvml, handle));
            }
            devices.add(new GpuDevice(uuid, handle, handle, uuid, false,
                    new DeviceInfo(uuid, name, EnergyDomain.GPU, facts)));
            if (migMode == 1) {
                for (Pointer migHandle : nvml.migDevices(handle)) {
                    devices.add(migInstance(nvml, migHandle, uuid, name, facts.getOrDefault("energy_counter", "")));
                }
            }
        }
        return devices;
    }

    private static GpuDevice migInstance(Nvml nvml, Pointer migHandle, String boardUuid, String boardName,
            String boardCounter) throws NvmlException {
        Pointer parent = nvml.parentOfMig(migHandle);
        String uuid = nvml.uuid(migHandle);
        String name = nvml.name(migHandle);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("mig", "true");
        facts.put("parent_uuid", boardUuid);
        facts.put("parent_name", boardName);
        if (!boardCounter.isEmpty()) {
            facts.put("energy_counter", boardCounter + " (the whole board's, shared with its other MIG instances)");
        }
        return new GpuDevice(uuid, migHandle, parent, boardUuid, true,
                new DeviceInfo(uuid, name, EnergyDomain.GPU, facts));
    }

    /** "supported", or "not supported: ..." (pre-Volta GPUs). Costs one counter read (~4 ms). */
    private static String energyCounterSupport(Nvml nvml, Pointer handle) {
        Memory energy = new Memory(8);
        int code = nvml.library().nvmlDeviceGetTotalEnergyConsumption(handle, energy);
        return code == NvmlReturn.SUCCESS ? "supported" : "not supported: " + nvml.describe(code);
    }
}
