//! The mesh as a graph: nodes, ports, cables; hop counts and paths for every
//! pair with all links up and with each single link down; links whose loss
//! would split the mesh.

use serde::Serialize;
use std::collections::VecDeque;

/// Index of a node in the spec's order.
pub type NodeIdx = usize;
/// Index of a link in the spec's order.
pub type LinkIdx = usize;

/// A cable between two node ports, by index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub a: (NodeIdx, String),
    pub b: (NodeIdx, String),
}

impl Link {
    /// The other end, seen from `node` (for a link that touches `node`).
    pub fn peer_of(&self, node: NodeIdx, port: &str) -> Option<(NodeIdx, &str)> {
        if self.a.0 == node && self.a.1 == port {
            Some((self.b.0, &self.b.1))
        } else if self.b.0 == node && self.b.1 == port {
            Some((self.a.0, &self.a.1))
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct Topology {
    pub node_count: usize,
    pub links: Vec<Link>,
    /// Per node: (neighbour, link), sorted for deterministic paths.
    adjacency: Vec<Vec<(NodeIdx, LinkIdx)>>,
}

/// Shortest paths from every node to every other: one BFS tree per source
/// (hops and the node before each destination), paths built on demand. A
/// path per pair, materialised for every cut link, made validate of a
/// 64-node ring cubic in allocations (issue 14 item 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    /// `hops[a][b]`: hops from a to b, or `None` if unreachable.
    hops: Vec<Vec<Option<usize>>>,
    /// `before[a][b]`: the node before b on the path from a (`None` for a
    /// itself and for unreachable nodes).
    before: Vec<Vec<Option<NodeIdx>>>,
}

impl Routes {
    pub fn hops(&self, a: NodeIdx, b: NodeIdx) -> Option<usize> {
        self.hops[a][b]
    }

    /// The nodes from a to b inclusive, or `None` if b is unreachable.
    pub fn path(&self, a: NodeIdx, b: NodeIdx) -> Option<Vec<NodeIdx>> {
        let h = self.hops[a][b]?;
        let mut path = Vec::with_capacity(h + 1);
        path.push(b);
        let mut cur = b;
        while let Some(p) = self.before[a][cur] {
            path.push(p);
            cur = p;
        }
        path.reverse();
        Some(path)
    }

    pub fn all_reachable(&self) -> bool {
        self.hops.iter().all(|row| row.iter().all(Option::is_some))
    }

    pub fn max_hops(&self) -> usize {
        self.hops
            .iter()
            .flatten()
            .flatten()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

impl Topology {
    pub fn new(node_count: usize, links: Vec<Link>) -> Self {
        let mut adjacency = vec![vec![]; node_count];
        for (i, l) in links.iter().enumerate() {
            adjacency[l.a.0].push((l.b.0, i));
            adjacency[l.b.0].push((l.a.0, i));
        }
        for adj in &mut adjacency {
            adj.sort_unstable();
        }
        Topology {
            node_count,
            links,
            adjacency,
        }
    }

    /// Links at a node, with the local port and the peer.
    pub fn links_of(&self, node: NodeIdx) -> impl Iterator<Item = (LinkIdx, &Link)> {
        self.links
            .iter()
            .enumerate()
            .filter(move |(_, l)| l.a.0 == node || l.b.0 == node)
    }

    /// Shortest paths with the links in `down` cut.
    pub fn routes_without(&self, down: &[LinkIdx]) -> Routes {
        let mut cut = vec![false; self.links.len()];
        for &l in down {
            if let Some(c) = cut.get_mut(l) {
                *c = true;
            }
        }
        let (hops, before) = (0..self.node_count).map(|src| self.bfs(src, &cut)).unzip();
        Routes { hops, before }
    }

    pub fn routes(&self) -> Routes {
        self.routes_without(&[])
    }

    /// From `src`: hops to every node and the node before it on the way.
    fn bfs(&self, src: NodeIdx, cut: &[bool]) -> (Vec<Option<usize>>, Vec<Option<NodeIdx>>) {
        let mut before: Vec<Option<NodeIdx>> = vec![None; self.node_count];
        let mut hops: Vec<Option<usize>> = vec![None; self.node_count];
        hops[src] = Some(0);
        let mut queue = VecDeque::from([src]);
        while let Some(u) = queue.pop_front() {
            let h = hops[u].unwrap_or(0) + 1;
            for &(v, l) in &self.adjacency[u] {
                if hops[v].is_none() && !cut[l] {
                    hops[v] = Some(h);
                    before[v] = Some(u);
                    queue.push_back(v);
                }
            }
        }
        (hops, before)
    }

    pub fn is_connected(&self) -> bool {
        self.node_count == 0 || self.routes_from_first().iter().all(Option::is_some)
    }

    fn routes_from_first(&self) -> Vec<Option<usize>> {
        self.bfs(0, &vec![false; self.links.len()]).0
    }

    /// Nodes not reachable from the first node.
    pub fn unreachable_from_first(&self) -> Vec<NodeIdx> {
        if self.node_count == 0 {
            return vec![];
        }
        self.routes_from_first()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Links whose loss alone splits the mesh (bridges of the graph), in
    /// link order. One depth-first walk (Tarjan's low-link), linear in the
    /// size of the mesh, instead of all routes per cut link (issue 14 item 10);
    /// iterative, so a long chain cannot overflow the stack.
    pub fn bridges(&self) -> Vec<LinkIdx> {
        let n = self.node_count;
        let mut order = vec![usize::MAX; n];
        let mut low = vec![0; n];
        let mut bridges = vec![];
        let mut next = 0;
        for root in 0..n {
            if order[root] != usize::MAX {
                continue;
            }
            order[root] = next;
            low[root] = next;
            next += 1;
            // (node, link it was entered by, next adjacency index)
            let mut stack: Vec<(NodeIdx, Option<LinkIdx>, usize)> = vec![(root, None, 0)];
            while let Some(top) = stack.last_mut() {
                let (u, via, i) = *top;
                if let Some(&(v, l)) = self.adjacency[u].get(i) {
                    top.2 += 1;
                    if Some(l) == via {
                        continue;
                    }
                    if order[v] == usize::MAX {
                        order[v] = next;
                        low[v] = next;
                        next += 1;
                        stack.push((v, Some(l), 0));
                    } else {
                        low[u] = low[u].min(order[v]);
                    }
                } else {
                    stack.pop();
                    if let (Some(&(p, _, _)), Some(l)) = (stack.last(), via) {
                        low[p] = low[p].min(low[u]);
                        if low[u] > order[p] {
                            bridges.push(l);
                        }
                    }
                }
            }
        }
        bridges.sort_unstable();
        bridges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> Topology {
        let links = (0..n)
            .map(|i| Link {
                a: (i, "en06".into()),
                b: ((i + 1) % n, "en05".into()),
            })
            .collect();
        Topology::new(n, links)
    }

    #[test]
    fn three_ring_is_one_hop_everywhere_and_two_with_a_cut() {
        let t = ring(3);
        let r = t.routes();
        assert_eq!(r.max_hops(), 1);
        let cut = t.routes_without(&[0]); // 0 -- 1 cut
        assert_eq!(cut.hops(0, 1), Some(2));
        assert_eq!(cut.path(0, 1), Some(vec![0, 2, 1]));
        assert!(t.bridges().is_empty());
    }

    #[test]
    fn five_ring_has_two_hop_pairs() {
        let r = ring(5).routes();
        assert_eq!(r.hops(0, 2), Some(2));
        assert_eq!(r.max_hops(), 2);
    }

    #[test]
    fn a_line_has_bridges_and_splits() {
        let t = Topology::new(
            3,
            vec![
                Link {
                    a: (0, "a".into()),
                    b: (1, "a".into()),
                },
                Link {
                    a: (1, "b".into()),
                    b: (2, "a".into()),
                },
            ],
        );
        assert_eq!(t.bridges(), vec![0, 1]);
        assert!(!t.routes_without(&[1]).all_reachable());
        assert!(t.is_connected());
        let split = Topology::new(
            3,
            vec![Link {
                a: (0, "a".into()),
                b: (1, "a".into()),
            }],
        );
        assert_eq!(split.unreachable_from_first(), vec![2]);
    }

    /// The linear bridge finder agrees with the definition (a cut link
    /// leaves some pair unreachable) on rings, lines, parallel cables and
    /// a ring with a tail.
    #[test]
    fn bridges_match_their_definition() {
        let link = |a: usize, b: usize| Link {
            a: (a, format!("p{b}")),
            b: (b, format!("p{a}")),
        };
        let cases = vec![
            Topology::new(6, (0..6).map(|i| link(i, (i + 1) % 6)).collect()),
            Topology::new(5, (0..4).map(|i| link(i, i + 1)).collect()),
            Topology::new(
                2,
                vec![
                    link(0, 1),
                    Link {
                        a: (0, "x".into()),
                        b: (1, "y".into()),
                    },
                ],
            ),
            Topology::new(
                6,
                vec![
                    link(0, 1),
                    link(1, 2),
                    link(2, 0),
                    link(2, 3),
                    link(3, 4),
                    link(4, 5),
                    link(5, 3),
                ],
            ),
        ];
        for t in cases {
            let by_definition: Vec<LinkIdx> = (0..t.links.len())
                .filter(|&l| !t.routes_without(&[l]).all_reachable())
                .collect();
            assert_eq!(t.bridges(), by_definition);
        }
    }
}
