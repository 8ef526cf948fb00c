//! Topology drawings: ASCII for terminals, Graphviz dot, and self-contained SVG.

use crate::Cluster;

pub fn ascii(c: &Cluster) -> String {
    let _ = c;
    String::from("diagram: not implemented yet\n")
}

pub fn dot(c: &Cluster) -> String {
    ascii(c)
}

pub fn svg(c: &Cluster) -> String {
    ascii(c)
}
