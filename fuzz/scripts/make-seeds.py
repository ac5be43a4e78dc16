#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets that take binary or
selector-prefixed input (repodata, boot_config, fat_image, iso_roundtrip,
iso_reader, rpm_header, comps) into fuzz/seeds/<target>/. The kickstart seeds are plain
files kept as they are. Run from anywhere: python3 fuzz/scripts/make-seeds.py
(fat_image needs mkfs.fat and mcopy; it is skipped without them;
iso_reader needs a release build of kslint, `cargo build --release`, and
uses xorriso for one image from another writer when installed)."""

import gzip
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
ROOT = os.path.dirname(FUZZ)
SEEDS = os.path.join(FUZZ, "seeds")
MEDIA = os.path.join(ROOT, "examples", "centos7-media", "build_iso")

PRIMARY = """<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm">
  <name>bash</name>
  <arch>x86_64</arch>
  <version epoch="0" ver="4.2.46" rel="34.el7"/>
  <checksum type="sha256" pkgid="YES">1111111111111111111111111111111111111111111111111111111111111111</checksum>
  <summary>The GNU Bourne Again shell</summary>
  <description>The GNU Bourne Again shell &amp; more</description>
  <packager></packager>
  <url></url>
  <time file="1700000000" build="1700000000"/>
  <size package="1413" installed="0" archive="124"/>
  <location href="Packages/bash-4.2.46-34.el7.x86_64.rpm"/>
  <format>
    <rpm:license>GPLv3+</rpm:license>
    <rpm:provides>
      <rpm:entry name="bash" flags="EQ" epoch="0" ver="4.2.46" rel="34.el7"/>
      <rpm:entry name="/bin/sh"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="glibc" flags="GE" epoch="0" ver="2.17"/>
      <rpm:entry name="/bin/sh" pre="1"/>
    </rpm:requires>
    <file>/usr/bin/bash</file>
  </format>
</package>
<package type="rpm">
  <name>setup</name>
  <arch>noarch</arch>
  <version epoch="0" ver="2.8.71" rel="10.el7"/>
  <checksum type="sha256" pkgid="YES">2222222222222222222222222222222222222222222222222222222222222222</checksum>
  <summary>A set of system configuration and setup files</summary>
  <description/>
  <time file="1700000001" build="1700000000"/>
  <size package="1200" installed="0" archive="124"/>
  <location href="Packages/setup-2.8.71-10.el7.noarch.rpm"/>
  <format>
    <rpm:license>Public Domain</rpm:license>
    <file>/etc/passwd</file>
  </format>
</package>
</metadata>
"""

FILELISTS = """<?xml version="1.0" encoding="UTF-8"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="2">
<package pkgid="1111111111111111111111111111111111111111111111111111111111111111" name="bash" arch="x86_64">
  <version epoch="0" ver="4.2.46" rel="34.el7"/>
  <file>/usr/bin/bash</file>
  <file type="dir">/usr/share/doc/bash</file>
</package>
<package pkgid="2222222222222222222222222222222222222222222222222222222222222222" name="setup" arch="noarch">
  <version epoch="0" ver="2.8.71" rel="10.el7"/>
  <file>/etc/passwd</file>
</package>
</filelists>
"""

OTHER = """<?xml version="1.0" encoding="UTF-8"?>
<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="1">
<package pkgid="1111111111111111111111111111111111111111111111111111111111111111" name="bash" arch="x86_64">
  <version epoch="0" ver="4.2.46" rel="34.el7"/>
  <changelog author="Someone &lt;someone@example.com&gt; - 4.2.46-34" date="1600000000">- rebuilt</changelog>
</package>
</otherdata>
"""

REPOMD = """<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</checksum>
    <open-checksum type="sha256">bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb</open-checksum>
    <location href="repodata/primary.xml.gz"/>
    <timestamp>1700000000</timestamp>
    <size>600</size>
    <open-size>1800</open-size>
  </data>
  <data type="group">
    <checksum type="sha1">cccccccccccccccccccccccccccccccccccccccc</checksum>
    <location href="repodata/comps.xml"/>
    <timestamp>1700000000</timestamp>
  </data>
</repomd>
"""

SYSLINUX = """default vesamenu.c32
timeout 600
display boot.msg
menu title Install CentOS 7
label linux
  menu label ^Install CentOS 7
  menu default
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks/ks.cfg quiet
label check
  menu label Test this ^media & install CentOS 7
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 rd.live.check quiet
menu begin ^Troubleshooting
  label rescue
    kernel vmlinuz
    append initrd=initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 rescue
  label local
    localboot 0xffff
