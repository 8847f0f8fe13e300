# Shared by every script: where the repository is, and how to speak.
# shellcheck shell=bash

TF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export TF_REPO
# TF_SANITIZE=1 builds and runs everything with AddressSanitizer and UBSan, in build-san/.
# Any report stops the process, so that a test sees it fail.
if [ "${TF_SANITIZE:-0}" = 1 ]; then
	TF_BUILD=$TF_REPO/build-san
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
else
	TF_BUILD=$TF_REPO/build
fi
export TF_BUILD

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A short stable id for a directory, so two stacks on one machine never share names.
dir_hash() { printf '%s' "$1" | sha1sum | cut -c1-12; }
