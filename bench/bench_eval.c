/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Microbenchmark: policy evaluation alone on a pre-parsed object, beside
 * json-c parsing the same document, in ns per object (median of repeated
 * timed batches). Usage: bench_eval [FILE.json ...] (defaults to bench/data).
 */
#include "hardpod/policy.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 15

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static volatile size_t sink;

static double time_parse(const char *data, size_t len, int iters)
{
    struct json_tokener *tok = json_tokener_new_ex(64);
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        json_tokener_reset(tok);
        struct json_object *o = json_tokener_parse_ex(tok, data, (int)len);
        sink += o != NULL;
        json_object_put(o);
    }
    double t = (now_ns() - t0) / iters;
    json_tokener_free(tok);
    return t;
}

static double time_eval(const struct hp_policy *p, struct json_object *o, int iters,
                        struct hp_findings *f)
{
    struct hp_eval_input in = {.object = o, .now = 1700000000};
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        hp_policy_eval(p, &in, f, NULL);
        sink += f->len;
    }
    return (now_ns() - t0) / iters;
}

static void bench_file(const char *path)
{
    size_t len;
    char *data = read_all(path, &len);
    struct json_object *o = json_tokener_parse(data);
    if (o == NULL) {
        fprintf(stderr, "%s: not valid JSON\n", path);
        exit(2);
    }
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct hp_findings f;
    hp_findings_init(&f);
    double parse[BATCHES];
    double eval[BATCHES];
    time_eval(&p, o, 20000, &f); /* warm-up */
    for (int b = 0; b < BATCHES; b++) {
        parse[b] = time_parse(data, len, 2000);
        eval[b] = time_eval(&p, o, 50000, &f);
    }
    qsort(parse, BATCHES, sizeof(double), cmp_double);
    qsort(eval, BATCHES, sizeof(double), cmp_double);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("| %s | %zu | %zu (%zu deny) | %.0f | %.0f [%.0f-%.0f] | %.3f |\n", name, len, f.len,
           f.n_deny, parse[BATCHES / 2], eval[BATCHES / 2], eval[0], eval[BATCHES - 1],
           eval[BATCHES / 2] / parse[BATCHES / 2]);
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
    json_object_put(o);
    free(data);
}

int main(int argc, char **argv)
{
    static const char *const defaults[] = {"bench/data/deployment-typical.json",
                                           "bench/data/deployment-aspnet-default.json"};
    printf("| document | bytes | findings | json-c parse ns | evaluate ns median [min-max] | "
           "evaluate/parse |\n|---|---|---|---|---|---|\n");
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            bench_file(argv[i]);
        }
    } else {
        for (size_t i = 0; i < 2; i++) {
            bench_file(defaults[i]);
        }
    }
    return 0;
}
