//! What the kernel command line arguments of install media mean: the
//! installer's `inst.*` options, their old spellings without the prefix,
//! and the common dracut and kernel arguments seen on boot menus. Written
//! for kslint from the anaconda boot-options and dracut.cmdline(7) manuals.

/// One documented boot argument.
#[derive(Debug)]
pub struct BootArg {
    pub name: &'static str,
    /// What goes after `=`, as shown in the signature (`<source>`); `None`
    /// for a flag. `Some("")` when the value is optional.
    pub value: Option<&'static str>,
    pub summary: &'static str,
    /// Values to offer after `=`.
    pub choices: &'static [&'static str],
    /// Read by the installer's dracut hooks or by anaconda (not the kernel).
    pub installer: bool,
}

const fn arg(
    name: &'static str,
    value: Option<&'static str>,
    summary: &'static str,
    choices: &'static [&'static str],
) -> BootArg {
    BootArg {
        name,
        value,
        summary,
        choices,
        installer: true,
    }
}

const fn kernel(name: &'static str, value: Option<&'static str>, summary: &'static str) -> BootArg {
    BootArg {
        name,
        value,
        summary,
        choices: &[],
        installer: false,
    }
}

const SOURCE_FORMS: &str = "Sources: `hd:LABEL=<volume id>:/path` (a disk or USB stick by label; also `UUID=`, `CDLABEL=`, or a device such as `sdb1`), `cdrom` or `cdrom:<device>` (an optical drive), `nfs:[<options>:]<server>:/<path>`, `http://`, `https://`, `ftp://` URLs, and `hmc` on IBM Z. Labels write non-alphanumeric characters as `\\xNN`, so a space is `\\x20`.";

