/* A stand-in for the application in recording tests and benchmarks: its
 * own command pool, command buffer and fence on the context's device and
 * queue (the context's queue family, as vkc_recorder requires). */
#ifndef VKC_VK_APP_H
#define VKC_VK_APP_H

#include "vk/gpu.h"

#include <string.h>

typedef struct app {
    vkc_context *ctx;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
} app;

static inline int app_begin(app *a)
{
    VkCommandBufferBeginInfo bi = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    return vkResetCommandBuffer(a->cmd, 0) == VK_SUCCESS && vkBeginCommandBuffer(a->cmd, &bi) == VK_SUCCESS;
}

/* Submits the recorded command buffer (again, for a reusable one) and waits. */
static inline int app_resubmit(app *a)
{
    VkSubmitInfo si = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &a->cmd;
    return vkQueueSubmit(a->ctx->queue, 1, &si, a->fence) == VK_SUCCESS &&
           vkWaitForFences(a->ctx->dev, 1, &a->fence, VK_TRUE, UINT64_MAX) == VK_SUCCESS &&
           vkResetFences(a->ctx->dev, 1, &a->fence) == VK_SUCCESS;
}

static inline int app_submit(app *a)
{
    return vkEndCommandBuffer(a->cmd) == VK_SUCCESS && app_resubmit(a);
}

static inline int app_open(vkc_context *ctx, app *a)
{
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    VkCommandPoolCreateInfo pci = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.queueFamilyIndex = ctx->qfam;
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    VkCommandBufferAllocateInfo ai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (vkCreateCommandPool(ctx->dev, &pci, NULL, &a->pool) != VK_SUCCESS) return 0;
    ai.commandPool = a->pool;
    return vkAllocateCommandBuffers(ctx->dev, &ai, &a->cmd) == VK_SUCCESS &&
           vkCreateFence(ctx->dev, &fci, NULL, &a->fence) == VK_SUCCESS;
}

static inline void app_close(app *a)
{
    if (a->fence) vkDestroyFence(a->ctx->dev, a->fence, NULL);
    if (a->pool) vkDestroyCommandPool(a->ctx->dev, a->pool, NULL);
}

#endif
