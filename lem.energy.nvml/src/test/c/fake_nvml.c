/*
 * A fake libnvidia-ml for lem's tests: exports the NVML functions lem binds, with the real
 * signatures, return codes and struct layouts (nvml.h), and answers from a script.
 *
 * Script (path from fake_nvml_load_script() or the env var FAKE_NVML_SCRIPT), one directive a line:
 *   driver_version 580.95.05
 *   cuda_driver_version 12040
 *   init_return 9                       what nvmlInit_v2 returns
 *   device <index> <uuid> <name...>     a physical GPU
 *   mig <parent index> <slot> <uuid> <name...>   a MIG instance of that GPU
 *   <key> <device uuid> <v1> <v2> ...   successive calls return v1, v2, ...; the last repeats
 * Keys: energy (mJ), energy_return, power (mW, nvmlDeviceGetPowerUsage), power_return,
 *   power_instant (mW, field 186), power_instant_return, power_average (field 185),
 *   temperature (C), sm_clock, memory_clock (MHz), gpu_util, memory_util (%),
 *   memory_total, memory_used (bytes), event_reasons (bits), event_reasons_return,
 *   throttle_reasons, pstate, power_limit (mW), mig_mode, uuid_return, energy_call_us (how long
 *   nvmlDeviceGetTotalEnergyConsumption takes, its value read at the end).
 * A value may be written in hex (0x20). Any *_return key gives the NVML return code.
 *
 * Or, for a device, power as a function of time, as a real GPU behaves:
 *   power_profile <uuid> <step ms> <W from load> [<ms>:<W> ...]
 * Power (field 186 and nvmlDeviceGetPowerUsage) is <W from load> from the moment the script was
 * loaded (CLOCK_MONOTONIC, the clock of Java's System.nanoTime on Linux) and changes to each <W>
 * at <ms> after it; the energy counter holds the exact integral of that power up to the latest
 * multiple of <step ms> since the load, as NVML's counter steps about every 100 ms. Sequence keys
 * (energy, power_instant, power) named for the device still take precedence.
 * fake_nvml_profile_joules(uuid, from, to) gives the exact energy between two instants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#define MAX_DEVICES 16
#define MAX_KEYS 32
#define MAX_VALUES 256

typedef struct {
    char name[32];
    long long values[MAX_VALUES];
    int count;
    int next;
} sequence;

typedef struct fake_device {
    char uuid[96];
    char name[96];
    struct fake_device *parent; /* NULL for a physical GPU */
    int slot;
    sequence keys[MAX_KEYS];
    int key_count;
    /* power_profile: steps of the counter, and power from at_ns[i] (since the load) on */
    long long step_ns;
    int profile_points;
    long long at_ns[MAX_VALUES];
    double watts[MAX_VALUES];
} fake_device;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fake_device devices[MAX_DEVICES];
static int device_count;
static fake_device migs[MAX_DEVICES];
static int mig_count;
static char driver_version[80] = "580.95.05";
static int cuda_driver_version = 12040;
static int init_return;
static int init_depth;
static int loaded;
static long calls_energy, calls_power, calls_fields, calls_event_reasons;
static long long epoch_ns; /* CLOCK_MONOTONIC when the script was loaded */

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long) now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Exact energy of a power profile from the load to t (ns since the load), in joules. */
static double profile_joules_to(const struct fake_device *d, long long t);

