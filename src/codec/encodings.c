/*
 * encodings.c - the table of value encodings, their names, and helpers to
 * build and check bale_values.  Each encoding lives in its own file and
 * exports one bale__encoding_impl; this file only lists them.
 */
#include "codec_internal.h"

#include "encodings_internal.h"

static const bale__encoding_impl *const encodings[] = {
    &bale__enc_plain, &bale__enc_for,   &bale__enc_delta,
    &bale__enc_dict,  &bale__enc_shuffle, &bale__enc_fsst,
    &bale__enc_front, &bale__enc_xorfloat, &bale__enc_blocks,
    &bale__enc_ctx,   &bale__enc_decimal,
};

const bale__encoding_impl *bale__encoding_find(bale_encoding id) {
    for (size_t i = 0; i < sizeof encodings / sizeof *encodings; i++)
        if (encodings[i]->id == id) return encodings[i];
    return NULL;
}

const bale__tab_ops *bale__encoding_tab_ops(bale_encoding id) {
    return id == BALE_ENC_FSST   ? &bale__fsst_tab_ops
           : id == BALE_ENC_DICT ? &bale__dict_tab_ops
           : id == BALE_ENC_CTX  ? &bale__ctx_tab_ops
                                 : NULL;
}

const char *bale_encoding_name(bale_encoding encoding) {
    switch (encoding) {
#define BALE__ENC_NAME(name, code, str) \
    case BALE_ENC_##name:               \
        return str;
        BALE_ENCODING_MAP(BALE__ENC_NAME)
#undef BALE__ENC_NAME
    case BALE_ENC_AUTO:
        return "auto";
    }
    return NULL;
}

bale_err bale_encoding_parse(const char *name, bale_encoding *out) {
    BALE_RETURN_IF(name == NULL || out == NULL, BALE_INVALID);
#define BALE__ENC_PARSE(nm, code, str) \
    if (strcmp(name, str) == 0) {      \
        *out = BALE_ENC_##nm;          \
        return BALE_OK;                \
    }
    BALE_ENCODING_MAP(BALE__ENC_PARSE)
#undef BALE__ENC_PARSE
    if (strcmp(name, "auto") == 0) {
        *out = BALE_ENC_AUTO;
        return BALE_OK;
    }
    return BALE_UNSUPPORTED;
}

int bale_encoding_supports(bale_encoding encoding, bale_dtype dtype) {
    const bale__encoding_impl *impl = bale__encoding_find(encoding);
    return impl != NULL && bale_dtype_name(dtype) != NULL &&
           impl->supports(dtype);
}

const char *bale_backend_name(bale_backend backend) {
    switch (backend) {
    case BALE_BACKEND_NONE: return "none";
    case BALE_BACKEND_LZ4: return "lz4";
    case BALE_BACKEND_ZSTD: return "zstd";
    case BALE_BACKEND_ZLIB: return "zlib";
    case BALE_BACKEND_AUTO: return "auto";
    }
    return NULL;
}

bale_err bale_backend_parse(const char *name, bale_backend *out) {
    static const bale_backend all[] = {BALE_BACKEND_NONE, BALE_BACKEND_LZ4,
                                       BALE_BACKEND_ZSTD, BALE_BACKEND_ZLIB,
                                       BALE_BACKEND_AUTO};
    BALE_RETURN_IF(name == NULL || out == NULL, BALE_INVALID);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        if (strcmp(name, bale_backend_name(all[i])) == 0) {
            *out = all[i];
            return BALE_OK;
        }
    }
    return BALE_UNSUPPORTED;
}

bale_codec_opts bale_codec_opts_auto(void) {
    bale_codec_opts o = {BALE_ENC_AUTO, BALE_BACKEND_AUTO, 0};
    return o;
}

/* ---- dtypes and values ----------------------------------------------------- */

const char *bale_dtype_name(bale_dtype dtype) {
    switch (dtype) {
    case BALE_DTYPE_INT: return "int";
    case BALE_DTYPE_FLOAT: return "float";
    case BALE_DTYPE_BOOL: return "bool";
    case BALE_DTYPE_STR: return "str";
    case BALE_DTYPE_BYTES: return "bytes";
    case BALE_DTYPE_OBJECT: return "object";
    }
    return NULL;
}

