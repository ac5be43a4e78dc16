//! What the installer environment looks like on each release: where it
//! mounts the install media, which interpreters exist, whether it keeps the
//! output of scripts. Facts come from anaconda's `constants.py`, its dracut
//! module and lorax's runtime templates (`/mnt/install` has been a symlink to
//! `/run/install` in every lorax-built installer image since the move to
//! dracut); the docs of the rules that use them cite the versions.

use crate::catalog::SyntaxVersion;

use super::shell::path_is_under;

/// The generations of installer that mount the media in different places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Installer {
    /// The C `loader` of RHEL ≤ 6 and Fedora ≤ 15: media on `/mnt/source`.
    Loader,
    /// Fedora 16's last `loader`: media on `/mnt/install/source`.
    LoaderMntInstall,
    /// dracut-based anaconda (RHEL 7, Fedora 17–32): the boot media on
    /// `/run/install/repo`, `/mnt/install` → `/run/install`.
    Dracut,
    /// Anaconda with DBus-managed sources (RHEL 8 from 8.3, Fedora 33+):
    /// additionally `/run/install/sources/mount-*`.
    Sources,
}

impl Installer {
    pub fn of(version: SyntaxVersion) -> Installer {
        let major = version.major();
        if version.is_rhel() {
            match major {
                0..=6 => Installer::Loader,
                7 => Installer::Dracut,
                _ => Installer::Sources,
            }
        } else {
            match major {
                0..=15 => Installer::Loader,
                16 => Installer::LoaderMntInstall,
                17..=32 => Installer::Dracut,
                _ => Installer::Sources,
            }
        }
    }

    /// Where the media the installer booted from (a DVD, the ISO on a disk)
    /// can be read by `%pre` and `%post --nochroot` scripts.
    pub fn boot_media_path(self) -> &'static str {
        match self {
            Installer::Loader => "/mnt/source",
            Installer::LoaderMntInstall => "/mnt/install/source",
            Installer::Dracut | Installer::Sources => "/run/install/repo",
        }
    }
}

/// An installer mount point under which install media may be found.
#[derive(Debug)]
pub struct MediaMount {
    pub path: &'static str,
    /// The first and last installer generation that has it.
    pub since: Installer,
    pub until: Installer,
}

impl MediaMount {
    pub fn exists_on(&self, installer: Installer) -> bool {
        self.since <= installer && installer <= self.until
    }
}

/// Every media mount point, most specific first.
pub const MEDIA_MOUNTS: &[MediaMount] = &[
    MediaMount {
        path: "/run/install/sources",
        since: Installer::Sources,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/mnt/install/sources",
        since: Installer::Sources,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/run/install/repo",
        since: Installer::Dracut,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/run/install/source",
        since: Installer::Dracut,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/run/install/isodir",
        since: Installer::Dracut,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/mnt/install/repo",
        since: Installer::Dracut,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/mnt/install/source",
        since: Installer::LoaderMntInstall,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/mnt/install/isodir",
        since: Installer::LoaderMntInstall,
        until: Installer::Sources,
    },
    MediaMount {
        path: "/mnt/source",
        since: Installer::Loader,
        until: Installer::Loader,
    },
    MediaMount {
        path: "/mnt/isodir",
        since: Installer::Loader,
        until: Installer::Loader,
    },
    MediaMount {
        path: "/mnt/stage2",
        since: Installer::Loader,
        until: Installer::Loader,
    },
];

/// The media mount point `path` is under, if any.
pub fn media_mount(path: &str, complete: bool) -> Option<&'static MediaMount> {
    MEDIA_MOUNTS
        .iter()
        .find(|mount| path_is_under(path, mount.path, complete))
}

/// Whether the installer copies the output of scripts without `--log`
/// (`/tmp/ks-script-*.log`) into `/var/log/anaconda/` of the installed
/// system (anaconda 18 and later: Fedora 18, RHEL 7).
pub fn keeps_script_output(version: SyntaxVersion) -> bool {
    if version.is_rhel() {
        version.major() >= 7
    } else {
        version.major() >= 18
    }
}

/// Whether `/bin` is a symlink to `/usr/bin` (RHEL 7, Fedora 17 and later).
pub fn has_usr_merge(version: SyntaxVersion) -> bool {
    if version.is_rhel() {
        version.major() >= 7
    } else {
        version.major() >= 17
    }
}

/// Whether an interpreter exists where a script runs.
#[derive(Clone, Copy, Debug)]
pub enum Availability {
    Present,
    /// Absent, with the reason.
    Missing(&'static str),
    /// Only when one of the packages `%packages` installs provides it.
    WithPackage {
        accepts: fn(&str) -> bool,
        packages: &'static str,
    },
    /// kslint does not know.
    Unknown,
}

/// Where a script runs, for [`interpreter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The installer's RAM disk (`%pre`, `%post --nochroot`, …).
    Installer,
    /// The installed system (chrooted `%post`).
    Target,
}

fn python3_package(name: &str) -> bool {
    // python3, python36, python3.11, @python39:3.9 — not python3-libs.
    name.trim_start_matches('@')
        .strip_prefix("python3")
        .is_some_and(|rest| {
            !rest.contains('-')
                && rest
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_ascii_digit() || c == '.' || c == ':')
        })
}