/// The arguments kslint documents, installer options first.
pub static BOOT_ARGS: &[BootArg] = &[
    arg(
        "inst.stage2",
        Some("<source>"),
        "Where the installer loads its runtime image (`images/install.img` or `LiveOS/squashfs.img`, found through `.treeinfo`). Only the image is taken from there; packages come from `inst.repo` or the kickstart. Without it, the `inst.repo` location is used for the image too.",
        &[],
    ),
    arg(
        "inst.repo",
        Some("<source>"),
        "The installation source: a tree (or an ISO image holding one) with the installer image, the packages and their repodata. `inst.repo=cdrom` searches the optical drives and is the default. On a disk (`hd:`) the path may name a directory holding an install tree or an ISO file.",
        &[],
    ),
    arg(
        "inst.ks",
        Some("<source>"),
        "The kickstart file that automates the installation, in any of the `inst.repo` forms; the path defaults to `/ks.cfg`. Without a value the installer asks DHCP (next-server and filename) for an NFS location.",
        &[],
    ),
    arg(
        "inst.ks.sendmac",
        None,
        "Adds `X-RHN-Provisioning-MAC-N` headers with the MAC address of every network interface to HTTP requests for the kickstart, so a provisioning server can pick a file per machine.",
        &[],
    ),
    arg(
        "inst.ks.sendsn",
        None,
        "Adds an `X-System-Serial-Number` header (the DMI product serial) to HTTP requests for the kickstart.",
        &[],
    ),
    arg(
        "inst.ksstrict",
        None,
        "Treats every warning found while reading the kickstart as an error: the installer prints them and stops.",
        &[],
    ),
    arg(
        "inst.addrepo",
        Some("<name>,<url>"),
        "Adds an extra package repository for the installation (`inst.addrepo=extras,http://host/path`, or `file://`, `hd:`, `nfs:`). The base repository still comes from `inst.repo`.",
        &[],
    ),
    arg(
        "inst.noverifyssl",
        None,
        "Does not verify TLS certificates of HTTPS installation sources (kickstart `repo` lines set this per repository with `--noverifyssl`).",
        &[],
    ),
    arg(
        "inst.proxy",
        Some("[<protocol>://][<user>[:<password>]@]<host>[:<port>]"),
        "The proxy used to reach HTTP, HTTPS and FTP installation sources.",
        &[],
    ),
    arg(
        "inst.updates",
        Some("<source>"),
        "An `updates.img` applied to the installer runtime, in any of the `inst.repo` forms; the path defaults to `/updates.img`.",
        &[],
    ),
    arg(
        "inst.dd",
        Some("<source>"),
        "A driver update disk or driver RPM to load before the installation; may be given several times. Without a value the installer asks which driver disk to use.",
        &[],
    ),
    arg(
        "inst.text",
        None,
        "Runs the installer with its text interface instead of the graphical one.",
        &[],
    ),
    arg(
        "inst.graphical",
        None,
        "Runs the installer with its graphical interface (the default).",
        &[],
    ),
    arg(
        "inst.cmdline",
        None,
        "Runs the installer without any interaction: everything must come from the kickstart and the boot arguments, and a missing answer stops the installation.",
        &[],
    ),
    arg(
        "inst.noninteractive",
        None,
        "Runs the graphical or text interface without accepting any input.",
        &[],
    ),
    arg(
        "inst.vnc",
        None,
        "Runs the graphical installer in a VNC session that clients connect to over the network.",
        &[],
    ),
    arg(
        "inst.vncpassword",
        Some("<password>"),
        "The password of the installer's VNC server.",
        &[],
    ),
    arg(
        "inst.vncconnect",
        Some("<host>[:<port>]"),
        "Connects the installer's VNC session to a client listening at that address (`vncviewer -listen`); the port defaults to 5900.",
        &[],
    ),
    arg(
        "inst.headless",
        None,
        "The machine has no display hardware; the installer does not look for one.",
        &[],
    ),
    arg(
        "inst.sshd",
        None,
        "Starts an SSH server in the installation environment, to follow or debug the installation. Set a password with the kickstart `sshpw` command.",
        &[],
    ),
    arg(
        "inst.lang",
        Some("<locale>"),
        "The language of the installation (`en_US.UTF-8`), as the kickstart `lang` command takes it.",
        &[],
    ),
    arg(
        "inst.singlelang",
        None,
        "Installs in one language: the language screens and language support choices are not shown.",
        &[],
    ),
    arg(
        "inst.keymap",
        Some("<layout>"),
        "The keyboard layout of the installation, as the kickstart `keyboard` command takes it.",
        &[],
    ),
    arg(
        "inst.geoloc",
        Some("<provider>"),
        "Geolocation used to preselect language and time zone; `0` turns it off.",
        &["0", "provider_fedora_geoip", "provider_hostip"],
    ),
    arg(
        "inst.resolution",
        Some("<width>x<height>"),
        "The screen size of the graphical installer, at least `800x600`.",
        &["800x600", "1024x768", "1280x1024", "1920x1080"],
    ),
    arg(
        "inst.xdriver",
        Some("<driver>"),
        "The X driver used by the installer and written to the installed system (`vesa` when the screen stays black).",
        &["vesa", "fbdev", "modesetting"],
    ),
    arg(
        "inst.usefbx",
        None,
        "Uses the framebuffer X driver; the same as `inst.xdriver=fbdev`.",
        &[],
    ),
    arg(
        "inst.decorated",
        None,
        "Shows the graphical installer in a decorated window (title bar and borders).",
        &[],
    ),
    arg(
        "inst.rescue",
        None,
        "Starts the rescue environment instead of the installer, to repair an installed system.",
        &[],
    ),
    arg(
        "inst.nokill",
        None,
        "Debugging: on a fatal error or at the end of the installation, does not kill the processes and reboot.",
        &[],
    ),
    arg(
        "inst.noshell",
        None,
        "Does not start a shell on the second terminal during the installation.",
        &[],
    ),
    arg(
        "inst.loglevel",
        Some("<level>"),
        "The lowest level of messages shown on the terminals; the log files always keep every level. The default is `info`.",
        &["debug", "info", "warning", "error", "critical"],
    ),
    arg(
        "inst.syslog",
        Some("<host>[:<port>]"),
        "Sends the installer's log messages to a remote syslog server (UDP, port 514 by default).",
        &[],
    ),
    arg(
        "inst.virtiolog",
        Some("<port name>"),
        "Forwards the logs through the virtio serial port `/dev/virtio-ports/<name>`; by default `org.fedoraproject.anaconda.log.0` is used when present.",
        &[],
    ),
    arg(
        "inst.zram",
        Some("on|off"),
        "Forces or disables zram swap in the installation environment.",
        &["on", "off"],
    ),
    arg(
        "inst.memcheck",
        Some(""),
        "Checks that the machine has enough memory for the installation and stops with an explanation if not (on by default); `inst.memcheck=0` skips the check.",
        &["0", "1"],
    ),
    arg(
        "inst.nosave",
        Some("<what>[,<what>]"),
        "What the installer does not copy to the installed system: `input_ks`, `output_ks`, `all_ks`, `logs` or `all`, comma-separated.",
        &["input_ks", "output_ks", "all_ks", "logs", "all"],
    ),
    arg(
        "inst.multilib",
        None,
        "Installs packages for every architecture of a multilib system (dnf's `multilib_policy=all` instead of `best`).",
        &[],
    ),
    arg(
        "inst.selinux",
        Some("0|1"),
        "SELinux on the installed system (on by default). Unlike `selinux=0`, `inst.selinux=0` leaves the installation environment alone and only disables SELinux on the installed system.",
        &["0", "1"],
    ),
    arg(
        "inst.nompath",
        None,
        "Turns off multipath support, for disks wrongly detected as multipath. Not for real multipath hardware.",
        &[],
    ),
    arg(
        "inst.nodmraid",
        None,
        "Turns off firmware RAID (dmraid) support. Stale RAID metadata is better removed with `wipefs`.",
        &[],
    ),
    arg(
        "inst.gpt",
        None,
        "Prefers GPT partition tables over MBR on BIOS systems.",
        &[],
    ),
    arg(
        "inst.kdump_addon",
        Some("on|off"),
        "Turns the kdump add-on of the installer on or off.",
        &["on", "off"],
    ),
    arg(
        "inst.dhcpclass",
        Some("<vendor class>"),
        "The DHCP vendor class identifier the installer sends (default `anaconda-$(uname -srm)`).",
        &[],
    ),
    arg(
        "inst.waitfornet",
        Some("<seconds>"),
        "Waits up to that long for network connectivity when the installer starts.",
        &[],
    ),
    arg(
        "inst.nonibftiscsiboot",
        None,
        "Allows the boot loader on iSCSI devices not configured in iBFT.",
        &[],
    ),
    // Spellings without `inst.`, documented for what they are.
    arg(
        "ksdevice",
        Some("<interface|link|bootif|ibft|MAC>"),
        "Old option naming the network interface for a network kickstart. Deprecated: dracut's `bootdev=`, `ip=<interface>:dhcp` or `BOOTIF=` replace it.",
        &[],
    ),
    arg(
        "method",
        Some("<source>"),
        "Old name of `inst.repo`, removed from current installers.",
        &[],
    ),
    arg(
        "askmethod",
        None,
        "Removed: the installer's initramfs no longer asks for the installation source; use `inst.repo`.",
        &[],
    ),
    // dracut
    kernel(
        "rd.live.check",
        None,
        "dracut checks the media's embedded checksum before starting the installer (the \"Test this media\" entry of stock menus).",
    ),
    kernel(
        "rd.shell",
        None,
        "dracut opens a shell when the initramfs cannot find the root or the installer image, instead of stopping.",
    ),
    kernel(
        "rd.break",
        Some(""),
        "dracut stops in a shell at the end of the initramfs (or at a hook point given as value: `cmdline`, `pre-mount`, `mount`, `pre-pivot`, …).",
    ),
    kernel(
        "rd.debug",
        None,
        "dracut traces its scripts (`set -x`) to the journal and `/run/initramfs/rdsosreport.txt`.",
    ),
    kernel(
        "rd.neednet",
        Some("0|1"),
        "dracut brings up the network in the initramfs even when no argument needs it.",
    ),
    kernel(
        "rd.driver.blacklist",
        Some("<module>[,<module>]"),
        "dracut does not load these kernel modules in the initramfs.",
    ),
    kernel(
        "rd.driver.pre",
        Some("<module>[,<module>]"),
        "dracut loads these kernel modules early.",
    ),
    kernel(
        "rd.lvm",
        Some("0|1"),
        "`rd.lvm=0` stops dracut from activating LVM volume groups.",
    ),
    kernel(
        "rd.md",
        Some("0|1"),
        "`rd.md=0` stops dracut from assembling MD RAID arrays.",
    ),
    kernel(
        "rd.dm",
        Some("0|1"),
        "`rd.dm=0` stops dracut from assembling firmware RAID (dmraid).",
    ),
    kernel(
        "rd.luks",
        Some("0|1"),
        "`rd.luks=0` stops dracut from unlocking LUKS devices.",
    ),
    kernel(
        "rd.live.image",
        None,
        "dracut boots a live image (used with `root=live:`).",
    ),
    kernel(
        "rd.znet",
        Some("<nettype>,<subchannels>,<options>"),
        "IBM Z: the network device dracut configures.",
    ),
    kernel(
        "root",
        Some("<device>"),
        "The root file system; live and installer media use `root=live:CDLABEL=<volume id>` to boot the image on the labelled media.",
    ),
    kernel(
        "ip",
        Some("<dhcp|dhcp6|auto6|ibft|<interface>:dhcp|<ip>::<gateway>:<netmask>:<hostname>:<interface>:none>"),
        "dracut's network configuration; without it dracut uses DHCP when a network source (`inst.repo=http…`, `inst.ks=nfs:…`) needs the network.",
    ),
    kernel(
        "nameserver",
        Some("<address>"),
        "A DNS server for dracut and the installer; give it once per server.",
    ),
    kernel(
        "bootdev",
        Some("<interface>"),
        "The interface dracut treats as the boot interface; needed when several `ip=` arguments are given.",
    ),
    kernel(
        "ifname",
        Some("<interface>:<MAC>"),
        "Names the network device with that MAC address.",
    ),
    kernel(
        "BOOTIF",
        Some("<01-MAC>"),
        "The MAC address of the PXE boot interface, passed by PXELINUX (`ipappend 2`).",
    ),
    kernel(
        "biosdevname",
        Some("0|1"),
        "`biosdevname=0` turns off BIOS-based network interface names (`em1`).",
    ),
    kernel(
        "net.ifnames",
        Some("0|1"),
        "`net.ifnames=0` turns off predictable interface names, giving `eth0` style names.",
    ),
    kernel(
        "console",
        Some("<device>[,<options>]"),
        "A kernel console (`tty0`, `ttyS0,115200n8`). Several may be given; the installer runs on the last one, and a `console=` argument makes it use the text interface.",
    ),
    kernel(
        "initrd",
        Some("<file>[,<file>]"),
        "SYSLINUX: the initial RAM disk(s) to load with the kernel, relative to the configuration's directory.",
    ),
    kernel(
        "quiet",
        None,
        "The kernel prints only important messages while booting.",
    ),
    kernel(
        "rhgb",
        None,
        "Shows the graphical boot splash (Plymouth) instead of boot messages.",
    ),
    kernel(
        "nomodeset",
        None,
        "The kernel does not set video modes itself; the fallback for graphics cards whose driver shows a black screen (stock \"basic graphics mode\" entries).",
    ),
    kernel(
        "xdriver",
        Some("<driver>"),
        "Old spelling of `inst.xdriver`, still used by stock \"basic graphics mode\" entries.",
    ),
    kernel(
        "rescue",
        None,
        "Old spelling of `inst.rescue`, still used by stock rescue entries.",
    ),
    kernel(
        "selinux",
        Some("0|1"),
        "`selinux=0` disables SELinux in the installation environment and on the installed system.",
    ),
    kernel(
        "modprobe.blacklist",
        Some("<module>[,<module>]"),
        "Kernel modules that are never loaded automatically.",
    ),
    kernel(
        "ipv6.disable",
        Some("0|1"),
        "`ipv6.disable=1` turns IPv6 off, in the installation environment and on the installed system.",
    ),
    kernel(
        "single",
        None,
        "Boots the installed system into single-user mode (no effect on the installer).",
    ),
];

