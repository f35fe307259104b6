/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one check of DNS names in hardpod: what a certificate may carry as a
 * DNS subjectAltName (RFC 1123 host names, with an RFC 6125 wildcard as the
 * whole leftmost label) and what Kubernetes takes as a Service or namespace
 * name (a lowercase DNS-1123 label). Pure text rules: no lookups, no state.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define LABEL_MAX 63
#define NAME_MAX_LEN 253

static bool is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_letter_digit(unsigned char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Why byte c may not appear; allowed names what may. */
static enum hp_err bad_byte(unsigned char c, const char *allowed, struct hp_error *err)
{
    if (c >= 0x20 && c < 0x7f) {
        return hp_error_set(err, HP_ERR_INVALID, "'%c' is not allowed: use %s", c, allowed);
    }
    return hp_error_set(err, HP_ERR_INVALID, "byte 0x%02x is not allowed: use %s", c, allowed);
}

/* A Kubernetes DNS-1123 label, with the messages `hardpod certs` has always
 * given for --service and --namespace. */
static enum hp_err check_k8s_label(const char *s, struct hp_error *err)
{
    size_t n = strlen(s);
    if (n == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "it is empty");
    }
    if (n > LABEL_MAX) {
        return hp_error_set(err, HP_ERR_INVALID, "it is %zu characters long, the limit is %d", n,
                            LABEL_MAX);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_lower_alnum(c) || c == '-') {
            continue;
        }
        if (c >= 'A' && c <= 'Z') {
            return hp_error_set(err, HP_ERR_INVALID,
                                "'%c': uppercase letters are not allowed (use '%c')", c,
                                c - 'A' + 'a');
        }
        return bad_byte(c, "lowercase letters, digits and '-'", err);
    }
    if (!is_lower_alnum((unsigned char)s[0]) || !is_lower_alnum((unsigned char)s[n - 1])) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "it must start and end with a lowercase letter or digit");
    }
    return HP_OK;
}

/* One RFC 1123 label of a host name: label[0..len), the index-th from 1. */
static enum hp_err check_host_label(const char *label, size_t len, size_t index,
                                    struct hp_error *err)
{
    if (len == 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "label %zu is empty (a dot at the start or end, or two in a row)",
                            index);
    }
    if (len > LABEL_MAX) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "label %zu is %zu characters long, the limit is %d", index, len,
                            LABEL_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)label[i];
        if (c == '*') {
            return hp_error_set(err, HP_ERR_INVALID,
                                "'*' is allowed only as the whole first label, as in "
                                "\"*.example.com\"");
        }
        if (!is_letter_digit(c) && c != '-') {
            return bad_byte(c, "letters, digits and '-'", err);
        }
    }
    if (label[0] == '-' || label[len - 1] == '-') {
        return hp_error_set(err, HP_ERR_INVALID, "label %zu (\"%.*s\") starts or ends with '-'",
                            index, (int)len, label);
    }
    return HP_OK;
}

static enum hp_err check_san(const char *s, struct hp_error *err)
{
    size_t n = strlen(s);
    if (n == 0) {
        return hp_error_set(err, HP_ERR_INVALID, "it is empty");
    }
    if (n > NAME_MAX_LEN) {
        return hp_error_set(err, HP_ERR_INVALID, "it is %zu characters long, the limit is %d", n,
                            NAME_MAX_LEN);
    }
    const char *label = s;
    size_t index = 1;
    if (s[0] == '*' && s[1] == '.') {
        label = s + 2;
        index = 2;
    } else if (strcmp(s, "*") == 0) {
        return hp_error_set(err, HP_ERR_INVALID,
                            "a wildcard needs a name after it, as in \"*.example.com\"");
    }
    for (;; index++) {
        const char *dot = strchr(label, '.');
        size_t len = dot != NULL ? (size_t)(dot - label) : strlen(label);
        enum hp_err rc = check_host_label(label, len, index, err);
        if (rc != HP_OK || dot == NULL) {
            return rc;
        }
        label = dot + 1;
    }
}

enum hp_err hp_tls_dns_check(const char *name, enum hp_tls_dns_rule rule, struct hp_error *err)
{
    if (name == NULL) {
        return hp_error_set(err, HP_ERR_INVALID, "no name given");
    }
    switch (rule) {
    case HP_TLS_DNS_SAN:
        return check_san(name, err);
    case HP_TLS_DNS_LABEL:
        return check_k8s_label(name, err);
    }
    return hp_error_set(err, HP_ERR_INTERNAL, "unknown DNS name rule %d", (int)rule);
}
