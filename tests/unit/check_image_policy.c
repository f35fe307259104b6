/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the image checks (src/policy/check_image.c): every finding
 * on an image's facts alone, with its pass and fail cases, its action under
 * each profile and setting, its path and line; the real image configs of
 * tests/fixtures/images judged end to end; and the failures that a
 * manifest's containers and their images' facts give together, in a Pod and
 * a Deployment, for regular, init and ephemeral containers.
 */
#include "hardpod/image.h"
#include "hardpod/policy.h"
#include "podpatch.h"
#include "policy/internal.h"
#include "testutil.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building facts by hand --------------------------------------------------- */

/* A value: text (resolved), written, unresolved variable, line, from the base. */
struct val {
    const char *text;
    const char *written;
    const char *unresolved;
    size_t line;
    bool base;
};
#define V(t, l)                                                                                    \
    {                                                                                              \
        t, t, NULL, l, false                                                                       \
    }
#define VW(t, w, l)                                                                                \
    {                                                                                              \
        t, w, NULL, l, false                                                                       \
    }
#define VU(w, var, l)                                                                              \
    {                                                                                              \
        NULL, w, var, l, false                                                                     \
    }
#define VB(t)                                                                                      \
    {                                                                                              \
        t, NULL, NULL, 0, true                                                                     \
    }
#define VC(t)                                                                                      \
    {                                                                                              \
        t, NULL, NULL, 0, false                                                                    \
    }

struct envv {
    const char *name;
    struct val v;
};

struct portv {
    unsigned port; /* 0: unresolved */
    const char *proto;
    struct val v;
};

/* Entries of a base image table as the Dockerfile reader would find them
 * (the table itself is another file's; these only shape the facts). */
static const struct hp_image_base base_dotnet8 = {
    .repository = "mcr.microsoft.com/dotnet/aspnet",
    .tags = "8.0 and later",
    .user = NULL,
    .env = "APP_UID=1654\nASPNETCORE_HTTP_PORTS=8080\nDOTNET_RUNNING_IN_CONTAINER=true\n"
           "DOTNET_VERSION=8.0.11\nASPNET_VERSION=8.0.11",
    .dotnet = true,
    .source = "https://github.com/dotnet/dotnet-docker",
};
static const struct hp_image_base base_dotnet6 = {
    .repository = "mcr.microsoft.com/dotnet/aspnet",
    .tags = "6.0 and 7.0",
    .user = NULL,
    .env = "ASPNETCORE_URLS=http://+:80\nDOTNET_RUNNING_IN_CONTAINER=true\nDOTNET_VERSION=6.0.36\n"
           "ASPNET_VERSION=6.0.36",
    .dotnet = true,
    .source = "https://github.com/dotnet/dotnet-docker",
};
static const struct hp_image_base base_chiseled = {
    .repository = "mcr.microsoft.com/dotnet/aspnet",
    .tags = "8.0-*-chiseled",
    .user = "1654",
    .env = "APP_UID=1654\nASPNETCORE_HTTP_PORTS=8080\nDOTNET_VERSION=8.0.11",
    .dotnet = true,
    .source = "https://github.com/dotnet/dotnet-docker",
};
static const struct hp_image_base base_debian = {
    .repository = "docker.io/library/debian",
    .tags = "all",
    .user = NULL,
    .env = NULL,
    .dotnet = false,
    .source = "https://hub.docker.com/_/debian",
};

enum base_kind {
    B_UNKNOWN,    /* FROM example.com/base:1, not in the table */
    B_SCRATCH,    /* FROM scratch */
    B_DEBIAN,     /* a known base that runs as root */
    B_DOTNET8,    /* .NET 8 aspnet: APP_UID, port 8080 */
    B_DOTNET6,    /* .NET 6 aspnet: port 80 */
    B_CHISELED,   /* runs as 1654 */
    B_UNRESOLVED, /* FROM $BASE without a value */
    B_CONFIG,     /* an image config, not a Dockerfile */
};

static void set_val(struct hp_image_value *dst, const struct val *v)
{
    dst->text = v->text != NULL ? hp_xstrdup(v->text) : NULL;
    dst->written = v->written != NULL ? hp_xstrdup(v->written) : NULL;
    dst->unresolved = v->unresolved != NULL ? hp_xstrdup(v->unresolved) : NULL;
    dst->line = v->line;
    dst->from_base = v->base;
}

static void add_env(struct hp_image_facts *f, const char *name, const struct val *v)
{
    for (size_t i = 0; i < f->n_env; i++) {
        if (strcmp(f->env[i].name, name) == 0) {
            free(f->env[i].value.text);
            free(f->env[i].value.written);
            free(f->env[i].value.unresolved);
            set_val(&f->env[i].value, v);
            return;
        }
    }
    f->env = realloc(f->env, (f->n_env + 1) * sizeof(*f->env));
    struct hp_image_env *e = &f->env[f->n_env++];
    memset(e, 0, sizeof(*e));
    e->name = hp_xstrdup(name);
    set_val(&e->value, v);
}

/* Facts as the Dockerfile reader (or the config reader) would give them:
 * the base's user and environment first, then the file's. */
static void build_facts(struct hp_image_facts *f, enum base_kind base, const struct val *user,
                        const struct portv *ports, size_t n_ports, const struct envv *env,
                        size_t n_env)
{
    static const struct {
        const char *ref;
        const struct hp_image_base *info;
    } bases[] = {
        [B_UNKNOWN] = {"example.com/base:1", NULL},
        [B_SCRATCH] = {"scratch", NULL},
        [B_DEBIAN] = {"docker.io/library/debian:bookworm", &base_debian},
        [B_DOTNET8] = {"mcr.microsoft.com/dotnet/aspnet:8.0", &base_dotnet8},
        [B_DOTNET6] = {"mcr.microsoft.com/dotnet/aspnet:6.0", &base_dotnet6},
        [B_CHISELED] = {"mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled", &base_chiseled},
        [B_UNRESOLVED] = {NULL, NULL},
        [B_CONFIG] = {NULL, NULL},
    };
    hp_image_facts_init(f);
    f->n_stages = 1;
    if (base == B_CONFIG) {
        f->source = HP_IMAGE_CONFIG;
    } else {
        f->source = HP_IMAGE_DOCKERFILE;
        if (base == B_UNRESOLVED) {
            struct val from = VU("$BASE", "BASE", 1);
            set_val(&f->base_ref, &from);
        } else {
            f->base = hp_xstrdup(bases[base].ref);
            struct val from = V(bases[base].ref, 1);
            set_val(&f->base_ref, &from);
        }
        f->base_info = bases[base].info;
    }
    const struct hp_image_base *info = f->base_info;
    if (info != NULL && info->user != NULL) {
        struct val u = VB(info->user);
        set_val(&f->user, &u);
    }
    if (info != NULL && info->env != NULL) {
        char *copy = hp_xstrdup(info->env);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            char *eq = strchr(line, '=');
            *eq = '\0';
            struct val v = VB(eq + 1);
            add_env(f, line, &v);
        }
        free(copy);
    }
    if (user != NULL && (user->text != NULL || user->unresolved != NULL)) {
        free(f->user.text);
        set_val(&f->user, user);
    }
    for (size_t i = 0; i < n_ports && ports[i].proto != NULL; i++) {
        f->ports = realloc(f->ports, (f->n_ports + 1) * sizeof(*f->ports));
        struct hp_image_port *p = &f->ports[f->n_ports++];
        memset(p, 0, sizeof(*p));
        p->port = ports[i].port;
        snprintf(p->proto, sizeof(p->proto), "%s", ports[i].proto);
        set_val(&p->value, &ports[i].v);
    }
    for (size_t i = 0; i < n_env && env[i].name != NULL; i++) {
        add_env(f, env[i].name, &env[i].v);
    }
}

