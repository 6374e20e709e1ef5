/* 100 KiB of well-formed header lines and never the empty line that would
 * end them: the host must give up after its header limit, not scan forever. */
#include <stdio.h>

int main(void) {
    long written = 0;

    printf("Content-Type: text/plain\n");
    for (int i = 0; written < 100 * 1024; i++) {
        written += printf("X-Filler-%05d: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", i);
    }
    return 0;
}
