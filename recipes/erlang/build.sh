#!/bin/bash
# shellcheck source=../common/osv-recipe.sh
. "$COMMON_DIR/osv-recipe.sh"

# Erlang/OTP from the toolchain's Debian package erlang-base: the emulator and the OTP
# applications under /usr/lib/erlang, as Debian installs them. OSv cannot exec, so the package
# starts the emulator (beam.smp) directly with the arguments erlexec would give it, as OSv's own
# erlang app does through its launcher.
root=/usr/lib/erlang
erts=$(cd "$root" && echo erts-*)
mkdir -p "$PACKAGE_RESULT_DIR/usr/lib"
cp -a "$root" "$PACKAGE_RESULT_DIR/usr/lib/"
# C headers and static libraries are of no use inside a unikernel.
rm -rf "$PACKAGE_RESULT_DIR$root"/usr "$PACKAGE_RESULT_DIR$root"/lib/erl_interface-* \
	"$PACKAGE_RESULT_DIR$root/$erts"/include "$PACKAGE_RESULT_DIR$root/$erts"/lib
# A version-free path for meta/run.yaml, and /erlang: the launcher that starts the emulator
# (launcher.c says why it takes two small programs).
ln -s "$erts" "$PACKAGE_RESULT_DIR$root/erts"
mkdir -p "$PACKAGE_RESULT_DIR$root/osv"
gcc -O2 -fPIE -pie -o "$PACKAGE_RESULT_DIR/erlang" "$RECIPE_DIR/launcher.c"
gcc -O2 -fPIC -shared -o "$PACKAGE_RESULT_DIR$root/osv/sigaction-next.so" "$RECIPE_DIR/sigaction-next.c"
# The small module the default config set starts applications with.
mkdir -p "$PACKAGE_RESULT_DIR$root/lib/osv_erlang/ebin"
erlc +deterministic -o "$PACKAGE_RESULT_DIR$root/lib/osv_erlang/ebin" "$RECIPE_DIR/osv_erlang.erl"
host_libs "$root/$erts/bin/beam.smp" $(find "$root" -name '*.so')
package_init "Erlang/OTP" "$(cat "$root"/releases/*/OTP_VERSION)" osv.bootstrap