/* ---- policies ------------------------------------------------------------------ */

enum setup {
    SETUP_NONE,
    SETUP_MIN_IDS_1000,
    SETUP_RUN_AS_USER_OFF,
    SETUP_PORTS_DENY,
    SETUP_DOTNET_DENY,
    SETUP_EXEMPT_EVERYTHING,
};

static void add_exemption(struct hp_policy *p, enum hp_exemption_kind kind, const char *pattern,
                          uint32_t checks)
{
    p->exemptions = realloc(p->exemptions, (p->n_exemptions + 1) * sizeof(*p->exemptions));
    struct hp_exemption *x = &p->exemptions[p->n_exemptions++];
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->pattern = strdup(pattern);
    x->checks = checks;
    x->reason = strdup("accepted risk");
}

static void setup_policy(struct hp_policy *p, enum hp_profile profile, enum setup s)
{
    hp_policy_init(p, profile);
    switch (s) {
    case SETUP_NONE:
        break;
    case SETUP_MIN_IDS_1000:
        p->min_uid = 1000;
        p->min_gid = 1000;
        break;
    case SETUP_RUN_AS_USER_OFF:
        p->checks[HP_CHECK_RUN_AS_USER].action = HP_ACTION_OFF;
        break;
    case SETUP_PORTS_DENY:
        p->checks[HP_CHECK_PRIVILEGED_PORTS].action = HP_ACTION_DENY;
        break;
    case SETUP_DOTNET_DENY:
        p->checks[HP_CHECK_DOTNET_DIAGNOSTICS].action = HP_ACTION_DENY;
        break;
    case SETUP_EXEMPT_EVERYTHING:
        add_exemption(p, HP_EXEMPT_IMAGE, "*", 0xFFFFFFFFu);
        add_exemption(p, HP_EXEMPT_NAMESPACE, "*", 0);
        add_exemption(p, HP_EXEMPT_USERNAME, "*", 0);
        break;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted lines of want (NULL-terminated, at most n), joined by '\n'. */
static const char *render_want(const char *const *want, size_t max, char *buf, size_t size)
{
    const char *sorted[16];
    size_t n = 0;
    while (n < max && n < 16 && want[n] != NULL) {
        sorted[n] = want[n];
        n++;
    }
    qsort(sorted, n, sizeof(sorted[0]), cmp_str);
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "\n" : "", sorted[i]);
    }
    return buf;
}

/* Image findings as sorted lines "check|action|path|line". */
static const char *render_image(const struct hp_findings *f, char *buf, size_t size)
{
    char lines[16][256];
    const char *ptrs[16];
    size_t n = 0;
    for (size_t i = 0; i < f->len && n < 16; i++, n++) {
        const struct hp_finding *x = &f->items[i];
        snprintf(lines[n], sizeof(lines[n]), "%s|%s|%s|%zu", hp_check_name(x->check),
                 hp_action_name(x->action), x->path, x->line);
        ptrs[n] = lines[n];
    }
    ptrs[n] = NULL;
    return render_want(ptrs, n, buf, size);
}

/* A finding's message contains msg, and (when fix is set) some finding with
 * such a message has exactly that fix. */
static void check_text(const char *name, const struct hp_findings *f, const char *msg,
                       const char *fix)
{
    if (msg == NULL) {
        return;
    }
    for (size_t i = 0; i < f->len; i++) {
        if (strstr(f->items[i].message, msg) != NULL &&
            (fix == NULL || strcmp(f->items[i].fix, fix) == 0)) {
            return;
        }
    }
    char all[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < f->len && used < sizeof(all); i++) {
        used += (size_t)snprintf(all + used, sizeof(all) - used, "\n  %s\n    fix: %s",
                                 f->items[i].message, f->items[i].fix);
    }
    ck_abort_msg("%s: no finding says \"%s\"%s%s%s; got:%s", name, msg,
                 fix != NULL ? " with fix \"" : "", fix != NULL ? fix : "", fix != NULL ? "\"" : "",
                 all);
}

/* ---- an image alone -------------------------------------------------------------- */

struct icase {
    const char *name;
    enum hp_profile profile;
    enum setup setup;
    enum base_kind base;
    struct val user;
    struct portv ports[3];
    struct envv env[4];
    const char *want[6]; /* "check|action|path|line"; none: no findings */
    const char *msg;     /* some finding's message contains this */
    const char *fix;     /* and has exactly this fix */
};

#define H HP_PROFILE_HARDENED
#define ROOT_MSG "container has runAsNonRoot and image will run as root"
#define EACCES "SocketException (13): Permission denied"
#define CORECLR "Failed to create CoreCLR, HRESULT: 0x80004005"
#define DIAG_FIX "ENV DOTNET_EnableDiagnostics=0 (or mount a writable emptyDir volume at /tmp)"
#define URLS_FIX                                                                                   \
    "ENV ASPNETCORE_URLS=http://+:8080 and EXPOSE 8080 (the Service maps port 80 to it)"
#define HTTP_FIX "ENV ASPNETCORE_HTTP_PORTS=8080 and EXPOSE 8080 (the Service maps port 80 to it)"
#define HTTPS_FIX                                                                                  \
    "ENV ASPNETCORE_HTTPS_PORTS=8443 and EXPOSE 8443 (the Service maps port 443 to it)"
#define EXPOSE_FIX "EXPOSE 8080 (listen on 8080 and let the Service map the port to it)"
#define D8_DIAG "dotnetDiagnostics|warn|FROM|1"

