/* C-side include of the public interface (core_api.h is kept preprocessor-free for cffi). */
#ifndef BSS2_CORE_H
#define BSS2_CORE_H
#include <stdint.h>
#include "core_api.h"
#endif
