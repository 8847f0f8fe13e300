# Shared by every script: where the repository is, and how to speak.
# shellcheck shell=bash

TF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export TF_REPO

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A short stable id for a directory, so two stacks on one machine never share names.
dir_hash() { printf '%s' "$1" | sha1sum | cut -c1-12; }
