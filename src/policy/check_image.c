/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an image runs with, judged by the checks it concerns: its user
 * (runAsNonRoot, runAsUser, runAsGroup), the ports that EXPOSE and Kestrel's
 * settings ask for (privilegedPorts) and .NET diagnostics (dotnetDiagnostics).
 * Alone, for a Dockerfile's final stage or a built image's config
 * (hp_policy_eval_image); and with a container of a manifest, for the
 * failures that only the two together show (what the kubelet refuses, what
 * Kestrel cannot bind). A value that cannot be resolved is reported as such,
 * never guessed. Pure, like the rest of the engine.
 */
#include "internal.h"

#include "hardpod/image.h"

#include <stdio.h>
#include <string.h>

const char *const pol_kestrel_names[POL_KESTREL_COUNT] = {
    "ASPNETCORE_URLS",
    "ASPNETCORE_HTTP_PORTS",
    "ASPNETCORE_HTTPS_PORTS",
};

/* What the same fix says for each of Kestrel's settings, in a Dockerfile and
 * in a container's env. */
static const char *const kestrel_image_fix[POL_KESTREL_COUNT] = {
    "ENV ASPNETCORE_URLS=http://+:8080 and EXPOSE 8080 (the Service maps port 80 to it)",
    "ENV ASPNETCORE_HTTP_PORTS=8080 and EXPOSE 8080 (the Service maps port 80 to it)",
    "ENV ASPNETCORE_HTTPS_PORTS=8443 and EXPOSE 8443 (the Service maps port 443 to it)",
};
static const char *const kestrel_env_fix[POL_KESTREL_COUNT] = {
    "env: [{name: ASPNETCORE_URLS, value: \"http://+:8080\"}] and let the Service map port 80 "
    "to 8080",
    "env: [{name: ASPNETCORE_HTTP_PORTS, value: \"8080\"}] and let the Service map port 80 to "
    "8080",
    "env: [{name: ASPNETCORE_HTTPS_PORTS, value: \"8443\"}] and let the Service map port 443 to "
    "8443",
};

#define KUBELET_ROOT "container has runAsNonRoot and image will run as root"
#define CORECLR "\"Failed to create CoreCLR, HRESULT: 0x80004005\""
#define EACCES_MSG "\"SocketException (13): Permission denied\""

/* ---- reading the facts ----------------------------------------------------- */

