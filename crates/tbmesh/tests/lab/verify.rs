//! `tbmesh verify` on the lab: a verified mesh, a cut cable, a deaf port.
