/*
 * A dlscan oracle written in C: the squared distance of a point in n dimensions from a
 * centre, and its square root.
 *
 * It takes its configuration flat (config_format = DLSCAN_CONFIG_FLAT), so it reads it
 * with the header's helpers instead of a TOML parser. Keys, all optional:
 *   dim = N              dimension (default 2)
 *   centre = [c0, ...]   the centre (default the origin); arrives as centre[0] = ... lines
 *   fail_below = V       points whose first coordinate is below V fail (default -1e6), to
 *                        show per-point error reporting
 *   prefix = "r"         output names: <prefix>2 and <prefix> (default "r")
 *
 * Build: cc -shared -fPIC -I<oracle-api>/include sphere_oracle.c -o libdlscan_c_sphere.so -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlscan_oracle.h"

#define SPHERE_MAX_DIM 1000

typedef struct sphere {
    size_t dim;
    double centre[SPHERE_MAX_DIM];
    double fail_below;
    char prefix[64];
    char name_squared[80];
    const char *names[2];
    char point_error_msg[128];
    size_t n_last;
    unsigned char *failed; /* per point of the last batch */
    char last_error[256];
} sphere;

/* Refuse keys this plugin does not know, so a typo in the run configuration is an error
 * rather than a silently ignored setting. */
static int sphere_check_keys(const char *config, char *err, size_t err_len) {
    static const char *const known[] = {"dim", "centre", "fail_below", "prefix"};
    const char *unknown = dlscan_config_unknown(config, known, sizeof known / sizeof known[0]);
    if (unknown != NULL) {
        snprintf(err, err_len, "c-sphere: unknown setting `%.*s` (known: dim, centre, fail_below, prefix)",
                 (int)strcspn(unknown, "\n"), unknown);
        return 0;
    }
    return 1;
}

static void *sphere_create(const char *config, char *err, size_t err_len) {
    double dim = 2.0, fail_below = -1e6;
    char prefix[64] = "r";
    if (!sphere_check_keys(config, err, err_len)) return NULL;
    if (dlscan_config_number(config, "dim", &dim) < 0 || dim != floor(dim) || dim < 1 || dim > SPHERE_MAX_DIM) {
        snprintf(err, err_len, "c-sphere: dim must be a whole number in 1..%d", SPHERE_MAX_DIM);
        return NULL;
    }
    if (dlscan_config_number(config, "fail_below", &fail_below) < 0) {
        snprintf(err, err_len, "c-sphere: fail_below must be a number");
        return NULL;
    }
    switch (dlscan_config_string(config, "prefix", prefix, sizeof prefix)) {
    case -1: snprintf(err, err_len, "c-sphere: prefix must be a string"); return NULL;
    case -2: snprintf(err, err_len, "c-sphere: prefix must be at most %zu bytes", sizeof prefix - 1); return NULL;
    }
    sphere *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "c-sphere: out of memory");
        return NULL;
    }
    s->dim = (size_t)dim;
    s->fail_below = fail_below;
    size_t given = dlscan_config_count(config, "centre");
    int bad = given != 0 && given != s->dim;
    for (size_t d = 0; d < given && !bad; d++) {
        char key[32];
        snprintf(key, sizeof key, "centre[%zu]", d);
        bad = dlscan_config_number(config, key, &s->centre[d]) != 1;
    }
    if (bad) {
        snprintf(err, err_len, "c-sphere: centre must be a list of %zu numbers", s->dim);
        free(s);
        return NULL;
    }
    memcpy(s->prefix, prefix, sizeof prefix);
    snprintf(s->name_squared, sizeof s->name_squared, "%s2", s->prefix);
    s->names[0] = s->name_squared;
    s->names[1] = s->prefix;
    snprintf(s->point_error_msg, sizeof s->point_error_msg, "first coordinate below %g", s->fail_below);
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
        if (xi[0] < s->fail_below) {
            s->failed[i] = 1;
            status[i] = DLSCAN_POINT_FAILED;
            continue;
        }
        double r2 = 0.0;
        for (size_t d = 0; d < s->dim; d++) r2 += (xi[d] - s->centre[d]) * (xi[d] - s->centre[d]);
        outputs[2 * i] = r2;
        outputs[2 * i + 1] = sqrt(r2);
        s->failed[i] = 0;
        status[i] = DLSCAN_POINT_OK;
    }
    return DLSCAN_CALL_OK;
}

static const char *sphere_point_error(void *handle, size_t i) {
    sphere *s = handle;
    return (i < s->n_last && s->failed[i]) ? s->point_error_msg : NULL;
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
    .config_format = DLSCAN_CONFIG_FLAT,
};

const dlscan_oracle_descriptor *dlscan_oracle_entry(void) { return &DESCRIPTOR; }
#endif
