/* list_type.c - STUB: bale.List (to be written). */
#include "bale_ext.h"

int bale_ext_list_init(PyObject *module) {
    (void)module;
    return 0;
}
