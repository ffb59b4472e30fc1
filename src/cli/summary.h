/* The summary calibrate prints after a calibration: a table sized to the
 * terminal, the tensors the quality guards flagged (with the numbers and the
 * better method) and the tensors left out; and --strict's verdict on them. */
#ifndef VKC_CLI_SUMMARY_H
#define VKC_CLI_SUMMARY_H

#include "calib.h"

#include <stdio.h>

void calib_print_summary(FILE *out, const vkc_calibration *cal, const calib_options *o);
/* 1 unless --strict and a guard flagged a tensor (then the errors and the
 * summary are on stderr). */
int calib_strict_ok(const vkc_calibration *cal, const calib_options *o);

#endif
