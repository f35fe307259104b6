/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privilegedPorts and dotnetDiagnostics, in one walk over a container's ports
 * and env (both rows name pol_runtime_ctr, which runs once): warnings about
 * runtime failures that hardening causes. A non-root process cannot bind a port below 1024
 * ("SocketException (13): Permission denied"), and .NET with a read-only root
 * filesystem fails with "Failed to create CoreCLR, HRESULT: 0x80004005"
 * unless diagnostics are disabled or /tmp is writable. Kestrel's listen
 * addresses come from ASPNETCORE_URLS and ASPNETCORE_HTTP_PORTS /
 * ASPNETCORE_HTTPS_PORTS.
 */
#include "internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a decimal port in s[0..n) (surrounding spaces allowed); -1 if not a port. */
static long parse_port(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++, n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    if (n == 0 || n > 5) {
        return -1;
    }
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535 ? v : -1;
}

/* The port of one Kestrel URL such as "http://+:80", "https://[::]:443" or
 * "http://localhost" (no port: 80 for http, 443 for https); -1 if unknown. */
static long url_port(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++, n--;
    }
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
    }
    if (sep == NULL) {
        return -1;
    }
    size_t scheme_len = (size_t)(sep - s);
    const char *host = sep + 3;
    const char *end = s + n;
    const char *slash = memchr(host, '/', (size_t)(end - host));
    if (slash != NULL) {
        end = slash;
    }
    const char *search = host;
    if (host < end && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        search = close != NULL ? close : end;
    }
    const char *colon = NULL;
    for (const char *p = search; p < end; p++) {
        if (*p == ':') {
            colon = p;
        }
    }
    if (colon != NULL) {
        return parse_port(colon + 1, (size_t)(end - colon - 1));
    }
    if (scheme_len == 4 && strncmp(s, "http", 4) == 0) {
        return 80;
    }
    if (scheme_len == 5 && strncmp(s, "https", 5) == 0) {
        return 443;
    }
    return -1;
}

long pol_kestrel_low_port(const char *value, bool urls)
{
    const char *p = value;
    while (*p != '\0') {
        size_t n = strcspn(p, urls ? ";" : ";,");
        long port = urls ? url_port(p, n) : parse_port(p, n);
        if (port > 0 && port < 1024) {
            return port;
        }
        p += n;
        if (*p != '\0') {
            p++;
        }
    }
    return -1;
}

static void port_env(struct pol_eval *e, const char *name, const char *value, size_t i)
{
    bool urls = strcmp(name, "ASPNETCORE_URLS") == 0;
    if (!urls && strcmp(name, "ASPNETCORE_HTTP_PORTS") != 0 &&
        strcmp(name, "ASPNETCORE_HTTPS_PORTS") != 0) {
        return;
    }
    long port = pol_kestrel_low_port(value, urls);
    if (port < 0) {
        return;
    }
    pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, true, pol_path(e, "%s.env[%zu].value", e->cpath, i),
             "env: [{name: ASPNETCORE_HTTP_PORTS, value: \"8080\"}] and let the Service map "
             "port 80 to 8080",
             "%s makes Kestrel listen on port %ld (%s=%.100s): a non-root process cannot bind "
             "ports below 1024 and fails with \"SocketException (13): Permission denied\"",
             e->who, port, name, value);
}

static bool tmp_writable(struct json_object *mounts)
{
    size_t n = json_object_is_type(mounts, json_type_array) ? json_object_array_length(mounts) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *m = json_object_array_get_idx(mounts, i);
        static const char *const keys[] = {"mountPath", "readOnly"};
        struct json_object *pr[2];
        hp_k8s_pick(m, keys, 2, pr);
        const char *path = hp_k8s_string(pr[0]);
        struct hp_bool_val ro = hp_k8s_bool(pr[1]);
        if (path != NULL && (strcmp(path, "/tmp") == 0 || strcmp(path, "/tmp/") == 0) &&
            !(ro.state == HP_V_OK && ro.value)) {
            return true;
        }
    }
    return false;
}

/* With the image's facts (e->img), the image may make the container .NET
 * and its environment may turn diagnostics off, where the container's own
 * env does not set the same name (diag_set). */
