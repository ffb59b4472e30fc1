/* Internal Vulkan plumbing: buffers, pipelines and a one-command-buffer-at-
 * a-time submission model on a context (vk/context.h). */
#ifndef VKC_GPU_H
#define VKC_GPU_H

#include "vk/context.h"

/* Grows *b to at least size bytes (contents are not kept). */
vkc_status vkc_gbuf_reserve(vkc_context *ctx, vkc_gbuf *b, VkDeviceSize size, int host_visible);

/* Records the failing call, its VkResult and file:line, and returns the
 * matching status (device loss and memory exhaustion keep their own). */
vkc_status vkc_vk_fail(vkc_context *ctx, VkResult r, const char *expr, const char *file, int line);
#define VKC_VK(ctx, call)                                                        \
    do {                                                                          \
        VkResult vkc_r_ = (call);                                                 \
        if (vkc_r_ != VK_SUCCESS) return vkc_vk_fail((ctx), vkc_r_, #call, __FILE__, __LINE__); \
    } while (0)

const char *vkc_vk_result_name(VkResult r);

/* Buffers. host_visible = 1: mapped, coherent, for staging and read-back;
 * 0: device-local (falls back to any type on devices with one heap). */
vkc_status vkc_gbuf_create(vkc_context *ctx, VkDeviceSize size, int host_visible, vkc_gbuf *out);
void vkc_gbuf_destroy(vkc_context *ctx, vkc_gbuf *b);

/* A compute pipeline for an embedded shader with specialization constants
 * 0..nspec-1, nbind storage buffers at bindings 0..nbind-1, push constants of
 * push_size bytes. Cached for the context's lifetime. */
vkc_status vkc_pipe_get(vkc_context *ctx, const char *shader, const uint32_t *spec, uint32_t nspec,
                        uint32_t nbind, uint32_t push_size, vkc_pipe **out);

/* Command recording into the current slot (vk/context.h): begin waits for
 * the slot's previous submission, then resets its pool; dispatch binds a
 * fresh descriptor set; barrier makes earlier shader and transfer writes
 * visible to later shader and transfer access; submit_wait submits and
 * waits for everything in flight. Pipelined passes instead submit without
 * waiting (vkc_cmd_submit), move to the other slot (vkc_cmd_next_slot:
 * waits for that slot's previous submission, whose staging and import it
 * then reuses), and end with vkc_cmd_first_slot (waits for all, back to
 * slot 0, where every other caller records). */
vkc_status vkc_cmd_begin(vkc_context *ctx);
vkc_status vkc_cmd_submit(vkc_context *ctx);
vkc_status vkc_cmd_wait_all(vkc_context *ctx);
vkc_status vkc_cmd_next_slot(vkc_context *ctx);
vkc_status vkc_cmd_first_slot(vkc_context *ctx);
VkCommandBuffer vkc_cmd_buffer(const vkc_context *ctx);
VkDescriptorPool vkc_cmd_descriptor_pool(const vkc_context *ctx);
typedef struct vkc_binding {
    const vkc_gbuf *buf;
    VkDeviceSize offset;
    VkDeviceSize range;
} vkc_binding;
vkc_status vkc_cmd_dispatch(vkc_context *ctx, vkc_pipe *pipe, const vkc_binding *binds,
                            const void *push, uint32_t gx, uint32_t gy, uint32_t gz);
void vkc_cmd_barrier(vkc_context *ctx);

/* The same into any command buffer, with descriptor sets from pool (the
 * recorder's, for the application's command buffers). When pool_full is
 * not NULL, an exhausted pool sets it and records nothing, so the caller
 * can add a pool and retry. */
vkc_status vkc_record_dispatch(vkc_context *ctx, VkCommandBuffer cmd, VkDescriptorPool pool, vkc_pipe *pipe,
                               const vkc_binding *binds, const void *push, uint32_t gx, uint32_t gy, uint32_t gz,
                               int *pool_full);
void vkc_record_barrier(VkCommandBuffer cmd);
void vkc_cmd_copy(vkc_context *ctx, const vkc_gbuf *src, VkDeviceSize src_off, const vkc_gbuf *dst,
                  VkDeviceSize dst_off, VkDeviceSize size);
void vkc_cmd_fill(vkc_context *ctx, const vkc_gbuf *dst, VkDeviceSize off, VkDeviceSize size, uint32_t value);
vkc_status vkc_cmd_submit_wait(vkc_context *ctx);

/* Copies bytes of host data where a shader can read them (the current
 * slot's staging buffer on unified memory, a device-local copy otherwise)
 * and returns the binding to read them through; vkc_gpu_record_upload
 * records the copy and its barrier in the current command buffer where the
 * device needs one. */
vkc_status vkc_gpu_upload(vkc_context *ctx, const void *data, VkDeviceSize bytes, vkc_binding *b);
void vkc_gpu_record_upload(vkc_context *ctx, VkDeviceSize bytes);
/* The same in two steps, for data written in place (no copy of our own):
 * stage_map returns the host-visible staging memory for bytes (valid until
 * the next staging call), stage_bind the binding the shader reads it
 * through; vkc_gpu_record_upload then as above. */
vkc_status vkc_gpu_stage_map(vkc_context *ctx, VkDeviceSize bytes, void **map);
vkc_status vkc_gpu_stage_bind(vkc_context *ctx, VkDeviceSize bytes, vkc_binding *b);

/* The same for an activation chunk of esize-byte elements, which may
 * instead be imported in place (VK_EXT_external_memory_host): the binding
 * then starts at an aligned address before data and *first counts the
 * elements to skip. The import lives until the slot's submission is waited
 * for. *copied says whether vkc_gpu_record_upload is still needed. */
vkc_status vkc_gpu_upload_input(vkc_context *ctx, const void *data, VkDeviceSize bytes, uint32_t esize,
                                vkc_binding *b, uint32_t *first, int *copied);
/* Drops the imports in flight, after the queue is idle (error paths). */
void vkc_gpu_release_import(vkc_context *ctx);

/* Largest input chunk in bytes one dispatch may bind: maxStorageBufferRange
 * less 256 (a chunk may start up to one alignment unit into its binding),
 * the test cap, and 1 GiB, aligned down to 256. */
VkDeviceSize vkc_gpu_chunk_bytes(const vkc_context *ctx);
int vkc_gpu_has(const vkc_context *ctx, uint32_t feature);

#endif
