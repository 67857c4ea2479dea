/* convert.c - Python values to and from the core's typed values (to be written). */
#include "bale_ext.h"
