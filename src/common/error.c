/* error.c - messages and names for bale_err, generated from one table. */
#include "common_internal.h"

const char *bale_strerror(bale_err err) {
    switch (err) {
#define BALE__ERR_MSG(name, code, msg) \
    case BALE_##name:                  \
        return msg;
        BALE_ERRNO_MAP(BALE__ERR_MSG)
#undef BALE__ERR_MSG
    }
    return "unknown error";
}

const char *bale_errname(bale_err err) {
    switch (err) {
#define BALE__ERR_NAME(name, code, msg) \
    case BALE_##name:                   \
        return "BALE_" #name;
        BALE_ERRNO_MAP(BALE__ERR_NAME)
#undef BALE__ERR_NAME
    }
    return "BALE_UNKNOWN";
}

unsigned bale_version_number(void) { return BALE_VERSION_NUMBER; }
const char *bale_version_string(void) { return BALE_VERSION_STRING; }