/* A decimal id of at most 18 digits (so that it fits int64). */
static bool parse_id(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18) {
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool same(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* The image user, "user[:group]", as the container runtime reads it: a
 * numeric user part is a UID, anything else a name that only the image's
 * /etc/passwd resolves. */
struct image_user {
    enum { IU_UNSET, IU_UNRESOLVED, IU_SET } state;
    const char *user;
    size_t user_len;
    const char *group; /* NULL without a group */
    size_t group_len;
    bool uid_numeric;
    int64_t uid;
    bool gid_numeric;
    int64_t gid;
    bool root;       /* UID 0, the name root, or an empty user part */
    bool group_root; /* GID 0 or the name root */
};

static void read_user(const struct hp_image_value *v, struct image_user *u)
{
    memset(u, 0, sizeof(*u));
    if (v->text == NULL) {
        u->state = v->unresolved != NULL ? IU_UNRESOLVED : IU_UNSET;
        u->root = u->state == IU_UNSET;
        return;
    }
    u->state = IU_SET;
    const char *colon = strchr(v->text, ':');
    u->user = v->text;
    u->user_len = colon != NULL ? (size_t)(colon - v->text) : strlen(v->text);
    if (colon != NULL && colon[1] != '\0') {
        u->group = colon + 1;
        u->group_len = strlen(u->group);
        u->gid_numeric = parse_id(u->group, u->group_len, &u->gid);
        u->group_root = (u->gid_numeric && u->gid == 0) || same(u->group, u->group_len, "root");
    }
    u->uid_numeric = parse_id(u->user, u->user_len, &u->uid);
    u->root =
        u->user_len == 0 || (u->uid_numeric && u->uid == 0) || same(u->user, u->user_len, "root");
}

static const struct hp_image_env *env_of(const struct hp_image_facts *img, const char *name)
{
    return hp_image_facts_env(img, name);
}

/* The image's APP_UID (the .NET 8 and later images' non-root user) when it
 * is a non-zero number. */
static bool app_uid(const struct hp_image_facts *img, int64_t *uid)
{
    const struct hp_image_env *v = env_of(img, "APP_UID");
    return v != NULL && v->value.text != NULL &&
           parse_id(v->value.text, strlen(v->value.text), uid) && *uid != 0;
}

static bool is_zero(const struct hp_image_env *v)
{
    return v != NULL && v->value.text != NULL && strcmp(v->value.text, "0") == 0;
}

/* Set to something Kestrel reads: a non-empty value, or one that could not
 * be resolved (which may be anything). */
static bool set_nonempty(const struct hp_image_env *v)
{
    return v != NULL && (v->value.text != NULL ? v->value.text[0] != '\0' : true);
}

bool pol_image_is_dotnet(const struct hp_image_facts *img)
{
    return (img->base_info != NULL && img->base_info->dotnet) ||
           env_of(img, "DOTNET_VERSION") != NULL || env_of(img, "ASPNET_VERSION") != NULL ||
           env_of(img, "DOTNET_RUNNING_IN_CONTAINER") != NULL;
}

bool pol_image_diagnostics_off(const struct hp_image_facts *img, const bool ctr_sets[2])
{
    return (!ctr_sets[0] && is_zero(env_of(img, "DOTNET_EnableDiagnostics"))) ||
           (!ctr_sets[1] && is_zero(env_of(img, "COMPlus_EnableDiagnostics")));
}

/* A value as a message shows it: as written, with what it resolved to when
 * that differs ("$APP_UID (1654)"). */
static const char *shown(const struct hp_image_value *v, char *buf, size_t size)
{
    const char *text = v->text != NULL ? v->text : "";
    if (v->written != NULL && v->text != NULL && strcmp(v->written, v->text) != 0) {
        snprintf(buf, size, "%.100s (%.100s)", v->written, v->text);
    } else {
        snprintf(buf, size, "%.200s", v->written != NULL ? v->written : text);
    }
    return buf;
}

/* The base image as messages name it. */
static const char *base_name(const struct hp_image_facts *img)
{
    if (img->base != NULL) {
        return img->base;
    }
    if (img->base_ref.text != NULL) {
        return img->base_ref.text;
    }
    return img->base_ref.written != NULL ? img->base_ref.written : "an unresolved image";
}

/* Where a value of a Dockerfile sits: its instruction (path) and line, or
 * the final stage's FROM when the base image's defaults set it. Sets e->line
 * for the next finding. */
static const char *place(struct pol_eval *e, const struct hp_image_facts *img,
                         const struct hp_image_value *v, const char *path)
{
    if (v->from_base) {
        e->line = img->base_ref.line;
        return "FROM";
    }
    e->line = v->line;
    return path;
}

/* ---- an image alone ---------------------------------------------------------- */

static void user_unset(struct pol_eval *e, const struct hp_image_facts *img, const char *fix)
{
    if (img->source == HP_IMAGE_CONFIG) {
        e->line = 0;
        pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false, "Config.User", fix,
                 "Config.User is not set: the image runs as root, and under runAsNonRoot the "
                 "kubelet refuses it (\"" KUBELET_ROOT "\")");
        return;
    }
    /* No USER in the final stage: the line is the stage's FROM. */
    e->line = img->base_ref.line;
    if (img->base != NULL && (strcmp(img->base, "scratch") == 0 || img->base_info != NULL)) {
        pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false, "USER", fix,
                 "the final stage sets no USER and its base image (%.200s) runs as root: under "
                 "runAsNonRoot the kubelet refuses it (\"" KUBELET_ROOT "\")",
                 img->base);
        return;
    }
    pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false, "USER", fix,
             "the final stage sets no USER, and hardpod does not know the default user of its "
             "base image (%.200s): the image runs as root unless that image sets a non-root "
             "USER, and under runAsNonRoot the kubelet then refuses it (\"" KUBELET_ROOT "\")",
             base_name(img));
}

