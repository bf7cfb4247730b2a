//! VMs to and from other virtualisation stacks: a libvirt domain XML (`libvirt`, and back with
//! `import`) and a KubeVirt `VirtualMachine` manifest (`kubevirt`). Each direction lists what it
//! cannot carry over as notes for the person, in their language.

pub mod import;
pub mod kubevirt;
pub mod libvirt;
#[cfg(test)]
pub mod tests;
#[cfg(test)]
pub mod tests_import;
mod xml;

/// Our namespace in a domain's `<metadata>`: what only vmdesk reads back.
pub const VMDESK_NS: &str = "https://github.com/vmdesk/vmdesk/xmlns/libvirt/1";

/// An exported VM: the file's text, what it could not express, and (KubeVirt) the commands
/// that upload the VM's disk images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub text: String,
    pub notes: Vec<String>,
    pub uploads: Vec<String>,
}

/// What to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Libvirt,
    Kubevirt,
}

impl Target {
    /// The file name offered for VM `id`'s export.
    pub fn file_name(self, id: &str) -> String {
        match self {
            Target::Libvirt => format!("{id}.xml"),
            Target::Kubevirt => format!("{id}-kubevirt.json"),
        }
    }
}

/// Exports `cfg` (the VM in `vm_dir`) to `file`, written atomically; the disks are uploaded
/// (KubeVirt).
pub fn export_to(
    cfg: &vmm_core::config::VmConfig,
    vm_dir: &std::path::Path,
    target: Target,
    file: &std::path::Path,
) -> Result<Exported, String> {
    let x = match target {
        Target::Libvirt => libvirt::export(cfg, vm_dir)?,
        Target::Kubevirt => kubevirt::export(cfg, &kubevirt::Options::default())?,
    };
    vmm_core::util::write_atomic(file, x.text.as_bytes())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(x)
}

/// Why an import made no VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file is no domain vmdesk can run (the reason names the element or file).
    Refused(String),
    /// The VM's folder could not be written.
    Write(String),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Refused(m) | ImportError::Write(m) => f.write_str(m),
        }
    }
}

/// Imports the libvirt domain in `file` as a new VM of the library: its config as written and
/// the notes. Nothing is written when it fails.
pub fn import_to_library(
    paths: &crate::data::paths::Paths,
    file: &std::path::Path,
    host: &vmm_core::config::HostLimits,
) -> Result<(vmm_core::config::VmConfig, Vec<String>), ImportError> {
    let taken: Vec<String> = crate::data::store::list(paths)
        .into_iter()
        .map(|e| e.id)
        .collect();
    let i = import::import_file(file, &taken, host).map_err(ImportError::Refused)?;
    let cfg = crate::data::disks::create_vm(paths, &i.config, None).map_err(ImportError::Write)?;
    Ok((cfg, i.notes))
}
