/*
 * legacy-cgi: a form-echo CGI program, written the way one was in 2005
 * (getenv, fread from stdin, printf the headers), to show that such a
 * program runs on wasmfaas unchanged with `abi = "cgi"`.
 *
 *   GET  <script>/          an HTML form, and the query parameters, if any
 *   POST <script>/          the form fields (application/x-www-form-urlencoded),
 *                           decoded and echoed back HTML-escaped
 *   anything else           404 Not Found (unknown PATH_INFO) or 405
 *
 * `wasmfaas build legacy-cgi` runs the command set in wasmfaas.toml, in this
 * folder (Debian/Ubuntu: apt-get install clang lld wasi-libc
 * libclang-rt-14-dev-wasm32):
 *
 *   clang --target=wasm32-wasi -O2 -Wall -Wextra -o app.wasm main.c
 *
 * The demo serves it at /legacy/cgi (SCRIPT_NAME), so /legacy/cgi/ is the
 * form and /legacy/cgi/anything-else is a 404. docs/migrating.md explains
 * what changes, and what cannot work, when a CGI program moves to WASI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POST 65536

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a form-urlencoded string in place: '+' is a space, %XX a byte. */
static void url_decode(char *s)
{
    char *out = s;
    while (*s) {
        if (*s == '+') {
            *out++ = ' ';
            s++;
        } else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *out++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 3;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
}

static void html_escape(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '&': fputs("&amp;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&#39;", stdout); break;
        default: putchar(*s);
        }
    }
}

/* Prints name=value pairs of a form-urlencoded string as a definition list.
 * Modifies `data`. */
static void print_fields(char *data)
{
    char *pair, *next;
    int count = 0;

    printf("<dl>\n");
    for (pair = data; pair != NULL && *pair; pair = next) {
        char *value;
        next = strchr(pair, '&');
        if (next) *next++ = '\0';
        value = strchr(pair, '=');
        if (value) *value++ = '\0'; else value = pair + strlen(pair);
        url_decode(pair);
        url_decode(value);
        printf("<dt>");
        html_escape(pair);
        printf("</dt><dd>");
        html_escape(value);
        printf("</dd>\n");
        count++;
    }
    printf("</dl>\n");
    if (count == 0) printf("<p>(none)</p>\n");
}

static void page_start(const char *status, const char *title)
{
    if (status) printf("Status: %s\r\n", status);
    printf("Content-Type: text/html; charset=utf-8\r\n\r\n");
    printf("<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n", title);
    printf("<h1>%s</h1>\n", title);
}

static void page_end(void)
{
    printf("</body></html>\n");
}

static void show_form(const char *script)
{
    printf("<form method=\"post\" action=\"");
    html_escape(script);
    printf("/\">\n");
    printf("<p>Name: <input name=\"name\"></p>\n");
    printf("<p>Message: <textarea name=\"message\"></textarea></p>\n");
    printf("<p><input type=\"submit\" value=\"Sign\"></p>\n</form>\n");
}

int main(void)
{
    const char *method = getenv("REQUEST_METHOD");
    const char *path_info = getenv("PATH_INFO");
    const char *script = getenv("SCRIPT_NAME");
    const char *query = getenv("QUERY_STRING");

    if (method == NULL) method = "GET";
    if (path_info == NULL) path_info = "";
    if (script == NULL) script = "";

    if (strcmp(path_info, "") != 0 && strcmp(path_info, "/") != 0) {
        page_start("404 Not Found", "Not Found");
        printf("<p>There is nothing at ");
        html_escape(path_info);
        printf(".</p>\n");
        page_end();
        return 0;
    }

    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        char *copy = strdup(query ? query : "");
        page_start(NULL, "Guestbook");
        show_form(script);
        printf("<h2>Query parameters</h2>\n");
        print_fields(copy);
        page_end();
        free(copy);
        return 0;
    }

    if (strcmp(method, "POST") == 0) {
        const char *type = getenv("CONTENT_TYPE");
        const char *length = getenv("CONTENT_LENGTH");
        long size = length ? atol(length) : 0;
        char *data;
        size_t got;

        if (type == NULL || strncmp(type, "application/x-www-form-urlencoded", 33) != 0) {
            page_start("415 Unsupported Media Type", "Unsupported Media Type");
            printf("<p>Send the form as application/x-www-form-urlencoded.</p>\n");
            page_end();
            return 0;
        }
        if (size < 0 || size > MAX_POST) {
            page_start("413 Payload Too Large", "Payload Too Large");
            printf("<p>At most %d bytes, please.</p>\n", MAX_POST);
            page_end();
            return 0;
        }
        data = malloc((size_t)size + 1);
        if (data == NULL) return 1;
        got = fread(data, 1, (size_t)size, stdin);
        data[got] = '\0';
        page_start(NULL, "Thank you for signing");
        print_fields(data);
        printf("<p><a href=\"");
        html_escape(script);
        printf("/\">Back</a></p>\n");
        page_end();
        free(data);
        return 0;
    }

    printf("Status: 405 Method Not Allowed\r\n");
    printf("Allow: GET, HEAD, POST\r\n");
    printf("Content-Type: text/plain\r\n\r\n");
    printf("Method not allowed.\n");
    return 0;
}