static void judge_user(struct pol_eval *e, const struct hp_image_facts *img)
{
    const struct hp_image_value *v = &img->user;
    struct image_user u;
    read_user(v, &u);
    bool cfg = img->source == HP_IMAGE_CONFIG;
    int64_t app = 0;
    bool has_app = app_uid(img, &app);
    const char *fix = has_app ? "USER $APP_UID" : "USER 10001:10001";
    char what[256];
    char fixbuf[96];

    if (u.state == IU_UNRESOLVED) {
        if (pol_on(e, HP_CHECK_RUN_AS_NON_ROOT)) {
            snprintf(fixbuf, sizeof(fixbuf), "ARG %.40s=10001 (a default), or USER 10001:10001",
                     v->unresolved);
            pol_emit_owned(e, HP_CHECK_RUN_AS_NON_ROOT,
                           e->p->checks[HP_CHECK_RUN_AS_NON_ROOT].action, false,
                           place(e, img, v, "USER"), fixbuf,
                           "USER %s cannot be resolved: %.100s has no value (give it with "
                           "--build-arg %.100s=...), and hardpod does not guess, so whether the "
                           "image runs as root is unknown",
                           shown(v, what, sizeof(what)), v->unresolved, v->unresolved);
        }
        return;
    }
    if (u.state == IU_UNSET) {
        if (pol_on(e, HP_CHECK_RUN_AS_NON_ROOT)) {
            user_unset(e, img, fix);
        }
        return;
    }
    const char *path = cfg ? "Config.User" : place(e, img, v, "USER");
    if (cfg) {
        e->line = 0;
        snprintf(what, sizeof(what), "Config.User \"%.200s\"", v->text);
    } else if (v->from_base) {
        char val[220];
        snprintf(what, sizeof(what), "the base image's USER %.200s", shown(v, val, sizeof(val)));
    } else {
        char val[220];
        snprintf(what, sizeof(what), "USER %.200s", shown(v, val, sizeof(val)));
    }
    int ul = (int)(u.user_len > 64 ? 64 : u.user_len);
    if (u.root) {
        /* The kubelet judges the user part only: a UID, or a name it cannot
         * resolve (even "root"). */
        if (pol_on(e, HP_CHECK_RUN_AS_NON_ROOT)) {
            char kubelet[160];
            if (u.uid_numeric || u.user_len == 0) {
                snprintf(kubelet, sizeof(kubelet), KUBELET_ROOT);
            } else {
                snprintf(kubelet, sizeof(kubelet),
                         "container has runAsNonRoot and image has non-numeric user (%.*s), "
                         "cannot verify user is non-root",
                         ul, u.user);
            }
            pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, false, path, fix,
                     "%s runs the image as root: under runAsNonRoot the kubelet refuses it "
                     "(\"%s\")",
                     what, kubelet);
        }
        return;
    }
    if (pol_on(e, HP_CHECK_RUN_AS_USER)) {
        if (!u.uid_numeric) {
            char app_note[64] = "";
            if (has_app) {
                snprintf(app_note, sizeof(app_note), "; APP_UID (%lld) is the image's numeric user",
                         (long long)app);
            }
            pol_emit(e, HP_CHECK_RUN_AS_USER, false, path, fix,
                     "%s is a name, not a numeric UID: under runAsNonRoot the kubelet cannot "
                     "verify that %.*s is not root (\"container has runAsNonRoot and image has "
                     "non-numeric user (%.*s), cannot verify user is non-root\")%s",
                     what, ul, u.user, ul, u.user, app_note);
        } else if (u.uid < e->p->min_uid) {
            pol_emit(e, HP_CHECK_RUN_AS_USER, false, path, fix,
                     "%s runs as UID %lld, below the policy's minimum of %lld", what,
                     (long long)u.uid, (long long)e->p->min_uid);
        } else if (u.group != NULL && !u.gid_numeric && !u.group_root) {
            snprintf(fixbuf, sizeof(fixbuf), "USER %lld:10001 (the group's numeric GID)",
                     (long long)u.uid);
            pol_emit_owned(e, HP_CHECK_RUN_AS_USER, e->p->checks[HP_CHECK_RUN_AS_USER].action,
                           false, path, fixbuf,
                           "%s names its group (%.*s) rather than a numeric GID: only the "
                           "image's /etc/group resolves it, so it cannot be verified not to be "
                           "root",
                           what, (int)(u.group_len > 64 ? 64 : u.group_len), u.group);
        }
    }
    if (u.group != NULL && pol_on(e, HP_CHECK_RUN_AS_GROUP) &&
        (u.group_root || (u.gid_numeric && u.gid < e->p->min_gid))) {
        if (u.uid_numeric) {
            snprintf(fixbuf, sizeof(fixbuf), "USER %lld:10001", (long long)u.uid);
        } else {
            snprintf(fixbuf, sizeof(fixbuf), "%s", fix);
        }
        if (u.group_root) {
            pol_emit_owned(e, HP_CHECK_RUN_AS_GROUP, e->p->checks[HP_CHECK_RUN_AS_GROUP].action,
                           false, path, fixbuf,
                           "%s runs the image with the root group (%.*s): its processes can "
                           "write whatever the root group may",
                           what, (int)(u.group_len > 64 ? 64 : u.group_len), u.group);
        } else {
            pol_emit_owned(e, HP_CHECK_RUN_AS_GROUP, e->p->checks[HP_CHECK_RUN_AS_GROUP].action,
                           false, path, fixbuf,
                           "%s runs with GID %lld, below the policy's minimum of %lld", what,
                           (long long)u.gid, (long long)e->p->min_gid);
        }
    }
}

