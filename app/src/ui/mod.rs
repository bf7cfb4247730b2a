//! The GUI: the iced application (`app`), one module per screen (`screen`), shared widgets and
//! style. It gets everything it shows from `crate::data`.

pub mod app;
pub mod backing;
pub mod chooser;
pub mod form;
pub mod hardware;
pub mod screen;
pub mod style;
pub mod trace;
pub mod vnc;
pub mod widget;
