/* The classic mistake: a body with no headers and no empty line. */
#include <stdio.h>

int main(void) {
    printf("hello\n");
    return 0;
}
