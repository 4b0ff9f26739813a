/* C-side include of the public interface (its headers are kept preprocessor-free for cffi). */
#ifndef BSS2_CORE_H
#define BSS2_CORE_H
#include <stddef.h>
#include <stdint.h>
#include "core_api.h"
#endif
