/* Buffers, pipelines and command submission for the Vulkan backend. */
#include "vk/gpu.h"
#include "vk/shader_table.h"

#include <stdio.h>
#include <string.h>

const char *vkc_vk_result_name(VkResult r)
{
    switch (r) {
#define C(x) case x: return #x
        C(VK_SUCCESS); C(VK_NOT_READY); C(VK_TIMEOUT); C(VK_INCOMPLETE);
        C(VK_ERROR_OUT_OF_HOST_MEMORY); C(VK_ERROR_OUT_OF_DEVICE_MEMORY);
        C(VK_ERROR_INITIALIZATION_FAILED); C(VK_ERROR_DEVICE_LOST); C(VK_ERROR_MEMORY_MAP_FAILED);
        C(VK_ERROR_LAYER_NOT_PRESENT); C(VK_ERROR_EXTENSION_NOT_PRESENT); C(VK_ERROR_FEATURE_NOT_PRESENT);
        C(VK_ERROR_INCOMPATIBLE_DRIVER); C(VK_ERROR_TOO_MANY_OBJECTS); C(VK_ERROR_FORMAT_NOT_SUPPORTED);
        C(VK_ERROR_FRAGMENTED_POOL); C(VK_ERROR_OUT_OF_POOL_MEMORY); C(VK_ERROR_UNKNOWN);
#undef C
    default: return "VkResult(unknown)";
    }
}

vkc_status vkc_vk_fail(vkc_context *ctx, VkResult r, const char *expr, const char *file, int line)
{
    vkc_status s = VKC_ERROR_VULKAN;
    if (r == VK_ERROR_DEVICE_LOST) s = VKC_ERROR_DEVICE_LOST;
    else if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY) s = VKC_ERROR_DEVICE_MEMORY;
    else if (r == VK_ERROR_OUT_OF_HOST_MEMORY) s = VKC_ERROR_OUT_OF_MEMORY;
    if (ctx->recording) {
        /* A failed recording leaves the command buffer unusable; end it so
         * the next begin can reset it. */
        vkEndCommandBuffer(ctx->slots[ctx->cur].cmd);
        ctx->recording = 0;
    }
    return vkc_fail(&ctx->msg, s, "%s: %s failed with %s (%s:%d)", ctx->caps.name, expr,
                    vkc_vk_result_name(r), file, line);
}

int vkc_gpu_has(const vkc_context *ctx, uint32_t feature)
{
    if (ctx->is_cpu || (ctx->disabled & feature)) return 0;
    switch (feature) {
    case VKC_FEATURE_SUBGROUP_ARITHMETIC: return ctx->caps.subgroup_arithmetic;
    case VKC_FEATURE_SHARED_HISTOGRAM: return 1;
    case VKC_FEATURE_TIMESTAMPS: return ctx->caps.timestamps;
    /* Masking subgroup arithmetic masks every subgroup operation. */
    case VKC_FEATURE_SUBGROUP_BALLOT:
        return vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_ARITHMETIC) &&
               (ctx->subgroup_ops & VK_SUBGROUP_FEATURE_BALLOT_BIT) != 0;
    case VKC_FEATURE_PARTITIONED: return vkc_gpu_has(ctx, VKC_FEATURE_SUBGROUP_BALLOT) && ctx->partitioned;
    default: return 0;
    }
}

VkDeviceSize vkc_gpu_chunk_bytes(const vkc_context *ctx)
{
    VkDeviceSize c = ctx->caps.max_storage_buffer_range;
    c = c > 512 ? c - 256 : 256;
    if (c > (VkDeviceSize)1 << 30) c = (VkDeviceSize)1 << 30;
    if (ctx->max_chunk_bytes && ctx->max_chunk_bytes < c) c = ctx->max_chunk_bytes;
    c &= ~(VkDeviceSize)255;
    return c ? c : 256;
}

static int find_memory_type(const vkc_context *ctx, uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < ctx->memprops.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (ctx->memprops.memoryTypes[i].propertyFlags & want) == want) return (int)i;
    return -1;
}

