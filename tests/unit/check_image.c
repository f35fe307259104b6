/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of image config decoding (src/image/config.c): real outputs of
 * `podman image inspect` and OCI config blobs, the Docker Engine API's shape,
 * and every shape that must be refused, each with the JSON path its message
 * names.
 */
#include "hardpod/image.h"
#include "testutil.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static struct json_object *fixture(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/images/%s", tu_fixtures_dir(), name);
    size_t len = 0;
    char *text = tu_read_file(path, &len);
    struct json_object *root = tu_json(text);
    free(text);
    return root;
}

/* "NAME=VALUE" lines of the facts' env, joined by ';' (values NULL: "~"). */
static const char *render_env(const struct hp_image_facts *f, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_env && used < size; i++) {
        const char *v = f->env[i].value.text;
        used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", i ? ";" : "", f->env[i].name,
                                 v != NULL ? v : "~");
    }
    return buf;
}

/* "PORT/PROTO(as written)" of the facts' ports, joined by ' '. */
static const char *render_ports(const struct hp_image_facts *f, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->n_ports && used < size; i++) {
        const struct hp_image_port *p = &f->ports[i];
        used += (size_t)snprintf(buf + used, size - used, "%s%u/%s(%s)", i ? " " : "", p->port,
                                 p->proto, p->value.text != NULL ? p->value.text : "~");
    }
    return buf;
}

static void check_facts(const char *name, const struct hp_image_facts *f, const char *user,
                        const char *ports, const char *env)
{
    char got_ports[1024];
    char got_env[2048];
    ck_assert_msg(f->source == HP_IMAGE_CONFIG && f->n_stages == 1 && f->base == NULL &&
                      f->base_info == NULL && f->stage == NULL,
                  "%s: source %d, %zu stages, base %s", name, f->source, f->n_stages,
                  f->base != NULL ? f->base : "NULL");
    const char *got_user = f->user.text != NULL ? f->user.text : "~";
    ck_assert_msg(strcmp(got_user, user) == 0, "%s: user: expected %s, got %s", name, user,
                  got_user);
    ck_assert_msg(f->user.line == 0 && f->user.written == NULL && f->user.unresolved == NULL &&
                      !f->user.from_base,
                  "%s: a config's user has no line, no written form, no base", name);
    render_ports(f, got_ports, sizeof(got_ports));
    ck_assert_msg(strcmp(got_ports, ports) == 0, "%s: ports:\n expected %s\n got      %s", name,
                  ports, got_ports);
    render_env(f, got_env, sizeof(got_env));
    ck_assert_msg(strcmp(got_env, env) == 0, "%s: env:\n expected %s\n got      %s", name, env,
                  got_env);
}

#define PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct {
    const char *file;
    const char *user;
    const char *ports;
    const char *env;
} fixtures[] = {
    {"podman-hardpod.json", "65532:65532", "8443/tcp(8443/tcp)", PATH_ENV},
    {"oci-config-hardpod.json", "65532:65532", "8443/tcp(8443/tcp)", PATH_ENV},
    {"podman-debian-bookworm.json", "~", "", ""},
    {"podman-dotnet8-named-user.json", "app", "8080/tcp(8080/tcp)",
     PATH_ENV ";APP_UID=1654;ASPNETCORE_HTTP_PORTS=8080;DOTNET_RUNNING_IN_CONTAINER=true;"
              "DOTNET_VERSION=8.0.11;ASPNET_VERSION=8.0.11"},
    {"podman-dotnet6-root.json", "~", "443/tcp(443/tcp) 80/tcp(80/tcp)",
     PATH_ENV ";ASPNETCORE_URLS=http://+:80;DOTNET_RUNNING_IN_CONTAINER=true;"
              "DOTNET_VERSION=6.0.36;ASPNET_VERSION=6.0.36"},
    {"oci-config-dotnet6-root.json", "~", "443/tcp(443/tcp) 80/tcp(80/tcp)",
     PATH_ENV ";ASPNETCORE_URLS=http://+:80;DOTNET_RUNNING_IN_CONTAINER=true;"
              "DOTNET_VERSION=6.0.36;ASPNET_VERSION=6.0.36"},
    {"docker-dotnet7-named-user.json", "friendlyusername:friendlygroupname", "80/tcp(80/tcp)",
     PATH_ENV ";ASPNETCORE_URLS=http://+:80;DOTNET_RUNNING_IN_CONTAINER=true;"
              "DOTNET_VERSION=7.0.20;ASPNET_VERSION=7.0.20"},
};

