/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The facts of an image: their storage, shared by the Dockerfile reader and
 * the image config reader.
 */
#include "hardpod/image.h"

#include <stdlib.h>
#include <string.h>

void hp_image_facts_init(struct hp_image_facts *f)
{
    memset(f, 0, sizeof(*f));
}

static void value_cleanup(struct hp_image_value *v)
{
    free(v->text);
    free(v->written);
    free(v->unresolved);
    memset(v, 0, sizeof(*v));
}

void hp_image_facts_cleanup(struct hp_image_facts *f)
{
    free(f->base);
    value_cleanup(&f->base_ref);
    free(f->stage);
    value_cleanup(&f->user);
    for (size_t i = 0; i < f->n_ports; i++) {
        value_cleanup(&f->ports[i].value);
    }
    free(f->ports);
    for (size_t i = 0; i < f->n_env; i++) {
        free(f->env[i].name);
        value_cleanup(&f->env[i].value);
    }
    free(f->env);
    memset(f, 0, sizeof(*f));
}

const struct hp_image_env *hp_image_facts_env(const struct hp_image_facts *f, const char *name)
{
    for (size_t i = 0; i < f->n_env; i++) {
        if (strcmp(f->env[i].name, name) == 0) {
            return &f->env[i];
        }
    }
    return NULL;
}