vkc_status vkc_gbuf_create(vkc_context *ctx, VkDeviceSize size, int host_visible, vkc_gbuf *out)
{
    memset(out, 0, sizeof *out);
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = size ? size : 4;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VKC_VK(ctx, vkCreateBuffer(ctx->dev, &bci, NULL, &out->buf));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->dev, out->buf, &req);
    int type;
    if (host_visible) {
        /* Cached host memory reads back fast; fall back to any coherent. */
        type = find_memory_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                                             VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                                                             VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        if (type < 0)
            type = find_memory_type(ctx, req.memoryTypeBits,
                                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    } else {
        type = find_memory_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        if (type < 0) type = find_memory_type(ctx, req.memoryTypeBits, 0);
    }
    if (type < 0) {
        vkDestroyBuffer(ctx->dev, out->buf, NULL);
        out->buf = VK_NULL_HANDLE;
        return vkc_fail(&ctx->msg, VKC_ERROR_DEVICE_MEMORY, "%s: no suitable memory type for a %s buffer",
                        ctx->caps.name, host_visible ? "host-visible" : "device");
    }
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = (uint32_t)type;
    VkResult r = vkAllocateMemory(ctx->dev, &mai, NULL, &out->mem);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(ctx->dev, out->buf, NULL);
        out->buf = VK_NULL_HANDLE;
        return vkc_vk_fail(ctx, r, "vkAllocateMemory", __FILE__, __LINE__);
    }
    r = vkBindBufferMemory(ctx->dev, out->buf, out->mem, 0);
    if (r == VK_SUCCESS && host_visible) r = vkMapMemory(ctx->dev, out->mem, 0, VK_WHOLE_SIZE, 0, &out->map);
    if (r != VK_SUCCESS) {
        vkc_gbuf_destroy(ctx, out);
        return vkc_vk_fail(ctx, r, "vkBindBufferMemory/vkMapMemory", __FILE__, __LINE__);
    }
    out->size = bci.size;
    out->device_local = (ctx->memprops.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) != 0;
    return VKC_OK;
}

void vkc_gbuf_destroy(vkc_context *ctx, vkc_gbuf *b)
{
    if (!ctx || !ctx->dev || !b) return;
    if (b->buf) vkDestroyBuffer(ctx->dev, b->buf, NULL);
    if (b->mem) vkFreeMemory(ctx->dev, b->mem, NULL);
    memset(b, 0, sizeof *b);
}

const vkc_shader_blob *vkc_shader_find(const char *name)
{
    for (unsigned i = 0; i < vkc_shader_count; i++)
        if (strcmp(vkc_shaders[i].name, name) == 0) return &vkc_shaders[i];
    return NULL;
}

