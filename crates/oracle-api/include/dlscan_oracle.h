/*
 * dlscan_oracle.h — the C ABI of dlscan oracle plugins, version 2.1.
 *
 * A plugin is a shared library exporting one function:
 *
 *     const dlscan_oracle_descriptor *dlscan_oracle_entry(void);
 *
 * returning a pointer to a static descriptor. Start its initialiser with
 * DLSCAN_ORACLE_DESCRIPTOR_HEADER, which fills the four header fields:
 *
 *     static const dlscan_oracle_descriptor DESCRIPTOR = {
 *         DLSCAN_ORACLE_DESCRIPTOR_HEADER,
 *         .name = "my-oracle",
 *         .version = "1.0.0",
 *         .create = my_create,
 *         ...
 *     };
 *
 * Versions
 *   The major version (abi_version) changes when the layout changes incompatibly; the
 *   minor version (abi_minor) counts additions: a minor version only appends entries at
 *   the end of the descriptor, and struct_size (the plugin's sizeof the descriptor) says
 *   how far it reaches. Before calling anything the host checks, in this order:
 *     - abi_version must equal its DLSCAN_ORACLE_ABI_VERSION, else the plugin is refused;
 *     - reserved must be zero, else the plugin is refused (it stays zero in every minor
 *       version of this major version);
 *     - struct_size must be at least the size of the 2.0 descriptor, whose entries (all
 *       those below) must be non-NULL, else the plugin is refused;
 *     - a newer abi_minor than the host's is accepted: the host ignores the entries it
 *       does not know; an older one is accepted too: an entry added by a later minor
 *       version counts as absent unless struct_size covers it.
 *   All struct_size bytes of the descriptor must be readable.
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
 * Configuration
 *   create() gets the run configuration's [oracle.config] table as text: as TOML (the
 *   default, DLSCAN_CONFIG_TOML) or, when the descriptor sets config_format =
 *   DLSCAN_CONFIG_FLAT (since 2.1), flat: one `key = value` line per value, keys as full
 *   dotted paths with [i] for array elements (`dim = 3`, `spheno.binary = "/opt/SPheno"`,
 *   `radii[1] = 3.0`, `terms[0].sigma = 0.5`), strings JSON-quoted, numbers readable by
 *   strtod. The dlscan_config_* helpers below read it; plugins/README.md describes the
 *   format completely.
 *
 * Fortran authors: bind these with ISO_C_BINDING (BIND(C)) and set struct_size to the
 * C_SIZEOF of the descriptor type; C++ authors: wrap this header in extern "C" (it does so
 * itself) and catch every exception inside each function.
 */
#ifndef DLSCAN_ORACLE_H
#define DLSCAN_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLSCAN_ORACLE_ABI_VERSION 2u
#define DLSCAN_ORACLE_ABI_MINOR 1u
#define DLSCAN_ORACLE_ENTRY_SYMBOL "dlscan_oracle_entry"

#define DLSCAN_POINT_OK 0
#define DLSCAN_POINT_FAILED 1
#define DLSCAN_POINT_TIMEOUT 2

#define DLSCAN_CONFIG_TOML 0u
#define DLSCAN_CONFIG_FLAT 1u

#define DLSCAN_CALL_OK 0
#define DLSCAN_CALL_ERROR 1

/* Filled by describe(). */
typedef struct dlscan_oracle_shape {
    size_t n_inputs;                 /* inputs per point */
    size_t n_outputs;                /* outputs per point */
    const char *const *output_names; /* n_outputs UTF-8 names, owned by the handle */
} dlscan_oracle_shape;

/* Layout (offsets on 64-bit targets): abi_version 0, abi_minor 4, reserved 6,
 * struct_size 8, name 16, version 24, then the functions from 32 to 72, config_format 80,
 * files_dir 88; 96 bytes (80 in ABI 2.0, which ended with destroy). */
typedef struct dlscan_oracle_descriptor {
    uint32_t abi_version; /* DLSCAN_ORACLE_ABI_VERSION; always the first field */
    uint16_t abi_minor;   /* DLSCAN_ORACLE_ABI_MINOR */
    uint16_t reserved;    /* zero */
    size_t struct_size;   /* sizeof(dlscan_oracle_descriptor) as the plugin was built */
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

    /* Since 2.1: how create() gets its configuration, DLSCAN_CONFIG_TOML (0, also what a 2.0
     * descriptor gets) or DLSCAN_CONFIG_FLAT. The host refuses other values. */
    uint64_t config_format;

    /* Since 2.1, may be NULL: the directory holding the files the last evaluate call left
     * (a spectrum, a log), NUL-terminated, valid until the next call on the handle; or NULL
     * for none. A host that keeps files of chosen points ([[oracle.keep]]) evaluates one
     * point per call and copies what it keeps before the next call. */
    const char *(*files_dir)(void *handle);

    /* Later minor versions append entries here. */
} dlscan_oracle_descriptor;

