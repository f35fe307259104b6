/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/webhook: the YAML writer (yaml.c) that the generator
 * (config.c) writes its result with. Unit tests include it as
 * "webhook/internal.h".
 */
#ifndef HP_WEBHOOK_INTERNAL_H
#define HP_WEBHOOK_INTERNAL_H

#include "hardpod/buf.h"

#include <stddef.h>

struct json_object;

/* Appends obj as a block-style YAML document body (a mapping at the top)
 * to out: mappings as "key: value" lines indented by two spaces per level,
 * sequences of mappings as "- " items, sequences of scalars in flow style
 * (["a", "b"]), and a string plain only when YAML 1.1 and 1.2 readers both
 * read it back as that same string (otherwise double-quoted, escaped as
 * JSON). Keys keep json-c's order, which is the order written. */
void wh_yaml_write(struct hp_buf *out, struct json_object *obj);

#endif
