#!/bin/sh
# Install what procview builds and tests with, only when something is
# missing, so `make check` and `make demo` work on a fresh Debian machine.
set -e
need=""
pkgconf_has() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
pkgconf_has fuse3 || need="$need libfuse3-dev fuse3"
pkgconf_has yajl || need="$need libyajl-dev"
pkgconf_has mount || need="$need libmount-dev"
command -v fusermount3 >/dev/null 2>&1 || need="$need fuse3"
command -v runc >/dev/null 2>&1 || need="$need runc"
command -v podman >/dev/null 2>&1 || need="$need podman"
[ -x /bin/busybox ] || need="$need busybox-static"
command -v free >/dev/null 2>&1 || need="$need procps"
command -v lxcfs >/dev/null 2>&1 || need="$need lxcfs"
command -v clang >/dev/null 2>&1 || need="$need clang"
python3 -c 'import yaml' 2>/dev/null || need="$need python3-yaml"
command -v groff >/dev/null 2>&1 || need="$need groff-base"
[ -x /usr/bin/docker ] && command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1 || need="$need containerd"
command -v musl-gcc >/dev/null 2>&1 || need="$need musl-tools"
[ -n "$need" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "procview: missing packages:$need (run as root to install them)" >&2
	exit 1
fi
echo "procview: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q $need
