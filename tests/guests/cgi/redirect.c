/* Redirects: `?local` answers with a bare `Location: /elsewhere` (RFC 3875's
 * local redirect); anything else with `Status: 302 Found` and an absolute
 * Location (a client redirect). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const char *query = getenv("QUERY_STRING");

    if (query != NULL && strcmp(query, "local") == 0) {
        printf("Location: /elsewhere\n\n");
    } else {
        printf("Status: 302 Found\n");
        printf("Location: https://example.com/there\n\n");
    }
    return 0;
}