/* The real outputs decode to what they say, and the array's one object
 * decodes the same on its own. */
START_TEST(test_image_config_fixtures)
{
    for (size_t i = 0; i < N_ELEMS(fixtures); i++) {
        struct json_object *root = fixture(fixtures[i].file);
        struct hp_image_facts f;
        hp_image_facts_init(&f);
        struct hp_error err = {0};
        ck_assert_msg(hp_image_config_decode(root, &f, &err) == HP_OK, "%s: %s", fixtures[i].file,
                      err.msg);
        check_facts(fixtures[i].file, &f, fixtures[i].user, fixtures[i].ports, fixtures[i].env);
        if (json_object_is_type(root, json_type_array)) {
            /* Decoding into used facts replaces them. */
            ck_assert_int_eq(hp_image_config_decode(json_object_array_get_idx(root, 0), &f, &err),
                             HP_OK);
            check_facts(fixtures[i].file, &f, fixtures[i].user, fixtures[i].ports, fixtures[i].env);
        }
        hp_image_facts_cleanup(&f);
        json_object_put(root);
    }
}
END_TEST

static const struct {
    const char *name;
    const char *json;
    const char *user;
    const char *ports;
    const char *env;
} shapes[] = {
    {"docker: empty User is root, null lists",
     "[{\"Config\":{\"User\":\"\",\"ExposedPorts\":null,"
     "\"Env\":null,\"Cmd\":null}}]",
     "~", "", ""},
    {"Config null", "{\"Config\":null}", "~", "", ""},
    {"Config without the three fields", "{\"Config\":{\"Cmd\":[\"sh\"]}}", "~", "", ""},
    {"OCI config without the optional config",
     "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
     "\"diff_ids\":[]}}",
     "~", "", ""},
    {"OCI config", "{\"architecture\":\"arm64\",\"config\":{\"User\":\"1001\"}}", "1001", "", ""},
    {"Config wins over the legacy ContainerConfig",
     "{\"ContainerConfig\":{\"User\":\"root\"},\"Config\":{\"User\":\"10001\"}}", "10001", "", ""},
    {"port keys with and without a protocol",
     "{\"Config\":{\"ExposedPorts\":{\"80\":{},\"53/udp\":{},\"9/sctp\":{},\"65535/tcp\":{},"
     "\"1/tcp\":{}}}}",
     "~", "80/tcp(80) 53/udp(53/udp) 9/sctp(9/sctp) 65535/tcp(65535/tcp) 1/tcp(1/tcp)", ""},
    {"a later variable of the same name wins in place",
     "{\"Config\":{\"Env\":[\"A=1\",\"B=2\",\"A=3\"]}}", "~", "", "A=3;B=2"},
    {"values keep '=' and may be empty",
     "{\"Config\":{\"Env\":[\"X=a=b\",\"EMPTY=\",\"ASPNETCORE_URLS=http://+:80;https://+:443\"]}}",
     "~", "", "X=a=b;EMPTY=;ASPNETCORE_URLS=http://+:80;https://+:443"},
    {"user and group names", "{\"Config\":{\"User\":\"app:app\"}}", "app:app", "", ""},
};

START_TEST(test_image_config_shapes)
{
    for (size_t i = 0; i < N_ELEMS(shapes); i++) {
        struct json_object *root = tu_json(shapes[i].json);
        struct hp_image_facts f;
        hp_image_facts_init(&f);
        struct hp_error err = {0};
        ck_assert_msg(hp_image_config_decode(root, &f, &err) == HP_OK, "%s: %s", shapes[i].name,
                      err.msg);
        check_facts(shapes[i].name, &f, shapes[i].user, shapes[i].ports, shapes[i].env);
        hp_image_facts_cleanup(&f);
        json_object_put(root);
    }
}
END_TEST

