#!/bin/sh
# Invalid UTF-8, a terminal escape sequence and other control characters, then a failure.
printf 'bad bytes: \377\376\300\n'
printf 'escape: \033]0;pwned\007 \033[31mred\033[0m nul:\000: bell:\007:\n'
printf 'last line \377\n'
exit 1
