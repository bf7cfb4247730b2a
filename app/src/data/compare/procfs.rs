//! What the kernel says about a running process: its namespaces, its cgroups and their limits,
//! its root mount. Read from /proc and the cgroup files, never taken from the config we wrote.

use super::{CgroupReport, Namespace, OverlayLayers};
use std::fs;
use std::path::{Path, PathBuf};

/// The namespace kinds /proc/<pid>/ns shows (Linux 5.6+ has all eight).
pub const NAMESPACES: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/// Each namespace of `pid` next to this process's own: which differ is what is isolated.
pub fn namespaces(pid: u32) -> Vec<Namespace> {
    NAMESPACES
        .iter()
        .filter_map(|kind| {
            let inside = fs::read_link(format!("/proc/{pid}/ns/{kind}")).ok()?;
            let host = fs::read_link(format!("/proc/self/ns/{kind}")).ok()?;
            Some(Namespace {
                kind: kind.to_string(),
                inside: inside.to_string_lossy().into_owned(),
                host: host.to_string_lossy().into_owned(),
            })
        })
        .collect()
}

/// The pid `pid` has inside its own pid namespace (the last field of `NSpid:`).
pub fn pid_inside(pid: u32) -> Option<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line.split_whitespace().last()?.parse().ok()
}

/// `/proc/<pid>/cmdline` with spaces between the arguments.
pub fn cmdline(pid: u32) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    (!args.is_empty()).then(|| args.join(" "))
}

/// One line of /proc/<pid>/mountinfo, the fields this module uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountLine {
    pub root: String,
    pub mount_point: String,
    pub fstype: String,
    pub source: String,
    pub super_options: String,
}

/// Parses mountinfo (proc(5)): `id parent major:minor root mount-point options [tags] - fstype
/// source super-options`.
pub fn mountinfo(text: &str) -> Vec<MountLine> {
    text.lines()
        .filter_map(|l| {
            let (before, after) = l.split_once(" - ")?;
            let b: Vec<&str> = before.split(' ').collect();
            let a: Vec<&str> = after.split(' ').collect();
            Some(MountLine {
                root: unescape(b.get(3)?),
                mount_point: unescape(b.get(4)?),
                fstype: a.first()?.to_string(),
                source: unescape(a.get(1)?),
                super_options: a.get(2).map(|s| unescape(s)).unwrap_or_default(),
            })
        })
        .collect()
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            let digits = std::str::from_utf8(&b[i + 1..i + 4]).ok();
            if let Some(v) = digits.and_then(|d| u8::from_str_radix(d, 8).ok()) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The overlay layers of `pid`'s root, from its mountinfo; None when its root is no overlay.
pub fn overlay_root(pid: u32) -> Option<OverlayLayers> {
    let text = fs::read_to_string(format!("/proc/{pid}/mountinfo")).ok()?;
    let root = mountinfo(&text)
        .into_iter()
        .rev()
        .find(|m| m.mount_point == "/")?;
    if root.fstype != "overlay" {
        return None;
    }
    let opt = |name: &str| {
        root.super_options
            .split(',')
            .find_map(|o| o.strip_prefix(name))
            .map(str::to_string)
    };
    Some(OverlayLayers {
        lower: opt("lowerdir=")?.split(':').map(PathBuf::from).collect(),
        upper: PathBuf::from(opt("upperdir=")?),
        work: PathBuf::from(opt("workdir=")?),
    })
}

/// Where this host mounts its cgroup hierarchies: the v2 one, and each v1 one with its
/// controllers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupMounts {
    pub v2: Option<PathBuf>,
    pub v1: Vec<(PathBuf, Vec<String>)>,
}

impl CgroupMounts {
    pub fn of_host() -> CgroupMounts {
        let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        Self::parse(&mountinfo(&text))
    }

    pub fn parse(mounts: &[MountLine]) -> CgroupMounts {
        let mut out = CgroupMounts::default();
        for m in mounts {
            match m.fstype.as_str() {
                "cgroup2" if out.v2.is_none() => out.v2 = Some(PathBuf::from(&m.mount_point)),
                "cgroup" => {
                    let ctrls = m
                        .super_options
                        .split(',')
                        .filter(|o| !matches!(*o, "rw" | "ro" | "relatime") && !o.contains('='))
                        .map(str::to_string)
                        .collect();
                    out.v1.push((PathBuf::from(&m.mount_point), ctrls));
                }
                _ => {}
            }
        }
        out
    }

