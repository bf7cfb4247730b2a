//! One module per screen, each with its own `Message`, `update` and view (Halloy style).

pub mod check;
pub mod compare;
pub mod console;
pub mod details;
pub mod library;
pub mod projector;
pub mod wizard;
