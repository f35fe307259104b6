/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encoding the AdmissionReview response by hand into one buffer: the deny
 * message, the warnings and the audit annotations, each capped, every string
 * escaped and cut on a UTF-8 boundary so that the output is always valid JSON.
 * Builds no json-c objects and allocates nothing besides the output buffer.
 */
#include "internal.h"

#include <stdint.h>
#include <string.h>

#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define O16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1

/* 1 for the bytes that go into a JSON string unchanged: printable ASCII but
 * '"' and '\\'. A table keeps the common case, long plain runs, to one load
 * and one test per byte. */
/* clang-format off */
static const unsigned char plain[256] = {
    /* 0x00 */ Z16,
    /* 0x10 */ Z16,
    /* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* '"' */
    /* 0x30 */ O16,
    /* 0x40 */ O16,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* '\\' */
    /* 0x60 */ O16,
    /* 0x70 */ O16,
    /* 0x80 and up: zero */
};
/* clang-format on */

/* Text written into the output as the content of a JSON string, escaped
 * once (levels 1) or twice (levels 2: a JSON document carried in a JSON
 * string). Caps count decoded bytes, what a client sees once it parses the
 * response, and cut only on character boundaries. */
struct text {
    struct hp_buf *out; /* NULL: count only */
    int levels;
    size_t budget;  /* decoded bytes still allowed */
    size_t written; /* bytes appended (or that would be) */
    bool cut;       /* something did not fit in the budget */
};

static struct text text_make(struct hp_buf *out, int levels, size_t budget)
{
    return (struct text){.out = out, .levels = levels, .budget = budget};
}

static void emit(struct text *t, const void *p, size_t n, size_t decoded)
{
    if (t->out != NULL) {
        hp_buf_append(t->out, p, n);
    }
    t->written += n;
    t->budget -= decoded;
}

/* Appends ASCII that needs no escaping, as far as the budget allows. */
static void text_raw(struct text *t, const char *s, size_t n)
{
    if (t->cut) {
        return;
    }
    if (n > t->budget) {
        n = t->budget;
        t->cut = true;
    }
    emit(t, s, n, n);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.
 * Stops at the first byte that is not a continuation byte, so a NUL ends it. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n) {
        return 0;
    }
    uint32_t cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

/* Decoded length of s once invalid UTF-8 bytes become U+FFFD (3 bytes). */
static size_t text_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = 0;
    while (*p != '\0') {
        if (*p < 0x80) {
            p++, len++;
            continue;
        }
        size_t k = utf8_len(p, 4);
        p += k != 0 ? k : 1;
        len += k != 0 ? k : 3;
    }
    return len;
}

static size_t len_bound(const char *s)
{
    return s != NULL ? 3 * strlen(s) : 0;
}

/* The escape of a quote, a backslash or a control character c, escaped
 * levels times. Returns its length. */