static sequence *find_key(fake_device *d, const char *key, int create) {
    for (int i = 0; i < d->key_count; i++) {
        if (strcmp(d->keys[i].name, key) == 0) return &d->keys[i];
    }
    if (!create || d->key_count == MAX_KEYS) return NULL;
    sequence *s = &d->keys[d->key_count++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", key);
    return s;
}

/* Next value of a key, or fallback when the script does not name it. */
static long long next_value(fake_device *d, const char *key, long long fallback) {
    sequence *s = find_key(d, key, 0);
    if (s == NULL || s->count == 0) return fallback;
    long long v = s->values[s->next];
    if (s->next < s->count - 1) s->next++;
    return v;
}

static fake_device *by_uuid(const char *uuid) {
    for (int i = 0; i < device_count; i++) if (strcmp(devices[i].uuid, uuid) == 0) return &devices[i];
    for (int i = 0; i < mig_count; i++) if (strcmp(migs[i].uuid, uuid) == 0) return &migs[i];
    return NULL;
}

static void rest_of_line(char *dst, size_t size) {
    char *rest = strtok(NULL, "\n");
    while (rest != NULL && *rest == ' ') rest++;
    snprintf(dst, size, "%s", rest == NULL ? "" : rest);
}

/* Loads a script, replacing all state; returns 0, or -1 when the file cannot be read. */
int fake_nvml_load_script(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    pthread_mutex_lock(&lock);
    memset(devices, 0, sizeof devices);
    memset(migs, 0, sizeof migs);
    device_count = mig_count = 0;
    snprintf(driver_version, sizeof driver_version, "580.95.05");
    cuda_driver_version = 12040;
    init_return = 0;
    calls_energy = calls_power = calls_fields = calls_event_reasons = 0;
    epoch_ns = monotonic_ns();
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL) {
        char *hash = strchr(line, '#');
        if (hash != NULL) *hash = '\0';
        char *word = strtok(line, " \t\r\n");
        if (word == NULL) continue;
        if (strcmp(word, "driver_version") == 0) {
            snprintf(driver_version, sizeof driver_version, "%s", strtok(NULL, " \t\r\n"));
        } else if (strcmp(word, "cuda_driver_version") == 0) {
            cuda_driver_version = (int) strtol(strtok(NULL, " \t\r\n"), NULL, 0);
        } else if (strcmp(word, "init_return") == 0) {
            init_return = (int) strtol(strtok(NULL, " \t\r\n"), NULL, 0);
        } else if (strcmp(word, "device") == 0 && device_count < MAX_DEVICES) {
            int index = atoi(strtok(NULL, " \t\r\n"));
            fake_device *d = &devices[index];
            if (index >= device_count) device_count = index + 1;
            snprintf(d->uuid, sizeof d->uuid, "%s", strtok(NULL, " \t\r\n"));
            rest_of_line(d->name, sizeof d->name);
        } else if (strcmp(word, "mig") == 0 && mig_count < MAX_DEVICES) {
            fake_device *m = &migs[mig_count++];
            m->parent = &devices[atoi(strtok(NULL, " \t\r\n"))];
            m->slot = atoi(strtok(NULL, " \t\r\n"));
            snprintf(m->uuid, sizeof m->uuid, "%s", strtok(NULL, " \t\r\n"));
            rest_of_line(m->name, sizeof m->name);
        } else if (strcmp(word, "power_profile") == 0) {
            fake_device *d = by_uuid(strtok(NULL, " \t\r\n"));
            if (d == NULL) continue;
            d->step_ns = strtoll(strtok(NULL, " \t\r\n"), NULL, 0) * 1000000LL;
            d->profile_points = 0;
            char *v;
            while ((v = strtok(NULL, " \t\r\n")) != NULL && d->profile_points < MAX_VALUES) {
                char *colon = strchr(v, ':');
                d->at_ns[d->profile_points] = colon == NULL ? 0 : strtoll(v, NULL, 0) * 1000000LL;
                d->watts[d->profile_points++] = strtod(colon == NULL ? v : colon + 1, NULL);
            }
        } else {
            char *uuid = strtok(NULL, " \t\r\n");
            fake_device *d = uuid == NULL ? NULL : by_uuid(uuid);
            if (d == NULL) {
                fprintf(stderr, "fake_nvml: %s: unknown device in line for key %s\n", path, word);
                continue;
            }
            sequence *s = find_key(d, word, 1);
            if (s == NULL) continue;
            s->count = s->next = 0;
            char *v;
            while ((v = strtok(NULL, " \t\r\n")) != NULL && s->count < MAX_VALUES) {
                s->values[s->count++] = strtoll(v, NULL, 0);
            }
        }
    }
    fclose(f);
    loaded = 1;
    pthread_mutex_unlock(&lock);
    return 0;
}

/* How many nvmlInit_v2 calls are not yet matched by nvmlShutdown. */
int fake_nvml_init_depth(void) { return init_depth; }

