/* Binary junk and no line end at all: 8 KiB of pseudo-random bytes (a fixed
 * linear congruential generator, so every run writes the same bytes) with
 * every newline replaced, so there is no header line and no empty line. */
#include <stdio.h>

int main(void) {
    unsigned int state = 12345;

    for (int i = 0; i < 8192; i++) {
        state = state * 1103515245u + 12345u;
        unsigned char byte = (unsigned char)(state >> 16);
        putchar(byte == '\n' ? 0xff : byte);
    }
    return 0;
}