static vkc_status build_pipe(vkc_context *ctx, vkc_pipe *p, const vkc_shader_blob *blob)
{
    VkDescriptorSetLayoutBinding b[VKC_MAX_BINDINGS];
    for (uint32_t i = 0; i < p->nbind; i++) {
        memset(&b[i], 0, sizeof b[i]);
        b[i].binding = i;
        b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        b[i].descriptorCount = 1;
        b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo dli = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    dli.bindingCount = p->nbind;
    dli.pBindings = b;
    VKC_VK(ctx, vkCreateDescriptorSetLayout(ctx->dev, &dli, NULL, &p->dsl));
    VkPushConstantRange pcr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, p->push_size};
    VkPipelineLayoutCreateInfo pli = {VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pli.setLayoutCount = 1;
    pli.pSetLayouts = &p->dsl;
    pli.pushConstantRangeCount = p->push_size ? 1 : 0;
    pli.pPushConstantRanges = &pcr;
    VKC_VK(ctx, vkCreatePipelineLayout(ctx->dev, &pli, NULL, &p->layout));
    VkShaderModuleCreateInfo smi = {VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    smi.codeSize = blob->size;
    smi.pCode = blob->words;
    VkShaderModule mod;
    VKC_VK(ctx, vkCreateShaderModule(ctx->dev, &smi, NULL, &mod));
    VkSpecializationMapEntry me[VKC_MAX_SPEC];
    for (uint32_t i = 0; i < p->nspec; i++) {
        me[i].constantID = i;
        me[i].offset = i * 4;
        me[i].size = 4;
    }
    VkSpecializationInfo si = {p->nspec, me, p->nspec * 4, p->spec};
    VkComputePipelineCreateInfo cpi = {VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    cpi.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    cpi.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    cpi.stage.module = mod;
    cpi.stage.pName = "main";
    cpi.stage.pSpecializationInfo = p->nspec ? &si : NULL;
    cpi.layout = p->layout;
    VkResult r = vkCreateComputePipelines(ctx->dev, ctx->pipeline_cache, 1, &cpi, NULL, &p->pipeline);
    vkDestroyShaderModule(ctx->dev, mod, NULL);
    if (r != VK_SUCCESS) return vkc_vk_fail(ctx, r, "vkCreateComputePipelines", __FILE__, __LINE__);
    return VKC_OK;
}

vkc_status vkc_pipe_get(vkc_context *ctx, const char *shader, const uint32_t *spec, uint32_t nspec,
                        uint32_t nbind, uint32_t push_size, vkc_pipe **out)
{
    for (uint32_t i = 0; i < ctx->npipes; i++) {
        vkc_pipe *p = &ctx->pipes[i];
        if (strcmp(p->shader, shader) == 0 && p->nspec == nspec &&
            (nspec == 0 || memcmp(p->spec, spec, nspec * 4) == 0)) {
            *out = p;
            return VKC_OK;
        }
    }
    const vkc_shader_blob *blob = vkc_shader_find(shader);
    if (!blob) return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "shader '%s' is not embedded", shader);
    if (ctx->npipes == VKC_MAX_PIPELINES || nspec > VKC_MAX_SPEC || nbind > VKC_MAX_BINDINGS)
        return vkc_fail(&ctx->msg, VKC_ERROR_UNSUPPORTED, "pipeline table full");
    vkc_pipe *p = &ctx->pipes[ctx->npipes];
    memset(p, 0, sizeof *p);
    snprintf(p->shader, sizeof p->shader, "%s", shader);
    if (nspec) memcpy(p->spec, spec, nspec * 4);
    p->nspec = nspec;
    p->nbind = nbind;
    p->push_size = push_size;
    vkc_status s = build_pipe(ctx, p, blob);
    if (s != VKC_OK) {
        if (p->pipeline) vkDestroyPipeline(ctx->dev, p->pipeline, NULL);
        if (p->layout) vkDestroyPipelineLayout(ctx->dev, p->layout, NULL);
        if (p->dsl) vkDestroyDescriptorSetLayout(ctx->dev, p->dsl, NULL);
        return s;
    }
    ctx->npipes++;
    *out = p;
    return VKC_OK;
}

/* Waits for slot k's submission and releases what it held: its fence
 * reset, its import dropped, its GPU time added to last_gpu_ns. */
static vkc_status slot_wait(vkc_context *ctx, uint32_t k)
{
    vkc_slot *sl = &ctx->slots[k];
    if (!sl->pending) return VKC_OK;
    VkResult r = vkWaitForFences(ctx->dev, 1, &sl->fence, VK_TRUE, UINT64_MAX);
    if (r != VK_SUCCESS) return vkc_vk_fail(ctx, r, "vkWaitForFences", __FILE__, __LINE__);
    sl->pending = 0;
    VKC_VK(ctx, vkResetFences(ctx->dev, 1, &sl->fence));
    /* The chunk read in place is done with: unpin the application's pages. */
    vkc_gbuf_destroy(ctx, &sl->imported);
    if (sl->timing) {
        uint64_t ts[2];
        if (vkGetQueryPoolResults(ctx->dev, ctx->query_pool, 2 * k, 2, sizeof ts, ts, 8,
                                  VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS)
            ctx->last_gpu_ns += (double)(ts[1] - ts[0]) * ctx->caps.timestamp_period_ns;
    }
    return VKC_OK;
}

vkc_status vkc_cmd_wait_all(vkc_context *ctx)
{
    vkc_status first = VKC_OK;
    for (uint32_t k = 0; k < VKC_SLOTS; k++) {
        vkc_status s = slot_wait(ctx, k);
        if (first == VKC_OK) first = s;
    }
    return first;
}

vkc_status vkc_cmd_next_slot(vkc_context *ctx)
{
    ctx->cur = (ctx->cur + 1) % VKC_SLOTS;
    return slot_wait(ctx, ctx->cur);
}

vkc_status vkc_cmd_first_slot(vkc_context *ctx)
{
    vkc_status s = vkc_cmd_wait_all(ctx);
    ctx->cur = 0;
    return s;
}

VkCommandBuffer vkc_cmd_buffer(const vkc_context *ctx)
{
    return ctx->slots[ctx->cur].cmd;
}

VkDescriptorPool vkc_cmd_descriptor_pool(const vkc_context *ctx)
{
    return ctx->slots[ctx->cur].desc_pool;
}

vkc_status vkc_cmd_begin(vkc_context *ctx)
{
    vkc_status s = slot_wait(ctx, ctx->cur);
    if (s != VKC_OK) return s;
    vkc_slot *sl = &ctx->slots[ctx->cur];
    VKC_VK(ctx, vkResetDescriptorPool(ctx->dev, sl->desc_pool, 0));
    VKC_VK(ctx, vkResetCommandBuffer(sl->cmd, 0));
    VkCommandBufferBeginInfo bi = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VKC_VK(ctx, vkBeginCommandBuffer(sl->cmd, &bi));
    ctx->recording = 1;
    sl->timing = ctx->query_pool != VK_NULL_HANDLE;
    if (sl->timing) {
        vkCmdResetQueryPool(sl->cmd, ctx->query_pool, 2 * ctx->cur, 2);
        vkCmdWriteTimestamp(sl->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, ctx->query_pool, 2 * ctx->cur);
    }
    return VKC_OK;
}

vkc_status vkc_record_dispatch(vkc_context *ctx, VkCommandBuffer cmd, VkDescriptorPool pool, vkc_pipe *pipe,
                               const vkc_binding *binds, const void *push, uint32_t gx, uint32_t gy, uint32_t gz,
                               int *pool_full)
{
    VkDescriptorSetAllocateInfo ai = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    ai.descriptorPool = pool;
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &pipe->dsl;
    VkDescriptorSet set;
    VkResult r = vkAllocateDescriptorSets(ctx->dev, &ai, &set);
    if (pool_full && (r == VK_ERROR_OUT_OF_POOL_MEMORY || r == VK_ERROR_FRAGMENTED_POOL)) {
        *pool_full = 1;
        return VKC_OK;
    }
    if (r != VK_SUCCESS) return vkc_vk_fail(ctx, r, "vkAllocateDescriptorSets", __FILE__, __LINE__);
    VkDescriptorBufferInfo bi[VKC_MAX_BINDINGS];
    VkWriteDescriptorSet w[VKC_MAX_BINDINGS];
    for (uint32_t i = 0; i < pipe->nbind; i++) {
        bi[i].buffer = binds[i].buf->buf;
        bi[i].offset = binds[i].offset;
        /* Explicit ranges only: VK_WHOLE_SIZE could exceed
         * maxStorageBufferRange (DESIGN.md §2b). */
        bi[i].range = binds[i].range;
        memset(&w[i], 0, sizeof w[i]);
        w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        w[i].dstSet = set;
        w[i].dstBinding = i;
        w[i].descriptorCount = 1;
        w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        w[i].pBufferInfo = &bi[i];
    }
    vkUpdateDescriptorSets(ctx->dev, pipe->nbind, w, 0, NULL);
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->layout, 0, 1, &set, 0, NULL);
    if (pipe->push_size) vkCmdPushConstants(cmd, pipe->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, pipe->push_size, push);
    vkCmdDispatch(cmd, gx, gy, gz);
    ctx->dispatches++;
    return VKC_OK;
}

vkc_status vkc_cmd_dispatch(vkc_context *ctx, vkc_pipe *pipe, const vkc_binding *binds,
                            const void *push, uint32_t gx, uint32_t gy, uint32_t gz)
{
    return vkc_record_dispatch(ctx, vkc_cmd_buffer(ctx), vkc_cmd_descriptor_pool(ctx), pipe, binds, push, gx, gy, gz,
                               NULL);
}

void vkc_record_barrier(VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                       VK_ACCESS_TRANSFER_WRITE_BIT;
    VkPipelineStageFlags st = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cmd, st, st, 0, 1, &mb, 0, NULL, 0, NULL);
}

void vkc_cmd_barrier(vkc_context *ctx)
{
    vkc_record_barrier(vkc_cmd_buffer(ctx));
}

void vkc_cmd_copy(vkc_context *ctx, const vkc_gbuf *src, VkDeviceSize src_off, const vkc_gbuf *dst,
                  VkDeviceSize dst_off, VkDeviceSize size)
{
    VkBufferCopy c = {src_off, dst_off, size};
    vkCmdCopyBuffer(vkc_cmd_buffer(ctx), src->buf, dst->buf, 1, &c);
}

void vkc_cmd_fill(vkc_context *ctx, const vkc_gbuf *dst, VkDeviceSize off, VkDeviceSize size, uint32_t value)
{
    vkCmdFillBuffer(vkc_cmd_buffer(ctx), dst->buf, off, size, value);
}

vkc_status vkc_cmd_submit(vkc_context *ctx)
{
    vkc_slot *sl = &ctx->slots[ctx->cur];
    if (sl->timing)
        vkCmdWriteTimestamp(sl->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, ctx->query_pool, 2 * ctx->cur + 1);
    /* Host reads of mapped results follow the fence; make device writes
     * available to the host first. */
    VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(sl->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    ctx->recording = 0;
    VKC_VK(ctx, vkEndCommandBuffer(sl->cmd));
    VkSubmitInfo si = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &sl->cmd;
    VKC_VK(ctx, vkQueueSubmit(ctx->queue, 1, &si, sl->fence));
    sl->pending = 1;
    return VKC_OK;
}

vkc_status vkc_cmd_submit_wait(vkc_context *ctx)
{
    vkc_status s = vkc_cmd_submit(ctx);
    vkc_status w = vkc_cmd_wait_all(ctx);
    return s != VKC_OK ? s : w;
}

vkc_status vkc_gbuf_reserve(vkc_context *ctx, vkc_gbuf *b, VkDeviceSize size, int host_visible)
{
    if (b->buf && b->size >= size) return VKC_OK;
    vkc_gbuf_destroy(ctx, b);
    /* Round up so that a sequence of slightly growing requests does not
     * reallocate every time. */
    VkDeviceSize want = 1u << 16;
    while (want < size) want <<= 1;
    return vkc_gbuf_create(ctx, want, host_visible, b);
}

vkc_status vkc_gpu_stage_map(vkc_context *ctx, VkDeviceSize bytes, void **map)
{
    vkc_slot *sl = &ctx->slots[ctx->cur];
    sl->upload_from_import = 0;
    vkc_status s = vkc_gbuf_reserve(ctx, &sl->stage, bytes, 1);
    *map = s == VKC_OK ? sl->stage.map : NULL;
    return s;
}

vkc_status vkc_gpu_stage_bind(vkc_context *ctx, VkDeviceSize bytes, vkc_binding *b)
{
    vkc_slot *sl = &ctx->slots[ctx->cur];
    *b = (vkc_binding){&sl->stage, 0, bytes};
    if (ctx->uma) return VKC_OK;
    vkc_status s = vkc_gbuf_reserve(ctx, &sl->devin, bytes, 0);
    if (s == VKC_OK) b->buf = &sl->devin;
    return s;
}

vkc_status vkc_gpu_upload(vkc_context *ctx, const void *data, VkDeviceSize bytes, vkc_binding *b)
{
    void *map;
    vkc_status s = vkc_gpu_stage_map(ctx, bytes, &map);
    if (s != VKC_OK) return s;
    memcpy(map, data, bytes);
    return vkc_gpu_stage_bind(ctx, bytes, b);
}

void vkc_gpu_record_upload(vkc_context *ctx, VkDeviceSize bytes)
{
    if (ctx->uma) return;
    vkc_slot *sl = &ctx->slots[ctx->cur];
    if (sl->upload_from_import) vkc_cmd_copy(ctx, &sl->imported, sl->upload_off, &sl->devin, 0, sl->upload_bytes);
    else vkc_cmd_copy(ctx, &sl->stage, 0, &sl->devin, 0, bytes);
    vkc_cmd_barrier(ctx);
}

/* Imports the pages holding [data, data + bytes) as a storage buffer. 0
 * when the device or this pointer can't (the caller then copies): imports
 * must be whole aligned units, and an alignment above the page size could
 * take in unmapped memory, so such devices always copy. */
static int import_host(vkc_context *ctx, const void *data, VkDeviceSize bytes, uint32_t esize, VkDeviceSize *skip)
{
    uint64_t al = ctx->import_align;
    if (!al || !ctx->page_size || al > ctx->page_size || (al & (al - 1)) || (uintptr_t)data % esize) return 0;
    uintptr_t p = (uintptr_t)data, a = p & ~(uintptr_t)(al - 1);
    VkDeviceSize size = ((VkDeviceSize)(p - a) + bytes + al - 1) & ~(VkDeviceSize)(al - 1);
    VkMemoryHostPointerPropertiesEXT hp = {VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
    if (vkGetMemoryHostPointerPropertiesEXT(ctx->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
                                            (void *)a, &hp) != VK_SUCCESS)
        return 0;
    vkc_gbuf *b = &ctx->slots[ctx->cur].imported;
    VkExternalMemoryBufferCreateInfo ext = {VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
    ext.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.pNext = &ext;
    bci.size = size;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    if (vkCreateBuffer(ctx->dev, &bci, NULL, &b->buf) != VK_SUCCESS) {
        b->buf = VK_NULL_HANDLE;
        return 0;
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->dev, b->buf, &req);
    /* Coherent only: the shaders read the caller's writes with no flush. */
    uint32_t types = req.memoryTypeBits & hp.memoryTypeBits;
    int type = -1;
    for (uint32_t i = 0; i < ctx->memprops.memoryTypeCount && type < 0; i++)
        if ((types & (1u << i)) &&
            (ctx->memprops.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT))
            type = (int)i;
    if (type < 0 || req.size > size) {
        vkc_gbuf_destroy(ctx, b);
        return 0;
    }
    VkImportMemoryHostPointerInfoEXT imp = {VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
    imp.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
    imp.pHostPointer = (void *)a;
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.pNext = &imp;
    mai.allocationSize = size;
    mai.memoryTypeIndex = (uint32_t)type;
    if (vkAllocateMemory(ctx->dev, &mai, NULL, &b->mem) != VK_SUCCESS) {
        b->mem = VK_NULL_HANDLE;
        vkc_gbuf_destroy(ctx, b);
        return 0;
    }
    if (vkBindBufferMemory(ctx->dev, b->buf, b->mem, 0) != VK_SUCCESS) {
        vkc_gbuf_destroy(ctx, b);
        return 0;
    }
    b->size = size;
    *skip = (VkDeviceSize)(p - a);
    ctx->imports++;
    return 1;
}

vkc_status vkc_gpu_upload_input(vkc_context *ctx, const void *data, VkDeviceSize bytes, uint32_t esize,
                                vkc_binding *b, uint32_t *first, int *copied)
{
    VkDeviceSize skip;
    vkc_gbuf *imported = &ctx->slots[ctx->cur].imported;
    vkc_gbuf_destroy(ctx, imported); /* none in flight: the slot was waited for */
    if (ctx->host_import && !(ctx->disabled & VKC_FEATURE_HOST_IMPORT) && bytes >= ctx->import_min_bytes &&
        import_host(ctx, data, bytes, esize, &skip)) {
        VkDeviceSize al = ctx->caps.min_storage_buffer_offset_alignment;
        if (al < 4) al = 4; /* the shaders read 32-bit words */
        VkDeviceSize at = skip - skip % al;
        *b = (vkc_binding){imported, at, (skip - at + bytes + 3) & ~(VkDeviceSize)3};
        *first = (uint32_t)((skip - at) / esize);
        *copied = 0;
        if (ctx->uma || !ctx->import_dma) return VKC_OK;
        /* The same words, copied into device memory by the device. */
        vkc_slot *sl = &ctx->slots[ctx->cur];
        vkc_status s = vkc_gbuf_reserve(ctx, &sl->devin, b->range, 0);
        if (s != VKC_OK) return s;
        sl->upload_from_import = 1;
        sl->upload_off = at;
        sl->upload_bytes = b->range;
        *b = (vkc_binding){&sl->devin, 0, sl->upload_bytes};
        *copied = 1;
        return VKC_OK;
    }
    *first = 0;
    *copied = 1;
    /* 16-bit chunks of odd length: the shader reads the whole last word. */
    vkc_status s = vkc_gpu_upload(ctx, data, bytes, b);
    if (s == VKC_OK) b->range = (bytes + 3) & ~(VkDeviceSize)3;
    return s;
}

void vkc_gpu_release_import(vkc_context *ctx)
{
    int any = 0;
    for (uint32_t k = 0; k < VKC_SLOTS; k++) any |= ctx->slots[k].imported.buf != VK_NULL_HANDLE;
    if (!any) return;
    /* A failed submission may still be running: let it finish first. */
    vkQueueWaitIdle(ctx->queue);
    for (uint32_t k = 0; k < VKC_SLOTS; k++) {
        vkc_slot *sl = &ctx->slots[k];
        if (sl->pending) {
            vkResetFences(ctx->dev, 1, &sl->fence);
            sl->pending = 0;
        }
        vkc_gbuf_destroy(ctx, &sl->imported);
    }
}