/* The header fields of a descriptor built against this file, as designated initialisers
 * (C99, or C++20 in declaration order). */
#define DLSCAN_ORACLE_DESCRIPTOR_HEADER                                                     \
    .abi_version = DLSCAN_ORACLE_ABI_VERSION, .abi_minor = DLSCAN_ORACLE_ABI_MINOR,          \
    .reserved = 0, .struct_size = sizeof(dlscan_oracle_descriptor)

/* Reading a flat configuration (config_format = DLSCAN_CONFIG_FLAT) without a parser. */

/* The value text of `key` (what follows "key = " on its line, up to the '\n'), or NULL
 * if the configuration has no such line. */
static inline const char *dlscan_config_find(const char *config, const char *key) {
    size_t k = strlen(key);
    for (const char *line = config; line != NULL && *line != '\0';) {
        if (strncmp(line, key, k) == 0 && strncmp(line + k, " = ", 3) == 0) return line + k + 3;
        line = strchr(line, '\n');
        if (line != NULL) line++;
    }
    return NULL;
}

/* The number at `key` into *value. Returns 1 if found, 0 if absent (then *value is left
 * as it was: preset it to the default), -1 if the value is not a number. */
static inline int dlscan_config_number(const char *config, const char *key, double *value) {
    const char *v = dlscan_config_find(config, key);
    if (v == NULL) return 0;
    char *end;
    double d = strtod(v, &end);
    if (end == v || (*end != '\n' && *end != '\0')) return -1;
    *value = d;
    return 1;
}

/* The string at `key`, unescaped, into buf (len bytes, NUL included). Returns 1 if
 * found, 0 if absent (buf untouched), -1 if the value is not a string, -2 if it does not
 * fit in len bytes. */
static inline int dlscan_config_string(const char *config, const char *key, char *buf, size_t len) {
    const char *v = dlscan_config_find(config, key);
    if (v == NULL) return 0;
    if (*v != '"') return -1;
    if (len == 0) return -2;
    size_t n = 0;
    for (v++; *v != '"'; v++) {
        unsigned long c = (unsigned char)*v;
        if (c == '\0' || c == '\n') return -1;
        if (c == '\\') {
            v++;
            switch (*v) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'u': { /* \u00XX: only control characters are written this way */
                char hex[5] = {0, 0, 0, 0, 0};
                for (int i = 0; i < 4; i++) {
                    if (strchr("0123456789abcdefABCDEF", v[1 + i]) == NULL || v[1 + i] == '\0') return -1;
                    hex[i] = v[1 + i];
                }
                c = strtoul(hex, NULL, 16);
                if (c > 0x7f) return -1;
                v += 4;
                break;
            }
            default: return -1;
            }
        }
        if (n + 1 >= len) return -2;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return 1;
}

/* How many elements the array `key` has (lines key[0], key[1], ... in a row); 0 when it
 * is absent or empty (`key = []`). */
static inline size_t dlscan_config_count(const char *config, const char *key) {
    char element[256];
    size_t n = 0;
    for (;;) {
        int w = snprintf(element, sizeof element, "%s[%zu]", key, n);
        if (w < 0 || (size_t)w >= sizeof element) return n;
        /* An element is a line "key[n] = ..." or the start of a nested one, "key[n].x" or "key[n][0]". */
        size_t k = strlen(element);
        int found = 0;
        for (const char *line = config; line != NULL && *line != '\0' && !found;) {
            if (strncmp(line, element, k) == 0 && (line[k] == ' ' || line[k] == '.' || line[k] == '[')) found = 1;
            line = strchr(line, '\n');
            if (line != NULL) line++;
        }
        if (!found) return n;
        n++;
    }
}

/* The first line whose key is not one of the n_known names, or NULL if every key is known.
 * A line's key is its first part: `dim` for "dim = 3", `centre` for "centre[1] = 0.5",
 * `spheno` for "spheno.binary = ...". Refuse unknown keys, naming them (the line runs to
 * its '\n'), so that a misspelt setting stops the run instead of being ignored. */
static inline const char *dlscan_config_unknown(const char *config, const char *const *known, size_t n_known) {
    for (const char *line = config; line != NULL && *line != '\0';) {
        size_t k = strcspn(line, " .[\n");
        int ok = 0;
        for (size_t i = 0; i < n_known && !ok; i++)
            ok = strlen(known[i]) == k && strncmp(line, known[i], k) == 0;
        if (!ok) return line;
        line = strchr(line, '\n');
        if (line != NULL) line++;
    }
    return NULL;
}

/* The one symbol a plugin exports. */
const dlscan_oracle_descriptor *dlscan_oracle_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* DLSCAN_ORACLE_H */
