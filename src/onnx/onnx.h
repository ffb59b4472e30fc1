/* The ONNX modules' shared include: their public interface is the Q/DQ
 * section of vkcalib.h, where the contract is written out. */
#ifndef VKC_ONNX_H
#define VKC_ONNX_H

#include "base/common.h"

#endif
