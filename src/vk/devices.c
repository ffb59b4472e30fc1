/* Device records and selection: one vkc_device_caps per physical device,
 * the default rule, selectors, and the de-duplication of GPUs that two
 * drivers expose. */
#include "vk/devices.h"
#include "vk/gpu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int vkc_dev_compute_queue_family(VkPhysicalDevice pd, uint32_t *family, int *timestamps)
{
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
    VkQueueFamilyProperties props[32];
    if (n > 32) n = 32;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, props);
    int best = -1;
    /* Prefer a compute queue without graphics: async compute engines. */
    for (uint32_t i = 0; i < n; i++) {
        if (!(props[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        if (best < 0 || !(props[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) best = (int)i;
    }
    if (best < 0) return 0;
    *family = (uint32_t)best;
    *timestamps = props[best].timestampValidBits > 0;
    return 1;
}

int vkc_dev_has_extension(VkPhysicalDevice pd, const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0) return 0;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    int found = 0;
    if (props && vkEnumerateDeviceExtensionProperties(pd, NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++) found = strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

void vkc_dev_fill_caps(VkPhysicalDevice pd, uint32_t index, vkc_device_caps *c)
{
    memset(c, 0, sizeof *c);
    c->sType = VKC_STRUCTURE_TYPE_DEVICE_CAPS;
    c->index = index;
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    VkPhysicalDeviceSubgroupProperties sg = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceIDProperties idp = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT sgc = {
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
    VkPhysicalDeviceDriverPropertiesKHR drv = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES_KHR};
    VkPhysicalDeviceExternalMemoryHostPropertiesEXT hostp = {
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
    VkPhysicalDeviceProperties2 p2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    int host_import = vkc_dev_has_extension(pd, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
    sg.pNext = &idp;
    p2.pNext = &sg;
    if (host_import) {
        hostp.pNext = p2.pNext;
        p2.pNext = &hostp;
    }
    /* Driver and size-control records are 1.2/1.3 or extensions: chain them
     * only where the device reports the version that makes them core. */
    if (props.apiVersion >= VK_API_VERSION_1_2) {
        idp.pNext = &drv;
        if (props.apiVersion >= VK_API_VERSION_1_3) drv.pNext = &sgc;
    }
    vkGetPhysicalDeviceProperties2(pd, &p2);
    snprintf(c->name, sizeof c->name, "%s", props.deviceName);
    c->type = props.deviceType;
    c->vendor_id = props.vendorID;
    c->device_id = props.deviceID;
    c->api_version = props.apiVersion;
    c->driver_version = props.driverVersion;
    memcpy(c->uuid, idp.deviceUUID, 16);
    if (props.apiVersion >= VK_API_VERSION_1_2) {
        c->driver_id = (uint32_t)drv.driverID;
        snprintf(c->driver_name, sizeof c->driver_name, "%s", drv.driverName);
        snprintf(c->driver_info, sizeof c->driver_info, "%s", drv.driverInfo);
    }
    c->subgroup_size = sg.subgroupSize;
    c->min_subgroup_size = sgc.minSubgroupSize ? sgc.minSubgroupSize : sg.subgroupSize;
    c->max_subgroup_size = sgc.maxSubgroupSize ? sgc.maxSubgroupSize : sg.subgroupSize;
    c->subgroup_arithmetic = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             (sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                             (sg.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
    c->host_import = host_import;
    c->min_imported_host_pointer_alignment = host_import ? hostp.minImportedHostPointerAlignment : 0;
    c->max_storage_buffer_range = props.limits.maxStorageBufferRange;
    c->min_storage_buffer_offset_alignment = props.limits.minStorageBufferOffsetAlignment;
    c->max_shared_memory = props.limits.maxComputeSharedMemorySize;
    for (int k = 0; k < 3; k++) c->max_workgroup_count[k] = props.limits.maxComputeWorkGroupCount[k];
    c->max_workgroup_invocations = props.limits.maxComputeWorkGroupInvocations;
    uint32_t fam = 0;
    int ts = 0;
    vkc_dev_compute_queue_family(pd, &fam, &ts);
    c->timestamps = ts && props.limits.timestampPeriod > 0;
    c->timestamp_period_ns = props.limits.timestampPeriod;
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(pd, &mp);
    c->heap_count = mp.memoryHeapCount < 16 ? mp.memoryHeapCount : 16;
    for (uint32_t h = 0; h < c->heap_count; h++) {
        c->heap_size[h] = mp.memoryHeaps[h].size;
        c->heap_device_local[h] = (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
    }
}

/* DESIGN.md §2b: first discrete, else integrated, else virtual. CPU devices
 * (lavapipe, SwiftShader) only when named. Returns -1 when none qualifies. */
int vkc_dev_default(const vkc_device_caps *caps, uint32_t n)
{
    static const VkPhysicalDeviceType order[] = {VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
                                                 VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
                                                 VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (uint32_t i = 0; i < n; i++)
            if (caps[i].type == order[k]) return (int)i;
    return -1;
}

static void uuid_string(const uint8_t u[16], char out[37])
{
    static const char *hex = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[u[i] >> 4];
        out[o++] = hex[u[i] & 15];
    }
    out[o] = 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] && tolower((unsigned char)hay[k]) == tolower((unsigned char)needle[k])) k++;
        if (k == n) return 1;
    }
    return n == 0;
}

/* Selector: a decimal index, a UUID, or a name substring (case-insensitive). */
int vkc_dev_match(const vkc_device_caps *caps, uint32_t n, const char *sel)
{
    char *end = NULL;
    unsigned long idx = strtoul(sel, &end, 10);
    if (*sel && end && *end == 0) return idx < n ? (int)idx : -1;
    for (uint32_t i = 0; i < n; i++) {
        char u[37];
        uuid_string(caps[i].uuid, u);
        if (strcasecmp(u, sel) == 0) return (int)i;
    }
    for (uint32_t i = 0; i < n; i++)
        if (contains_nocase(caps[i].name, sel)) return (int)i;
    return -1;
}

void vkc_uuid_string(const uint8_t u[16], char out[37])
{
    uuid_string(u, out);
}

/* 1 when an earlier kept device has the same deviceUUID: one GPU exposed by
 * two drivers (or one ICD listed twice). An all-zero UUID (drivers that do
 * not fill it) never matches. */
static int seen_uuid(const vkc_device_caps *caps, uint32_t kept, const uint8_t uuid[16])
{
    static const uint8_t zero[16];
    if (memcmp(uuid, zero, 16) == 0) return 0;
    for (uint32_t k = 0; k < kept; k++)
        if (memcmp(caps[k].uuid, uuid, 16) == 0) return 1;
    return 0;
}

vkc_status vkc_dev_enumerate(VkInstance inst, vkc_device_caps *caps, VkPhysicalDevice *pds, uint32_t *count,
                            vkc_msg *msg)
{
    uint32_t n = 0;
    VkResult r = vkEnumeratePhysicalDevices(inst, &n, NULL);
    if (r != VK_SUCCESS)
        return vkc_fail(msg, VKC_ERROR_VULKAN, "vkEnumeratePhysicalDevices failed: %s", vkc_vk_result_name(r));
    VkPhysicalDevice all[VKC_MAX_DEVICES];
    if (n > VKC_MAX_DEVICES) n = VKC_MAX_DEVICES;
    r = vkEnumeratePhysicalDevices(inst, &n, all);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE)
        return vkc_fail(msg, VKC_ERROR_VULKAN, "vkEnumeratePhysicalDevices failed: %s", vkc_vk_result_name(r));
    uint32_t cap = *count, kept = 0;
    for (uint32_t i = 0; i < n && kept < cap; i++) {
        uint32_t fam;
        int ts;
        if (!vkc_dev_compute_queue_family(all[i], &fam, &ts)) continue;
        vkc_dev_fill_caps(all[i], i, &caps[kept]);
        if (seen_uuid(caps, kept, caps[kept].uuid)) continue;
        if (pds) pds[kept] = all[i];
        kept++;
    }
    int d = vkc_dev_default(caps, kept);
    if (d >= 0) caps[d].is_default = 1;
    *count = kept;
    return VKC_OK;
}


/* ------------------------------------------------------------------------ */
/* Shader variants: names, and the default of each device                   */

/* The presets the letters name (hist.comp's header): A hot bins in
 * registers, B match aggregation, C shared copies, D 16-bit counters; each
 * runs the tile loop with 4 loads in flight. */
static const vkc_hist_variant kTile = {4, 0, 0, 1, 0, 0};

static int parse_option(const char *opt, size_t len, uint32_t *loads, uint32_t *hot, uint32_t *rounds,
                        uint32_t *copies, uint32_t *groups)
{
    static const char *const names[] = {"loads", "hot", "rounds", "copies", "groups"};
    uint32_t *dst[] = {loads, hot, rounds, copies, groups};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t nl = strlen(names[k]);
        if (!dst[k] || len <= nl + 1 || strncmp(opt, names[k], nl) != 0 || opt[nl] != '=') continue;
        char buf[16];
        if (len - nl - 1 >= sizeof buf) return 0;
        memcpy(buf, opt + nl + 1, len - nl - 1);
        buf[len - nl - 1] = 0;
        char *end;
        unsigned long v = strtoul(buf, &end, 10);
        if (*end || end == buf || v > 1u << 20) return 0;
        *dst[k] = (uint32_t)v;
        return 1;
    }
    return 0;
}

/* The options after the first comma of s (NULL: none). */
static int parse_options(const char *s, uint32_t *loads, uint32_t *hot, uint32_t *rounds, uint32_t *copies,
                         uint32_t *groups)
{
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (!parse_option(s, len, loads, hot, rounds, copies, groups)) return 0;
        s = e ? e + 1 : NULL;
    }
    return 1;
}

int vkc_hist_variant_parse(const char *s, vkc_hist_variant *v)
{
    if (!s) return 0;
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    vkc_hist_variant h = {0};
    if (len == 4 && strncasecmp(s, "base", 4) == 0) {
        /* the grid-stride loop; only groups= applies */
    } else if (len == 4 && strncasecmp(s, "tile", 4) == 0) {
        h = kTile;
    } else {
        h = kTile;
        if (len == 0) return 0;
        for (size_t i = 0; i < len; i++) {
            char c = (char)toupper((unsigned char)s[i]);
            if (c == '+') continue;
            if (c == 'A') h.hot = 4;
            else if (c == 'B') h.match = 4;
            else if (c == 'C') h.copies = 0;
            else if (c == 'D') h.pack16 = 1;
            else return 0;
        }
    }
    uint32_t *loads = h.loads ? &h.loads : NULL, *hot = h.loads ? &h.hot : NULL;
    uint32_t *rounds = h.loads ? &h.match : NULL, *copies = h.loads ? &h.copies : NULL;
    if (!parse_options(comma ? comma + 1 : NULL, loads, hot, rounds, copies, &h.groups)) return 0;
    if (h.loads == 0 && (h.hot || h.match || h.pack16)) return 0; /* loads=0: the grid-stride loop */
    *v = h;
    return 1;
}

int vkc_range_variant_parse(const char *s, vkc_range_variant *v)
{
    if (!s) return 0;
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    vkc_range_variant r = {0, 0};
    if (len == 4 && strncasecmp(s, "tile", 4) == 0) r.loads = 4;
    else if (!(len == 4 && strncasecmp(s, "base", 4) == 0)) return 0;
    if (!parse_options(comma ? comma + 1 : NULL, r.loads ? &r.loads : NULL, NULL, NULL, NULL, &r.groups)) return 0;
    *v = r;
    return 1;
}

/* The variant each device runs by default, by vendor and device-id range;
 * the first matching row wins. Every variant gives the same counts bit for
 * bit, so a row only ever changes speed. A row leaves "base" (today's
 * shaders) only when bench/gpu_sweep has measured its winner faster on
 * that device; none has yet, so every row is "base", and the rows say
 * where the measured winners go. The sweep prints the row to add. */
typedef struct variant_row {
    uint32_t vendor, first_id, last_id;
    const char *what, *hist, *range;
} variant_row;

static const variant_row kVariantRows[] = {
    {0x10de, 0x2300, 0x23ff, "NVIDIA GH100 (Hopper: H100, H200 = 0x2335)", "base", "base"},
    {0x10de, 0x0000, 0xffff, "NVIDIA, other architectures", "base", "base"},
    {0x1002, 0x0000, 0xffff, "AMD", "base", "base"},
    {0x8086, 0x0000, 0xffff, "Intel", "base", "base"},
    {0x106b, 0x0000, 0xffff, "Apple (MoltenVK)", "base", "base"},
};

void vkc_variant_default(const vkc_device_caps *caps, vkc_hist_variant *h, vkc_range_variant *r, const char **row)
{
    memset(h, 0, sizeof *h);
    memset(r, 0, sizeof *r);
    if (row) *row = NULL;
    for (size_t k = 0; caps && k < sizeof kVariantRows / sizeof kVariantRows[0]; k++) {
        const variant_row *w = &kVariantRows[k];
        if (caps->vendor_id != w->vendor || caps->device_id < w->first_id || caps->device_id > w->last_id) continue;
        /* The table's own strings: they always parse (a test holds them to it). */
        if (!vkc_hist_variant_parse(w->hist, h)) memset(h, 0, sizeof *h);
        if (!vkc_range_variant_parse(w->range, r)) memset(r, 0, sizeof *r);
        if (row) *row = w->what;
        return;
    }
}
