//! The Debian 13 root filesystem both backends boot, built once by
//! debootstrap and cached under a name derived from its recipe.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::host::Cmd;
use crate::lock::Lock;

/// The recipe: changing it changes the cache name, so the image is rebuilt.
pub const RECIPE: &str = include_str!("image/build.sh");

pub const DEFAULT_CACHE: &str = "/var/cache/tbmesh-lab";
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

pub fn cache_dir() -> PathBuf {
    std::env::var_os("TBMESH_LAB_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE))
}

pub fn recipe_hash() -> String {
    let digest = Sha256::digest(RECIPE.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageInfo {
    pub recipe: String,
    pub build_seconds: f64,
    pub built_unix: u64,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub dir: PathBuf,
    pub info: ImageInfo,
    /// Whether this call built it.
    pub fresh: bool,
}

impl Image {
    pub fn rootfs(&self) -> PathBuf {
        self.dir.join("rootfs")
    }
}

fn read_info(dir: &Path) -> Option<ImageInfo> {
    let text = fs::read_to_string(dir.join("image.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The cached image for the current recipe, built first if missing. Safe
/// to call from several processes at once: the build runs under a lock.
pub fn ensure(log: &mut dyn FnMut(&str)) -> Result<Image> {
    let cache = cache_dir();
    let dir = cache.join(format!("image-{}", recipe_hash()));
    if let Some(info) = read_info(&dir) {
        return Ok(Image {
            dir,
            info,
            fresh: false,
        });
    }
    fs::create_dir_all(&cache).with_context(|| format!("creating {}", cache.display()))?;
    let _lock = Lock::exclusive(&cache.join(".lock"), "the image cache", log)?;
    if let Some(info) = read_info(&dir) {
        return Ok(Image {
            dir,
            info,
            fresh: false,
        });
    }
    build(&cache, &dir, log)
}

fn build(cache: &Path, dir: &Path, log: &mut dyn FnMut(&str)) -> Result<Image> {
    crate::host::which("debootstrap")?;
    let tmp = cache.join(format!("image-{}.tmp", recipe_hash()));
    if tmp.exists() {
        // A killed debootstrap of an older version of this code could
        // leave /proc mounted inside; never delete through a mount.
        unmount_below(&tmp)?;
        fs::remove_dir_all(&tmp)
            .with_context(|| format!("removing the unfinished build {}", tmp.display()))?;
    }
    fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let script = tmp.join("build.sh");
    fs::write(&script, RECIPE).with_context(|| format!("writing {}", script.display()))?;
    let build_log = cache.join(format!("image-{}.log", recipe_hash()));
    let mirror = std::env::var("TBMESH_LAB_MIRROR").unwrap_or_else(|_| DEFAULT_MIRROR.into());
    log(&format!(
        "image: building Debian 13 (trixie) with debootstrap from {mirror} (a few minutes); log: {}",
        build_log.display()
    ));
    let start = Instant::now();
    // In a mount namespace of its own: what debootstrap mounts in the
    // chroot (/proc, /sys) goes away with it, even if it is killed.
    let built = Cmd::new("unshare")
        .args(["--mount", "--propagation", "private", "bash"])
        .arg(&script)
        .env("ROOTFS", tmp.join("rootfs"))
        .env("MIRROR", &mirror)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run_logged(&build_log);
    if let Err(err) = built {
        let text = fs::read_to_string(&build_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        return Err(err.context(format!("building the image failed; last lines:\n{tail}")));
    }
    let info = ImageInfo {
        recipe: recipe_hash(),
        build_seconds: (start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        built_unix: crate::now_unix(),
    };
    let json = serde_json::to_string_pretty(&info).context("encoding image.json")?;
    fs::write(tmp.join("image.json"), json)
        .with_context(|| format!("writing {}", tmp.join("image.json").display()))?;
    fs::rename(&tmp, dir)
        .with_context(|| format!("moving {} to {}", tmp.display(), dir.display()))?;
    log(&format!(
        "image: built in {:.0} s: {}",
        info.build_seconds,
        dir.display()
    ));
    Ok(Image {
        dir: dir.to_path_buf(),
        info,
        fresh: true,
    })
}

/// Unmounts (lazily, deepest first) everything mounted below `dir`.
fn unmount_below(dir: &Path) -> Result<()> {
    let info = fs::read_to_string("/proc/self/mountinfo").context("reading mountinfo")?;
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort();
    for point in points.iter().rev() {
        Cmd::new("umount").arg("-l").arg(point).run()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_names_the_packages_the_issue_lists() {
        for pkg in [
            "systemd-sysv",
            "udev",
            "linux-image-amd64",
            "openssh-server",
            "ifupdown2",
            "iproute2",
            "iputils-ping",
            "frr",
            "frr-pythontools",
            "iperf3",
            "ethtool",
            "lldpd",
            "chrony",
            "lvm2",
            "ceph-mon",
            "ceph-mgr",
            "ceph-osd",
            "ceph-volume",
            "python3-cffi-backend",
        ] {
            assert!(
                RECIPE.split_whitespace().any(|w| w == pkg),
                "{pkg} missing from the image recipe"
            );
        }
    }

    #[test]
    fn hash_is_short_and_stable() {
        assert_eq!(recipe_hash().len(), 16);
        assert_eq!(recipe_hash(), recipe_hash());
    }
}
