/* Device records and selection (vk/devices.c), for the context. */
#ifndef VKC_DEVICES_H
#define VKC_DEVICES_H

#include "vk/context.h"

/* Physical devices considered (far more than any machine has). */
#define VKC_MAX_DEVICES 64

/* The first queue family with compute (and whether it has timestamps);
 * 0 when there is none. */
int vkc_dev_compute_queue_family(VkPhysicalDevice pd, uint32_t *family, int *timestamps);
int vkc_dev_has_extension(VkPhysicalDevice pd, const char *name);
/* The capability record of pd, position index. */
void vkc_dev_fill_caps(VkPhysicalDevice pd, uint32_t index, vkc_device_caps *c);
/* DESIGN.md §2b: the first discrete, else integrated, else virtual GPU;
 * -1 when none qualifies (CPU devices only when named). */
int vkc_dev_default(const vkc_device_caps *caps, uint32_t n);
/* A decimal index, a UUID, or a name substring (case-insensitive); -1 when
 * nothing matches. */
int vkc_dev_match(const vkc_device_caps *caps, uint32_t n, const char *sel);
/* The usable devices of inst, de-duplicated by UUID, the default marked:
 * up to *count into caps (and pds, when not NULL). */
vkc_status vkc_dev_enumerate(VkInstance inst, vkc_device_caps *caps, VkPhysicalDevice *pds, uint32_t *count,
                             vkc_msg *msg);

#endif