static double profile_joules_to(const struct fake_device *d, long long t) {
    double joules = 0;
    for (int i = 0; i < d->profile_points && d->at_ns[i] < t; i++) {
        long long end = i + 1 < d->profile_points && d->at_ns[i + 1] < t ? d->at_ns[i + 1] : t;
        joules += d->watts[i] * (double) (end - d->at_ns[i]) / 1e9;
    }
    return joules;
}

static double profile_watts_at(const struct fake_device *d, long long t) {
    double watts = d->profile_points > 0 ? d->watts[0] : 0;
    for (int i = 0; i < d->profile_points && d->at_ns[i] <= t; i++) watts = d->watts[i];
    return watts;
}

/* CLOCK_MONOTONIC at the script's load: where a power profile's time starts. */
long long fake_nvml_epoch_ns(void) { return epoch_ns; }

/* Exact energy (J) of a device's power profile between two CLOCK_MONOTONIC instants. */
double fake_nvml_profile_joules(const char *uuid, long long from_ns, long long to_ns) {
    fake_device *d = by_uuid(uuid);
    if (d == NULL || d->profile_points == 0) return -1;
    return profile_joules_to(d, to_ns - epoch_ns) - profile_joules_to(d, from_ns - epoch_ns);
}

/* A profiled device's answer for a key at this instant; 0 when the key has no profile meaning. */
static int profiled(fake_device *d, const char *key, long long *out) {
    if (d->profile_points == 0 || find_key(d, key, 0) != NULL) return 0;
    long long t = monotonic_ns() - epoch_ns;
    if (strcmp(key, "energy") == 0) {
        long long stepped = d->step_ns > 0 ? t / d->step_ns * d->step_ns : t;
        *out = (long long) (profile_joules_to(d, stepped) * 1000); /* mJ */
        return 1;
    }
    if (strcmp(key, "power_instant") == 0 || strcmp(key, "power") == 0) {
        *out = (long long) (profile_watts_at(d, t) * 1000); /* mW */
        return 1;
    }
    return 0;
}

/* How often a function was called since the script was loaded: energy, power, fields, event_reasons. */
long fake_nvml_call_count(const char *what) {
    if (strcmp(what, "energy") == 0) return calls_energy;
    if (strcmp(what, "power") == 0) return calls_power;
    if (strcmp(what, "fields") == 0) return calls_fields;
    if (strcmp(what, "event_reasons") == 0) return calls_event_reasons;
    return -1;
}

/* ---- NVML ---- */

typedef void *nvmlDevice_t;

typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;
typedef struct {
    unsigned int fieldId;
    unsigned int scopeId;
    long long timestamp;
    long long latencyUsec;
    int valueType;
    int nvmlReturn;
    union { double dVal; unsigned int uiVal; unsigned long ulVal; unsigned long long ullVal; long long sllVal; } value;
} nvmlFieldValue_t; /* 40 bytes, as in nvml.h */

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7

int nvmlInit_v2(void) {
    pthread_mutex_lock(&lock);
    if (!loaded) {
        const char *path = getenv("FAKE_NVML_SCRIPT");
        pthread_mutex_unlock(&lock);
        if (path != NULL) fake_nvml_load_script(path);
        pthread_mutex_lock(&lock);
    }
    int r = init_return;
    if (r == NVML_SUCCESS) init_depth++;
    pthread_mutex_unlock(&lock);
    return r;
}

int nvmlShutdown(void) {
    pthread_mutex_lock(&lock);
    int r = init_depth > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
    if (init_depth > 0) init_depth--;
    pthread_mutex_unlock(&lock);
    return r;
}

const char *nvmlErrorString(int result) {
    switch (result) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 9: return "Driver Not Loaded";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    default: return "Unknown Error";
    }
}

#define CHECK_INIT() if (init_depth == 0) return NVML_ERROR_UNINITIALIZED

