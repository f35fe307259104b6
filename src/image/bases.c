/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The defaults of well-known base images that change a verdict: the .NET
 * runtime-deps, runtime and aspnet images on mcr.microsoft.com, with the
 * Dockerfile each fact was read from. runtime and aspnet are built FROM the
 * runtime-deps image of the same tag and add no USER and none of these
 * variables, so one source covers all three. An image not in the table gets
 * no assumption. docs/images.md lists the table.
 */
#include "hardpod/image.h"

#include <stdlib.h>
#include <string.h>

#define SRC_NOW                                                                                    \
    "https://github.com/dotnet/dotnet-docker/blob/3ed00b611cc88eaa5995525a0549a5703965cd02/"
#define SRC_2024                                                                                   \
    "https://github.com/dotnet/dotnet-docker/blob/81f0bdf6696413b814beecf63466bb7230253fa1/"

#define ENV_8 "APP_UID=1654\nASPNETCORE_HTTP_PORTS=8080\nDOTNET_RUNNING_IN_CONTAINER=true"
#define ENV_6 "ASPNETCORE_URLS=http://+:80\nDOTNET_RUNNING_IN_CONTAINER=true"
#define ENV_6_CHISELED                                                                             \
    "APP_UID=1654\nASPNETCORE_URLS=http://+:8080\nDOTNET_RUNNING_IN_CONTAINER=true"
#define ENV_6_DISTROLESS "ASPNETCORE_URLS=http://+:8080\nDOTNET_RUNNING_IN_CONTAINER=true"

enum variant {
    V_PLAIN,      /* Debian, Ubuntu, Alpine, Azure Linux, CBL-Mariner with a shell */
    V_CHISELED,   /* Ubuntu chiseled (-chiseled, -chiseled-extra, -chiseled-composite) */
    V_AZL_DLESS,  /* azurelinux3.0-distroless */
    V_CBLM_DLESS, /* cbl-mariner2.0-distroless */
};

struct match {
    int major_lo, major_hi;
    enum variant variant;
};

#define MCR "mcr.microsoft.com/dotnet/"
#define ROWS(repo)                                                                                 \
    {MCR repo,                                                                                     \
     "8.0, 9.0 and 10.0: Debian, Ubuntu, Alpine, Azure Linux (not chiseled or "                    \
     "distroless)",                                                                                \
     NULL,                                                                                         \
     ENV_8,                                                                                        \
     true,                                                                                         \
     SRC_NOW "src/runtime-deps/8.0/noble/amd64/Dockerfile"},                                       \
        {MCR repo,                                                                                 \
         "8.0, 9.0 and 10.0: Ubuntu chiseled (-chiseled, -chiseled-extra, "                        \
         "-chiseled-composite)",                                                                   \
         "1654",                                                                                   \
         ENV_8,                                                                                    \
         true,                                                                                     \
         SRC_NOW "src/runtime-deps/8.0/noble-chiseled/amd64/Dockerfile"},                          \
        {MCR repo, "8.0, 9.0 and 10.0: azurelinux3.0-distroless",                                  \
         "1654",   ENV_8,                                                                          \
         true,     SRC_NOW "src/runtime-deps/8.0/azurelinux3.0-distroless/amd64/Dockerfile"},      \
        {MCR repo, "8.0: cbl-mariner2.0-distroless",                                               \
         "app",    ENV_8,                                                                          \
         true,     SRC_2024 "src/runtime-deps/8.0/cbl-mariner2.0-distroless/amd64/Dockerfile"},    \
        {MCR repo,                                                                                 \
         "6.0 and 7.0: Debian, Ubuntu, Alpine, CBL-Mariner (not chiseled or "                      \
         "distroless)",                                                                            \
         NULL,                                                                                     \
         ENV_6,                                                                                    \
         true,                                                                                     \
         SRC_2024 "src/runtime-deps/6.0/jammy/amd64/Dockerfile"},                                  \
        {MCR repo, "6.0 and 7.0: Ubuntu chiseled (jammy-chiseled, jammy-chiseled-extra)",          \
         "1654",   ENV_6_CHISELED,                                                                 \
         true,     SRC_2024 "src/runtime-deps/6.0/jammy-chiseled/amd64/Dockerfile"},               \
    {                                                                                              \
        MCR repo, "6.0 and 7.0: cbl-mariner2.0-distroless", "app", ENV_6_DISTROLESS, true,         \
            SRC_2024 "src/runtime-deps/6.0/cbl-mariner2.0-distroless/amd64/Dockerfile"             \
    }