static size_t escape(unsigned char c, int levels, char *esc)
{
    static const char hex[] = "0123456789abcdef";
    char one[6] = {'\\', (char)c};
    size_t n = 2;
    if (c == '\n' || c == '\r' || c == '\t') {
        one[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if (c < 0x20) {
        memcpy(one, "\\u00", 4);
        one[4] = hex[c >> 4];
        one[5] = hex[c & 15];
        n = 6;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (levels == 2 && (one[i] == '\\' || one[i] == '"')) {
            esc[m++] = '\\';
        }
        esc[m++] = one[i];
    }
    return m;
}

/* Appends untrusted s[0..n) escaped; invalid UTF-8 bytes become U+FFFD. */
static void text_put(struct text *t, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && !t->cut) {
        size_t run = i;
        while (run < n && plain[p[run]]) {
            run++;
        }
        if (run > i) {
            text_raw(t, s + i, run - i);
            i = run;
            continue;
        }
        char esc[16];
        const void *bytes = esc;
        size_t len;
        size_t decoded = 1;
        size_t consumed = 1;
        if (p[i] < 0x80) {
            len = escape(p[i], t->levels, esc);
        } else if ((consumed = utf8_len(p + i, n - i)) != 0) {
            bytes = p + i;
            len = decoded = consumed;
        } else {
            bytes = "\xEF\xBF\xBD";
            len = decoded = 3;
            consumed = 1;
        }
        if (decoded > t->budget) {
            t->cut = true;
            break;
        }
        emit(t, bytes, len, decoded);
        i += consumed;
    }
}

/* Appends a string literal that needs no escaping. */
#define TEXT_LIT(t, lit) text_raw((t), (lit), sizeof(lit) - 1)

static void text_puts(struct text *t, const char *s)
{
    if (s != NULL) {
        text_put(t, s, strlen(s));
    }
}

/* Puts s, or its first max-3 decoded bytes and "..." when it is longer. */
static void text_put_capped(struct text *t, const char *s, size_t max)
{
    if (text_len(s) <= max) {
        text_puts(t, s);
        return;
    }
    size_t budget = t->budget;
    size_t limit = budget < max - 3 ? budget : max - 3;
    t->budget = limit;
    text_puts(t, s);
    t->budget = budget - (limit - t->budget);
    /* Only the outer budget running out stops the rest of the text. */
    t->cut = t->cut && budget < max - 3;
    TEXT_LIT(t, "...");
}

/* One finding as a warning or message item:
 * [would deny: ][exempt: <reason>: ]<check>: <detail> (<path>). */
struct item {
    const char *lead;   /* "would deny: " or NULL */
    const char *reason; /* the exemption's reason, or NULL */
    const char *check;
    const char *detail;
    const char *path;
};

static struct item item_of(const struct hp_finding *x, bool would_deny)
{
    return (struct item){
        .lead = would_deny ? "would deny: " : NULL,
        .reason = x->exempt ? (x->exempt_reason != NULL ? x->exempt_reason : "") : NULL,
        .check = hp_check_name(x->check),
        .detail = x->detail,
        .path = x->path,
    };
}

/* Decoded length of the item; with bound, a cheap upper limit instead
 * (an invalid UTF-8 byte decodes to 3). */
static size_t item_len(const struct item *it, bool bound)
{
    size_t (*len)(const char *) = bound ? len_bound : text_len;
    size_t n = len(it->check) + 2 + len(it->detail) + 2 + len(it->path) + 1;
    if (it->lead != NULL) {
        n += strlen(it->lead);
    }
    if (it->reason != NULL) {
        n += strlen("exempt: ") + len(it->reason) + 2;
    }
    return n;
}

static void put_item(struct text *t, const struct item *it)
{
    if (it->lead != NULL) {
        text_raw(t, it->lead, strlen(it->lead));
    }
    if (it->reason != NULL) {
        TEXT_LIT(t, "exempt: ");
        text_puts(t, it->reason);
        TEXT_LIT(t, ": ");
    }
    text_puts(t, it->check);
    TEXT_LIT(t, ": ");
    text_puts(t, it->detail);
    TEXT_LIT(t, " (");
    text_puts(t, it->path);
    TEXT_LIT(t, ")");
}

/* Writes `<Kind> "<ns>/<name>"`; without a namespace, `<Kind> "<name>"`. */
static void put_subject(struct text *t, const struct hp_admission_request *r)
{
    text_put_capped(t, r->kind, 63);
    text_puts(t, " \"");
    if (r->ns[0] != '\0') {
        text_put_capped(t, r->ns, 63);
        TEXT_LIT(t, "/");
    }
    if (r->name[0] == '\0') {
        TEXT_LIT(t, "<unnamed>");
    } else {
        text_put_capped(t, r->name, 253);
        if (r->name_generated) {
            TEXT_LIT(t, "*");
        }
    }
    text_puts(t, "\"");
}

/* The status message of a denial, listing every deny finding until the cap. */
static void put_message(struct hp_buf *out, const struct hp_admission_request *r,
                        const char *profile, const struct hp_findings *f)
{
    /* Room for "; ... and N more" within the cap. */
    struct text t = text_make(out, 1, HP_ADMISSION_MAX_MESSAGE - 40);
    size_t shown = 0;
    hp_buf_putc(out, '"');
    put_subject(&t, r);
    text_puts(&t, " violates hardpod policy \"");
    text_put_capped(&t, profile, 63);
    text_puts(&t, "\": ");
    for (size_t i = 0; i < f->len; i++) {
        const struct hp_finding *x = &f->items[i];
        if (x->action != HP_ACTION_DENY) {
            continue;
        }
        struct item it = item_of(x, false);
        size_t sep = shown > 0 ? 2 : 0;
        if (item_len(&it, true) + sep > t.budget && item_len(&it, false) + sep > t.budget) {
            break;
        }
        if (shown > 0) {
            TEXT_LIT(&t, "; ");
        }
        put_item(&t, &it);
        shown++;
    }
    if (shown < f->n_deny) {
        hp_buf_printf(out, "%s... and %zu more", shown > 0 ? "; " : "", f->n_deny - shown);
    }
    hp_buf_putc(out, '"');
}

/* Whether finding x becomes a warning in this mode. */
static bool is_warning(const struct hp_finding *x, enum hp_mode mode)
{
    return x->action == HP_ACTION_WARN || mode == HP_MODE_AUDIT;
}

/* One warning: at most HP_ADMISSION_MAX_WARNING decoded bytes, cut on a
 * character boundary and ending with "..." when longer. */
static void put_warning(struct hp_buf *out, const struct hp_finding *x, enum hp_mode mode)
{
    struct item it = item_of(x, mode == HP_MODE_AUDIT && x->action == HP_ACTION_DENY);
    bool cut = item_len(&it, false) > HP_ADMISSION_MAX_WARNING;
    struct text t = text_make(out, 1, HP_ADMISSION_MAX_WARNING - (cut ? 3 : 0));
    hp_buf_putc(out, '"');
    put_item(&t, &it);
    hp_buf_puts(out, cut ? "...\"" : "\"");
}

static void put_warnings(struct hp_buf *out, const struct hp_findings *f, enum hp_mode mode)
{
    size_t total = 0;
    for (size_t i = 0; i < f->len; i++) {
        total += is_warning(&f->items[i], mode);
    }
    if (total == 0) {
        return;
    }
    size_t shown = total <= HP_ADMISSION_MAX_WARNINGS ? total : HP_ADMISSION_MAX_WARNINGS - 1;
    size_t k = 0;
    hp_buf_puts(out, ",\"warnings\":[");
    for (size_t i = 0; i < f->len && k < shown; i++) {
        if (is_warning(&f->items[i], mode)) {
            hp_buf_puts(out, k++ > 0 ? "," : "");
            put_warning(out, &f->items[i], mode);
        }
    }
    if (shown < total) {
        hp_buf_printf(out, ",\"... and %zu more findings\"", total - shown);
    }
    hp_buf_putc(out, ']');
}

/* One element of the findings annotation, a JSON object inside a JSON
 * string: the literals below are written escaped once already, the values
 * from the object are escaped twice. Returns the bytes written (counted
 * only when out is NULL). */
static size_t put_finding_json(struct hp_buf *out, const struct hp_finding *x, bool comma)
{
    struct text t = text_make(out, 2, SIZE_MAX);
    if (comma) {
        TEXT_LIT(&t, ",");
    }
    TEXT_LIT(&t, "{\\\"check\\\":\\\"");
    text_puts(&t, hp_check_name(x->check));
    TEXT_LIT(&t, "\\\",\\\"action\\\":\\\"");
    text_puts(&t, hp_action_name(x->action));
    if (x->container != NULL) {
        TEXT_LIT(&t, "\\\",\\\"container\\\":\\\"");
        text_puts(&t, x->container);
        TEXT_LIT(&t, "\\\",\\\"path\\\":\\\"");
    } else {
        TEXT_LIT(&t, "\\\",\\\"container\\\":null,\\\"path\\\":\\\"");
    }
    text_puts(&t, x->path);
    TEXT_LIT(&t, "\\\"}");
    return t.written;
}

static const char *decision_label(const struct hp_admission_result *res)
{
    if (res->mode == HP_MODE_AUDIT && res->n_deny > 0) {
        return "would-deny";
    }
    return hp_decision_name(res->decision);
}

static void put_annotations(struct hp_buf *out, const struct hp_admission_result *res,
                            const char *profile)
{
    const struct hp_findings *f = res->findings;
    if (f == NULL || f->len == 0) {
        return;
    }
    hp_buf_printf(out, ",\"auditAnnotations\":{\"decision\":\"%s\",\"mode\":\"%s\",\"profile\":",
                  decision_label(res), hp_mode_name(res->mode));
    hp_buf_put_json_string(out, profile, strlen(profile));
    hp_buf_puts(out, ",\"findings\":\"[");
    /* Room for the closing bracket and the omitted-count element. */
    size_t room = HP_ADMISSION_MAX_FINDINGS_ANNOTATION - 40;
    size_t used = 2;
    size_t shown = 0;
    for (; shown < f->len; shown++) {
        /* Counting exactly costs as much as writing: do it only near the cap.
         * A byte escaped twice takes at most 7 bytes (\\u00XX). */
        const struct hp_finding *x = &f->items[shown];
        size_t bound = 128 + 7 * (strlen(x->container ? x->container : "") + strlen(x->path));
        if (used + bound > room && used + put_finding_json(NULL, x, shown > 0) > room) {
            break;
        }
        used += put_finding_json(out, x, shown > 0);
    }
    if (shown < f->len) {
        hp_buf_printf(out, "%s{\\\"omitted\\\":%zu}", shown > 0 ? "," : "", f->len - shown);
    }
    hp_buf_puts(out, "]\"}");
}

enum hp_err hp_admission_response_encode(const struct hp_admission_request *r,
                                         const struct hp_admission_result *res, const char *profile,
                                         struct hp_buf *out, struct hp_error *err)
{
    bool denied = res->decision == HP_DECISION_DENIED;
    hp_buf_puts(out, "{\"apiVersion\":\"");
    hp_buf_puts(out, r->api_version);
    hp_buf_puts(out, "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    hp_buf_put_json_string(out, r->uid, r->uid_len);
    hp_buf_puts(out, denied ? ",\"allowed\":false" : ",\"allowed\":true");
    if (denied) {
        hp_buf_puts(out, ",\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":");
        put_message(out, r, profile, res->findings);
        hp_buf_putc(out, '}');
    }
    if (res->findings != NULL) {
        put_warnings(out, res->findings, res->mode);
    }
    put_annotations(out, res, profile);
    hp_buf_puts(out, "}}");
    if (out->overflow) {
        return hp_error_set(err, HP_ERR_LIMIT, "response: larger than the output cap of %zu bytes",
                            out->max);
    }
    return HP_OK;
}