fn unversioned_python_package(name: &str) -> bool {
    name == "python-unversioned-command"
}

fn python2_package(name: &str) -> bool {
    name == "python2" || name.starts_with("@python27")
}

/// Whether `path` exists as an interpreter where a script of `version` runs.
pub fn interpreter(path: &str, version: SyntaxVersion, place: Place) -> Availability {
    let rhel = version.is_rhel().then(|| version.major());
    match path {
        "/bin/sh" | "/bin/bash" => Availability::Present,
        "/usr/bin/sh" | "/usr/bin/bash" => {
            if has_usr_merge(version) {
                Availability::Present
            } else {
                Availability::Missing("before the /usr merge (RHEL 7, Fedora 17) the shell is only in /bin")
            }
        }
        "/usr/bin/python" => match (rhel, place) {
            (Some(0..=7), _) => Availability::Present,
            (Some(_), Place::Installer) => {
                Availability::Missing("the installer of RHEL 8 and later has no unversioned `python`; use /usr/bin/python3")
            }
            (Some(8), Place::Target) => Availability::Missing(
                "RHEL 8 has no unversioned `python` command until `alternatives --set python` picks one; use /usr/bin/python3 or /usr/libexec/platform-python",
            ),
            (Some(_), Place::Target) => Availability::WithPackage {
                accepts: unversioned_python_package,
                packages: "python-unversioned-command",
            },
            (None, _) => Availability::Unknown,
        },
        "/usr/bin/python2" => match (rhel, place) {
            (Some(0..=7), _) => Availability::Present,
            (Some(8), Place::Target) => Availability::WithPackage {
                accepts: python2_package,
                packages: "python2",
            },
            (Some(_), _) => Availability::Missing("RHEL 8 and later run Python 3 only (RHEL 8 has python2 as an optional package of the installed system)"),
            (None, _) => Availability::Unknown,
        },
        "/usr/bin/python3" => match (rhel, place) {
            (Some(0..=7), Place::Installer) => Availability::Missing(
                "the installer of RHEL 7 and earlier runs Python 2 and has no python3",
            ),
            (Some(0..=8), Place::Target) => Availability::WithPackage {
                accepts: python3_package,
                packages: "python3 (python36, python39, …)",
            },
            (Some(_), _) => Availability::Present,
            (None, _) => Availability::Unknown,
        },
        "/usr/libexec/platform-python" => match rhel {
            Some(8) => Availability::Present,
            Some(0..=7) => {
                Availability::Missing("platform-python first appeared in RHEL 8")
            }
            _ => Availability::Unknown,
        },
        _ => Availability::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str) -> SyntaxVersion {
        SyntaxVersion::parse(name).unwrap()
    }

    #[test]
    fn installer_generations_follow_the_releases() {
        assert_eq!(Installer::of(v("RHEL6")), Installer::Loader);
        assert_eq!(Installer::of(v("RHEL7")), Installer::Dracut);
        assert_eq!(Installer::of(v("RHEL9")), Installer::Sources);
        assert_eq!(Installer::of(v("F16")), Installer::LoaderMntInstall);
        assert_eq!(Installer::of(v("F20")), Installer::Dracut);
        assert_eq!(Installer::of(v("F40")), Installer::Sources);
    }

    #[test]
    fn media_mounts_by_release() {
        let mount = |path| media_mount(path, true).unwrap();
        assert!(mount("/mnt/source/x").exists_on(Installer::Loader));
        assert!(!mount("/mnt/source").exists_on(Installer::Dracut));
        assert!(mount("/mnt/install/repo/a").exists_on(Installer::Sources));
        assert!(!mount("/run/install/repo").exists_on(Installer::Loader));
        assert!(!mount("/run/install/sources/mount-0000-cdrom").exists_on(Installer::Dracut));
        assert!(media_mount("/mnt/sourcery", true).is_none());
        assert!(media_mount("/run/install/repository", true).is_none());
    }

    #[test]
    fn interpreters_by_release() {
        use Availability::*;
        assert!(matches!(
            interpreter("/usr/bin/python", v("RHEL7"), Place::Target),
            Present
        ));
        assert!(matches!(
            interpreter("/usr/bin/python", v("RHEL8"), Place::Installer),
            Missing(_)
        ));
        assert!(matches!(
            interpreter("/usr/bin/python3", v("RHEL7"), Place::Installer),
            Missing(_)
        ));
        assert!(matches!(
            interpreter("/usr/bin/python3", v("RHEL9"), Place::Target),
            Present
        ));
        assert!(matches!(
            interpreter("/usr/bin/bash", v("RHEL6"), Place::Target),
            Missing(_)
        ));
        assert!(matches!(
            interpreter("/usr/bin/perl", v("RHEL9"), Place::Target),
            Unknown
        ));
        assert!(python3_package("python3"));
        assert!(python3_package("python36"));
        assert!(python3_package("@python39:3.9"));
        assert!(!python3_package("python3-libs"));
        assert!(!python3_package("python-requests"));
    }
}