#define MATCHES                                                                                    \
    {8, 10, V_PLAIN}, {8, 10, V_CHISELED}, {8, 10, V_AZL_DLESS}, {8, 8, V_CBLM_DLESS},             \
        {6, 7, V_PLAIN}, {6, 7, V_CHISELED},                                                       \
    {                                                                                              \
        6, 7, V_CBLM_DLESS                                                                         \
    }

static const struct hp_image_base table[] = {
    ROWS("runtime-deps"),
    ROWS("runtime"),
    ROWS("aspnet"),
};

static const struct match matches[] = {MATCHES, MATCHES, MATCHES};

_Static_assert(sizeof(table) / sizeof(table[0]) == sizeof(matches) / sizeof(matches[0]),
               "one match per row");

const struct hp_image_base *hp_image_base_table(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

/* The major version at the start of a tag ("8.0", "10.0.11-noble"), or -1;
 * *rest is what follows the version. */
static int tag_major(const char *tag, const char **rest)
{
    const char *p = tag;
    int major = 0;
    if (*p < '0' || *p > '9') {
        return -1;
    }
    while (*p >= '0' && *p <= '9') {
        major = major * 10 + (*p++ - '0');
        if (major > 1000) {
            return -1;
        }
    }
    if (p[0] != '.' || p[1] != '0') {
        return -1;
    }
    p += 2;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return -1;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (*p != '\0' && *p != '-') {
        return -1;
    }
    *rest = p;
    return major;
}

static int variant_of(const char *rest)
{
    if (strstr(rest, "nanoserver") != NULL || strstr(rest, "windowsservercore") != NULL) {
        return -1;
    }
    if (strstr(rest, "-chiseled") != NULL) {
        return V_CHISELED;
    }
    if (strstr(rest, "-azurelinux3.0-distroless") != NULL) {
        return V_AZL_DLESS;
    }
    if (strstr(rest, "-cbl-mariner2.0-distroless") != NULL) {
        return V_CBLM_DLESS;
    }
    if (strstr(rest, "distroless") != NULL) {
        return -1;
    }
    return V_PLAIN;
}

const struct hp_image_base *hp_image_base_lookup(const char *ref)
{
    if (ref == NULL) {
        return NULL;
    }
    size_t len = strcspn(ref, "@"); /* a digest does not change the tag's facts */
    const char *slash = NULL;
    for (const char *p = ref; p < ref + len; p++) {
        if (*p == '/') {
            slash = p;
        }
    }
    const char *colon = memchr(slash != NULL ? slash : ref, ':',
                               len - (size_t)((slash != NULL ? slash : ref) - ref));
    if (colon == NULL || len - (size_t)(colon - ref) > 128) {
        return NULL; /* no tag: "latest" moves, so nothing is assumed */
    }
    char tag[130];
    size_t tl = len - (size_t)(colon - ref) - 1;
    memcpy(tag, colon + 1, tl);
    tag[tl] = '\0';
    const char *rest = "";
    int major = tag_major(tag, &rest);
    int variant = major < 0 ? -1 : variant_of(rest);
    if (variant < 0) {
        return NULL;
    }
    size_t rl = (size_t)(colon - ref);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].repository) == rl && memcmp(table[i].repository, ref, rl) == 0 &&
            major >= matches[i].major_lo && major <= matches[i].major_hi &&
            (int)matches[i].variant == variant) {
            return &table[i];
        }
    }
    return NULL;
}
