#!/bin/sh
# Build (or reuse) the check-vm guest: Debian 12 from packages.txt with
# systemd, pure cgroup v2 and the distribution kernel. Prints the image
# directory (holding vmlinuz, initrd.img, disk.img) on stdout.
#
# Two cache levels under $PROCVIEW_VM_CACHE (default /var/cache/procview-vm):
#   rootfs-<hash of packages.txt>.tar   mmdebstrap's output (the slow part)
#   image-<hash of the whole recipe>/   kernel, initrd and ext4 disk, and
#                                       root/, the same tree unpacked: run.sh
#                                       builds procview in it (chroot), with
#                                       the guest's own compiler and headers
# A changed package list rebuilds both, a changed unit file only the image.
# Needs root and the host packages qemu-system-x86, mmdebstrap, e2fsprogs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${PROCVIEW_VM_CACHE:-/var/cache/procview-vm}
sources=${PROCVIEW_VM_SOURCES:-/etc/apt/sources.list.d/debian.sources}
log() { echo "check-vm: $*" >&2; }

hash_of() { cat "$@" | sha256sum | cut -c1-16; }
pkg_hash=$(hash_of "$here/packages.txt" "$sources")
img_hash=$(hash_of "$here/packages.txt" "$sources" "$here/build-image.sh" "$here"/image/*)
tarball=$cache/rootfs-$pkg_hash.tar
imgdir=$cache/image-$img_hash

if [ -f "$imgdir/done" ]; then
	log "reusing image $imgdir"
	echo "$imgdir"
	exit 0
fi
mkdir -p "$cache"

if [ ! -f "$tarball" ]; then
	pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/,$//')
	log "mmdebstrap bookworm (a few minutes): $pkgs"
	start=$(date +%s)
	rm -rf "$cache/partial-$pkg_hash.tar"
	# mmdebstrap picks the output format from the name: keep ".tar".
	mmdebstrap --quiet --variant=minbase --include="$pkgs" \
		bookworm "$cache/partial-$pkg_hash.tar" "$sources" >&2
	mv "$cache/partial-$pkg_hash.tar" "$tarball"
	log "rootfs tarball in $(($(date +%s) - start)) s"
	# Older tarballs of other package lists are dead weight.
	find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$pkg_hash.tar" -delete
fi

start=$(date +%s)
tmp=$(mktemp -d "$cache/image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir "$root"
tar -C "$root" -xf "$tarball"

# Guest configuration: no network, no timers, the share and the run unit.
echo procview-vm >"$root/etc/hostname"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
# A small initramfs (only what mounts the root disk) unpacks and boots
# faster under emulation than Debian's MODULES=most; udev loads the rest
# from the root filesystem.
printf 'virtio_pci\nvirtio_blk\ncrc32c_generic\next4\n' >>"$root/etc/initramfs-tools/modules"
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/procview-vm.conf"
# No graphical target; a journal in memory (no flush to disk at boot).
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/procview-vm.conf"
cp "$here/image/share.mount" "$here/image/procview-vm.service" "$root/etc/systemd/system/"
mkdir -p "$root/share" "$root/etc/systemd/system/multi-user.target.wants" \
	"$root/etc/containers/containers.conf.d"
cp "$here/image/containers.conf" "$root/etc/containers/containers.conf.d/procview-vm.conf"
ln -sf ../share.mount "$root/etc/systemd/system/multi-user.target.wants/share.mount"
ln -sf ../procview-vm.service "$root/etc/systemd/system/multi-user.target.wants/procview-vm.service"
# Units that only cost time under emulation, or start daemons the tests
# start privately themselves.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer man-db.timer dpkg-db-backup.timer systemd-networkd-wait-online.service \
	podman-auto-update.timer podman-restart.service podman.socket \
	docker.service docker.socket containerd.service lxcfs.service \
	systemd-timesyncd.service serial-getty@ttyS0.service getty@tty1.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

unshare -m sh -c "
	mount -t proc proc '$root/proc'
	mount --rbind /dev '$root/dev'
	mount -t sysfs sysfs '$root/sys'
	chroot '$root' update-initramfs -u -k all" >&2

cp -L "$root/vmlinuz" "$tmp/vmlinuz"
cp -L "$root/initrd.img" "$tmp/initrd.img"
truncate -s 4G "$tmp/disk.img"
mkfs.ext4 -q -F -L procview-vm -d "$root" "$tmp/disk.img" >&2
touch "$tmp/done"
rm -rf "$imgdir"
mv "$tmp" "$imgdir"
trap - EXIT
find "$cache" -maxdepth 1 -name 'image-*' ! -name "image-$img_hash" -exec rm -rf {} +
log "image $imgdir in $(($(date +%s) - start)) s"
echo "$imgdir"