static void judge_exposed(struct pol_eval *e, const struct hp_image_facts *img)
{
    char path[160];
    char val[220];
    for (size_t i = 0; i < img->n_ports; i++) {
        const struct hp_image_port *pt = &img->ports[i];
        const struct hp_image_value *v = &pt->value;
        const char *where;
        if (img->source == HP_IMAGE_CONFIG) {
            e->line = 0;
            snprintf(path, sizeof(path), "Config.ExposedPorts[\"%.100s\"]",
                     v->text != NULL ? v->text : "");
            where = path;
        } else {
            snprintf(path, sizeof(path), "EXPOSE %.100s",
                     v->written != NULL ? v->written : (v->text != NULL ? v->text : ""));
            where = place(e, img, v, path);
        }
        if (v->text == NULL && v->unresolved != NULL) {
            pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, false, where, "EXPOSE 8080",
                     "EXPOSE %s cannot be resolved: %.100s has no value, and hardpod does not "
                     "guess whether the port is below 1024",
                     shown(v, val, sizeof(val)), v->unresolved);
        } else if (pt->port > 0 && pt->port < 1024) {
            pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, false, where,
                     "EXPOSE 8080 (listen on 8080 and let the Service map the port to it)",
                     "%s%s declares port %u: a non-root process cannot bind ports below 1024 "
                     "(in .NET, Kestrel fails with " EACCES_MSG ")",
                     img->source == HP_IMAGE_CONFIG ? "Config.ExposedPorts " : "EXPOSE ",
                     shown(v, val, sizeof(val)), pt->port);
        }
    }
}

/* One of Kestrel's settings in the image's environment. */
static void judge_kestrel_var(struct pol_eval *e, const struct hp_image_facts *img,
                              enum pol_kestrel_var k)
{
    const struct hp_image_env *var = env_of(img, pol_kestrel_names[k]);
    if (var == NULL) {
        return;
    }
    const struct hp_image_value *v = &var->value;
    char path[160];
    char val[220];
    const char *where;
    if (img->source == HP_IMAGE_CONFIG) {
        e->line = 0;
        snprintf(path, sizeof(path), "Config.Env[%s]", var->name);
        where = path;
    } else {
        snprintf(path, sizeof(path), "ENV %s", var->name);
        where = place(e, img, v, path);
    }
    if (v->text == NULL) {
        if (v->unresolved != NULL) {
            pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, false, where, kestrel_image_fix[k],
                     "%s=%s cannot be resolved: %.100s has no value, and hardpod does not guess "
                     "whether Kestrel listens below port 1024",
                     var->name, shown(v, val, sizeof(val)), v->unresolved);
        }
        return;
    }
    long port = pol_kestrel_low_port(v->text, k == POL_KESTREL_URLS);
    if (port < 0) {
        return;
    }
    if (v->from_base) {
        pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, false, where, kestrel_image_fix[k],
                 "the base image %.200s sets %s=%.100s, so Kestrel listens on port %ld: a "
                 "non-root process cannot bind ports below 1024 and fails with " EACCES_MSG,
                 base_name(img), var->name, v->text, port);
        return;
    }
    pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, false, where, kestrel_image_fix[k],
             "%s%s=%s makes Kestrel listen on port %ld: a non-root process cannot bind ports "
             "below 1024 and fails with " EACCES_MSG,
             img->source == HP_IMAGE_CONFIG ? "Config.Env " : "ENV ", var->name,
             shown(v, val, sizeof(val)), port);
}

/* Kestrel reads ASPNETCORE_URLS when it is set and not empty; only
 * otherwise the two port lists (which .NET 8 added). */