    fn v1_with(&self, controller: &str) -> Option<&Path> {
        self.v1
            .iter()
            .find(|(_, c)| c.iter().any(|c| c == controller))
            .map(|(p, _)| p.as_path())
    }

    /// Whether crun 1.8 refuses this host: v1 hierarchies at /sys/fs/cgroup and controllers
    /// enabled on the v2 one too ("hybrid mode").
    pub fn hybrid_with_v2_controllers(&self) -> bool {
        let Some(v2) = &self.v2 else { return false };
        if self.v1.is_empty() || v2 == Path::new("/sys/fs/cgroup") {
            return false;
        }
        fs::read_to_string(v2.join("cgroup.controllers"))
            .map(|c| !c.trim().is_empty())
            .unwrap_or(false)
    }
}

/// The memory and CPU limits and the memory in use of `pid`'s cgroup, read from the files of
/// the hierarchy that holds its memory controller (v1) or from the v2 one.
pub fn cgroup(pid: u32, mounts: &CgroupMounts) -> Result<CgroupReport, String> {
    let file = format!("/proc/{pid}/cgroup");
    let text = fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
    let path_for = |ctrl: &str| {
        text.lines().find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
            ctrls
                .split(',')
                .any(|c| c == ctrl)
                .then(|| path.trim_start_matches('/').to_string())
        })
    };
    let read = |p: PathBuf| -> Result<String, String> {
        fs::read_to_string(&p)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    if let (Some(mem_root), Some(mem_path)) = (mounts.v1_with("memory"), path_for("memory")) {
        let cpu_root = mounts
            .v1_with("cpu")
            .ok_or("no cgroup v1 cpu hierarchy is mounted")?;
        let cpu_path = path_for("cpu").ok_or(format!("{file}: no cpu cgroup"))?;
        let mem = mem_root.join(&mem_path);
        let cpu = cpu_root.join(&cpu_path);
        let quota: i64 = parse(&read(cpu.join("cpu.cfs_quota_us"))?)?;
        return Ok(CgroupReport {
            version: 1,
            path: format!("/{mem_path}"),
            memory_max: Some(parse(&read(mem.join("memory.limit_in_bytes"))?)?),
            memory_current: parse(&read(mem.join("memory.usage_in_bytes"))?)?,
            cpu_quota_us: u64::try_from(quota).ok(),
            cpu_period_us: parse(&read(cpu.join("cpu.cfs_period_us"))?)?,
            files: vec![
                mem.join("memory.limit_in_bytes"),
                cpu.join("cpu.cfs_quota_us"),
                cpu.join("cpu.cfs_period_us"),
            ],
        });
    }
    let v2_root = mounts
        .v2
        .as_deref()
        .ok_or("neither a cgroup v2 hierarchy nor a v1 memory hierarchy is mounted")?;
    let path = path_for("").ok_or(format!("{file}: no cgroup v2 line"))?;
    let dir = v2_root.join(&path);
    let max = read(dir.join("memory.max"))?;
    let cpu = read(dir.join("cpu.max"))?;
    let (quota, period) = cpu.split_once(' ').unwrap_or((cpu.as_str(), "100000"));
    Ok(CgroupReport {
        version: 2,
        path: format!("/{path}"),
        memory_max: (max != "max").then(|| parse(&max)).transpose()?,
        memory_current: parse(&read(dir.join("memory.current"))?)?,
        cpu_quota_us: (quota != "max").then(|| parse(quota)).transpose()?,
        cpu_period_us: parse(period)?,
        files: vec![dir.join("memory.max"), dir.join("cpu.max")],
    })
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("not a number in a cgroup file: {s:?}"))
}

/// The running kernel's release (`uname -r`).
pub fn host_kernel() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_finds_overlay_layers_and_cgroup_hierarchies() {
        let text = "117 83 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/t/lower,upperdir=/t/up\\040x,workdir=/t/work\n\
            35 25 0:30 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,relatime,memory\n\
            36 25 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n\
            37 25 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n\
            38 25 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let m = mountinfo(text);
        assert_eq!(
            m[0].super_options.split(',').nth(2),
            Some("upperdir=/t/up x")
        );
        let c = CgroupMounts::parse(&m);
        assert_eq!(c.v2.as_deref(), Some(Path::new("/sys/fs/cgroup/unified")));
        assert_eq!(c.v1_with("cpuacct"), Some(Path::new("/sys/fs/cgroup/cpu")));
        assert_eq!(
            c.v1_with("memory"),
            Some(Path::new("/sys/fs/cgroup/memory"))
        );
        assert_eq!(c.v1[2].1, Vec::<String>::new());
    }
}
