# SPDX-License-Identifier: GPL-2.0-or-later
# deps.sh - the Debian packages mhpstress needs on the host (sourced).
# Each entry is PACKAGE:PROBE, where PROBE is a command or an absolute path.
MHP_HOST_DEPS=(
	meson:meson ninja-build:ninja pkg-config:pkg-config gcc:gcc python3:python3
	libglib2.0-dev:/usr/include/glib-2.0/glib.h libjson-c-dev:/usr/include/json-c/json.h
	zlib1g-dev:/usr/include/zlib.h libvirt-dev:/usr/include/libvirt/libvirt.h
	qemu-system-arm:qemu-system-aarch64 qemu-efi-aarch64:/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
	gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/lib/libc.a
	flex:flex bison:bison bc:bc libelf-dev:/usr/include/libelf.h libssl-dev:/usr/include/openssl/ssl.h
	cpio:cpio kmod:depmod xz-utils:xz scdoc:scdoc
	libvirt-daemon:/usr/sbin/libvirtd libvirt-clients:virsh
	libvirt-daemon-driver-qemu:/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so
)
# what only the tests need: headless Chromium opens report.html (e2e run)
MHP_TEST_DEPS=(chromium:chromium)