static const struct {
    const char *json; /* NULL: the fixture file */
    const char *file;
    enum hp_err code;
    const char *msg; /* the whole message */
} bad[] = {
    {"[]", NULL, HP_ERR_INVALID,
     "image config: an array of 0 images; expected exactly one (inspect one image per file)"},
    {"[{\"Config\":{}},{\"Config\":{}}]", NULL, HP_ERR_INVALID,
     "image config: an array of 2 images; expected exactly one (inspect one image per file)"},
    {"[1]", NULL, HP_ERR_INVALID, "[0]: expected an object, got integer 1"},
    {"\"Config\"", NULL, HP_ERR_INVALID, "image config: expected an object, got string \"Config\""},
    {"null", NULL, HP_ERR_INVALID, "image config: expected an object, got null"},
    {"{}", NULL, HP_ERR_INVALID,
     "image config: not an image config: expected the output of `podman image inspect` or "
     "`docker image inspect` (\"Config\") or an OCI image config blob (\"config\")"},
    {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{}}", NULL, HP_ERR_INVALID,
     "image config: not an image config: expected the output of `podman image inspect` or "
     "`docker image inspect` (\"Config\") or an OCI image config blob (\"config\")"},
    {"{\"Config\":\"x\"}", NULL, HP_ERR_INVALID, "Config: expected an object, got string \"x\""},
    {"[{\"Config\":[]}]", NULL, HP_ERR_INVALID, "[0].Config: expected an object, got array"},
    {"{\"config\":true}", NULL, HP_ERR_INVALID, "config: expected an object, got boolean true"},
    {"{\"Config\":{},\"config\":{}}", NULL, HP_ERR_INVALID,
     "image config: has both \"Config\" (image inspect) and \"config\" (OCI image config): give "
     "one of them"},
    {"[{\"Config\":{\"User\":0}}]", NULL, HP_ERR_INVALID,
     "[0].Config.User: expected a string, got integer 0"},
    {"{\"config\":{\"User\":[\"app\"]}}", NULL, HP_ERR_INVALID,
     "config.User: expected a string, got array"},
    {"{\"Config\":{\"User\":\"ro\\u0000ot\"}}", NULL, HP_ERR_INVALID,
     "Config.User: expected a string, got a string with a NUL character"},
    {"{\"Config\":{\"ExposedPorts\":[\"80/tcp\"]}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts: expected an object such as {\"8080/tcp\": {}}, got array"},
    {"{\"Config\":{\"ExposedPorts\":{\"8080/tcp\":{},\"http\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"http\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with a port "
     "from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"ExposedPorts\":{\"0/tcp\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"0/tcp\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with a port "
     "from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"ExposedPorts\":{\"65536\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"65536\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with a port "
     "from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"ExposedPorts\":{\"80/icmp\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"80/icmp\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with a "
     "port from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"ExposedPorts\":{\"8000-8002/tcp\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"8000-8002/tcp\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with "
     "a port from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"ExposedPorts\":{\"/tcp\":{}}}}", NULL, HP_ERR_INVALID,
     "Config.ExposedPorts[\"/tcp\"]: expected PORT or PORT/PROTOCOL (\"8080/tcp\"), with a port "
     "from 1 to 65535 and the protocol tcp, udp or sctp"},
    {"{\"Config\":{\"Env\":\"A=B\"}}", NULL, HP_ERR_INVALID,
     "Config.Env: expected an array of \"NAME=VALUE\" strings, got string \"A=B\""},
    {"{\"Config\":{\"Env\":[\"A=B\",1]}}", NULL, HP_ERR_INVALID,
     "Config.Env[1]: expected a \"NAME=VALUE\" string, got integer 1"},
    {"[{\"config\":{\"Env\":[\"FOO\"]}}]", NULL, HP_ERR_INVALID,
     "[0].config.Env[0]: expected a \"NAME=VALUE\" string, got string \"FOO\""},
    {"{\"Config\":{\"Env\":[\"=x\"]}}", NULL, HP_ERR_INVALID,
     "Config.Env[0]: expected a \"NAME=VALUE\" string, got string \"=x\""},
    {"{\"Config\":{\"Env\":[null]}}", NULL, HP_ERR_INVALID,
     "Config.Env[0]: expected a \"NAME=VALUE\" string, got null"},
    {NULL, "oci-manifest-dotnet6-root.json", HP_ERR_INVALID,
     "image config: this is an image manifest (config.digest names the config blob), not an "
     "image config: give the blob it names, or the output of `podman image inspect`"},
    {"{\"schemaVersion\":2,\"manifests\":[]}", NULL, HP_ERR_INVALID,
     "image config: this is an image index (manifests), not an image config: give the output of "
     "`podman image inspect IMAGE` for one platform"},
};

