//! RFB 3.8 server (to be written).
