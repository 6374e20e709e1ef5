/* A teapot: `Status: 418 I'm a teapot`, repeated extension headers, CRLF line
 * ends, and a body that is stdin copied byte for byte (any byte value). */
#include <stdio.h>

int main(void) {
    char buffer[4096];
    size_t got;

    fputs("Status: 418 I'm a teapot\r\n", stdout);
    fputs("Content-Type: application/octet-stream\r\n", stdout);
    fputs("X-Teapot: short\r\n", stdout);
    fputs("X-Teapot: stout\r\n", stdout);
    fputs("\r\n", stdout);
    while ((got = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        fwrite(buffer, 1, got, stdout);
    }
    return 0;
}
