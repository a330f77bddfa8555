/* SHA-256 (FIPS 180-4) of a buffer: record names for container ids that
 * cannot be file names are derived from it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);
