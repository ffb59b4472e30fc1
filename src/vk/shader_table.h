/* The embedded SPIR-V of every shader in shaders/, generated at build time. */
#ifndef VKC_SHADER_TABLE_H
#define VKC_SHADER_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct vkc_shader_blob {
    const char *name; /* file name without .comp */
    const uint32_t *words;
    size_t size;      /* bytes */
} vkc_shader_blob;

extern const vkc_shader_blob vkc_shaders[];
extern const unsigned vkc_shader_count;

const vkc_shader_blob *vkc_shader_find(const char *name);

#endif