static void judge_kestrel(struct pol_eval *e, const struct hp_image_facts *img)
{
    if (set_nonempty(env_of(img, pol_kestrel_names[POL_KESTREL_URLS]))) {
        judge_kestrel_var(e, img, POL_KESTREL_URLS);
        return;
    }
    judge_kestrel_var(e, img, POL_KESTREL_HTTP_PORTS);
    judge_kestrel_var(e, img, POL_KESTREL_HTTPS_PORTS);
}

static void judge_dotnet(struct pol_eval *e, const struct hp_image_facts *img)
{
    static const bool none[2] = {false, false};
    if (!pol_image_is_dotnet(img) || pol_image_diagnostics_off(img, none)) {
        return;
    }
    static const char fix[] =
        "ENV DOTNET_EnableDiagnostics=0 (or mount a writable emptyDir volume at /tmp)";
    static const char *const marks[] = {"DOTNET_VERSION", "ASPNET_VERSION",
                                        "DOTNET_RUNNING_IN_CONTAINER"};
    const char *path = "FROM";
    char buf[160];
    const char *what = "the image";
    e->line = img->base_ref.line;
    if (img->source == HP_IMAGE_CONFIG) {
        path = "Config.Env";
        e->line = 0;
    } else if (img->base_info != NULL && img->base_info->dotnet) {
        snprintf(buf, sizeof(buf), "its base image (%.100s)", base_name(img));
        what = buf;
    } else {
        /* The environment says .NET: point at the variable that says so. */
        for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
            const struct hp_image_env *m = env_of(img, marks[i]);
            if (m != NULL) {
                snprintf(buf, sizeof(buf), "ENV %s", marks[i]);
                path = place(e, img, &m->value, buf);
                break;
            }
        }
    }
    const struct hp_image_env *d = env_of(img, "DOTNET_EnableDiagnostics");
    bool unresolved = d != NULL && d->value.text == NULL && d->value.unresolved != NULL;
    pol_emit(e, HP_CHECK_DOTNET_DIAGNOSTICS, false, path, fix,
             "%s is a .NET runtime image without DOTNET_EnableDiagnostics=0%s: with a "
             "read-only root filesystem it fails with " CORECLR " unless /tmp is writable",
             img->source == HP_IMAGE_CONFIG ? "the image" : what,
             unresolved ? " (its value cannot be resolved)" : "");
}

enum hp_err hp_policy_eval_image(const struct hp_policy *p, const struct hp_image_facts *img,
                                 struct hp_findings *out, struct hp_error *err)
{
    hp_findings_reset(out);
    if (p == NULL || img == NULL) {
        return hp_error_set(err, HP_ERR_INTERNAL, "image evaluation without a policy or facts");
    }
    struct pol_eval e;
    memset(&e, 0, sizeof(e));
    e.p = p;
    e.out = out;
    /* No namespace, user or image name: exemptions never match, and a
     * check's action (off included) is all that applies. */
    for (int c = 0; c < HP_CHECK_COUNT; c++) {
        if (p->checks[c].action != HP_ACTION_OFF) {
            e.active |= 1u << c;
        }
    }
    judge_user(&e, img);
    if (pol_on(&e, HP_CHECK_PRIVILEGED_PORTS)) {
        judge_exposed(&e, img);
        judge_kestrel(&e, img);
    }
    if (pol_on(&e, HP_CHECK_DOTNET_DIAGNOSTICS)) {
        judge_dotnet(&e, img);
    }
    return HP_OK;
}

/* ---- a container and its image ----------------------------------------------- */

