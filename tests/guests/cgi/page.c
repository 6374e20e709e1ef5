/* A fixed HTML page whatever the method, with the method in a header: a HEAD
 * request must get this page's headers and `Content-Length` but none of its
 * bytes, although the program writes them (it does not look at the method,
 * as many legacy scripts do not). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *method = getenv("REQUEST_METHOD");

    printf("Content-Type: text/html; charset=utf-8\n");
    printf("X-Request-Method: %s\n\n", method != NULL ? method : "(unset)");
    printf("<!doctype html>\n<title>legacy</title>\n<p>Served by a CGI program.</p>\n");
    return 0;
}
