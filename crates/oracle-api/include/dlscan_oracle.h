/*
 * dlscan_oracle.h — the C ABI of dlscan oracle plugins, version 1.
 *
 * A plugin is a shared library exporting one function:
 *
 *     const dlscan_oracle_descriptor *dlscan_oracle_entry(void);
 *
 * returning a pointer to a static descriptor. The host reads `abi_version` first and
 * refuses the plugin unless it equals DLSCAN_ORACLE_ABI_VERSION; only then does it use the
 * function pointers, all of which must be non-NULL.
 *
 * Ownership
 *   - The descriptor and its name/version strings are static.
 *   - `create` makes a handle; `destroy` releases it. The host never frees a handle.
 *   - Buffers passed to `evaluate` belong to the host: read `x`, write `outputs` and
 *     `status`, during the call only.
 *   - Strings returned by `describe` (output names) stay valid until `destroy`; strings
 *     returned by `point_error` and `last_error` stay valid until the next call on the
 *     same handle. Neither side frees memory allocated by the other.
 *
 * Threads
 *   One handle is used by one thread at a time; the host creates one handle per worker
 *   thread and may use different handles concurrently, so global state must be
 *   thread safe.
 *
 * Errors
 *   Functions returning int return DLSCAN_CALL_OK or DLSCAN_CALL_ERROR (then `last_error`
 *   says why). `evaluate` reports per-point outcomes in `status` (DLSCAN_POINT_*); a failed
 *   point's reason comes from `point_error`. Never let an exception or a longjmp cross
 *   these functions.
 *
 * Fortran authors: bind these with ISO_C_BINDING (BIND(C)); C++ authors: wrap this header
 * in extern "C" (it does so itself) and catch every exception inside each function.
 */
#ifndef DLSCAN_ORACLE_H
#define DLSCAN_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLSCAN_ORACLE_ABI_VERSION 1u
#define DLSCAN_ORACLE_ENTRY_SYMBOL "dlscan_oracle_entry"

#define DLSCAN_POINT_OK 0
#define DLSCAN_POINT_FAILED 1
#define DLSCAN_POINT_TIMEOUT 2

#define DLSCAN_CALL_OK 0
#define DLSCAN_CALL_ERROR 1

/* Filled by describe(). */
typedef struct dlscan_oracle_shape {
    size_t n_inputs;                 /* inputs per point */
    size_t n_outputs;                /* outputs per point */
    const char *const *output_names; /* n_outputs UTF-8 names, owned by the handle */
} dlscan_oracle_shape;

typedef struct dlscan_oracle_descriptor {
    uint32_t abi_version; /* DLSCAN_ORACLE_ABI_VERSION; always the first field */
    uint32_t reserved;    /* zero */
    const char *name;     /* static, UTF-8 */
    const char *version;  /* static, UTF-8 */

    /* Build a handle from the NUL-terminated configuration text. On failure return NULL and
     * write a NUL-terminated message of at most err_len bytes (terminator included) to err. */
    void *(*create)(const char *config, char *err, size_t err_len);

    /* Fill *shape. */
    int32_t (*describe)(void *handle, dlscan_oracle_shape *shape);

    /* Evaluate n points: x holds n * n_inputs doubles row-major; write n * n_outputs doubles
     * to outputs and one DLSCAN_POINT_* code per point to status. */
    int32_t (*evaluate)(void *handle, size_t n, const double *x, double *outputs, int32_t *status);

    /* Reason for the failure of point i of the last evaluate call, or NULL. */
    const char *(*point_error)(void *handle, size_t i);

    /* Message of the last failed call on this handle, or NULL. */
    const char *(*last_error)(void *handle);

    /* Release the handle. */
    void (*destroy)(void *handle);
} dlscan_oracle_descriptor;

/* The one symbol a plugin exports. */
const dlscan_oracle_descriptor *dlscan_oracle_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* DLSCAN_ORACLE_H */
