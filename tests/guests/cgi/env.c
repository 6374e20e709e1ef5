/* Prints its whole environment, one NAME=value per line, in the order the
 * host passed it (wasmfaas sorts CGI meta-variables by name), after a
 * text/plain header. The test reads back exactly which variables a CGI
 * program gets. Then it echoes the body length it read on stdin. */
#include <stdio.h>

extern char **environ;

int main(void) {
    char buffer[4096];
    size_t total = 0, got;

    printf("Content-Type: text/plain\n\n");
    for (char **entry = environ; *entry != NULL; entry++) {
        printf("%s\n", *entry);
    }
    while ((got = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        total += got;
    }
    printf("stdin: %zu bytes\n", total);
    return 0;
}