/// The documentation of `name` (`inst.ks`, `rd.shell`), if kslint has it.
pub fn find(name: &str) -> Option<&'static BootArg> {
    BOOT_ARGS.iter().find(|arg| arg.name == name)
}

/// The installer option an old spelling without `inst.` stands for.
pub fn legacy_target(name: &str) -> Option<&'static BootArg> {
    if name.starts_with("inst.") || find(name).is_some_and(|arg| !arg.installer) {
        return None;
    }
    let prefixed = match name {
        "kssendmac" => "inst.ks.sendmac".to_string(),
        other => format!("inst.{other}"),
    };
    find(&prefixed)
}

/// Markdown for a hover or completion item.
pub fn markdown(arg: &BootArg) -> String {
    let signature = match arg.value {
        None => arg.name.to_string(),
        Some("") => format!("{}[=…]", arg.name),
        Some(value) => format!("{}={value}", arg.name),
    };
    let mut text = format!("`{signature}`\n\n{}", arg.summary);
    if matches!(
        arg.name,
        "inst.stage2" | "inst.repo" | "inst.ks" | "inst.updates" | "inst.dd" | "method"
    ) {
        text.push_str("\n\n");
        text.push_str(SOURCE_FORMS);
    }
    if !arg.choices.is_empty() {
        text.push_str("\n\nValues: ");
        text.push_str(
            &arg.choices
                .iter()
                .map(|choice| format!("`{choice}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    text
}

/// What kind of argument a name is, for names kslint has no entry for.
pub fn family(name: &str) -> Option<&'static str> {
    if name.starts_with("inst.") {
        Some("an installer (anaconda) option kslint has no description of")
    } else if name.starts_with("rd.") {
        Some("a dracut (initramfs) option; see dracut.cmdline(7)")
    } else {
        None
    }
}

/// What a boot loader directive does, by loader (`Syslinux`, `Grub2`,
/// `GrubLegacy` as written in [`crate::boot::model::Loader::name`]).
pub fn directive(loader: crate::boot::model::Loader, keyword: &str) -> Option<&'static str> {
    use crate::boot::model::Loader;
    let keyword = keyword.to_ascii_lowercase();
    Some(match (loader, keyword.as_str()) {
        (Loader::Syslinux, "default") => "The entry (label), kernel or module booted when the timeout runs out or Enter is pressed at the `boot:` prompt. With a menu module (`default vesamenu.c32`) it names the user interface instead, and `menu default` marks the entry.",
        (Loader::Syslinux, "ontimeout") => "The entry booted when the timeout runs out, overriding `default` for that case.",
        (Loader::Syslinux, "timeout") => "How long the menu waits before booting the default entry, in tenths of a second; `0` waits forever.",
        (Loader::Syslinux, "totaltimeout") => "The longest the menu waits in total, in tenths of a second, even while the user moves through it.",
        (Loader::Syslinux, "prompt") => "`prompt 1` shows the `boot:` prompt without a key press.",
        (Loader::Syslinux, "label") => "Starts a boot entry; the name is what `default` and the `boot:` prompt refer to. Names should be unique: only the first entry of a name can be reached by it.",
        (Loader::Syslinux, "kernel" | "linux") => "The kernel (or COM32 module) the entry boots, relative to the configuration's directory unless it starts with `/`.",
        (Loader::Syslinux, "initrd") => "The initial RAM disk(s) of the entry, comma-separated; the same as `initrd=` in `append`.",
        (Loader::Syslinux, "append") => "The kernel command line of the entry (outside any `label`: of every entry without its own). Only a `#` at the start of a line is a comment; anything after a `#` here goes to the kernel.",
        (Loader::Syslinux, "localboot") => "Boots the next device (the local disk) instead of a kernel.",
        (Loader::Syslinux, "include") => "Reads another configuration file at this point.",
        (Loader::Syslinux, "ui") => "The menu module that draws the menu (`vesamenu.c32`, `menu.c32`).",
        (Loader::Syslinux, "display") => "A text file shown before the `boot:` prompt.",
        (Loader::Syslinux, "menu") => "A menu module setting: `menu label` (the entry's text, `^` marks the hot key), `menu default`, `menu title`, `menu begin`/`menu end` (a submenu), `menu separator`, `menu background`, `menu color`.",
        (Loader::Grub2, "menuentry") => "A boot entry: its title, options such as `--class` and `--id`, and the commands in braces.",
        (Loader::Grub2, "submenu") => "A group of entries shown as a menu of its own.",
        (Loader::Grub2, "linux" | "linuxefi" | "linux16") => "Loads the kernel (a path from `$root`, the device `search` found) with the kernel command line after it. `linuxefi` is the EFI variant of RHEL 7/8 GRUB.",
        (Loader::Grub2, "initrd" | "initrdefi" | "initrd16") => "Loads the initial RAM disk(s) of the entry.",
        (Loader::Grub2, "search") => "Finds a device and sets a variable to it: `search --no-floppy --set=root -l '<label>'` makes the device with that file system label `$root`, where the kernel and initrd are loaded from. The label is compared as written (no `\\x20` escapes).",
        (Loader::Grub2, "set") => "Sets a variable: `default` (the entry booted on timeout, by index from 0 or by id/title), `timeout` (seconds, `-1` waits forever), `root`, `gfxpayload`.",
        (Loader::Grub2, "insmod") => "Loads a GRUB module.",
        (Loader::GrubLegacy, "title") => "Starts a boot entry with this title.",
        (Loader::GrubLegacy, "kernel") => "Loads the kernel of the entry, with the kernel command line after the path.",
        (Loader::GrubLegacy, "initrd") => "Loads the initial RAM disk of the entry.",
        (Loader::GrubLegacy, "default") => "The entry booted on timeout, counted from 0.",
        (Loader::GrubLegacy, "timeout") => "Seconds before the default entry boots.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for arg in BOOT_ARGS {
            assert!(seen.insert(arg.name), "{} twice", arg.name);
            assert!(arg.summary.ends_with('.'), "{}", arg.name);
        }
        for name in [
            "inst.stage2",
            "inst.repo",
            "inst.ks",
            "inst.text",
            "inst.graphical",
            "inst.cmdline",
            "inst.vnc",
            "inst.sshd",
            "inst.lang",
            "inst.keymap",
            "inst.addrepo",
            "inst.noverifyssl",
            "inst.proxy",
            "inst.updates",
            "inst.dd",
            "inst.rescue",
            "inst.nompath",
            "inst.gpt",
            "inst.xdriver",
            "inst.loglevel",
            "inst.syslog",
            "inst.virtiolog",
            "inst.zram",
            "inst.memcheck",
            "inst.nosave",
            "inst.multilib",
            "inst.selinux",
            "inst.kdump_addon",
            "inst.resolution",
            "inst.decorated",
        ] {
            assert!(find(name).is_some(), "{name} undocumented");
        }
    }

    #[test]
    fn old_spellings_map_to_installer_options() {
        assert_eq!(legacy_target("ks").map(|a| a.name), Some("inst.ks"));
        assert_eq!(
            legacy_target("kssendmac").map(|a| a.name),
            Some("inst.ks.sendmac")
        );
        assert_eq!(legacy_target("repo").map(|a| a.name), Some("inst.repo"));
        // Documented under its own name (stock menus use it).
        assert!(legacy_target("xdriver").is_none());
        assert!(legacy_target("quiet").is_none());
        assert!(markdown(find("inst.ks").unwrap()).contains("\\x20"));
        assert!(markdown(find("inst.loglevel").unwrap()).contains("`critical`"));
    }
}
