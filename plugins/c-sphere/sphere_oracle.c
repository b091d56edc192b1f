/*
 * A dlscan oracle written in C: the squared distance from the origin of a point in n
 * dimensions, and its square root.
 *
 * Configuration text: "dim = N" (default 2). Points with a negative first coordinate
 * below -1e6 fail, to show per-point error reporting.
 *
 * Build: cc -shared -fPIC -I<oracle-api>/include sphere_oracle.c -o libdlscan_c_sphere.so -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlscan_oracle.h"

typedef struct sphere {
    size_t dim;
    const char *names[2];
    const char *point_errors_msg;
    size_t n_last;
    unsigned char *failed; /* per point of the last batch */
    char last_error[256];
} sphere;

static void *sphere_create(const char *config, char *err, size_t err_len) {
    long dim = 2;
    if (config != NULL && config[0] != '\0') {
        if (sscanf(config, " dim = %ld", &dim) != 1) {
            snprintf(err, err_len, "c-sphere: cannot read configuration '%s' (expected 'dim = N')", config);
            return NULL;
        }
    }
    if (dim < 1 || dim > 1000) {
        snprintf(err, err_len, "c-sphere: dim = %ld must lie in 1..1000", dim);
        return NULL;
    }
    sphere *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "c-sphere: out of memory");
        return NULL;
    }
    s->dim = (size_t)dim;
    s->names[0] = "r2";
    s->names[1] = "r";
    s->point_errors_msg = "first coordinate below -1e6";
    return s;
}

static int32_t sphere_describe(void *handle, dlscan_oracle_shape *shape) {
    sphere *s = handle;
    shape->n_inputs = s->dim;
    shape->n_outputs = 2;
    shape->output_names = s->names;
    return DLSCAN_CALL_OK;
}

static int32_t sphere_evaluate(void *handle, size_t n, const double *x, double *outputs, int32_t *status) {
    sphere *s = handle;
    unsigned char *failed = realloc(s->failed, n > 0 ? n : 1);
    if (failed == NULL) {
        snprintf(s->last_error, sizeof s->last_error, "c-sphere: out of memory for %zu points", n);
        return DLSCAN_CALL_ERROR;
    }
    s->failed = failed;
    s->n_last = n;
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * s->dim;
        if (xi[0] < -1e6) {
            s->failed[i] = 1;
            status[i] = DLSCAN_POINT_FAILED;
            continue;
        }
        double r2 = 0.0;
        for (size_t d = 0; d < s->dim; d++) r2 += xi[d] * xi[d];
        outputs[2 * i] = r2;
        outputs[2 * i + 1] = sqrt(r2);
        s->failed[i] = 0;
        status[i] = DLSCAN_POINT_OK;
    }
    return DLSCAN_CALL_OK;
}

static const char *sphere_point_error(void *handle, size_t i) {
    sphere *s = handle;
    return (i < s->n_last && s->failed[i]) ? s->point_errors_msg : NULL;
}

static const char *sphere_last_error(void *handle) {
    sphere *s = handle;
    return s->last_error[0] ? s->last_error : NULL;
}

static void sphere_destroy(void *handle) {
    sphere *s = handle;
    free(s->failed);
    free(s);
}

/* The loader tests (tests/fixtures/descriptor_variants.c) reuse the functions above with
 * descriptors of their own. */
#ifndef SPHERE_NO_DESCRIPTOR
static const dlscan_oracle_descriptor DESCRIPTOR = {
    DLSCAN_ORACLE_DESCRIPTOR_HEADER,
    .name = "c-sphere",
    .version = "1.0.0",
    .create = sphere_create,
    .describe = sphere_describe,
    .evaluate = sphere_evaluate,
    .point_error = sphere_point_error,
    .last_error = sphere_last_error,
    .destroy = sphere_destroy,
};

const dlscan_oracle_descriptor *dlscan_oracle_entry(void) { return &DESCRIPTOR; }
#endif
