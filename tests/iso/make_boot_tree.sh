#!/bin/sh
# Builds a small bootable media tree for the QEMU boot tests of `kslint build-iso`:
#   isolinux/{isolinux.bin,ldlinux.c32,isolinux.cfg,vmlinuz,initrd.img}
#   images/efiboot.img (FAT: EFI/BOOT/BOOTX64.EFI = GRUB, EFI/BOOT/grub.cfg)
#   EFI/BOOT/{BOOTX64.EFI,grub.cfg}, ks/ks.cfg
# The initramfs (busybox) prints the kernel command line, mounts the CD or
# disk, prints its volume id (read from the primary volume descriptor) and /ks/ks.cfg, then "KSLINT-BOOT-OK".
#
# usage: make_boot_tree.sh OUTDIR LABEL
# exit 77 with a "SKIP: ..." line when a prerequisite is missing.
set -eu
out=$1
label=$2

skip() { echo "SKIP: $*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed (Debian package $2)"; }
need busybox busybox-static
need cpio cpio
need grub-mkimage grub-common
need mkfs.vfat dosfstools
need mcopy mtools
need mmd mtools

ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
GRUB_EFI_DIR=/usr/lib/grub/x86_64-efi
[ -f "$ISOLINUX_BIN" ] || skip "$ISOLINUX_BIN missing (Debian package isolinux)"
[ -f "$LDLINUX" ] || skip "$LDLINUX missing (Debian package syslinux-common)"
[ -d "$GRUB_EFI_DIR" ] || skip "$GRUB_EFI_DIR missing (Debian package grub-efi-amd64-bin)"
BUSYBOX=$(command -v busybox)
if ldd "$BUSYBOX" >/dev/null 2>&1; then skip "$BUSYBOX is not static (Debian package busybox-static)"; fi

KERNEL=${KSLINT_TEST_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -n "$KERNEL" ] && [ -f "$KERNEL" ] || skip "no kernel in /boot (Debian package linux-image-amd64)"
KVER=${KERNEL##*/vmlinuz-}
MODDIR=${KSLINT_TEST_MODULES:-/lib/modules/$KVER}
[ -f "$MODDIR/modules.dep" ] || skip "$MODDIR/modules.dep missing (modules of $KERNEL)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/isolinux" "$out/images" "$out/EFI/BOOT" "$out/ks"
cp "$ISOLINUX_BIN" "$LDLINUX" "$out/isolinux/"
cp "$KERNEL" "$out/isolinux/vmlinuz"

# --- initramfs ---------------------------------------------------------------
ir=$work/initramfs
mkdir -p "$ir/bin" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/mnt" "$ir/mods"
cp "$BUSYBOX" "$ir/bin/busybox"
# Modules with their dependencies, dependencies first (modules.dep order).
order=$work/order
: > "$order"
add_module() {
    local rel deps d name
    rel=$(grep -E "(^|/)$1\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | head -n 1 | cut -d: -f1)
    [ -n "$rel" ] || return 0          # built into the kernel
    grep -qx "$rel" "$order" && return 0
    deps=$(grep -E "^$rel:" "$MODDIR/modules.dep" | cut -d: -f2)
    for d in $deps; do
        name=${d##*/}; name=${name%%.ko*}
        add_module "$name"
    done
    grep -qx "$rel" "$order" || echo "$rel" >> "$order"
}
for m in crc64_rocksoft_generic cdrom isofs scsi_common scsi_mod libata ata_piix sr_mod sd_mod; do
    add_module "$m"
done
while read -r rel; do
    case "$rel" in
        *.ko) cp "$MODDIR/$rel" "$ir/mods/" ;;
        *.ko.xz) xz -dc "$MODDIR/$rel" > "$ir/mods/$(basename "$rel" .xz)" ;;
        *.ko.zst) zstd -qdc "$MODDIR/$rel" > "$ir/mods/$(basename "$rel" .zst)" ;;
        *.ko.gz) gzip -dc "$MODDIR/$rel" > "$ir/mods/$(basename "$rel" .gz)" ;;
    esac
    b=${rel##*/}; echo "${b%%.ko*}.ko"
done < "$order" > "$ir/mods/order"

cat > "$ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
echo "KSLINT-CMDLINE: $(cat /proc/cmdline)"
found=
i=0
while [ $i -lt 60 ] && [ -z "$found" ]; do
    for d in /dev/sr0 /dev/sda; do
        if [ -b $d ] && mount -t iso9660 -o ro $d /mnt 2>/dev/null; then found=$d; break; fi
    done
    [ -n "$found" ] || usleep 250000
    i=$((i+1))
done
if [ -n "$found" ]; then
    echo "KSLINT-DEVICE: $found"
    echo "KSLINT-LABEL: $(dd if=$found bs=1 skip=32808 count=32 2>/dev/null)"
    echo "KSLINT-KS: $(cat /mnt/ks/ks.cfg)"
    echo "KSLINT-RR: $(ls /mnt/ks | tr '\n' ' ')"
    echo "KSLINT-BOOT-OK"
else
    echo "KSLINT-BOOT-FAIL: no iso9660 device"
fi
poweroff -f
INIT
chmod 755 "$ir/init"
(cd "$ir" && find . | sort | cpio -o -H newc --quiet | gzip -9n) > "$out/isolinux/initrd.img"

args="console=ttyS0 inst.stage2=hd:LABEL=$label inst.ks=hd:LABEL=$label:/ks/ks.cfg"
cat > "$out/isolinux/isolinux.cfg" <<CFG
serial 0 115200
default linux
prompt 0
timeout 0
label linux
  kernel vmlinuz
  append initrd=initrd.img $args
CFG

cat > "$work/grub.cfg" <<CFG
set timeout=0
search --no-floppy --set=root -l '$label'
linux /isolinux/vmlinuz $args
initrd /isolinux/initrd.img
boot
CFG
grub-mkimage -O x86_64-efi -d "$GRUB_EFI_DIR" -o "$work/BOOTX64.EFI" -p /EFI/BOOT \
    part_gpt part_msdos fat iso9660 normal configfile linux search search_label echo test boot
cp "$work/BOOTX64.EFI" "$work/grub.cfg" "$out/EFI/BOOT/"
rm -f "$out/images/efiboot.img"
mkfs.vfat -C "$out/images/efiboot.img" 4096 >/dev/null
mmd -i "$out/images/efiboot.img" ::/EFI ::/EFI/BOOT
mcopy -i "$out/images/efiboot.img" "$work/BOOTX64.EFI" "$work/grub.cfg" ::/EFI/BOOT/

echo "KSLINT-KS-CONTENT" > "$out/ks/ks.cfg"
echo "rock ridge long name" > "$out/ks/a-long-rock-ridge-file-name-that-needs-an-nm-entry.cfg"
echo "boot tree ready in $out (kernel $KERNEL)"