/* Every per-device answer goes through here: a *_return key in the script overrides success. */
static int scripted(nvmlDevice_t dev, const char *key, const char *return_key, long long fallback, long long *out) {
    if (init_depth == 0) return NVML_ERROR_UNINITIALIZED;
    if (dev == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    fake_device *d = dev;
    pthread_mutex_lock(&lock);
    int r = (int) next_value(d, return_key, NVML_SUCCESS);
    long long v;
    if (!profiled(d, key, &v)) v = next_value(d, key, fallback);
    pthread_mutex_unlock(&lock);
    if (r == NVML_SUCCESS) *out = v;
    return r;
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    CHECK_INIT();
    if (strlen(driver_version) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(version, driver_version);
    return NVML_SUCCESS;
}

int nvmlSystemGetCudaDriverVersion(int *version) {
    CHECK_INIT();
    *version = cuda_driver_version;
    return NVML_SUCCESS;
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
    CHECK_INIT();
    *count = (unsigned int) device_count;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    CHECK_INIT();
    if (index >= (unsigned int) device_count) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &devices[index];
    return NVML_SUCCESS;
}

static int copy_string(const char *s, char *buf, unsigned int length) {
    if (strlen(s) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(buf, s);
    return NVML_SUCCESS;
}

int nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned int length) {
    long long ignored;
    int r = scripted(dev, "", "uuid_return", 0, &ignored);
    return r != NVML_SUCCESS ? r : copy_string(((fake_device *) dev)->uuid, uuid, length);
}

int nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned int length) {
    CHECK_INIT();
    return copy_string(((fake_device *) dev)->name, name, length);
}

/* Energy and power exist for the whole board only: a MIG handle gets NOT_SUPPORTED, as on real GPUs. */
#define BOARD_ONLY(dev) if (((fake_device *) (dev))->parent != NULL) return NVML_ERROR_NOT_SUPPORTED

int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long *energy) {
    __sync_fetch_and_add(&calls_energy, 1);
    if (dev != NULL) BOARD_ONLY(dev);
    if (dev != NULL && init_depth > 0) {
        /* energy_call_us: a slow call (an H100's takes about 4 ms) that takes its value at the end */
        pthread_mutex_lock(&lock);
        long long delay_us = next_value(dev, "energy_call_us", 0);
        pthread_mutex_unlock(&lock);
        if (delay_us > 0) {
            struct timespec pause = {delay_us / 1000000, (delay_us % 1000000) * 1000};
            nanosleep(&pause, NULL);
        }
    }
    long long v;
    int r = scripted(dev, "energy", "energy_return", 0, &v);
    if (r == NVML_SUCCESS) *energy = (unsigned long long) v;
    return r;
}

int nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *power) {
    __sync_fetch_and_add(&calls_power, 1);
    if (dev != NULL) BOARD_ONLY(dev);
    long long v;
    int r = scripted(dev, "power", "power_return", 70000, &v);
    if (r == NVML_SUCCESS) *power = (unsigned int) v;
    return r;
}

int nvmlDeviceGetFieldValues(nvmlDevice_t dev, int count, nvmlFieldValue_t *values) {
    __sync_fetch_and_add(&calls_fields, 1);
    CHECK_INIT();
    if (dev == NULL || count < 0) return NVML_ERROR_INVALID_ARGUMENT;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (int i = 0; i < count; i++) {
        nvmlFieldValue_t *fv = &values[i];
        const char *key = fv->fieldId == 186 ? "power_instant" : fv->fieldId == 185 ? "power_average" : NULL;
        fv->timestamp = (long long) now.tv_sec * 1000000 + now.tv_nsec / 1000;
        fv->latencyUsec = 0;
        fv->valueType = 1; /* NVML_VALUE_TYPE_UNSIGNED_INT */
        if (key == NULL || ((fake_device *) dev)->parent != NULL) {
            fv->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
            continue;
        }
        char return_key[48];
        snprintf(return_key, sizeof return_key, "%s_return", key);
        long long v;
        fv->nvmlReturn = scripted(dev, key, return_key, 70000, &v);
        if (fv->nvmlReturn == NVML_SUCCESS) fv->value.uiVal = (unsigned int) v;
    }
    return NVML_SUCCESS;
}

