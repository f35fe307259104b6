/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Microbenchmark of the request path, in ns per request body: json-c parsing
 * the whole body alone (with the server's tokener settings, freeing included),
 * the policy engine alone on the decoded object, the response encoder alone,
 * and the whole decode-evaluate-encode path (hp_admission_handle, as the
 * server calls it). The whole path divided by parsing alone is the overhead
 * ratio. Each figure is the median of timed batches, with the min-max.
 *
 * Usage: bench_path FILE.json...   (AdmissionReview request bodies)
 *        bench_path --calls N FILE.json...
 * The second form calls each function exactly N times, untimed, for
 * instruction counts under valgrind --tool=callgrind (run_parse, run_eval,
 * run_encode and run_whole are the functions to read), which are repeatable
 * on a noisy machine where timings are not.
 */
#include "admission/internal.h"
#include "hardpod/admission.h"
#include "hardpod/config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCHES 11

static volatile size_t sink;

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
    if (n < 0 || data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
        perror(path);
        exit(2);
    }
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

struct stat3 {
    double median, min, max;
};

static struct stat3 summarize(double *v)
{
    qsort(v, BATCHES, sizeof(double), cmp_double);
    return (struct stat3){v[BATCHES / 2], v[0], v[BATCHES - 1]};
}

/* The body under test and everything the timed loops need. */
struct subject {
    const char *data;
    size_t len;
    struct json_tokener *tok;
    struct hp_config config;
    struct hp_admission_ctx ctx;
    struct hp_admission a;
    struct hp_admission_result res; /* from a's last handle call */
    struct json_object *root;       /* a separate parse, for decode/eval/encode alone */
    struct adm_request req;
    struct hp_findings findings;
    struct hp_buf out;
};

__attribute__((noinline)) static void run_parse(struct subject *s)
{
    json_tokener_reset(s->tok);
    struct json_object *o = json_tokener_parse_ex(s->tok, s->data, (int)s->len);
    sink += o != NULL;
    json_object_put(o);
}

__attribute__((noinline)) static void run_eval(struct subject *s)
{
    struct hp_eval_input in = {.object = s->req.object, .now = s->ctx.now};
    hp_policy_eval(&s->config.policy, &in, &s->findings, NULL);
    sink += s->findings.len;
}

__attribute__((noinline)) static void run_encode(struct subject *s)
{
    struct hp_error err;
    hp_buf_reset(&s->out);
    if (adm_response_encode(&s->req, &s->res, "hardened", &s->out, &err) != HP_OK) {
        fprintf(stderr, "encode: %s\n", err.msg);
        exit(2);
    }
    sink += s->out.len;
}

__attribute__((noinline)) static void run_whole(struct subject *s)
{
    struct hp_error err;
    if (hp_admission_handle(&s->a, &s->ctx, s->data, s->len, &s->res, &s->out, &err) != HP_OK) {
        fprintf(stderr, "handle: %s\n", err.msg);
        exit(2);
    }
    sink += s->out.len;
}

/* ns per call of fn, median of BATCHES batches sized to about 20 ms each. */
static struct stat3 measure(struct subject *s, void (*fn)(struct subject *))
{
    int iters = 1;
    for (;;) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++) {
            fn(s);
        }
        if (now_ns() - t0 > 2e7 || iters >= 1 << 24) {
            break;
        }
        iters *= 2;
    }
    double v[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++) {
            fn(s);
        }
        v[b] = (now_ns() - t0) / iters;
    }
    return summarize(v);
}

static void bench_file(const char *path, int calls)
{
    struct subject s;
    memset(&s, 0, sizeof(s));
    s.data = read_all(path, &s.len);
    s.tok = json_tokener_new_ex(HP_ADMISSION_MAX_DEPTH);
    json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT);
    hp_config_init(&s.config);
    s.ctx = (struct hp_admission_ctx){
        .config = &s.config, .profile_name = "hardened", .now = 1700000000};
    hp_admission_init(&s.a);
    hp_findings_init(&s.findings);
    hp_buf_init(&s.out, 0);

    struct hp_error err;
    s.root = json_tokener_parse(s.data);
    if (s.root == NULL || adm_request_decode(s.root, &s.req, &err) != HP_OK) {
        fprintf(stderr, "%s: not an AdmissionReview request\n", path);
        exit(2);
    }
    run_whole(&s); /* fills s.res for the encoder */
    const char *decision = hp_decision_name(s.res.decision);
    size_t out_len = s.out.len;

    if (calls > 0) {
        void (*fns[])(struct subject *) = {run_parse, run_eval, run_encode, run_whole};
        for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
            for (int i = 0; i < calls; i++) {
                fns[f](&s);
            }
        }
        printf("%s: %d calls each\n", path, calls);
        goto out;
    }
    struct stat3 parse = measure(&s, run_parse);
    struct stat3 eval = measure(&s, run_eval);
    struct stat3 encode = measure(&s, run_encode);
    struct stat3 whole = measure(&s, run_whole);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("| %s | %zu | %s | %zu | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | %.0f [%.0f-%.0f] | "
           "%.0f [%.0f-%.0f] | %.3f |\n",
           name, s.len, decision, out_len, parse.median, parse.min, parse.max, eval.median,
           eval.min, eval.max, encode.median, encode.min, encode.max, whole.median, whole.min,
           whole.max, whole.median / parse.median);
    fflush(stdout);
out:
    hp_buf_cleanup(&s.out);
    hp_findings_cleanup(&s.findings);
    hp_admission_cleanup(&s.a);
    hp_config_cleanup(&s.config);
    json_object_put(s.root);
    json_tokener_free(s.tok);
    free((char *)s.data);
}

int main(int argc, char **argv)
{
    int calls = 0;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--calls") == 0) {
        calls = (int)strtol(argv[2], NULL, 10);
        first = 3;
    }
    if (argc <= first || (first == 3 && calls <= 0)) {
        fprintf(stderr, "usage: bench_path [--calls N] FILE.json...\n");
        return 2;
    }
    if (calls > 0) {
        for (int i = first; i < argc; i++) {
            bench_file(argv[i], calls);
        }
        return 0;
    }
    printf("| body | bytes | decision | response bytes | json-c parse ns | evaluate ns | "
           "encode ns | whole path ns | whole/parse |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (int i = first; i < argc; i++) {
        bench_file(argv[i], 0);
    }
    return 0;
}