menu end
"""

GRUB2 = """set default="1"
function load_video {
  insmod efi_gop
  insmod all_video
}
load_video
set timeout=60
search --no-floppy --set=root -l 'CentOS 7 x86_64'
menuentry 'Install CentOS 7' --class fedora --class gnu-linux {
\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=cdrom:/ks/ks.cfg quiet
\tinitrdefi /images/pxeboot/initrd.img
}
submenu 'Troubleshooting -->' {
\tmenuentry 'Rescue' --class fedora {
\t\tlinuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL="CentOS 7 x86_64" rescue
\t\tinitrdefi /images/pxeboot/initrd.img
\t}
}
"""

LEGACY = """default=0
splashimage=@SPLASHPATH@
timeout 5
hiddenmenu
title Install CentOS 7
\tfindiso
\tkernel @KERNELPATH@ inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 quiet
\tinitrd @INITRDPATH@
"""


def write(target, name, data):
    directory = os.path.join(SEEDS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def repodata():
    # Selector byte: `% 5` picks the reader, `/ 8 % 3` the metadata kind.
    def sel(reader, kind):
        return bytes([next(b for b in range(256) if b % 5 == reader and b // 8 % 3 == kind)])

    texts = {"primary": (PRIMARY, 0), "filelists": (FILELISTS, 1), "other": (OTHER, 2)}
    write("repodata", "repomd", sel(0, 0) + REPOMD.encode())
    write("repodata", "primary-index", sel(1, 0) + PRIMARY.encode())
    write("repodata", "primary-gz", sel(2, 0) + gzip.compress(PRIMARY.encode(), mtime=0))
    for name, (text, kind) in texts.items():
        data = text.encode()
        write("repodata", f"old-{name}", sel(3, kind) + data)
        members = gzip.compress(data[: len(data) // 2], mtime=0) + gzip.compress(
            data[len(data) // 2 :], mtime=0
        )
        write("repodata", f"old-{name}-gz", sel(3, kind) + members)
        write("repodata", f"scan-{name}", sel(4, kind) + data)


def boot_config():
    for name, text, place in [
        ("isolinux", SYSLINUX, 0),
        ("grub2", GRUB2, 1),
        ("legacy", LEGACY, 2),
        ("isolinux-in-media", SYSLINUX, 3),
    ]:
        write("boot_config", name, bytes([place]) + text.encode())


def fat_image():
    mkfs = shutil.which("mkfs.fat") or "/usr/sbin/mkfs.fat"
    if not (os.path.exists(mkfs) and shutil.which("mcopy")):
        print("fat_image: mkfs.fat or mcopy missing, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "grub.cfg")
        with open(cfg, "w") as f:
            f.write(GRUB2)
        for name, inner in [("grub-cfg", "EFI/BOOT/grub.cfg"), ("bootx64-conf", "EFI/BOOT/BOOTX64.conf"), ("empty", None)]:
            image = os.path.join(tmp, name + ".img")
            # The smallest FAT12 mkfs.fat makes; all zero after the
            # structures, so it compresses to almost nothing in git.
            subprocess.run([mkfs, "-C", "-i", "12345678", "-n", "EFIBOOT", image, "64"],
                           check=True, stdout=subprocess.DEVNULL)
            if inner:
                env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
                subprocess.run(["mmd", "-i", image, "::EFI", "::EFI/BOOT"], check=True, env=env)
                subprocess.run(["mcopy", "-i", image, cfg, "::" + inner], check=True, env=env)
            with open(image, "rb") as f:
                write("fat_image", name, f.read())


ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~+"


def iso_path(path):
    """A path as the iso_roundtrip target reads it: depth, then each name
    as its length and its characters (indexes into the alphabet)."""
    parts = path.split("/")
    out = bytes([len(parts) - 1])
    for part in parts:
        out += bytes([len(part) - 1]) + bytes(ALPHABET.index(c) for c in part.encode())
    return out


def iso_file(path, data):
    # An operation byte with op % 4 != 0 is a file of (length byte) *
    # (op / 4 % 16 + 1) bytes.
    unit = next(u for u in range(1, 17) if len(data) % u == 0 and len(data) // u < 256)
    return bytes([1 + 4 * (unit - 1)]) + iso_path(path) + bytes([len(data) // unit]) + data


def iso_dir(path):
    return bytes([0]) + iso_path(path)


def iso_roundtrip():
    # The first byte's low bit turns Joliet on.
    write("iso_roundtrip", "one-file", bytes([0]) + iso_file("hello.txt", b"hello\n"))
    write("iso_roundtrip", "joliet-tree", bytes([1])
          + iso_dir("EFI/BOOT")
          + iso_file("images/pxeboot/vmlinuz", bytes(range(256)) * 2)
          + iso_file("a-long-file-name-with.many.dots.txt", b"x" * 30)
          + iso_file("Packages/bash-4.2.46-34.el7.x86_64.rpm", b"\xed\xab\xee\xdb" * 8)
          + iso_file("isolinux/isolinux.cfg", SYSLINUX.encode()[:200]))
    write("iso_roundtrip", "rock-ridge-deep", bytes([0])
          + iso_dir("d1/d2/d3/d4/d5")
          + iso_file("d1/d2/d3/d4/d5/deep", b"deep")
          + iso_file("same", b"1") + iso_file("SAME", b"2") + iso_file("Same~1", b"3")
          + iso_file("empty", b""))


def master(tree, out, *flags):
    """An image of `tree` made by our engine, without its trailing padding
    (the seeds stay small; every extent lies before it)."""
    kslint = os.path.join(ROOT, "target", "release", "kslint")
    subprocess.run([kslint, "build-iso", "--repodata", "never", "--no-hybrid",
                    "--volume-id", "SEED", "-o", out, *flags, tree],
                   check=True, capture_output=True)
    with open(out, "rb") as f:
        return trimmed(f.read())


def trimmed(image):
    end = len(image.rstrip(b"\0"))
    return image[:(end + 2047) // 2048 * 2048]


def sample_tree(root):
    """Directories, a long Rock Ridge name, a symlink, an empty file, and a
    nest deep enough (9 levels) for directory relocation (CL/PL/RE)."""
    files = {
        "isolinux/isolinux.cfg": b"default linux\nlabel linux\n  kernel vmlinuz\n",
        "a-long-rock-ridge-file-name-beyond-the-iso-limit.conf": b"x" * 100,
        "EFI/BOOT/grub.cfg": b"set timeout=5\n",
        "empty": b"",
        "d1/d2/d3/d4/d5/d6/d7/d8/d9/deep.txt": b"deep\n",
    }
    for path, data in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    os.symlink("isolinux/isolinux.cfg", os.path.join(root, "link"))


def le32(data, at):
    return int.from_bytes(data[at:at + 4], "little")


def directory_loop(image):
    """The first subdirectory record of the root points back at the root's
    own extent: a walk that trusts it never ends."""
    image = bytearray(image)
    root_lba = le32(image, 16 * 2048 + 156 + 2)
    at = root_lba * 2048
    end = at + 2048
    while at < end and image[at]:
        is_dot = image[at + 32] == 1 and image[at + 33] in (0, 1)
        if image[at + 25] & 2 and not is_dot:
            image[at + 2:at + 6] = root_lba.to_bytes(4, "little")
            image[at + 6:at + 10] = root_lba.to_bytes(4, "big")
            break
        at += image[at]
    return bytes(image)


def iso_reader():
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        sample_tree(tree)
        ours = master(tree, os.path.join(tmp, "ours.iso"))
        write("iso_reader", "rock-ridge-joliet", ours)
        write("iso_reader", "rock-ridge-only",
              master(tree, os.path.join(tmp, "rr.iso"), "--no-joliet"))
        write("iso_reader", "truncated-root", ours[:17 * 2048 + 700])
        write("iso_reader", "directory-loop", directory_loop(ours))
        if shutil.which("xorriso"):
            plain = os.path.join(tmp, "plain.iso")
            subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-V", "PLAIN",
                            "-o", plain, os.path.join(tree, "isolinux")],
                           check=True, capture_output=True)
            with open(plain, "rb") as f:
                write("iso_reader", "plain-iso9660-xorriso", trimmed(f.read()))


def copy_media():
    packages = os.path.join(MEDIA, "isolinux", "Packages")
    for name in ["bash-4.2.46-34.el7.x86_64.rpm", "glibc-2.17-317.el7.x86_64.rpm",
                 "setup-2.8.71-10.el7.noarch.rpm"]:
        with open(os.path.join(packages, name), "rb") as f:
            write("rpm_header", name, f.read())
    with open(os.path.join(MEDIA, "comps.xml"), "rb") as f:
        write("comps", "centos7-media.xml", f.read())


if __name__ == "__main__":
    repodata()
    boot_config()
    fat_image()
    iso_roundtrip()
    iso_reader()
    copy_media()