static const struct icase icases[] = {
    /* ---- the user: runs as root ---- */
    {"no USER, unknown base",
     H,
     SETUP_NONE,
     B_UNKNOWN,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|1"},
     "does not know the default user of its base image (example.com/base:1)",
     "USER 10001:10001"},
    {"no USER, scratch",
     H,
     SETUP_NONE,
     B_SCRATCH,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|1"},
     "its base image (scratch) runs as root",
     "USER 10001:10001"},
    {"no USER, a known base that runs as root",
     H,
     SETUP_NONE,
     B_DEBIAN,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|1"},
     ROOT_MSG,
     "USER 10001:10001"},
    {"no USER, unresolved base",
     H,
     SETUP_NONE,
     B_UNRESOLVED,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|1"},
     "base image ($BASE)",
     NULL},
    {"no USER, .NET 8 base: the fix is APP_UID",
     H,
     SETUP_NONE,
     B_DOTNET8,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|1", D8_DIAG},
     ROOT_MSG,
     "USER $APP_UID"},
    {"USER root",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("root", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     "USER root runs the image as root: under runAsNonRoot the kubelet refuses it (\"container "
     "has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root\")",
     "USER 10001:10001"},
    {"USER 0",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("0", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     ROOT_MSG,
     NULL},
    {"USER 0:0 is one finding",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("0:0", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     ROOT_MSG,
     NULL},
    {"USER root:root",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("root:root", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     "non-numeric user (root)",
     NULL},
    {"USER 0 with any group",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("0:10001", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     ROOT_MSG,
     NULL},
    {"USER $U resolving to 0",
     H,
     SETUP_NONE,
     B_DEBIAN,
     VW("0", "$U", 6),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|6"},
     "USER $U (0) runs the image as root",
     NULL},
    {"a base whose default user is root-like: path FROM",
     H,
     SETUP_NONE,
     B_DEBIAN,
     VB("0"),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|FROM|1"},
     "the base image's USER 0",
     NULL},
    /* ---- the user: a name ---- */
    {"USER app",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("app", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5"},
     "USER app is a name, not a numeric UID: under runAsNonRoot the kubelet cannot verify that "
     "app is not root (\"container has runAsNonRoot and image has non-numeric user (app), cannot "
     "verify user is non-root\")",
     "USER 10001:10001"},
    {"USER app:app",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("app:app", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5"},
     "non-numeric user (app)",
     "USER 10001:10001"},
    {"USER friendlyusername:friendlygroupname",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("friendlyusername:friendlygroupname", 9),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|9"},
     "non-numeric user (friendlyusername)",
     NULL},
    {"USER 1000:app names its group",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("1000:app", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5"},
     "USER 1000:app names its group (app)",
     "USER 1000:10001 (the group's numeric GID)"},
    {"USER app on .NET 8: the fix is APP_UID",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("app", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5", D8_DIAG},
     "APP_UID (1654) is the image's numeric user",
     "USER $APP_UID"},
    {"a base whose default user is a name: path FROM",
     H,
     SETUP_NONE,
     B_DEBIAN,
     VB("nonroot"),
     {{0}},
     {{0}},
     {"runAsUser|deny|FROM|1"},
     "non-numeric user (nonroot)",
     NULL},
    {"runAsUser off: a name is not reported",
     H,
     SETUP_RUN_AS_USER_OFF,
     B_DEBIAN,
     V("app", 5),
     {{0}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    /* ---- the user: passes ---- */
    {"USER 10001:10001 passes",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001:10001", 5),
     {{0}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    {"USER 10001 passes", H, SETUP_NONE, B_DEBIAN, V("10001", 5), {{0}}, {{0}}, {NULL}, NULL, NULL},
    {"USER $APP_UID on .NET 8 passes",
     H,
     SETUP_NONE,
     B_DOTNET8,
     VW("1654", "$APP_UID", 7),
     {{0}},
     {{0}},
     {D8_DIAG},
     NULL,
     NULL},
    {"chiseled: the base's numeric user passes",
     H,
     SETUP_NONE,
     B_CHISELED,
     {0},
     {{0}},
     {{0}},
     {D8_DIAG},
     NULL,
     NULL},
    /* ---- the user: the group ---- */
    {"USER 10001:0",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001:0", 5),
     {{0}},
     {{0}},
     {"runAsGroup|deny|USER|5"},
     "USER 10001:0 runs the image with the root group (0)",
     "USER 10001:10001"},
    {"USER 10001:root",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001:root", 5),
     {{0}},
     {{0}},
     {"runAsGroup|deny|USER|5"},
     "root group (root)",
     "USER 10001:10001"},
    {"USER app:0: a name and the root group",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("app:0", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5", "runAsGroup|deny|USER|5"},
     "root group (0)",
     "USER 10001:10001"},
    /* ---- the user: minimums ---- */
    {"USER 500 below minUID",
     H,
     SETUP_MIN_IDS_1000,
     B_DEBIAN,
     V("500", 5),
     {{0}},
     {{0}},
     {"runAsUser|deny|USER|5"},
     "runs as UID 500, below the policy's minimum of 1000",
     NULL},
    {"USER 1000:500 below minGID",
     H,
     SETUP_MIN_IDS_1000,
     B_DEBIAN,
     V("1000:500", 5),
     {{0}},
     {{0}},
     {"runAsGroup|deny|USER|5"},
     "runs with GID 500, below the policy's minimum of 1000",
     "USER 1000:10001"},
    {"USER 1000:1000 at the minimums passes",
     H,
     SETUP_MIN_IDS_1000,
     B_DEBIAN,
     V("1000:1000", 5),
     {{0}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    /* ---- the user: unresolved ---- */
    {"USER $UID without a value",
     H,
     SETUP_NONE,
     B_DEBIAN,
     VU("$UID", "UID", 8),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|8"},
     "USER $UID cannot be resolved: UID has no value (give it with --build-arg UID=...)",
     "ARG UID=10001 (a default), or USER 10001:10001"},
    /* ---- profiles ---- */
    {"psa-baseline: root is not judged",
     HP_PROFILE_PSA_BASELINE,
     SETUP_NONE,
     B_DOTNET6,
     V("root", 5),
     {{80, "tcp", V("80", 6)}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    {"psa-restricted: the user, not the ports",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     B_DOTNET6,
     V("app", 5),
     {{80, "tcp", V("80", 6)}},
     {{0}},
     {"runAsUser|deny|USER|5"},
     NULL,
     NULL},
    {"none: nothing",
     HP_PROFILE_NONE,
     SETUP_NONE,
     B_DOTNET6,
     V("root", 5),
     {{80, "tcp", V("80", 6)}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    /* ---- image configs ---- */
    {"config without User",
     H,
     SETUP_NONE,
     B_CONFIG,
     {0},
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|Config.User|0"},
     "Config.User is not set: the image runs as root",
     "USER 10001:10001"},
    {"config User app",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("app"),
     {{0}},
     {{0}},
     {"runAsUser|deny|Config.User|0"},
     "Config.User \"app\" is a name",
     NULL},
    {"config User 0:0",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("0:0"),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|Config.User|0"},
     ROOT_MSG,
     NULL},
    {"config passes",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("65532:65532"),
     {{8443, "tcp", VC("8443/tcp")}},
     {{"PATH", VC("/usr/bin")}},
     {NULL},
     NULL,
     NULL},
    {"config ports and Kestrel",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("65532"),
     {{80, "tcp", VC("80/tcp")}, {443, "tcp", VC("443/tcp")}},
     {{"ASPNETCORE_URLS", VC("http://+:80")}},
     {"privilegedPorts|warn|Config.ExposedPorts[\"80/tcp\"]|0",
      "privilegedPorts|warn|Config.ExposedPorts[\"443/tcp\"]|0",
      "privilegedPorts|warn|Config.Env[ASPNETCORE_URLS]|0"},
     "Config.Env ASPNETCORE_URLS=http://+:80 makes Kestrel listen on port 80",
     URLS_FIX},
    {"config .NET by its env",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("1654"),
     {{0}},
     {{"DOTNET_VERSION", VC("8.0.11")}},
     {"dotnetDiagnostics|warn|Config.Env|0"},
     "the image is a .NET runtime image without DOTNET_EnableDiagnostics=0",
     DIAG_FIX},
    {"config .NET by ASPNET_VERSION",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("1654"),
     {{0}},
     {{"ASPNET_VERSION", VC("8.0.11")}},
     {"dotnetDiagnostics|warn|Config.Env|0"},
     NULL,
     NULL},
    {"config .NET by DOTNET_RUNNING_IN_CONTAINER",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("1654"),
     {{0}},
     {{"DOTNET_RUNNING_IN_CONTAINER", VC("true")}},
     {"dotnetDiagnostics|warn|Config.Env|0"},
     NULL,
     NULL},
    {"config .NET with diagnostics off",
     H,
     SETUP_NONE,
     B_CONFIG,
     VC("1654"),
     {{0}},
     {{"DOTNET_VERSION", VC("8.0.11")}, {"DOTNET_EnableDiagnostics", VC("0")}},
     {NULL},
     NULL,
     NULL},
    /* ---- EXPOSE ---- */
    {"EXPOSE 80",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{80, "tcp", V("80", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE 80|7"},
     "EXPOSE 80 declares port 80: a non-root process cannot bind ports below 1024",
     EXPOSE_FIX},
    {"EXPOSE 80/tcp",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{80, "tcp", V("80/tcp", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE 80/tcp|7"},
     EACCES,
     NULL},
    {"EXPOSE 53/udp",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{53, "udp", V("53/udp", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE 53/udp|7"},
     NULL,
     NULL},
    {"EXPOSE 1023 and 1024: the boundary",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{1023, "tcp", V("1023", 7)}, {1024, "tcp", V("1024", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE 1023|7"},
     NULL,
     NULL},
    {"EXPOSE 8080 passes",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{8080, "tcp", V("8080", 7)}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    {"EXPOSE $PORT resolved",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{443, "tcp", VW("443", "$PORT", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE $PORT|7"},
     "EXPOSE $PORT (443) declares port 443",
     NULL},
    {"EXPOSE $PORT unresolved",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0, "tcp", VU("$PORT", "PORT", 7)}},
     {{0}},
     {"privilegedPorts|warn|EXPOSE $PORT|7"},
     "EXPOSE $PORT cannot be resolved: PORT has no value",
     "EXPOSE 8080"},
    {"EXPOSE 80 with privilegedPorts deny",
     H,
     SETUP_PORTS_DENY,
     B_DEBIAN,
     V("10001", 5),
     {{80, "tcp", V("80", 7)}},
     {{0}},
     {"privilegedPorts|deny|EXPOSE 80|7"},
     NULL,
     NULL},
    {"EXPOSE 80 as root: both",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("root", 5),
     {{80, "tcp", V("80", 7)}},
     {{0}},
     {"runAsNonRoot|deny|USER|5", "privilegedPorts|warn|EXPOSE 80|7"},
     NULL,
     NULL},
    /* ---- Kestrel ---- */
    {"ASPNETCORE_URLS with 80 and 443",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("http://+:80;https://*:443", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_URLS|4"},
     "ENV ASPNETCORE_URLS=http://+:80;https://*:443 makes Kestrel listen on port 80: a non-root "
     "process cannot bind ports below 1024 and fails with \"" EACCES "\"",
     URLS_FIX},
    {"ASPNETCORE_URLS localhost:5000 passes",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("http://localhost:5000", 4)}},
     {NULL},
     NULL,
     NULL},
    {"ASPNETCORE_URLS [::]:80",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("http://[::]:80", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_URLS|4"},
     "port 80",
     NULL},
    {"ASPNETCORE_URLS [::]:8080 passes",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("http://[::]:8080", 4)}},
     {NULL},
     NULL,
     NULL},
    {"ASPNETCORE_URLS without a port is 443 for https",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("https://localhost", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_URLS|4"},
     "port 443",
     NULL},
    {"ASPNETCORE_HTTP_PORTS list",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_HTTP_PORTS", V("8080;80", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_HTTP_PORTS|4"},
     "port 80",
     HTTP_FIX},
    {"ASPNETCORE_HTTPS_PORTS 443",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_HTTPS_PORTS", V("443", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_HTTPS_PORTS|4"},
     "port 443",
     HTTPS_FIX},
    {"ASPNETCORE_HTTP_PORTS 8080 passes",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_HTTP_PORTS", V("8080", 4)}},
     {NULL},
     NULL,
     NULL},
    {"ASPNETCORE_URLS replaces the port lists",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_HTTP_PORTS", V("80", 3)}, {"ASPNETCORE_URLS", V("http://+:8080", 4)}},
     {NULL},
     NULL,
     NULL},
    {"an empty ASPNETCORE_URLS does not",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_HTTP_PORTS", V("80", 3)}, {"ASPNETCORE_URLS", V("", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_HTTP_PORTS|3"},
     NULL,
     NULL},
    {"ASPNETCORE_URLS unresolved",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("10001", 5),
     {{0}},
     {{"ASPNETCORE_URLS", VU("http://+:$PORT", "PORT", 4)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_URLS|4"},
     "ASPNETCORE_URLS=http://+:$PORT cannot be resolved: PORT has no value",
     URLS_FIX},
    {".NET 6 base listens on 80: path FROM",
     H,
     SETUP_NONE,
     B_DOTNET6,
     VW("1654", "1654", 5),
     {{0}},
     {{0}},
     {"privilegedPorts|warn|FROM|1", D8_DIAG},
     "the base image mcr.microsoft.com/dotnet/aspnet:6.0 sets ASPNETCORE_URLS=http://+:80, so "
     "Kestrel listens on port 80",
     URLS_FIX},
    {".NET 6 base, the file moves Kestrel to 8080",
     H,
     SETUP_NONE,
     B_DOTNET6,
     V("1654", 5),
     {{0}},
     {{"ASPNETCORE_URLS", V("http://+:8080", 6)}},
     {D8_DIAG},
     NULL,
     NULL},
    {".NET 8 base listens on 8080",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{0}},
     {D8_DIAG},
     NULL,
     NULL},
    {".NET 8 base, the file sets port 80",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{"ASPNETCORE_HTTP_PORTS", V("80", 6)}},
     {"privilegedPorts|warn|ENV ASPNETCORE_HTTP_PORTS|6", D8_DIAG},
     NULL,
     HTTP_FIX},
    {"privilegedPorts off (psa-restricted): Kestrel is not judged",
     HP_PROFILE_PSA_RESTRICTED,
     SETUP_NONE,
     B_DOTNET6,
     V("1654", 5),
     {{0}},
     {{0}},
     {NULL},
     NULL,
     NULL},
    /* ---- .NET diagnostics ---- */
    {".NET base without diagnostics off",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{0}},
     {D8_DIAG},
     "its base image (mcr.microsoft.com/dotnet/aspnet:8.0) is a .NET runtime image without "
     "DOTNET_EnableDiagnostics=0: with a read-only root filesystem it fails with \"" CORECLR "\"",
     DIAG_FIX},
    {"DOTNET_EnableDiagnostics=0 passes",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{"DOTNET_EnableDiagnostics", V("0", 6)}},
     {NULL},
     NULL,
     NULL},
    {"COMPlus_EnableDiagnostics=0 passes",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{"COMPlus_EnableDiagnostics", V("0", 6)}},
     {NULL},
     NULL,
     NULL},
    {"DOTNET_EnableDiagnostics=1 does not",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{"DOTNET_EnableDiagnostics", V("1", 6)}},
     {D8_DIAG},
     NULL,
     NULL},
    {"DOTNET_EnableDiagnostics unresolved",
     H,
     SETUP_NONE,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{"DOTNET_EnableDiagnostics", VU("$DIAG", "DIAG", 6)}},
     {D8_DIAG},
     "(its value cannot be resolved)",
     NULL},
    {".NET by an ENV of the file: path ENV",
     H,
     SETUP_NONE,
     B_UNKNOWN,
     V("1654", 5),
     {{0}},
     {{"ASPNET_VERSION", V("8.0.11", 3)}},
     {"dotnetDiagnostics|warn|ENV ASPNET_VERSION|3"},
     "the image is a .NET runtime image",
     NULL},
    {"dotnetDiagnostics deny",
     H,
     SETUP_DOTNET_DENY,
     B_DOTNET8,
     V("1654", 5),
     {{0}},
     {{0}},
     {"dotnetDiagnostics|deny|FROM|1"},
     NULL,
     NULL},
    {"not .NET: nothing",
     H,
     SETUP_NONE,
     B_DEBIAN,
     V("1654", 5),
     {{0}},
     {{"DOTNET_CLI_TELEMETRY_OPTOUT", V("1", 3)}},
     {NULL},
     NULL,
     NULL},
    /* ---- exemptions never match an image alone ---- */
    {"exemptions of every kind do not apply",
     H,
     SETUP_EXEMPT_EVERYTHING,
     B_DEBIAN,
     V("root", 5),
     {{0}},
     {{0}},
     {"runAsNonRoot|deny|USER|5"},
     NULL,
     NULL},
};

static void check_image_case(const struct icase *c, struct hp_findings *f)
{
    struct hp_policy p;
    setup_policy(&p, c->profile, c->setup);
    struct hp_image_facts img;
    build_facts(&img, c->base, &c->user, c->ports, N_ELEMS(c->ports), c->env, N_ELEMS(c->env));
    struct hp_error err = {0};
    ck_assert_msg(hp_policy_eval_image(&p, &img, f, &err) == HP_OK, "%s: %s", c->name, err.msg);
    char got[2048];
    char want[2048];
    render_image(f, got, sizeof(got));
    render_want(c->want, N_ELEMS(c->want), want, sizeof(want));
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- expected\n%s\n--- got\n%s", c->name, want, got);
    ck_assert(!f->has_podspec);
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *x = &f->items[i];
        ck_assert_msg(x->container == NULL && !x->exempt && x->message[0] != '\0' &&
                          x->detail == x->message && x->fix != NULL && x->fix[0] != '\0',
                      "%s: finding %zu: container %s, message \"%s\"", c->name, i,
                      x->container != NULL ? x->container : "NULL", x->message);
    }
    check_text(c->name, f, c->msg, c->fix);
    ck_assert_uint_eq(f->n_deny + f->n_warn, f->len);
    hp_image_facts_cleanup(&img);
    hp_policy_cleanup(&p);
}

START_TEST(test_image_policy_cases)
{
    struct hp_findings f;
    hp_findings_init(&f);
    check_image_case(&icases[_i], &f);
    /* Evaluating again into used findings gives the same. */
    check_image_case(&icases[_i], &f);
    hp_findings_cleanup(&f);
}
END_TEST

/* With a byte ceiling, image findings past it are counted but not stored,
 * as a manifest's are: the verdict stays right and what is stored is a
 * prefix. */
START_TEST(test_image_policy_max_bytes)
{
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    struct val user = V("app:0", 5);
    struct portv ports[40];
    char written[40][8];
    for (unsigned i = 0; i < 40; i++) {
        snprintf(written[i], sizeof(written[i]), "%u", 100 + i);
        ports[i] = (struct portv){100 + i, "tcp", V(written[i], 7 + i)};
    }
    struct hp_image_facts img;
    build_facts(&img, B_DOTNET6, &user, ports, N_ELEMS(ports), NULL, 0);
    struct hp_findings all;
    struct hp_findings some;
    hp_findings_init(&all);
    hp_findings_init(&some);
    ck_assert_int_eq(hp_policy_eval_image(&p, &img, &all, NULL), HP_OK);
    ck_assert_uint_eq(all.len, 44);
    ck_assert_uint_eq(all.n_dropped, 0);
    hp_findings_set_max_bytes(&some, 1);
    ck_assert_int_eq(hp_policy_eval_image(&p, &img, &some, NULL), HP_OK);
    ck_assert_msg(some.n_dropped > 0 && some.len + some.n_dropped == all.len,
                  "%zu stored, %zu dropped of %zu", some.len, some.n_dropped, all.len);
    ck_assert_uint_eq(some.n_deny, all.n_deny);
    ck_assert_uint_eq(some.n_warn, all.n_warn);
    ck_assert_uint_le(hp_findings_bytes(&some), 1);
    for (size_t i = 0; i < some.len; i++) {
        ck_assert_str_eq(some.items[i].message, all.items[i].message);
        ck_assert_uint_eq(some.items[i].line, all.items[i].line);
    }
    hp_findings_cleanup(&all);
    hp_findings_cleanup(&some);
    hp_image_facts_cleanup(&img);
    hp_policy_cleanup(&p);
}
END_TEST

/* Kestrel's listen settings: the first port below 1024, or -1. */
START_TEST(test_image_policy_kestrel_ports)
{
    static const struct {
        const char *value;
        bool urls;
        long want;
    } cases[] = {
        {"http://+:80;https://*:443", true, 80},
        {"https://*:443;http://+:80", true, 443},
        {"http://+:8080;https://+:8443", true, -1},
        {"http://localhost:5000", true, -1},
        {"http://localhost", true, 80},
        {"https://localhost", true, 443},
        {"http://[::]:80", true, 80},
        {"http://[::]:8080", true, -1},
        {"https://[::1]", true, 443},
        {"http://+:8080/base", true, -1},
        {" http://0.0.0.0:81 ", true, 81},
        {"not a url", true, -1},
        {"", true, -1},
        {"8080;80", false, 80},
        {"8080", false, -1},
        {" 443 ", false, 443},
        {"1023", false, 1023},
        {"1024", false, -1},
        {"0", false, -1},
        {"eighty", false, -1},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        long got = pol_kestrel_low_port(cases[i].value, cases[i].urls);
        ck_assert_msg(got == cases[i].want, "\"%s\" (%s): expected %ld, got %ld", cases[i].value,
                      cases[i].urls ? "urls" : "ports", cases[i].want, got);
    }
}
END_TEST

/* The real image configs, decoded and judged under hardened. */
START_TEST(test_image_policy_config_fixtures)
{
    static const struct {
        const char *file;
        const char *want[6];
        const char *msg;
        const char *fix;
    } cases[] = {
        {"podman-hardpod.json", {NULL}, NULL, NULL},
        {"oci-config-hardpod.json", {NULL}, NULL, NULL},
        {"podman-debian-bookworm.json",
         {"runAsNonRoot|deny|Config.User|0"},
         ROOT_MSG,
         "USER 10001:10001"},
        {"podman-dotnet8-named-user.json",
         {"runAsUser|deny|Config.User|0", "dotnetDiagnostics|warn|Config.Env|0"},
         "non-numeric user (app)",
         "USER $APP_UID"},
        {"podman-dotnet6-root.json",
         {"runAsNonRoot|deny|Config.User|0",
          "privilegedPorts|warn|Config.ExposedPorts[\"80/tcp\"]|0",
          "privilegedPorts|warn|Config.ExposedPorts[\"443/tcp\"]|0",
          "privilegedPorts|warn|Config.Env[ASPNETCORE_URLS]|0",
          "dotnetDiagnostics|warn|Config.Env|0"},
         EACCES,
         URLS_FIX},
        {"oci-config-dotnet6-root.json",
         {"runAsNonRoot|deny|Config.User|0",
          "privilegedPorts|warn|Config.ExposedPorts[\"80/tcp\"]|0",
          "privilegedPorts|warn|Config.ExposedPorts[\"443/tcp\"]|0",
          "privilegedPorts|warn|Config.Env[ASPNETCORE_URLS]|0",
          "dotnetDiagnostics|warn|Config.Env|0"},
         CORECLR,
         DIAG_FIX},
        {"docker-dotnet7-named-user.json",
         {"runAsUser|deny|Config.User|0", "privilegedPorts|warn|Config.ExposedPorts[\"80/tcp\"]|0",
          "privilegedPorts|warn|Config.Env[ASPNETCORE_URLS]|0",
          "dotnetDiagnostics|warn|Config.Env|0"},
         "non-numeric user (friendlyusername)",
         "USER 10001:10001"},
    };
    struct hp_policy p;
    hp_policy_init(&p, HP_PROFILE_HARDENED);
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/images/%s", tu_fixtures_dir(), cases[i].file);
        size_t len = 0;
        char *text = tu_read_file(path, &len);
        struct json_object *root = tu_json(text);
        free(text);
        struct hp_image_facts img;
        hp_image_facts_init(&img);
        struct hp_error err = {0};
        ck_assert_msg(hp_image_config_decode(root, &img, &err) == HP_OK, "%s: %s", cases[i].file,
                      err.msg);
        struct hp_findings f;
        hp_findings_init(&f);
        ck_assert_int_eq(hp_policy_eval_image(&p, &img, &f, &err), HP_OK);
        char got[2048];
        char want[2048];
        render_image(&f, got, sizeof(got));
        render_want(cases[i].want, N_ELEMS(cases[i].want), want, sizeof(want));
        ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- expected\n%s\n--- got\n%s", cases[i].file,
                      want, got);
        check_text(cases[i].file, &f, cases[i].msg, cases[i].fix);
        hp_findings_cleanup(&f);
        hp_image_facts_cleanup(&img);
        json_object_put(root);
    }
    hp_policy_cleanup(&p);
}
END_TEST

/* ---- a manifest and its images --------------------------------------------------- */

/* The images the combined cases name, by reference. */
static const struct named_image {
    const char *ref;
    enum base_kind base;
    struct val user;
    struct envv env[3];
} named_images[] = {
    {"img/root", B_CONFIG, {0}, {{0}}},
    {"img/zero", B_CONFIG, VC("0:0"), {{0}}},
    {"img/named",
     B_CONFIG,
     VC("app"),
     {{"APP_UID", VC("1654")}, {"ASPNETCORE_HTTP_PORTS", VC("8080")}}},
    {"img/root-app-uid", B_CONFIG, {0}, {{"APP_UID", VC("1654")}}},
    {"img/friendly", B_CONFIG, VC("friendlyusername:friendlygroupname"), {{"APP_UID", VC("1654")}}},
    {"img/numeric", B_CONFIG, VC("1654"), {{0}}},
    {"img/unresolved", B_DEBIAN, VU("$UID", "UID", 4), {{0}}},
    {"img/dotnet", B_CONFIG, VC("1654"), {{"DOTNET_VERSION", VC("8.0.11")}}},
    {"img/dotnet-diag-off",
     B_CONFIG,
     VC("1654"),
     {{"DOTNET_VERSION", VC("8.0.11")}, {"DOTNET_EnableDiagnostics", VC("0")}}},
    {"img/dotnet-complus-off",
     B_CONFIG,
     VC("1654"),
     {{"DOTNET_VERSION", VC("8.0.11")}, {"COMPlus_EnableDiagnostics", VC("0")}}},
    {"mcr.microsoft.com/dotnet/aspnet:8.0",
     B_CONFIG,
     VC("1654"),
     {{"DOTNET_VERSION", VC("8.0.11")}, {"DOTNET_EnableDiagnostics", VC("0")}}},
    {"img/kestrel80", B_CONFIG, VC("1654"), {{"ASPNETCORE_URLS", VC("http://+:80")}}},
    {"img/kestrel80-root", B_CONFIG, {0}, {{"ASPNETCORE_URLS", VC("http://+:80")}}},
    {"img/kestrel-ports80", B_CONFIG, VC("1654"), {{"ASPNETCORE_HTTP_PORTS", VC("80")}}},
    {"img/kestrel-https", B_CONFIG, VC("1654"), {{"ASPNETCORE_HTTPS_PORTS", VC("443")}}},
    {"img/kestrel-unresolved",
     B_DEBIAN,
     V("1654", 3),
     {{"ASPNETCORE_URLS", VU("http://+:$PORT", "PORT", 5)}}},
    {"img/kestrel-base80", B_DOTNET6, V("1654", 3), {{0}}},
};

static struct hp_image_facts facts[N_ELEMS(named_images)];
static int lookups;

static void facts_setup(void)
{
    for (size_t i = 0; i < N_ELEMS(named_images); i++) {
        const struct named_image *n = &named_images[i];
        build_facts(&facts[i], n->base, &n->user, NULL, 0, n->env, N_ELEMS(n->env));
    }
    lookups = 0;
}

static void facts_teardown(void)
{
    for (size_t i = 0; i < N_ELEMS(named_images); i++) {
        hp_image_facts_cleanup(&facts[i]);
    }
}

static const struct hp_image_facts *lookup(void *arg, const char *image)
{
    ck_assert_ptr_eq(arg, facts);
    lookups++;
    for (size_t i = 0; i < N_ELEMS(named_images); i++) {
        if (strcmp(named_images[i].ref, image) == 0) {
            return &facts[i];
        }
    }
    return NULL;
}

static const struct hp_image_facts *know_nothing(void *arg, const char *image)
{
    (void)arg;
    (void)image;
    return NULL;
}

#define SC PP_HARDENED_SC
#define RES PP_HARDENED_RES
/* A Pod that passes hardened: every case patches it. */
static const char *const base_pod = PP_HARDENED_POD;

#define C0 "spec.containers[0]"
#define I0 "spec.initContainers[0]"
#define E0 "spec.ephemeralContainers[0]"
#define CSC C0 ".securityContext"
#define ISC I0 ".securityContext"
#define PSC "spec.securityContext"
#define DEBUG_CTR(image) "[{\"name\":\"debug\",\"image\":\"" image "\",\"securityContext\":" SC "}]"
#define R HP_PROFILE_PSA_RESTRICTED
#define IMG(ref) C0 ".image=\"" ref "\""
#define NO_UID "-" PSC ".runAsUser"
#define ENV(json) C0 ".env=" json

struct ccase {
    const char *name;
    enum hp_profile profile;
    const char *patch[6];
    const char *want[8]; /* "check|action|container|path" */
    const char *msg;
    const char *fix;
};

#define NON_ROOT_APP "runAsNonRoot|deny|app|" CSC ".runAsUser"
#define USER_APP "runAsUser|deny|app|" CSC ".runAsUser"
#define USER_INIT "runAsUser|deny|init|" ISC ".runAsUser"
#define DIAG_APP "dotnetDiagnostics|warn|app|" C0 ".env"
#define PORTS_APP "privilegedPorts|warn|app|" C0 ".env"
#define RUNAS_1654 "securityContext: {runAsUser: 1654}"
#define RUNAS_10001 "securityContext: {runAsUser: 10001}"
#define ENV_URLS_FIX                                                                               \
    "env: [{name: ASPNETCORE_URLS, value: \"http://+:8080\"}] and let the Service map port 80 to " \
    "8080"

static const struct ccase ccases[] = {
    /* ---- runAsNonRoot and the image's user ---- */
    {"named image, runAsUser set: the kubelet can verify",
     HP_PROFILE_HARDENED,
     {IMG("img/named")},
     {NULL},
     NULL,
     NULL},
    {"named image without runAsUser",
     R,
     {NO_UID, IMG("img/named")},
     {NON_ROOT_APP},
     "container \"app\" has runAsNonRoot but no runAsUser, and its image runs as app: the "
     "kubelet refuses to start it (\"container has runAsNonRoot and image has non-numeric user "
     "(app), cannot verify user is non-root\")",
     RUNAS_1654},
    {"root image without runAsUser (hardened adds the required runAsUser)",
     HP_PROFILE_HARDENED,
     {NO_UID, IMG("img/root")},
     {NON_ROOT_APP, USER_APP, USER_INIT},
     "its image sets no user, so it runs as root: the kubelet refuses to start it (\"" ROOT_MSG
     "\")",
     RUNAS_10001},
    {"root image with APP_UID: the fix is its UID",
     R,
     {NO_UID, IMG("img/root-app-uid")},
     {NON_ROOT_APP},
     ROOT_MSG,
     RUNAS_1654},
    {"image user 0:0", R, {NO_UID, IMG("img/zero")}, {NON_ROOT_APP}, ROOT_MSG, RUNAS_10001},
    {"named user and group, not app: a placeholder UID",
     R,
     {NO_UID, IMG("img/friendly")},
     {NON_ROOT_APP},
     "non-numeric user (friendlyusername)",
     RUNAS_10001},
    {"numeric image user passes", R, {NO_UID, IMG("img/numeric")}, {NULL}, NULL, NULL},
    {"unresolved image user",
     R,
     {NO_UID, IMG("img/unresolved")},
     {NON_ROOT_APP},
     "the USER of its image ($UID) cannot be resolved (UID has no value)",
     RUNAS_10001},
    {"an image without facts: nothing added",
     R,
     {NO_UID, IMG("img/not-mapped")},
     {NULL},
     NULL,
     NULL},
    {"runAsUser in the containers",
     R,
     {NO_UID, CSC ".runAsUser=1000", ISC ".runAsUser=1000", IMG("img/root"),
      I0 ".image=\"img/named\""},
     {NULL},
     NULL,
     NULL},
    {"runAsNonRoot false is the existing finding only",
     R,
     {NO_UID, CSC ".runAsNonRoot=false", IMG("img/root")},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot"},
     NULL,
     NULL},
    {"runAsNonRoot unset: the kubelet does not verify",
     R,
     {NO_UID, "-" PSC ".runAsNonRoot", CSC ".runAsNonRoot=false", ISC ".runAsNonRoot=false",
      IMG("img/root")},
     {"runAsNonRoot|deny|app|" CSC ".runAsNonRoot", "runAsNonRoot|deny|init|" ISC ".runAsNonRoot"},
     NULL,
     NULL},
    {"init container",
     R,
     {NO_UID, I0 ".image=\"img/named\""},
     {"runAsNonRoot|deny|init|" ISC ".runAsUser"},
     "init container \"init\" has runAsNonRoot",
     RUNAS_1654},
    {"ephemeral container",
     R,
     {NO_UID, "spec.ephemeralContainers=" DEBUG_CTR("img/root")},
     {"runAsNonRoot|deny|debug|" E0 ".securityContext.runAsUser"},
     "ephemeral container \"debug\" has runAsNonRoot",
     NULL},
    {"psa-baseline: runAsNonRoot is off",
     HP_PROFILE_PSA_BASELINE,
     {NO_UID, IMG("img/root")},
     {NULL},
     NULL,
     NULL},
    /* ---- .NET diagnostics ---- */
    {".NET image by its facts",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet")},
     {DIAG_APP},
     "container \"app\" runs a .NET image (its image sets no DOTNET_EnableDiagnostics=0) and has "
     "a read-only root filesystem",
     "env: [{name: DOTNET_EnableDiagnostics, value: \"0\"}] (or mount an emptyDir volume at "
     "/tmp)"},
    {"the image turns diagnostics off",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet-diag-off")},
     {NULL},
     NULL,
     NULL},
    {"the image turns them off with COMPlus_",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet-complus-off")},
     {NULL},
     NULL,
     NULL},
    {"the container's env overrides the image's by name",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet-diag-off"), ENV("[{\"name\":\"DOTNET_EnableDiagnostics\",\"value\":\"1\"}]")},
     {DIAG_APP},
     "looks like .NET",
     NULL},
    {"the container turns them off",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet"), ENV("[{\"name\":\"DOTNET_EnableDiagnostics\",\"value\":\"0\"}]")},
     {NULL},
     NULL,
     NULL},
    {"a writable /tmp",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet"), C0 ".volumeMounts=[{\"name\":\"tmp\",\"mountPath\":\"/tmp\"}]",
      "spec.volumes=[{\"name\":\"tmp\",\"emptyDir\":{}}]"},
     {NULL},
     NULL,
     NULL},
    {"a writable root filesystem",
     HP_PROFILE_HARDENED,
     {IMG("img/dotnet"), CSC ".readOnlyRootFilesystem=false"},
     {"readOnlyRootFilesystem|deny|app|" CSC ".readOnlyRootFilesystem"},
     NULL,
     NULL},
    {"an mcr .NET image whose facts turn diagnostics off",
     HP_PROFILE_HARDENED,
     {IMG("mcr.microsoft.com/dotnet/aspnet:8.0")},
     {NULL},
     NULL,
     NULL},
    {"an mcr .NET image without facts keeps its finding",
     HP_PROFILE_HARDENED,
     {IMG("mcr.microsoft.com/dotnet/aspnet:6.0")},
     {DIAG_APP},
     "looks like .NET",
     NULL},
    {"init container",
     HP_PROFILE_HARDENED,
     {I0 ".image=\"img/dotnet\""},
     {"dotnetDiagnostics|warn|init|" I0 ".env"},
     NULL,
     NULL},
    {"psa-restricted: dotnetDiagnostics is off", R, {IMG("img/dotnet")}, {NULL}, NULL, NULL},
    /* ---- Kestrel below 1024 (a container env that sets ASPNETCORE_* also
     * makes the container look like .NET to dotnetDiagnostics) ---- */
    {"the image's ASPNETCORE_URLS",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80")},
     {PORTS_APP},
     "container \"app\" runs as non-root and its image sets ASPNETCORE_URLS=http://+:80, so "
     "Kestrel listens on port 80: a non-root process cannot bind ports below 1024 and fails "
     "with \"" EACCES "\"",
     ENV_URLS_FIX},
    {"the container's URLS overrides it",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"), ENV("[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://+:8080\"}]")},
     {DIAG_APP},
     NULL,
     NULL},
    {"the container's URLS from a ConfigMap: unknown, not judged",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"),
      ENV("[{\"name\":\"ASPNETCORE_URLS\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"c\","
          "\"key\":\"k\"}}}]")},
     {DIAG_APP},
     NULL,
     NULL},
    {"the container's HTTP_PORTS do not override the image's URLS",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"), ENV("[{\"name\":\"ASPNETCORE_HTTP_PORTS\",\"value\":\"8080\"}]")},
     {PORTS_APP, DIAG_APP},
     NULL,
     ENV_URLS_FIX},
    {"the container's URLS replaces the image's HTTP_PORTS",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel-ports80"),
      ENV("[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://+:8080\"}]")},
     {DIAG_APP},
     NULL,
     NULL},
    {"an empty URLS in the container leaves the image's HTTP_PORTS",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel-ports80"), ENV("[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"\"}]")},
     {PORTS_APP, DIAG_APP},
     "ASPNETCORE_HTTP_PORTS=80",
     "env: [{name: ASPNETCORE_HTTP_PORTS, value: \"8080\"}] and let the Service map port 80 to "
     "8080"},
    {"the image's HTTPS_PORTS",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel-https")},
     {PORTS_APP},
     "port 443",
     "env: [{name: ASPNETCORE_HTTPS_PORTS, value: \"8443\"}] and let the Service map port 443 to "
     "8443"},
    {"the base image's default",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel-base80")},
     {PORTS_APP, DIAG_APP},
     "(its base image's default)",
     NULL},
    {"unresolved in the image",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel-unresolved")},
     {PORTS_APP},
     "which cannot be resolved (PORT has no value)",
     NULL},
    {"runAsUser 0: it may bind",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"), CSC ".runAsUser=0"},
     {"runAsUser|deny|app|" CSC ".runAsUser"},
     NULL,
     NULL},
    {"non-root by the image's numeric user",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"), NO_UID, "-" PSC ".runAsNonRoot"},
     {PORTS_APP, USER_APP, USER_INIT, "runAsNonRoot|deny|app|" CSC ".runAsNonRoot",
      "runAsNonRoot|deny|init|" ISC ".runAsNonRoot"},
     NULL,
     NULL},
    {"root by the image's user: it may bind",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80-root"), NO_UID, "-" PSC ".runAsNonRoot"},
     {USER_APP, USER_INIT, "runAsNonRoot|deny|app|" CSC ".runAsNonRoot",
      "runAsNonRoot|deny|init|" ISC ".runAsNonRoot"},
     NULL,
     NULL},
    {"the container's own low port is reported once",
     HP_PROFILE_HARDENED,
     {IMG("img/kestrel80"), ENV("[{\"name\":\"ASPNETCORE_URLS\",\"value\":\"http://+:80\"}]")},
     {"privilegedPorts|warn|app|" C0 ".env[0].value", DIAG_APP},
     NULL,
     NULL},
    {"init container",
     HP_PROFILE_HARDENED,
     {I0 ".image=\"img/kestrel80\""},
     {"privilegedPorts|warn|init|" I0 ".env"},
     NULL,
     NULL},
    {"ephemeral container: not judged",
     HP_PROFILE_HARDENED,
     {"spec.ephemeralContainers=" DEBUG_CTR("img/kestrel80")},
     {NULL},
     NULL,
     NULL},
    {"psa-restricted: privilegedPorts is off", R, {IMG("img/kestrel80")}, {NULL}, NULL, NULL},
};

static void check_combined(const struct ccase *c, struct json_object *obj, const char *prefix)
{
    struct hp_policy p;
    hp_policy_init(&p, c->profile);
    struct hp_findings f;
    hp_findings_init(&f);
    struct hp_error err = {0};
    struct hp_eval_input in = {
        .object = obj, .now = 1700000000, .image = lookup, .image_arg = facts};
    ck_assert_msg(hp_policy_eval(&p, &in, &f, &err) == HP_OK, "%s: %s", c->name, err.msg);
    char got[4096];
    char want[4096];
    pp_render(&f, got, sizeof(got));
    /* Pod paths start with "spec."; a workload's with its template's spec. */
    const char *lines[8];
    char moved[8][256];
    size_t n = 0;
    for (; n < N_ELEMS(c->want) && c->want[n] != NULL; n++) {
        const char *path = strrchr(c->want[n], '|') + 1;
        snprintf(moved[n], sizeof(moved[n]), "%.*s%s%s", (int)(path - c->want[n]), c->want[n],
                 prefix, path + strlen("spec"));
        lines[n] = moved[n];
    }
    render_want(lines, n, want, sizeof(want));
    ck_assert_msg(strcmp(got, want) == 0, "%s (%s):\n--- expected\n%s\n--- got\n%s", c->name,
                  prefix, want, got);
    check_text(c->name, &f, c->msg, c->fix);
    /* An image callback that knows no image changes nothing. */
    struct hp_findings plain;
    struct hp_findings unknown;
    hp_findings_init(&plain);
    hp_findings_init(&unknown);
    struct hp_eval_input no_img = {.object = obj, .now = 1700000000};
    struct hp_eval_input no_facts = {.object = obj, .now = 1700000000, .image = know_nothing};
    ck_assert_int_eq(hp_policy_eval(&p, &no_img, &plain, NULL), HP_OK);
    ck_assert_int_eq(hp_policy_eval(&p, &no_facts, &unknown, NULL), HP_OK);
    char a[4096];
    char b[4096];
    ck_assert_str_eq(pp_render(&plain, a, sizeof(a)), pp_render(&unknown, b, sizeof(b)));
    hp_findings_cleanup(&unknown);
    hp_findings_cleanup(&plain);
    hp_findings_cleanup(&f);
    hp_policy_cleanup(&p);
}

static struct json_object *build_pod(const struct ccase *c)
{
    struct json_object *obj = tu_json(base_pod);
    for (size_t i = 0; i < N_ELEMS(c->patch) && c->patch[i] != NULL; i++) {
        pp_apply(obj, c->patch[i]);
    }
    return obj;
}

START_TEST(test_image_policy_combined_pod)
{
    const struct ccase *c = &ccases[_i];
    struct json_object *pod = build_pod(c);
    check_combined(c, pod, "spec");
    ck_assert_msg(lookups > 0, "%s: the image callback was never called", c->name);
    json_object_put(pod);
}
END_TEST

START_TEST(test_image_policy_combined_deployment)
{
    const struct ccase *c = &ccases[_i];
    struct json_object *pod = build_pod(c);
    struct json_object *d = pp_wrap(pod, "apps/v1", "Deployment");
    check_combined(c, d, "spec.template.spec");
    json_object_put(d);
    json_object_put(pod);
}
END_TEST

/* Exemptions apply to the combined findings as to any container finding:
 * by the container's image and namespace. */
START_TEST(test_image_policy_combined_exemptions)
{
    static const struct {
        enum hp_exemption_kind kind;
        const char *pattern;
        uint32_t checks;
        bool exempt;
    } xs[] = {
        {HP_EXEMPT_IMAGE, "img/*", 1u << HP_CHECK_RUN_AS_NON_ROOT, true},
        {HP_EXEMPT_IMAGE, "img/*", 1u << HP_CHECK_RUN_AS_USER, false},
        {HP_EXEMPT_IMAGE, "other/*", 1u << HP_CHECK_RUN_AS_NON_ROOT, false},
        {HP_EXEMPT_NAMESPACE, "sh*", 0, true},
    };
    for (size_t i = 0; i < N_ELEMS(xs); i++) {
        struct hp_policy p;
        hp_policy_init(&p, HP_PROFILE_PSA_RESTRICTED);
        add_exemption(&p, xs[i].kind, xs[i].pattern, xs[i].checks);
        struct json_object *o = tu_json(base_pod);
        pp_apply(o, NO_UID);
        pp_apply(o, IMG("img/named"));
        struct hp_findings f;
        hp_findings_init(&f);
        struct hp_eval_input in = {
            .object = o, .now = 1700000000, .image = lookup, .image_arg = facts};
        ck_assert_int_eq(hp_policy_eval(&p, &in, &f, NULL), HP_OK);
        ck_assert_uint_eq(f.len, 1);
        ck_assert_msg(f.items[0].exempt == xs[i].exempt, "case %zu: exempt %d, want %d", i,
                      f.items[0].exempt, xs[i].exempt);
        ck_assert_int_eq(f.items[0].action, xs[i].exempt ? HP_ACTION_WARN : HP_ACTION_DENY);
        if (xs[i].exempt) {
            ck_assert_str_eq(f.items[0].exempt_reason, "accepted risk");
            ck_assert_msg(strncmp(f.items[0].message, "exempt: accepted risk: ", 23) == 0,
                          "message: %s", f.items[0].message);
        }
        ck_assert_str_eq(f.items[0].fix, RUNAS_1654);
        ck_assert_uint_eq(f.items[0].line, 0);
        hp_findings_cleanup(&f);
        json_object_put(o);
        hp_policy_cleanup(&p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("image_policy");
    TCase *tc = tcase_create("image_policy");
    tcase_add_checked_fixture(tc, facts_setup, facts_teardown);
    tcase_add_loop_test(tc, test_image_policy_cases, 0, (int)N_ELEMS(icases));
    tcase_add_test(tc, test_image_policy_max_bytes);
    tcase_add_test(tc, test_image_policy_kestrel_ports);
    tcase_add_test(tc, test_image_policy_config_fixtures);
    tcase_add_loop_test(tc, test_image_policy_combined_pod, 0, (int)N_ELEMS(ccases));
    tcase_add_loop_test(tc, test_image_policy_combined_deployment, 0, (int)N_ELEMS(ccases));
    tcase_add_test(tc, test_image_policy_combined_exemptions);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
