# Builds tf-api, tf-worker and the test programs out of tree, in build/.
# shellcheck shell=bash

tf_build() {
	(
		cd "$TF_REPO" || exit 1
		if [ ! -x configure ] || [ configure.ac -nt configure ]; then
			./autogen.sh >/dev/null 2>&1 || die "autogen.sh failed"
		fi
		mkdir -p build
		if [ ! -f build/Makefile ]; then
			(cd build && ../configure -q) || die "configure failed (see build/config.log)"
		fi
		make -C build -s -j"$(nproc)" >/dev/null || die "the build failed"
	)
}
