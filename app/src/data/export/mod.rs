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
