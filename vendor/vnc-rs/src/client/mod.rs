mod auth;
pub mod connection;
pub mod connector;
mod messages;
mod security;

pub use connection::VncClient;
pub use connector::VncConnector;

mod resize;
