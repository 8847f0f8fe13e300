#!/usr/bin/env bash
# The Debian package, as an operator gets it: built with dpkg-buildpackage from a copy of
# this tree, its contents checked, its systemd units verified, and the generated nginx
# configurations accepted by nginx -t. TAP on stdout.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/tf-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }

echo "1..8"
# The tree as git sees it (tracked and new files, nothing ignored), without its builds.
mkdir "$work/src"
(cd "$repo" && git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T -) | tar -xf - -C "$work/src"
(cd "$work/src" && dpkg-buildpackage -b -uc -us >"$work/build.log" 2>&1)
rc=$?
[ $rc -eq 0 ] || tail -30 "$work/build.log" | sed 's/^/# /'
ok $rc "package: dpkg-buildpackage -b -uc -us builds taufunctions"
deb=$(ls "$work"/taufunctions_*.deb 2>/dev/null | head -1)
contents=$(dpkg-deb -c "$deb" 2>/dev/null | awk '{print $6}')
missing=""
for f in ./usr/bin/tf-api ./usr/bin/tf-worker ./etc/taufunctions/taufunctions.conf \
	./usr/share/taufunctions/sql/001_initial.sql ./usr/share/taufunctions/sql/009_deployments.sql \
	./usr/share/taufunctions/runtimes/node/bootstrap.js ./usr/share/taufunctions/runtimes/python/bootstrap.py \
	./usr/share/taufunctions/runtimes/pyodide/serve.py ./usr/share/taufunctions/llms.txt.in \
	./usr/share/taufunctions/nginx/taufunctions.conf.in ./usr/share/taufunctions/nginx/tls-params.conf \
	./usr/share/taufunctions/configure-nginx ./lib/systemd/system/tf-api.service \
	./lib/systemd/system/tf-worker.service ./usr/lib/tmpfiles.d/taufunctions.conf ./etc/logrotate.d/taufunctions; do
	grep -qx "$f" <<<"$contents" || missing="$missing $f"
done
[ -z "$missing" ] || echo "# missing:$missing"
ok "$([ -n "$deb" ] && [ -z "$missing" ]; echo $?)" "package: holds the daemons, config, migrations, bootstraps, nginx files and units"
deps=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
ok "$(grep -q mariadb-server <<<"$deps" && grep -q redis-server <<<"$deps" && grep -q libfcgi <<<"$deps"; echo $?)" \
	"package: depends on MariaDB, Redis and the libraries it links ($deps)"
# The units, as this host's systemd reads them (with MariaDB's and Redis's units it has),
# their binaries the package's own, extracted here rather than installed in /usr/bin.
mkdir "$work/root" "$work/units"
dpkg-deb -x "$deb" "$work/root"
for u in tf-api tf-worker; do
	sed "s|/usr/bin/|$work/root/usr/bin/|g" "$work/root/lib/systemd/system/$u.service" >"$work/units/$u.service"
done
out=$(systemd-analyze verify "$work/units/tf-api.service" "$work/units/tf-worker.service" 2>&1)
[ -z "$out" ] || echo "$out" | sed 's/^/# /'
ok "$([ -z "$out" ]; echo $?)" "package: systemd-analyze verify accepts tf-api.service and tf-worker.service"
# The production nginx configuration configure-nginx writes, with a throwaway certificate.
mkdir -p "$work/nginx/conf.d" "$work/nginx/sites" "$work/etc"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=test \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
share="$work/root/usr/share/taufunctions/nginx"
sed -e "s|@SERVER_NAME@|functions.example.com|g" -e "s|@CERT@|$work/cert.pem|g" -e "s|@KEY@|$work/key.pem|g" \
	-e "s|/usr/share/taufunctions/nginx|$share|g" "$share/taufunctions-tls.conf.in" >"$work/etc/taufunctions-tls.conf"
sed -e "s|@LISTEN@|127.0.0.1:18443 ssl http2|g" -e "s|@API_SOCKET@|$work/tf-api.sock|g" -e "s|@PREFIX@|$work/etc|g" \
	"$share/taufunctions.conf.in" >"$work/nginx/conf.d/taufunctions.conf"
sed -e "s|@SERVER_NAME@|functions.example.com|g" -e "s|listen 80;|listen 127.0.0.1:18080;|" -e "/listen \[::\]/d" \
	"$share/taufunctions-site.conf.in" >"$work/nginx/sites/taufunctions"
cat >"$work/nginx/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http { include $work/nginx/conf.d/*.conf; include $work/nginx/sites/*; }
CONF
out=$(nginx -t -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>&1)
rc=$?
[ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'
ok $rc "package: nginx -t accepts the production configuration (HTTPS, HTTP/2, HSTS, the HTTP redirect)"
grep -q 'Strict-Transport-Security' "$work/etc/taufunctions-tls.conf" && grep -q 'return 301 https://' "$work/nginx/sites/taufunctions"
ok $? "package: production sets HSTS and redirects HTTP to HTTPS"
# Installed for real (no MariaDB answers as root here, so postinst leaves the database
# alone), then purged: nothing of it stays but the system user.
if dpkg-query -W -f='${Status}' taufunctions 2>/dev/null | grep -q installed; then
	echo "# taufunctions is installed on this machine: the test will not replace or purge an operator's install"
	ok 1 "package: dpkg -i installs it (refused: already installed here)"
	ok 1 "package: dpkg --purge removes it (refused: already installed here)"
	exit 1
fi
out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" 2>&1)
rc=$?
[ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'
installed=$( [ $rc -eq 0 ] && [ -x /usr/bin/tf-api ] && [ -x /usr/bin/tf-worker ] && id taufunctions >/dev/null 2>&1 &&
	[ "$(stat -c %a:%G /etc/taufunctions/jwt.key)" = 640:taufunctions ] && [[ "$(/usr/bin/tf-api --help 2>&1)" == *"usage: tf-api"* ]]; echo $?)
ok "$installed" "package: dpkg -i installs it: binaries, the taufunctions user, secrets 0640 root:taufunctions"
out=$(dpkg --purge taufunctions 2>&1)
rc=$?
[ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'
ok "$([ $rc -eq 0 ] && [ ! -e /usr/bin/tf-api ] && [ ! -e /etc/taufunctions ]; echo $?)" "package: dpkg --purge removes it and its secrets"
exit $failed