/* Every shape it cannot read is an error naming the JSON path, and leaves
 * the facts empty (nothing half-read is judged). */
START_TEST(test_image_config_bad_shapes)
{
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        /* json-c's tokener wants more input after a bare "null". */
        struct json_object *root = NULL;
        if (bad[i].json == NULL) {
            root = fixture(bad[i].file);
        } else if (strcmp(bad[i].json, "null") != 0) {
            root = tu_json(bad[i].json);
        }
        struct hp_image_facts f;
        hp_image_facts_init(&f);
        struct hp_error err = {0};
        enum hp_err rc = hp_image_config_decode(root, &f, &err);
        const char *what = bad[i].json != NULL ? bad[i].json : bad[i].file;
        ck_assert_msg(rc == bad[i].code, "%s: expected error %d, got %d (%s)", what, bad[i].code,
                      rc, err.msg);
        ck_assert_msg(strcmp(err.msg, bad[i].msg) == 0, "%s:\n expected \"%s\"\n got      \"%s\"",
                      what, bad[i].msg, err.msg);
        ck_assert_msg(f.user.text == NULL && f.n_ports == 0 && f.n_env == 0 && f.ports == NULL &&
                          f.env == NULL,
                      "%s: facts left after an error", what);
        hp_image_facts_cleanup(&f);
        json_object_put(root);
    }
}
END_TEST

/* The number of entries is capped before they are copied. */
START_TEST(test_image_config_limits)
{
    for (int which = 0; which < 2; which++) {
        struct json_object *cfg = json_object_new_object();
        if (which == 0) {
            struct json_object *env = json_object_new_array();
            for (int i = 0; i < 4097; i++) {
                char kv[32];
                snprintf(kv, sizeof(kv), "V%d=%d", i, i);
                json_object_array_add(env, json_object_new_string(kv));
            }
            json_object_object_add(cfg, "Env", env);
        } else {
            struct json_object *ports = json_object_new_object();
            for (int i = 1; i <= 4097; i++) {
                char key[32];
                snprintf(key, sizeof(key), "%d/tcp", i);
                json_object_object_add(ports, key, json_object_new_object());
            }
            json_object_object_add(cfg, "ExposedPorts", ports);
        }
        struct json_object *root = json_object_new_object();
        json_object_object_add(root, "Config", cfg);
        struct hp_image_facts f;
        hp_image_facts_init(&f);
        struct hp_error err = {0};
        ck_assert_int_eq(hp_image_config_decode(root, &f, &err), HP_ERR_LIMIT);
        const char *want = which == 0 ? "Config.Env: 4097 entries, more than 4096"
                                      : "Config.ExposedPorts: 4097 ports, more than 4096";
        ck_assert_str_eq(err.msg, want);
        hp_image_facts_cleanup(&f);
        json_object_put(root);
    }
    /* At the cap, every entry is read. */
    struct json_object *root = tu_json("{\"Config\":{\"Env\":[]}}");
    struct json_object *env = NULL;
    json_object_object_get_ex(json_object_object_get(root, "Config"), "Env", &env);
    for (int i = 0; i < 4096; i++) {
        char kv[32];
        snprintf(kv, sizeof(kv), "V%d=%d", i % 100, i);
        json_object_array_add(env, json_object_new_string(kv));
    }
    struct hp_image_facts f;
    hp_image_facts_init(&f);
    ck_assert_int_eq(hp_image_config_decode(root, &f, NULL), HP_OK);
    ck_assert_uint_eq(f.n_env, 100);
    ck_assert_str_eq(hp_image_facts_env(&f, "V7")->value.text, "4007");
    ck_assert_ptr_null(hp_image_facts_env(&f, "V100"));
    hp_image_facts_cleanup(&f);
    json_object_put(root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("image");
    tcase_add_test(tc, test_image_config_fixtures);
    tcase_add_test(tc, test_image_config_shapes);
    tcase_add_test(tc, test_image_config_bad_shapes);
    tcase_add_test(tc, test_image_config_limits);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
