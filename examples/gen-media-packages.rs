//! Regenerates the small RPMs of `examples/centos7-media` (header and a tiny
//! payload each, no real software) so that `kslint check
//! examples/centos7-media` has a `Packages/` to check the kickstart against.
//!
//! Run: `cargo run --example gen-media-packages`.

use std::path::Path;

use kslint::media::testkit::RpmSpec;

fn packages() -> Vec<RpmSpec> {
    let x86 = "x86_64";
    vec![
        RpmSpec::new("filesystem", "3.2", x86)
            .release("25.el7")
            .requires("setup")
            .file("/etc/.filesystem"),
        RpmSpec::new("setup", "2.8.71", "noarch")
            .release("10.el7")
            .file("/etc/passwd"),
        RpmSpec::new("basesystem", "10.0", "noarch")
            .release("7.el7.centos")
            .requires("filesystem")
            .requires("setup"),
        RpmSpec::new("glibc", "2.17", x86)
            .release("317.el7")
            .provides("libc.so.6()(64bit)")
            .provides("libc.so.6(GLIBC_2.14)(64bit)")
            .file("/usr/lib64/libc-2.17.so"),
        RpmSpec::new("bash", "4.2.46", x86)
            .release("34.el7")
            .provides("/bin/sh")
            .requires("libc.so.6()(64bit)")
            .requires("filesystem >= 3")
            .file("/usr/bin/bash")
            .file("/usr/bin/sh"),
        RpmSpec::new("openssl-libs", "1.0.2k", x86)
            .epoch(1)
            .release("19.el7")
            .provides("libcrypto.so.10()(64bit)")
            .requires("libc.so.6()(64bit)"),
        RpmSpec::new("openssh", "7.4p1", x86)
            .release("21.el7")
            .requires("libcrypto.so.10()(64bit)"),
        RpmSpec::new("openssh-server", "7.4p1", x86)
            .release("21.el7")
            .requires("openssh = 7.4p1-21.el7")
            .requires("/bin/sh")
            .requires("openssl-libs >= 1:1.0.1")
            .file("/usr/sbin/sshd"),
        RpmSpec::new("chrony", "3.4", x86)
            .release("1.el7")
            .requires("/bin/sh")
            .requires("libc.so.6(GLIBC_2.14)(64bit)")
            .file("/usr/sbin/chronyd"),
        RpmSpec::new("apr", "1.4.8", x86)
            .release("7.el7")
            .provides("libapr-1.so.0()(64bit)")
            .requires("libc.so.6()(64bit)"),
        RpmSpec::new("apr-util", "1.5.2", x86)
            .release("6.el7")
            .provides("libaprutil-1.so.0()(64bit)")
            .requires("libapr-1.so.0()(64bit)"),
        RpmSpec::new("mailcap", "2.1.41", "noarch")
            .release("2.el7")
            .file("/etc/mime.types"),
        RpmSpec::new("centos-logos", "70.0.6", "noarch")
            .release("3.el7.centos")
            .provides("system-logos = 70.0.6-3.el7.centos"),
        RpmSpec::new("httpd-tools", "2.4.6", x86)
            .release("97.el7.centos")
            .requires("libapr-1.so.0()(64bit)")
            .requires("libaprutil-1.so.0()(64bit)"),
        RpmSpec::new("httpd", "2.4.6", x86)
            .release("97.el7.centos")
            .provides("webserver")
            .requires("httpd-tools = 2.4.6-97.el7.centos")
            .requires("/etc/mime.types")
            .requires("system-logos >= 7.92.1-1")
            .requires("libapr-1.so.0()(64bit)")
            .requires("/bin/sh")
            .file("/usr/sbin/httpd"),
        RpmSpec::new("mod_ssl", "2.4.6", x86)
            .epoch(1)
            .release("97.el7.centos")
            .requires("httpd = 0:2.4.6-97.el7.centos")
            .requires("libcrypto.so.10()(64bit)"),
        RpmSpec::new("iwl7260-firmware", "25.30.13.0", "noarch")
            .release("79.el7")
            .file("/usr/lib/firmware/iwlwifi-7260-17.ucode"),
    ]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/centos7-media/build_iso/isolinux/Packages");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.filter_map(Result::ok) {
            if entry.path().extension().is_some_and(|e| e == "rpm") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for spec in packages() {
        match spec.write_to(&dir) {
            Ok(path) => println!("wrote {}", path.display()),
            Err(error) => {
                eprintln!("error: {}: {error}", spec.file_name());
                std::process::exit(1);
            }
        }
    }
}