size_t bale_dtype_width(bale_dtype dtype) {
    switch (dtype) {
    case BALE_DTYPE_INT:
    case BALE_DTYPE_FLOAT: return 8;
    case BALE_DTYPE_BOOL: return 1;
    default: return 0;
    }
}

void bale_values_free(bale_values *values) {
    if (values == NULL) return;
    bale__free(values->data);
    bale__free(values->offsets);
    memset(values, 0, sizeof *values);
}

bale_err bale__values_alloc(bale_values *out, bale_dtype dtype, uint64_t count,
                            uint64_t data_size) {
    bale_values v;
    memset(&v, 0, sizeof v);
    v.dtype = dtype;
    v.count = count;
    size_t width = bale_dtype_width(dtype);
    BALE_RETURN_IF(bale_dtype_name(dtype) == NULL, BALE_INVALID);
    if (width != 0) {
        size_t bytes;
        BALE_RETURN_IF(count > SIZE_MAX || !bale__mul_ok((size_t)count, width, &bytes),
                       BALE_NOMEM);
        v.data = bale__malloc(bytes);
        BALE_RETURN_IF(v.data == NULL, BALE_NOMEM);
        v.data_size = bytes;
    } else {
        size_t obytes;
        BALE_RETURN_IF(count >= SIZE_MAX || data_size > SIZE_MAX ||
                           !bale__mul_ok((size_t)count + 1, sizeof(uint64_t), &obytes),
                       BALE_NOMEM);
        v.offsets = bale__malloc(obytes);
        v.data = bale__malloc((size_t)data_size);
        if (v.offsets == NULL || v.data == NULL) {
            bale_values_free(&v);
            return BALE_NOMEM;
        }
        v.offsets[0] = 0;
        v.data_size = data_size;
    }
    *out = v;
    return BALE_OK;
}

bale_err bale__values_check(const bale_values *v) {
    BALE_RETURN_IF(v == NULL || bale_dtype_name(v->dtype) == NULL, BALE_INVALID);
    size_t width = bale_dtype_width(v->dtype);
    if (width != 0) {
        BALE_RETURN_IF(v->count > UINT64_MAX / width, BALE_INVALID);
        BALE_RETURN_IF(v->data_size != v->count * width, BALE_INVALID);
        BALE_RETURN_IF(v->count > 0 && v->data == NULL, BALE_INVALID);
        if (v->dtype == BALE_DTYPE_BOOL) {
            const uint8_t *b = v->data;
            for (uint64_t i = 0; i < v->count; i++)
                BALE_RETURN_IF(b[i] > 1, BALE_INVALID);
        }
        return BALE_OK;
    }
    BALE_RETURN_IF(v->offsets == NULL, BALE_INVALID);
    BALE_RETURN_IF(v->offsets[0] != 0 || v->offsets[v->count] != v->data_size,
                   BALE_INVALID);
    BALE_RETURN_IF(v->data_size > 0 && v->data == NULL, BALE_INVALID);
    for (uint64_t i = 0; i < v->count; i++)
        BALE_RETURN_IF(v->offsets[i] > v->offsets[i + 1], BALE_INVALID);
    return BALE_OK;
}

uint64_t bale__values_raw_size(const bale_values *v) {
    size_t width = bale_dtype_width(v->dtype);
    if (width != 0) return v->count * width;
    return v->data_size + 8 * v->count;
}

bale_err bale__values_take_one(const bale_values *v, uint64_t i,
                               bale_values *out) {
    BALE_RETURN_IF(i >= v->count, BALE_RANGE);
    size_t width = bale_dtype_width(v->dtype);
    uint64_t len = width ? width : v->offsets[i + 1] - v->offsets[i];
    BALE_FORWARD_IF_ERROR(bale__values_alloc(out, v->dtype, 1, len));
    const uint8_t *src = (const uint8_t *)v->data + (width ? i * width : v->offsets[i]);
    if (len) memcpy(out->data, src, (size_t)len);
    if (!width) out->offsets[1] = len;
    return BALE_OK;
}
