//! A VNC server (RFB 3.8, RFC 6143; 3.3 and 3.7 clients too) for one VM's display.
//!
//! # Why we speak RFB ourselves
//!
//! We looked at what crates.io has (2026): `rustvncserver` is the only complete one, and it
//! is built on Tokio (async tasks, its own framebuffer copy fed through an API, its own
//! event channel); `vncrs` is a Windows screen-sharing server; `rfbserver` and `rvnc` are
//! placeholders with no server in them. The VMM is thread-based with no async runtime, the
//! app reaches the VM through a Unix socket, and our damage model (the display thread
//! publishes dirty rectangles from KVM's dirty log; every client pulls its own accumulated
//! damage with [`ClientDamage::take`](super::ClientDamage::take)) would have to be bridged
//! into a second framebuffer and a runtime. The part of RFB a VM console needs (handshake,
//! VNC auth, seven client messages, Raw + ZRLE + DesktopSize + ExtendedDesktopSize + Cursor)
//! is small, so we wrote it here: plain threads and blocking sockets, and a byte-buffer
//! message parser that we fuzz.
//!
//! # Structure
//!
//! - [`serve_unix`] / [`serve_tcp`] bind a listener and start one acceptor thread.
//! - Each client gets a thread that does the handshake and then reads client messages
//!   (input goes straight to the [`InputSink`](super::InputSink), so typing never waits
//!   behind a slow screen update), and a writer thread that answers FramebufferUpdateRequests
//!   from the client's own [`ClientDamage`](super::ClientDamage). Writes have a timeout; a
//!   client that falls behind simply finds more (merged) damage when it asks again. An idle
//!   guest publishes no damage, so nothing is sent.
//! - [`proto`] is the wire format and parser, [`encode`] the Raw/ZRLE encoders,
//!   [`keysym`] the X11 keysym to evdev mapping, [`auth`] VNC Authentication.
//! - [`desktop`]: size requests and the pointer. Encodings: Raw (0), ZRLE (16); pseudo-encodings
//!   DesktopSize (-223), ExtendedDesktopSize (-308, with the SetDesktopSize message 251: a
//!   display with a resize hook forwards the size to the guest, others answer "prohibited";
//!   see the module for the status codes) and Cursor (-239: the guest's pointer image, with a
//!   bitmask from its alpha, sent once per shape change; the pointer moves locally).

pub mod auth;
pub mod desktop;
pub mod encode;
mod gate;
mod handshake;
pub mod keysym;
pub mod proto;
mod rects;
mod server;
mod session;
mod wire;

pub use server::{serve_tcp, serve_unix, VncOptions, VncServer, VncStats};
