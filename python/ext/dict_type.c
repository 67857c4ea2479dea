/* dict_type.c - STUB: bale.Dict (to be written). */
#include "bale_ext.h"

int bale_ext_dict_init(PyObject *module) {
    (void)module;
    return 0;
}
