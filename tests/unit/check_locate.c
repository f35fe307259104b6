/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/audit/locate.c: a finding's path to the line and column
 * where its field (or the nearest written parent) is. */
#include "audit/internal.h"
#include "hardpod/manifest.h"
#include "testutil.h"

#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <string.h>

static const char doc_text[] =
    "apiVersion: v1\n" /* 1 */
    "kind: Pod\n"      /* 2 */
    "metadata:\n"      /* 3 */
    "  name: web\n"    /* 4 */
    "  annotations:\n" /* 5 */
    "    container.apparmor.security.beta.kubernetes.io/app: unconfined\n"
    "spec:\n"                              /* 7 */
    "  containers:\n"                      /* 8 */
    "  - name: app\n"                      /* 9 */
    "    image: web\n"                     /* 10 */
    "  - name: side\n"                     /* 11 */
    "    securityContext:\n"               /* 12 */
    "      privileged: true\n"             /* 13 */
    "    resources: {limits: {cpu: 1}}\n"; /* 14 */

static struct hp_manifest_budget budget;

static void load(struct hp_manifest_doc *doc)
{
    hp_manifest_budget_init(&budget, SIZE_MAX, NULL);
    ck_assert_int_eq(hp_manifest_load_one(doc_text, strlen(doc_text), NULL, &budget, doc), HP_OK);
    ck_assert_ptr_nonnull(doc->obj);
}

static void expect(struct json_object *root, const char *path, size_t line, size_t column)
{
    size_t l = 0;
    size_t c = 0;
    ck_assert_msg(aud_locate(root, path, &l, &c), "%s: not located", path);
    ck_assert_msg(l == line && c == column, "%s: %zu:%zu, expected %zu:%zu", path, l, c, line,
                  column);
}

START_TEST(test_locate_existing_fields)
{
    struct hp_manifest_doc doc;
    load(&doc);
    expect(doc.obj, "spec.containers[1].securityContext.privileged", 13, 7);
    expect(doc.obj, "spec.containers[0]", 9, 5);
    expect(doc.obj, "metadata.name", 4, 3);
    /* A key that holds dots and a slash, as the engine quotes it. */
    expect(doc.obj, "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"]",
           6, 5);
    /* Flow style: the key inside the braces. */
    expect(doc.obj, "spec.containers[1].resources.limits.cpu", 14, 26);
    hp_manifest_doc_cleanup(&doc);
}
END_TEST

START_TEST(test_locate_missing_field_gives_parent)
{
    struct hp_manifest_doc doc;
    load(&doc);
    /* securityContext is missing on the first container: its element. */
    expect(doc.obj, "spec.containers[0].securityContext.runAsNonRoot", 9, 5);
    /* The field is missing under an existing securityContext. */
    expect(doc.obj, "spec.containers[1].securityContext.runAsUser", 12, 5);
    /* An index past the end: the list. */
    expect(doc.obj, "spec.containers[7].image", 8, 3);
    expect(doc.obj, "spec.hostPID", 7, 1);
    hp_manifest_doc_cleanup(&doc);
}
END_TEST

START_TEST(test_locate_nothing)
{
    struct hp_manifest_doc doc;
    load(&doc);
    size_t l = 0;
    size_t c = 0;
    ck_assert(!aud_locate(doc.obj, "status.phase", &l, &c));
    ck_assert(!aud_locate(doc.obj, "", &l, &c));
    /* A step it cannot read ends the walk at the last step it could. */
    ck_assert(aud_locate(doc.obj, "metadata.annotations[\"unterminated", &l, &c));
    ck_assert_uint_eq(l, 5);
    ck_assert_uint_eq(c, 3);
    hp_manifest_doc_cleanup(&doc);
    /* A tree without positions (json-c's own parse) locates nothing. */
    struct json_object *plain = json_tokener_parse("{\"spec\":{\"hostPID\":true}}");
    ck_assert(!aud_locate(plain, "spec.hostPID", &l, &c));
    json_object_put(plain);
}
END_TEST

static Suite *locate_suite(void)
{
    Suite *s = suite_create("locate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_locate_existing_fields);
    tcase_add_test(tc, test_locate_missing_field_gives_parent);
    tcase_add_test(tc, test_locate_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(locate_suite());
}
