/* SPDX-License-Identifier: BSD-2-Clause */
/* A small JSON reader for configuration-time input (the AWS CLI's JSON).
 * Builds a tree with malloc; never used on the packet path. Depth, size and
 * element counts are capped; errors carry a line number. */
#ifndef PS_CORE_JPARSE_H
#define PS_CORE_JPARSE_H

#include <stddef.h>

enum ps_jtype { PS_J_NULL, PS_J_BOOL, PS_J_NUM, PS_J_STR, PS_J_ARR, PS_J_OBJ };

struct ps_jnode {
    enum ps_jtype type;
    char *key;              /* member name inside an object, else NULL */
    char *str;              /* PS_J_STR: decoded, NUL-terminated */
    double num;             /* PS_J_NUM, PS_J_BOOL (0/1) */
    struct ps_jnode *child; /* first element or member */
    struct ps_jnode *next;  /* next sibling */
};

/* Parse `len` bytes. On error returns NULL and writes a message (with the
 * line) into err[errlen]. */
struct ps_jnode *ps_jparse(const char *text, size_t len, char *err, size_t errlen);
void ps_jfree(struct ps_jnode *n);

/* Member `key` of object `o`, or NULL. */
const struct ps_jnode *ps_jget(const struct ps_jnode *o, const char *key);

/* Read a whole file (at most 64 MiB) and parse it. */
struct ps_jnode *ps_jparse_file(const char *path, char *err, size_t errlen);

#endif
