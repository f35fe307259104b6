/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/manifest: the stream splitter (manifest.c) hands each
 * document's bytes to the event loader (load.c). Not part of the public API.
 */
#ifndef HP_MANIFEST_INTERNAL_H
#define HP_MANIFEST_INTERNAL_H

#include "hardpod/manifest.h"

#include <stddef.h>

/* Loads one YAML document from p[0..n), which holds at most one document and
 * valid UTF-8 without NUL bytes. line0 is the 0-based line of p[0] in the
 * whole stream; it is added to every line reported. Fills doc->obj (NULL when
 * the document's root is null), doc->error (owned, on failure) and
 * doc->item_lines; leaves doc->line alone. Never fails as a whole. */
void hp_manifest_load_doc(const char *p, size_t n, size_t line0,
                          const struct hp_manifest_limits *lim, struct hp_manifest_doc *doc);

#endif
