/* vkcalib devices: every Vulkan device with its capability record. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>


static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static uint64_t device_local_bytes(const vkc_device_caps *c)
{
    uint64_t sum = 0;
    for (uint32_t h = 0; h < c->heap_count; h++)
        if (c->heap_device_local[h]) sum += c->heap_size[h];
    return sum;
}

static void print_json(const vkc_device_caps *caps, uint32_t n)
{
    printf("{\n  \"vkcalib\": \"%s\",\n  \"devices\": [", vkc_version());
    for (uint32_t i = 0; i < n; i++) {
        const vkc_device_caps *c = &caps[i];
        char uuid[37];
        vkc_uuid_string(c->uuid, uuid);
        printf("%s\n    {\"index\": %u, \"name\": ", i ? "," : "", c->index);
        json_str(c->name);
        printf(", \"type\": \"%s\", \"vendor_id\": %u, \"device_id\": %u, \"driver_id\": %u, \"driver\": ",
               type_name(c->type), c->vendor_id, c->device_id, c->driver_id);
        json_str(c->driver_name);
        printf(", \"driver_info\": ");
        json_str(c->driver_info);
        printf(", \"api_version\": \"%u.%u.%u\", \"uuid\": \"%s\", \"subgroup_size\": %u, "
               "\"subgroup_size_min\": %u, \"subgroup_size_max\": %u, \"subgroup_arithmetic\": %s, "
               "\"max_storage_buffer_range\": %llu, \"min_storage_buffer_offset_alignment\": %llu, "
               "\"max_shared_memory\": %u, \"max_workgroup_count\": [%u, %u, %u], \"timestamps\": %s, "
               "\"external_memory_host\": %s, \"min_imported_host_pointer_alignment\": %llu, \"heaps\": [",
               VK_API_VERSION_MAJOR(c->api_version), VK_API_VERSION_MINOR(c->api_version),
               VK_API_VERSION_PATCH(c->api_version), uuid, c->subgroup_size, c->min_subgroup_size,
               c->max_subgroup_size, c->subgroup_arithmetic ? "true" : "false",
               (unsigned long long)c->max_storage_buffer_range,
               (unsigned long long)c->min_storage_buffer_offset_alignment, c->max_shared_memory,
               c->max_workgroup_count[0], c->max_workgroup_count[1], c->max_workgroup_count[2],
               c->timestamps ? "true" : "false", c->host_import ? "true" : "false",
               (unsigned long long)c->min_imported_host_pointer_alignment);
        for (uint32_t h = 0; h < c->heap_count; h++)
            printf("%s{\"size\": %llu, \"device_local\": %s}", h ? ", " : "", (unsigned long long)c->heap_size[h],
                   c->heap_device_local[h] ? "true" : "false");
        printf("], \"default\": %s}", c->is_default ? "true" : "false");
    }
    printf("\n  ],\n  \"cpu_backend_default\": %s\n}\n", "true");
}

static void print_table(const vkc_device_caps *caps, uint32_t n)
{
    int any_default = 0;
    printf("%-3s %-8s %-10s %-34s %-9s %-8s %-11s %-8s %-9s\n", "#", "default", "type", "name", "api",
           "subgroup", "max buffer", "shared", "memory");
    for (uint32_t i = 0; i < n; i++) {
        const vkc_device_caps *c = &caps[i];
        char api[32], sg[32];
        snprintf(api, sizeof api, "%u.%u.%u", VK_API_VERSION_MAJOR(c->api_version),
                 VK_API_VERSION_MINOR(c->api_version), VK_API_VERSION_PATCH(c->api_version));
        if (c->min_subgroup_size != c->max_subgroup_size)
            snprintf(sg, sizeof sg, "%u-%u%s", c->min_subgroup_size, c->max_subgroup_size,
                     c->subgroup_arithmetic ? "" : "*");
        else
            snprintf(sg, sizeof sg, "%u%s", c->subgroup_size, c->subgroup_arithmetic ? "" : "*");
        printf("%-3u %-8s %-10s %-34.34s %-9s %-8s %-7llu MiB %-5u KiB %-6.1f GiB\n", c->index,
               c->is_default ? "yes" : "", type_name(c->type), c->name, api, sg,
               (unsigned long long)(c->max_storage_buffer_range >> 20), c->max_shared_memory >> 10,
               (double)device_local_bytes(c) / (1024.0 * 1024.0 * 1024.0));
        any_default |= c->is_default;
    }
    for (uint32_t i = 0; i < n; i++) {
        char uuid[37];
        vkc_uuid_string(caps[i].uuid, uuid);
        printf("    %u: uuid %s, driver %s (%s), offset alignment %llu, max groups %u, timestamps %s\n",
               caps[i].index, uuid, caps[i].driver_name[0] ? caps[i].driver_name : "?",
               caps[i].driver_info[0] ? caps[i].driver_info : "-",
               (unsigned long long)caps[i].min_storage_buffer_offset_alignment, caps[i].max_workgroup_count[0],
               caps[i].timestamps ? "yes" : "no");
    }
    if (!any_default)
        printf("\nNo GPU: commands run on the native CPU backend unless --device names one of the above.\n");
}

int cmd_devices(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("Usage: vkcalib devices [--json]\n\n"
                   "Lists every Vulkan device with the record vkcalib keeps for it: type, API\n"
                   "version, subgroup size (* = no subgroup arithmetic), largest storage buffer\n"
                   "binding, shared memory per workgroup and device-local memory, and marks the\n"
                   "one chosen by default (first discrete GPU, else integrated, else virtual).\n"
                   "CPU Vulkan devices such as lavapipe are listed but only used when named with\n"
                   "--device; without a GPU, vkcalib runs its native CPU backend.\n\n"
                   "  --json    machine-readable output\n");
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else {
            cli_error("devices: unknown option '%s'", argv[i]);
            return 2;
        }
    }
    /* Two calls: how many, then all of them. */
    uint32_t n = 0;
    vkc_msg msg = {{0}};
    vkc_status s = vkc_enumerate_devices(NULL, &n, &msg);
    vkc_device_caps *caps = calloc(n ? n : 1, sizeof *caps);
    if (s == VKC_OK && !caps) s = cli_fail(&msg, VKC_ERROR_OUT_OF_MEMORY, "out of memory");
    if (s == VKC_OK) s = vkc_enumerate_devices(caps, &n, &msg);
    if (s == VKC_INCOMPLETE) s = VKC_OK; /* a device appeared between the calls */
    if (s != VKC_OK) {
        n = 0;
        fprintf(stderr, "vkcalib: %s\n", msg.text);
    }
    if (json) print_json(caps, n);
    else if (n == 0) printf("No Vulkan devices. Commands run on the native CPU backend.\n");
    else print_table(caps, n);
    free(caps);
    return 0;
}
