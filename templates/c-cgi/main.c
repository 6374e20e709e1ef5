/*
 * {{name}}: a CGI program, as a web server ran them in 1995 and still can.
 *
 * With `abi = "cgi"`, wasmfaas runs it per request as CGI/1.1 (RFC 3875)
 * describes: the request's meta-variables (REQUEST_METHOD, QUERY_STRING,
 * CONTENT_LENGTH, HTTP_* headers, ...) in the environment, the request body
 * on stdin, and the response on stdout: header lines, a blank line, the body.
 * stderr is the function's log.
 *
 * Build (wasmfaas build runs this in this folder; see wasmfaas.toml):
 *   clang --target=wasm32-wasi -O2 -Wall -Wextra -o app.wasm main.c
 * which needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32
 * (libclang-rt-14-dev-wasm32 for clang 14), or any wasi-sdk.
 *
 * Try it:
 *   wasmfaas invoke {{name}} --path '{{path}}?name=Ada'
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the value of `name` in a query string such as "a=1&name=Ada",
 * percent-decoded (with '+' as a space) into `out`, or NULL if absent. */
static const char *query_param(const char *query, const char *name, char *out, size_t size) {
    size_t name_len = strlen(name);
    const char *p = query;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t n = 0;
            while (*v != '\0' && *v != '&' && n + 1 < size) {
                if (*v == '+') {
                    out[n++] = ' ';
                    v++;
                } else if (*v == '%' && v[1] != '\0' && v[2] != '\0') {
                    char hex[3] = {v[1], v[2], '\0'};
                    out[n++] = (char)strtol(hex, NULL, 16);
                    v += 3;
                } else {
                    out[n++] = *v++;
                }
            }
            out[n] = '\0';
            return out;
        }
        p = strchr(p, '&');
        if (p != NULL) p++;
    }
    return NULL;
}

/* Writes `s` as the inside of a JSON string. */
static void put_json_text(const char *s) {
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
}

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    const char *query = getenv("QUERY_STRING");
    const char *length = getenv("CONTENT_LENGTH");
    long body_len = length != NULL ? atol(length) : 0;

    char name[256];
    if (query_param(query != NULL ? query : "", "name", name, sizeof name) == NULL) {
        strcpy(name, "world");
    }
    fprintf(stderr, "%s with %ld body bytes for %s\n", method != NULL ? method : "?", body_len, name);

    printf("Status: 200 OK\r\n");
    printf("Content-Type: application/json\r\n");
    printf("\r\n");
    printf("{\"message\":\"Hello, ");
    put_json_text(name);
    printf("!\"}");
    return 0;
}