int nvmlDeviceGetTemperature(nvmlDevice_t dev, int sensor, unsigned int *temp) {
    if (sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
    long long v;
    int r = scripted(dev, "temperature", "temperature_return", 40, &v);
    if (r == NVML_SUCCESS) *temp = (unsigned int) v;
    return r;
}

int nvmlDeviceGetClockInfo(nvmlDevice_t dev, int type, unsigned int *clock) {
    const char *key = type == 1 ? "sm_clock" : type == 2 ? "memory_clock" : type == 0 ? "graphics_clock" : NULL;
    if (key == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    long long v;
    int r = scripted(dev, key, "clock_return", type == 2 ? 2619 : 345, &v);
    if (r == NVML_SUCCESS) *clock = (unsigned int) v;
    return r;
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *utilization) {
    if (dev != NULL && ((fake_device *) dev)->parent != NULL) return NVML_ERROR_NOT_SUPPORTED;
    long long gpu, memory;
    int r = scripted(dev, "gpu_util", "util_return", 0, &gpu);
    if (r != NVML_SUCCESS) return r;
    scripted(dev, "memory_util", "", 0, &memory);
    utilization->gpu = (unsigned int) gpu;
    utilization->memory = (unsigned int) memory;
    return NVML_SUCCESS;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *memory) {
    long long total, used;
    int r = scripted(dev, "memory_total", "memory_return", 85520809984LL, &total);
    if (r != NVML_SUCCESS) return r;
    scripted(dev, "memory_used", "", 0, &used);
    memory->total = (unsigned long long) total;
    memory->used = (unsigned long long) used;
    memory->free = (unsigned long long) (total - used);
    return NVML_SUCCESS;
}

int nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t dev, unsigned int *limit) {
    long long v;
    int r = scripted(dev, "power_limit", "power_limit_return", 700000, &v);
    if (r == NVML_SUCCESS) *limit = (unsigned int) v;
    return r;
}

int nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t dev, unsigned long long *reasons) {
    __sync_fetch_and_add(&calls_event_reasons, 1);
    long long v;
    int r = scripted(dev, "event_reasons", "event_reasons_return", 0, &v);
    if (r == NVML_SUCCESS) *reasons = (unsigned long long) v;
    return r;
}

int nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t dev, unsigned long long *reasons) {
    long long v;
    int r = scripted(dev, "throttle_reasons", "throttle_reasons_return", 0, &v);
    if (r == NVML_SUCCESS) *reasons = (unsigned long long) v;
    return r;
}

int nvmlDeviceGetPerformanceState(nvmlDevice_t dev, int *pstate) {
    long long v;
    int r = scripted(dev, "pstate", "pstate_return", 0, &v);
    if (r == NVML_SUCCESS) *pstate = (int) v;
    return r;
}

int nvmlDeviceGetMigMode(nvmlDevice_t dev, unsigned int *current, unsigned int *pending) {
    long long v;
    int r = scripted(dev, "mig_mode", "mig_mode_return", -1, &v);
    if (r != NVML_SUCCESS) return r;
    if (v < 0) return NVML_ERROR_NOT_SUPPORTED; /* no mig_mode line: a GPU without MIG */
    *current = *pending = (unsigned int) v;
    return NVML_SUCCESS;
}

int nvmlDeviceIsMigDeviceHandle(nvmlDevice_t dev, unsigned int *isMig) {
    CHECK_INIT();
    *isMig = ((fake_device *) dev)->parent != NULL;
    return NVML_SUCCESS;
}

int nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t dev, unsigned int *count) {
    (void) dev;
    CHECK_INIT();
    *count = 7;
    return NVML_SUCCESS;
}

int nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t dev, unsigned int index, nvmlDevice_t *mig) {
    CHECK_INIT();
    for (int i = 0; i < mig_count; i++) {
        if (migs[i].parent == dev && migs[i].slot == (int) index) {
            *mig = &migs[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

int nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig, nvmlDevice_t *device) {
    CHECK_INIT();
    fake_device *m = mig;
    if (m->parent == NULL) return NVML_ERROR_INVALID_ARGUMENT;
    *device = m->parent;
    return NVML_SUCCESS;
}
