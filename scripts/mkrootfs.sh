#!/bin/sh
# mkrootfs.sh DIR [host-usr]: a minimal rootfs. Default: busybox-static
# with its applets linked. With host-usr: empty /usr and /etc to bind the
# host's over, and Debian's merged-/usr links, so real tools run.
set -e
d=$1
mkdir -p "$d/proc" "$d/sys" "$d/dev" "$d/tmp" "$d/etc" "$d/root"
if [ "$2" = host-usr ]; then
	mkdir -p "$d/usr"
	for l in bin sbin lib lib64; do ln -sfn "usr/$l" "$d/$l"; done
else
	mkdir -p "$d/bin"
	cp /bin/busybox "$d/bin/busybox"
	for a in $("$d/bin/busybox" --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
fi