void pol_image_run_as_ctr(struct pol_eval *e)
{
    struct hp_bool_val nr = e->eff.run_as_non_root;
    if (e->img == NULL || e->windows || !(nr.state == HP_V_OK && nr.value) ||
        e->eff.run_as_user.state != HP_V_UNSET) {
        return;
    }
    struct image_user u;
    read_user(&e->img->user, &u);
    char what[256];
    if (u.state == IU_UNRESOLVED) {
        pol_emit(e, HP_CHECK_RUN_AS_NON_ROOT, true, pol_sc_path(e, "runAsUser"),
                 "securityContext: {runAsUser: 10001}",
                 "%s has runAsNonRoot and no runAsUser, and the USER of its image (%.200s) "
                 "cannot be resolved (%.100s has no value): whether the kubelet starts it is "
                 "unknown",
                 e->who, shown(&e->img->user, what, sizeof(what)), e->img->user.unresolved);
        return;
    }
    int ul = (int)(u.user_len > 64 ? 64 : u.user_len);
    char kubelet[160];
    if (u.state == IU_UNSET || u.user_len == 0 || (u.uid_numeric && u.uid == 0)) {
        snprintf(kubelet, sizeof(kubelet), KUBELET_ROOT);
    } else if (!u.uid_numeric) {
        snprintf(kubelet, sizeof(kubelet),
                 "container has runAsNonRoot and image has non-numeric user (%.*s), cannot "
                 "verify user is non-root",
                 ul, u.user);
    } else {
        return; /* a numeric non-root UID: the kubelet starts it */
    }
    /* The .NET images' APP_UID is the UID of their user "app"; for root any
     * non-root UID of the image will do. */
    int64_t uid = 10001;
    int64_t app = 0;
    if (app_uid(e->img, &app) && (u.root || same(u.user, u.user_len, "app"))) {
        uid = app;
    }
    char fix[64];
    snprintf(fix, sizeof(fix), "securityContext: {runAsUser: %lld}", (long long)uid);
    if (u.state == IU_UNSET) {
        snprintf(what, sizeof(what), "sets no user, so it runs as root");
    } else {
        snprintf(what, sizeof(what), "runs as %.*s", ul, u.user);
    }
    pol_emit_owned(e, HP_CHECK_RUN_AS_NON_ROOT, e->p->checks[HP_CHECK_RUN_AS_NON_ROOT].action, true,
                   pol_sc_path(e, "runAsUser"), fix,
                   "%s has runAsNonRoot but no runAsUser, and its image %s: the kubelet refuses "
                   "to start it (\"%s\"); set runAsUser to the numeric UID it should run as",
                   e->who, what, kubelet);
}

/* Whether the container runs as non-root: its runAsUser, runAsNonRoot (the
 * kubelet refuses root then), or its image's numeric user. */
static bool runs_non_root(const struct pol_eval *e)
{
    struct hp_int_val ru = e->eff.run_as_user;
    if (ru.state != HP_V_UNSET) {
        return ru.state == HP_V_OK && ru.value != 0;
    }
    struct hp_bool_val nr = e->eff.run_as_non_root;
    if (nr.state == HP_V_OK && nr.value) {
        return true;
    }
    struct image_user u;
    read_user(&e->img->user, &u);
    return u.state == IU_SET && u.uid_numeric && u.uid != 0;
}

static void ctr_kestrel_var(struct pol_eval *e, enum pol_kestrel_var k)
{
    const struct hp_image_env *var = env_of(e->img, pol_kestrel_names[k]);
    if (var == NULL) {
        return;
    }
    const struct hp_image_value *v = &var->value;
    if (v->text == NULL) {
        if (v->unresolved != NULL) {
            char val[220];
            pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, true, pol_path(e, "%s.env", e->cpath),
                     kestrel_env_fix[k],
                     "%s runs as non-root and its image sets %s=%s, which cannot be resolved "
                     "(%.100s has no value): whether Kestrel listens below port 1024 is unknown",
                     e->who, var->name, shown(v, val, sizeof(val)), v->unresolved);
        }
        return;
    }
    long port = pol_kestrel_low_port(v->text, k == POL_KESTREL_URLS);
    if (port < 0) {
        return;
    }
    pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, true, pol_path(e, "%s.env", e->cpath),
             kestrel_env_fix[k],
             "%s runs as non-root and its image sets %s=%.100s%s, so Kestrel listens on port "
             "%ld: a non-root process cannot bind ports below 1024 and fails with " EACCES_MSG,
             e->who, var->name, v->text, v->from_base ? " (its base image's default)" : "", port);
}

void pol_image_ports_ctr(struct pol_eval *e, const struct pol_env_entry kestrel[POL_KESTREL_COUNT])
{
    if (e->img == NULL || !runs_non_root(e)) {
        return;
    }
    /* The container's env replaces the image's by name. A value of its own
     * was judged by the container walk; one from valueFrom is unknown. */
    const struct pol_env_entry *urls = &kestrel[POL_KESTREL_URLS];
    if (urls->set) {
        if (urls->value == NULL || urls->value[0] != '\0') {
            return;
        }
    } else if (set_nonempty(env_of(e->img, pol_kestrel_names[POL_KESTREL_URLS]))) {
        ctr_kestrel_var(e, POL_KESTREL_URLS);
        return;
    }
    for (int k = POL_KESTREL_HTTP_PORTS; k < POL_KESTREL_COUNT; k++) {
        if (!kestrel[k].set) {
            ctr_kestrel_var(e, (enum pol_kestrel_var)k);
        }
    }
}
