# Builds tf-api, tf-worker and the test programs out of tree, in build/.
# shellcheck shell=bash

tf_build() {
	(
		cd "$TF_REPO" || exit 1
		if [ ! -x configure ] || [ configure.ac -nt configure ]; then
			./autogen.sh >/dev/null 2>&1 || die "autogen.sh failed"
		fi
		local flags=()
		[ "$TF_BUILD" = "$TF_REPO/build" ] || flags=(--enable-sanitizers)
		mkdir -p "$TF_BUILD"
		if [ ! -f "$TF_BUILD/Makefile" ]; then
			(cd "$TF_BUILD" && ../configure -q "${flags[@]}") || die "configure failed (see $TF_BUILD/config.log)"
		fi
		make -C "$TF_BUILD" -s -j"$(nproc)" >/dev/null || die "the build failed"
	)
}
