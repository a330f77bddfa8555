#!/bin/sh
# make check-vm: boot a Debian 12 guest (systemd, pure cgroup v2, crun,
# runc, podman) under QEMU software emulation, build and test procview in
# it (tests/vm/guest.sh), print its results. Ends with the line
# "N passed, N failed, N skipped"; exits non-zero on a failure or when the
# guest never reports.
#   PROCVIEW_VM_CACHE    image cache (default /var/cache/procview-vm)
#   PROCVIEW_VM_TIMEOUT  seconds the guest may take (default 2700: CI has 90 min)
#   PROCVIEW_VM_KEEP=1   keep the share directory (results, console log)
#   PROCVIEW_VM_TESTS    suite tests to run in the guest, as run.sh's TESTS
#                        (default: all; "none": the operator tests only)
#   PROCVIEW_VM_LANES    how many suite tests run side by side in the guest
#                        (default 2; the timing ones always run alone)
#   PROCVIEW_VM_TEST_TIMEOUT  seconds one suite test may run in the guest
#                        before it is stopped and counted failed (default 900)
#   PROCVIEW_VM_GUEST_BUILD=1  compile in the guest (about 7 min emulated)
#                        instead of in a chroot of the guest's own tree here
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
timeout=${PROCVIEW_VM_TIMEOUT:-2700}
t0=$(date +%s)
say() { echo "check-vm: $*"; }
fail_out() {
	say "$*"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

[ "$(id -u)" = 0 ] || fail_out "needs root (mmdebstrap, chroot)"
need=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
command -v mmdebstrap >/dev/null 2>&1 || need="$need mmdebstrap"
command -v mkfs.ext4 >/dev/null 2>&1 || need="$need e2fsprogs"
if [ -n "$need" ]; then
	say "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q --no-install-recommends $need ||
		fail_out "could not install$need"
fi

img=$(sh "$here/build-image.sh") || fail_out "image build failed"
t_img=$(date +%s)

# The share: a copy of the source tree (tracked and new files, not build
# output) in, results out. /var/tmp: it must survive as long as QEMU runs.
share=$(mktemp -d /var/tmp/procview-vm.XXXXXX)
[ -n "${PROCVIEW_VM_KEEP:-}" ] || trap 'rm -rf "$share"' EXIT
mkdir -p "$share/src" "$share/out"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$root" && git ls-files -z -co --exclude-standard |
		tar --null --no-recursion --ignore-failed-read -T - -cf -) |
		tar -C "$share/src" -xf -
else
	tar -C "$root" --exclude=./build --exclude=./build-asan --exclude=./build-fuzz -cf - . |
		tar -C "$share/src" -xf -
fi
cp "$here/guest.sh" "$share/guest.sh"
printf "PV_TESTS='%s'\nPV_TEST_TIMEOUT='%s'\nPV_LANES='%s'\n" "${PROCVIEW_VM_TESTS:-}" \
	"${PROCVIEW_VM_TEST_TIMEOUT:-}" "${PROCVIEW_VM_LANES:-}" >"$share/env"

# Compile here, natively, in the image's own root tree (chroot): the
# guest's compiler, headers and libraries, so the binaries are the ones
# the guest would build; the guest then only installs and tests them.
if [ -z "${PROCVIEW_VM_GUEST_BUILD:-}" ]; then
	say "building in the guest's tree (chroot $img/root)"
	mkdir -p "$img/root/build-src"
	if ! unshare -m sh -c "
		mount --bind '$share/src' '$img/root/build-src' &&
		mount -t proc proc '$img/root/proc' &&
		mount --rbind /dev '$img/root/dev' &&
		mount -t tmpfs tmpfs '$img/root/tmp' &&
		exec chroot '$img/root' env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
			make -C /build-src -j$(nproc) B=build PREFIX=/usr all tests" \
		>"$share/out/build.log" 2>&1; then
		tail -30 "$share/out/build.log" | sed 's/^/    /'
		fail_out "the build failed (log: $share/out/build.log)"
	fi
fi
t_build=$(date +%s)

# no_timer_check: on a loaded host the emulated clock is so slow that the
# kernel's IO-APIC timer check fails and panics; panic=1 then ends QEMU.
say "booting the guest (TCG, results in $share/out)"
: >"$share/out/log"
tail -n +1 -f "$share/out/log" 2>/dev/null &
tailer=$!
# -nodefaults: no CD-ROM, VGA or NIC to probe at boot.
timeout -k 10 "$timeout" qemu-system-x86_64 -nodefaults \
	-machine q35 -accel tcg,thread=multi -cpu max -smp "${PROCVIEW_VM_CPUS:-3}" -m 4G \
	-display none -monitor none -serial "file:$share/out/console" -no-reboot \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 no_timer_check panic=1" \
	-drive "file=$img/disk.img,format=raw,if=virtio,snapshot=on" \
	-virtfs "local,path=$share,mount_tag=share,security_model=none,id=share" \
	-nic none &
qemu=$!
# The guest powers itself off once it has written rc; should that hang,
# a minute later it is stopped here.
while kill -0 "$qemu" 2>/dev/null && [ ! -f "$share/out/rc" ]; do sleep 2; done
for _ in $(seq 30); do kill -0 "$qemu" 2>/dev/null || break; sleep 2; done
kill "$qemu" 2>/dev/null
wait "$qemu"
qrc=$?
sleep 1
kill "$tailer" 2>/dev/null
wait "$tailer" 2>/dev/null
t_end=$(date +%s)
say "image $((t_img - t0)) s, build $((t_build - t_img)) s, guest $((t_end - t_build)) s, total $((t_end - t0)) s"
if [ ! -f "$share/out/rc" ]; then
	[ "$qrc" = 124 ] && say "QEMU ran past $timeout s and was stopped"
	say "the guest never reported; its console ends with:"
	tail -40 "$share/out/console" 2>/dev/null | sed 's/^/    /'
	fail_out "no result from the guest"
fi
cat "$share/out/summary"
[ "$(cat "$share/out/rc")" = 0 ]
