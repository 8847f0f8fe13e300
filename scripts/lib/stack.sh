# The one launcher of a TauFunctions stack, used by scripts/up, scripts/test and
# scripts/bench: MariaDB, Redis, tf-api, TF_RUNNERS tf-worker runners (1 by default) and
# nginx, all private to one state directory (sockets, data, logs, pid files), nginx on
# 127.0.0.1:PORT.
# shellcheck shell=bash

STACK_PROCS=(nginx tf-worker tf-api redis mysql)
TF_OUTSIDE_DIR=/var/lib/taufunctions

pid_of() { cat "$1/run/$2.pid" 2>/dev/null; }
alive() { local p; p=$(pid_of "$1" "$2") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# True when every process of the stack in DIR runs.
stack_alive() {
	local p
	for p in "${STACK_PROCS[@]}"; do alive "$1" "$p" || return 1; done
}

# Whether uid can pass through every directory down to DIR.
reachable_by() { # uid dir
	setpriv --reuid="$1" --regid="$1" --clear-groups test -x "$2"
}

# Directories that others must reach cannot sit below one such as /root (0700), where a
# root user's clone lands; such a stack keeps them under /var/lib/taufunctions instead.
# The worker's directory is reached by the sandbox uids.
worker_dir() {
	local dir=$1 uid=$2
	if reachable_by "$uid" "$dir"; then
		printf '%s/worker' "$dir"
	else
		printf '%s/worker-%s' "$TF_OUTSIDE_DIR" "$(dir_hash "$dir")"
	fi
}

# nginx's workers (nobody) reach the FastCGI socket and write nginx's temporary files
# (request bodies over its buffer) here.
front_dir() {
	local dir=$1
	if reachable_by "$(id -u nobody)" "$dir"; then
		printf '%s/run' "$dir"
	else
		printf '%s/front-%s' "$TF_OUTSIDE_DIR" "$(dir_hash "$dir")"
	fi
}

write_config() {
	local dir=$1 hash uid_base wdir
	hash=$(dir_hash "$dir")
	# Two stacks on one machine get their own runner id (it names their cgroups) and
	# their own range of sandbox uids.
	uid_base=$((200000 + 4096 * (16#${hash:0:2})))
	wdir=$(worker_dir "$dir" "$uid_base")
	mkdir -p "$wdir"
	chmod 0711 "$wdir"
	cat > "$dir/taufunctions.conf" <<-CONF
	# Written by scripts/lib/stack.sh for the stack in $dir.
	[paths]
	sql = $TF_REPO/sql
	llms_template = $TF_REPO/share/llms.txt.in
	[api]
	socket = $(front_dir "$dir")/tf-api.sock
	socket_group = nogroup
	[mariadb]
	socket = $dir/run/mysql.sock
	user = root
	database = taufunctions
	[redis]
	socket = $dir/run/redis.sock
	[auth]
	jwt_secret_file = $dir/secrets/jwt.key
	[worker]
	id = runner-$hash
	dir = $wdir
	bootstrap_dir = $TF_REPO/worker/runtimes
	[sandbox]
	uid_base = $uid_base
	[runtimes]
	nodejs18 = $(node_binary 18.20.8)
	nodejs20 = $(node_binary 20.20.2)
	nodejs22 = $(node_binary 22.23.3)
	pyodide = $(pyodide_root)
	CONF
}

wait_for() { # seconds, command...
	local n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

start_mariadb() {
	local dir=$1
	if [ ! -d "$dir/db/mysql" ]; then
		mariadb-install-db --no-defaults --user=root --datadir="$dir/db" \
			--auth-root-authentication-method=socket --skip-test-db >"$dir/log/mariadb-install.log" 2>&1 ||
			die "mariadb-install-db failed; see $dir/log/mariadb-install.log"
	fi
	alive "$dir" mysql && return 0
	# max_allowed_packet: a code package of 50 MB travels in one statement.
	setsid mariadbd --no-defaults --user=root --datadir="$dir/db" --socket="$dir/run/mysql.sock" \
		--skip-networking --pid-file="$dir/run/mysql.pid" --log-error="$dir/log/mariadb.err" \
		--max-allowed-packet=256M --character-set-server=utf8mb4 </dev/null >/dev/null 2>&1 &
	wait_for 60 mariadb-admin --no-defaults -S "$dir/run/mysql.sock" -u root ping ||
		die "MariaDB did not start; see $dir/log/mariadb.err"
}

start_redis() {
	local dir=$1
	alive "$dir" redis && return 0
	# AOF: what Redis holds (queued jobs, records not yet in MariaDB) survives a restart.
	setsid redis-server --port 0 --unixsocket "$dir/run/redis.sock" --unixsocketperm 700 \
		--dir "$dir/redis" --appendonly yes --appendfsync everysec --daemonize no \
		--pidfile "$dir/run/redis.pid" --logfile "$dir/log/redis.log" </dev/null >/dev/null 2>&1 &
	wait_for 30 redis-cli -s "$dir/run/redis.sock" ping || die "Redis did not start; see $dir/log/redis.log"
}

start_daemon() { # dir name binary
	local dir=$1 name=$2 bin=$3
	alive "$dir" "$name" && return 0
	setsid "$bin" --config "$dir/taufunctions.conf" </dev/null >>"$dir/log/$name.log" 2>&1 &
	echo $! >"$dir/run/$name.pid"
}

# A self-signed certificate for 127.0.0.1 and localhost, made once into DIR/tls.
tls_cert() { # dir
	local dir=$1
	[ -s "$dir/tls/cert.pem" ] && [ -s "$dir/tls/key.pem" ] && return 0
	mkdir -p "$dir/tls"
	chmod 0700 "$dir/tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
		-subj "/CN=TauFunctions on 127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >"$dir/log/tls.log" 2>&1 ||
		die "openssl could not make a certificate; see $dir/log/tls.log"
	chmod 0600 "$dir/tls/key.pem"
}

start_nginx() { # dir port [https-port]
	local dir=$1 port=$2 https=${3:-} front
	alive "$dir" nginx && return 0
	front=$(front_dir "$dir")
	# A fresh nginx serves the one tf-api stack_start runs; start_second_api adds others.
	rm -f "$dir/nginx/taufunctions-tls.conf" "$dir/nginx"/taufunctions-upstream*.conf
	if [ -n "$https" ]; then
		tls_cert "$dir"
		cat >"$dir/nginx/taufunctions-tls.conf" <<-TLS
		listen 127.0.0.1:$https ssl http2;
		ssl_certificate $dir/tls/cert.pem;
		ssl_certificate_key $dir/tls/key.pem;
		include $TF_REPO/nginx/tls-params.conf;
		TLS
	fi
	sed -e "s|@LISTEN@|127.0.0.1:$port|g" -e "s|@API_SOCKET@|$front/tf-api.sock|g" -e "s|@PREFIX@|$dir/nginx|g" \
		"$TF_REPO/nginx/taufunctions.conf.in" >"$dir/nginx/taufunctions.conf"
	sed -e "s|@PREFIX@|$dir/nginx|g" -e "s|@LOG_DIR@|$dir/log|g" -e "s|@PID@|$dir/run/nginx.pid|g" \
		-e "s|@TEMP@|$front/nginx-tmp|g" "$TF_REPO/nginx/nginx.conf.in" >"$dir/nginx/nginx.conf"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -t >"$dir/log/nginx-check.log" 2>&1 ||
		die "nginx rejects its configuration; see $dir/log/nginx-check.log"
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" >>"$dir/log/nginx-error.log" 2>&1 ||
		die "nginx did not start; see $dir/log/nginx-error.log"
}

healthy() { curl -fsS -o /dev/null "http://127.0.0.1:$1/health"; }

stack_logs() {
	local f
	for f in "$1"/log/*; do
		[ -s "$f" ] || continue
		printf '\n==> %s <==\n' "$f" >&2
		tail -n 30 "$f" >&2
	done
}

stack_start() { # dir port [https-port]
	local dir=$1 port=$2 https=${3:-} front
	mkdir -p "$dir"/{run,db,redis,log,secrets,nginx}
	# nginx's workers (nobody) reach the FastCGI socket through run/, or front_dir's.
	chmod 0711 "$dir" "$dir/run"
	chmod 0700 "$dir/db" "$dir/redis" "$dir/log" "$dir/secrets"
	front=$(front_dir "$dir")
	mkdir -p "$front/nginx-tmp"
	chmod 0711 "$front"
	write_config "$dir"
	start_mariadb "$dir"
	start_redis "$dir"
	# Migrations, then (once) the operator's first Admin with a random password.
	"$TF_BUILD/fcgi-app/tf-api" --config "$dir/taufunctions.conf" \
		--bootstrap-admin "$dir/credentials.json" --base-url "http://127.0.0.1:$port" \
		>>"$dir/log/tf-api.log" 2>&1 || die "migrations or the first Admin failed; see $dir/log/tf-api.log"
	start_daemon "$dir" tf-api "$TF_BUILD/fcgi-app/tf-api"
	start_daemon "$dir" tf-worker "$TF_BUILD/worker/tf-worker"
	start_runners "$dir" "${TF_RUNNERS:-1}"
	start_nginx "$dir" "$port" "$https"
	if ! wait_for 90 healthy "$port"; then
		stack_logs "$dir"
		die "the stack in $dir did not become healthy on port $port"
	fi
}

stop_one() { # dir name
	local dir=$1 name=$2 pid n=200
	pid=$(pid_of "$dir" "$name") || return 0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { rm -f "$dir/run/$name.pid"; return 0; }
	while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$dir/run/$name.pid"
}

# For fault tests: a process dies at once, as in a crash.
kill_one() { # dir name
	local pid
	pid=$(pid_of "$1" "$2") || return 0
	kill -KILL "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$1/run/$2.pid"
}

start_worker() { # dir
	start_daemon "$1" tf-worker "$TF_BUILD/worker/tf-worker"
}

# Another runner on the same stack, as another node of a cluster would be: its own id,
# directory (code cache, link socket), cgroup subtree (named by its id) and range of
# sandbox uids (256 each below the stack's base + 2048, so up to 8 runners; "b" has the
# range above). Its pid file is run/tf-worker-SUFFIX.pid.
start_runner() { # dir suffix uid-offset
	local dir=$1 suffix=$2 hash base wdir
	hash=$(dir_hash "$dir")
	base=$(awk -F' *= *' '/^uid_base/ {print $2}' "$dir/taufunctions.conf")
	wdir="$(awk -F' *= *' '/^dir = / {print $2}' "$dir/taufunctions.conf")-$suffix"
	mkdir -p "$wdir"
	chmod 0711 "$wdir"
	TF_WORKER_ID="runner-$hash-$suffix" TF_WORKER_DIR="$wdir" TF_SANDBOX_UID_BASE=$((base + $3)) \
		start_daemon "$dir" "tf-worker-$suffix" "$TF_BUILD/worker/tf-worker"
}

# Runners 2..N beside the first (tf-worker-2 …), each its own node; N is at most 8.
start_runners() { # dir n
	local k
	[ "$2" -le 8 ] || die "at most 8 runners on one machine (each has 256 sandbox uids of the stack's 2048)"
	for ((k = 2; k <= $2; k++)); do start_runner "$1" "$k" $((256 * (k - 1))); done
}

# The runners started by start_runners, stopped (SIGTERM: each drains first).
stop_runners() { # dir
	local f
	for f in "$1"/run/tf-worker-[0-9]*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		stop_one "$1" "${f%.pid}"
	done
}

# A second runner; stopped with kill_one DIR tf-worker-b.
start_second_worker() { # dir
	start_runner "$1" b 2048
}

# Per-request lines a tf-api process has logged (fcgi-app/dispatch.c writes one per request).
request_lines() { # dir name
	local n
	n=$(grep -c '"msg":"request"' "$1/log/$2.log" 2>/dev/null)
	echo "${n:-0}"
}

# The port of the stack's plain-HTTP listener, from its nginx server block.
stack_port() { # dir
	sed -n 's/^ *listen 127\.0\.0\.1:\([0-9]*\);$/\1/p' "$1/nginx/taufunctions.conf" | head -n 1
}

# Makes nginx read its configuration again, and waits until the workers that had the
# old one are gone (each finishes its requests first), so that every worker left
# sends requests to the upstream servers the configuration now lists.
reload_nginx() { # dir
	local dir=$1 master old p n=300
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -t >"$dir/log/nginx-check.log" 2>&1 ||
		die "nginx rejects its configuration; see $dir/log/nginx-check.log"
	master=$(pid_of "$dir" nginx) || die "nginx does not run in $dir"
	old=$(pgrep -P "$master" || true)
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s reload >>"$dir/log/nginx-error.log" 2>&1 ||
		die "nginx did not reload; see $dir/log/nginx-error.log"
	for p in $old; do
		while kill -0 "$p" 2>/dev/null; do
			[ $n -gt 0 ] || die "nginx's old worker $p still runs 30 s after the reload"
			sleep 0.1
			n=$((n - 1))
		done
	done
}

# A second tf-api on the same stack (its own FastCGI socket, pid file and log), which
# nginx's upstream tf_api then lists beside the first, as a second API host would be.
# Returns once requests through nginx have reached both processes.
start_second_api() { # dir
	local dir=$1 front port a b n=100
	front=$(front_dir "$dir")
	if ! alive "$dir" tf-api-b; then
		rm -f "$front/tf-api-b.sock"
		TF_API_SOCKET="$front/tf-api-b.sock" start_daemon "$dir" tf-api-b "$TF_BUILD/fcgi-app/tf-api"
		wait_for 30 test -S "$front/tf-api-b.sock" || die "tf-api-b did not open its socket; see $dir/log/tf-api-b.log"
	fi
	printf '# Written by scripts/lib/stack.sh start_second_api; stop_second_api removes it.\nserver unix:%s;\n' \
		"$front/tf-api-b.sock" >"$dir/nginx/taufunctions-upstream-b.conf"
	reload_nginx "$dir"
	port=$(stack_port "$dir")
	a=$(request_lines "$dir" tf-api)
	b=$(request_lines "$dir" tf-api-b)
	while [ "$(request_lines "$dir" tf-api)" -le "$a" ] || [ "$(request_lines "$dir" tf-api-b)" -le "$b" ]; do
		[ $n -gt 0 ] || die "requests through nginx do not reach both tf-api processes; see $dir/log/tf-api-b.log"
		curl -sS -o /dev/null "http://127.0.0.1:$port/health" || true
		sleep 0.05
		n=$((n - 1))
	done
}

# Takes the second tf-api out of nginx's upstream, then stops it: no request is sent
# to it once it is gone.
stop_second_api() { # dir
	local dir=$1
	rm -f "$dir/nginx/taufunctions-upstream-b.conf"
	alive "$dir" nginx && reload_nginx "$dir"
	stop_one "$dir" tf-api-b
	rm -f "$(front_dir "$dir")/tf-api-b.sock"
}

# For failover tests: kills whichever worker holds the cluster's leader lock.
kill_leader() { # dir
	local dir=$1 id
	id=$(redis-cli -s "$dir/run/redis.sock" GET tf:leader) || return 1
	case $id in
	*-b) kill_one "$dir" tf-worker-b ;;
	runner-*) kill_one "$dir" tf-worker ;;
	*) return 1 ;;
	esac
}

stack_stop() { # dir
	local p
	stop_runners "$1"
	for p in tf-worker-b tf-api-b "${STACK_PROCS[@]}"; do stop_one "$1" "$p"; done
	rm -f "$1/nginx"/taufunctions-upstream*.conf "$(front_dir "$1")/tf-api-b.sock"
}

# After stack_stop, for a stack that goes away: what it kept outside its directory.
stack_forget() { # dir
	local hash
	hash=$(dir_hash "$1")
	rm -rf "$TF_OUTSIDE_DIR/worker-$hash" "$TF_OUTSIDE_DIR/worker-$hash"-* "$TF_OUTSIDE_DIR/front-$hash"
}