static void dotnet(struct pol_eval *e, bool dotnet_env, bool diag_off, const bool diag_set[2])
{
    const char *image = e->image != NULL ? e->image : "";
    bool dotnet_image = strncmp(image, "mcr.microsoft.com/dotnet/", 25) == 0;
    bool dotnet_facts = e->img != NULL && pol_image_is_dotnet(e->img);
    diag_off = diag_off || (e->img != NULL && pol_image_diagnostics_off(e->img, diag_set));
    struct hp_bool_val ro = hp_k8s_bool(e->scf.read_only_root_filesystem);
    if (!(dotnet_image || dotnet_env || dotnet_facts) || !(ro.state == HP_V_OK && ro.value) ||
        diag_off || tmp_writable(e->cf.volume_mounts)) {
        return;
    }
    pol_emit(e, HP_CHECK_DOTNET_DIAGNOSTICS, true, pol_path(e, "%s.env", e->cpath),
             "env: [{name: DOTNET_EnableDiagnostics, value: \"0\"}] (or mount an emptyDir "
             "volume at /tmp)",
             "%s %s and has a read-only root filesystem: without "
             "DOTNET_EnableDiagnostics=0 or a writable /tmp it fails with \"Failed to create "
             "CoreCLR, HRESULT: 0x80004005\"",
             e->who,
             dotnet_facts && !dotnet_image && !dotnet_env
                 ? "runs a .NET image (its image sets no DOTNET_EnableDiagnostics=0)"
                 : "looks like .NET");
}

/* Both checks in one walk over the container's env: privilegedPorts'
 * findings (declared ports, then Kestrel's settings in env order), then
 * dotnetDiagnostics'. An ephemeral container declares no ports that a
 * Service reaches. */
void pol_runtime_ctr(struct pol_eval *e)
{
    struct json_object *ports = e->cf.ports;
    bool ports_on = pol_on(e, HP_CHECK_PRIVILEGED_PORTS) && e->list != HP_LIST_EPHEMERAL;
    size_t n = json_object_is_type(ports, json_type_array) ? json_object_array_length(ports) : 0;
    for (size_t i = 0; ports_on && i < n; i++) {
        struct json_object *cp = hp_k8s_field(json_object_array_get_idx(ports, i), "containerPort");
        int64_t port = json_object_is_type(cp, json_type_int) ? json_object_get_int64(cp) : 0;
        if (port > 0 && port < 1024) {
            pol_emit(e, HP_CHECK_PRIVILEGED_PORTS, true,
                     pol_path(e, "%s.ports[%zu].containerPort", e->cpath, i),
                     "listen on 8080/8443 and let the Service map port 80/443 to it",
                     "%s declares port %lld: a non-root process cannot bind ports below 1024 "
                     "(\"SocketException (13): Permission denied\")",
                     e->who, (long long)port);
        }
    }
    bool dotnet_env = false;
    bool diag_off = false;
    bool diag_set[2] = {false, false};
    struct pol_env_entry kestrel[POL_KESTREL_COUNT] = {{false, NULL}};
    struct json_object *env = e->cf.env;
    n = json_object_is_type(env, json_type_array) ? json_object_array_length(env) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *var = json_object_array_get_idx(env, i);
        static const char *const keys[] = {"name", "value"};
        struct json_object *nv[2];
        hp_k8s_pick(var, keys, 2, nv);
        const char *name = hp_k8s_string(nv[0]);
        const char *value = hp_k8s_string(nv[1]);
        if (name == NULL) {
            continue;
        }
        dotnet_env =
            dotnet_env || strncmp(name, "DOTNET_", 7) == 0 || strncmp(name, "ASPNETCORE_", 11) == 0;
        bool diag_dotnet = strcmp(name, "DOTNET_EnableDiagnostics") == 0;
        bool diag_complus = !diag_dotnet && strcmp(name, "COMPlus_EnableDiagnostics") == 0;
        if (diag_dotnet || diag_complus) {
            diag_set[diag_complus] = true;
            diag_off = diag_off || (value != NULL && strcmp(value, "0") == 0);
        }
        for (int k = 0; e->img != NULL && k < POL_KESTREL_COUNT; k++) {
            if (strcmp(name, pol_kestrel_names[k]) == 0) {
                kestrel[k] = (struct pol_env_entry){true, value};
            }
        }
        if (ports_on && value != NULL) {
            port_env(e, name, value, i);
        }
    }
    if (ports_on && e->img != NULL) {
        pol_image_ports_ctr(e, kestrel);
    }
    if (pol_on(e, HP_CHECK_DOTNET_DIAGNOSTICS)) {
        dotnet(e, dotnet_env, diag_off, diag_set);
    }
}
