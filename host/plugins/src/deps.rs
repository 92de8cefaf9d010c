//! Plugin dependencies: present, of an accepted version, acyclic, and the load order they
//! imply (dependencies first, otherwise the order of `PLUGINS`).

use std::path::Path;

use nautobot_plugin_abi::Dependency;
use semver::{Version, VersionReq};

use super::checks::dependency_req;
use nautobot_base::LoadError;

/// What the ordering needs to know of one plugin.
pub struct Node<'a> {
    /// The plugin's name.
    pub name: &'a str,
    /// Its library file.
    pub file: &'a Path,
    /// Its version (already checked to be semver).
    pub version: Version,
    /// What it depends on.
    pub dependencies: &'a [Dependency],
}

/// Checks every dependency and returns the indices of `nodes` in load order.
pub fn load_order(nodes: &[Node<'_>]) -> Result<Vec<usize>, LoadError> {
    let index = |name: &str| nodes.iter().position(|n| n.name == name);
    let listed = || {
        let names: Vec<&str> = nodes.iter().map(|n| n.name).collect();
        format!("PLUGINS = {names:?}")
    };
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let mut targets = Vec::new();
        for dep in node.dependencies {
            let Some(target) = index(&dep.name) else {
                return Err(LoadError::new(
                    node.name,
                    Some(node.file),
                    format!("dependency '{}' is missing", dep.name),
                    format!("'{}' listed in PLUGINS", dep.name),
                    listed(),
                ));
            };
            let req_text = dependency_req(&dep.version);
            let req = VersionReq::parse(req_text).map_err(|_| {
                LoadError::new(
                    node.name,
                    Some(node.file),
                    format!("invalid version requirement for dependency '{}'", dep.name),
                    "a semver requirement",
                    format!("'{req_text}'"),
                )
            })?;
            if !req.matches(&nodes[target].version) {
                return Err(LoadError::new(
                    node.name,
                    Some(node.file),
                    format!("dependency '{}' has an unsupported version", dep.name),
                    format!("{} {req_text}", dep.name),
                    format!("{} {}", dep.name, nodes[target].version),
                ));
            }
            targets.push(target);
        }
        edges.push(targets);
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    let mut marks = vec![Mark::New; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<usize> = Vec::new();

    fn visit(
        i: usize,
        nodes: &[Node<'_>],
        edges: &[Vec<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), LoadError> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle: Vec<&str> = stack[start..].iter().map(|&s| nodes[s].name).collect();
                cycle.push(nodes[i].name);
                let first = stack[start];
                return Err(LoadError::new(
                    nodes[first].name,
                    Some(nodes[first].file),
                    "dependency cycle",
                    "plugins whose dependencies form no cycle",
                    cycle.join(" -> "),
                ));
            }
            Mark::New => {}
        }
        marks[i] = Mark::Visiting;
        stack.push(i);
        for &dep in &edges[i] {
            visit(dep, nodes, edges, marks, stack, order)?;
        }
        stack.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }

    for i in 0..nodes.len() {
        visit(i, nodes, &edges, &mut marks, &mut stack, &mut order)?;
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, version: &str) -> Dependency {
        Dependency {
            name: name.into(),
            version: version.into(),
        }
    }

    fn node<'a>(name: &'a str, deps: &'a [Dependency]) -> Node<'a> {
        Node {
            name,
            file: Path::new("/p"),
            version: Version::new(1, 2, 0),
            dependencies: deps,
        }
    }

    #[test]
    fn dependencies_load_first_and_order_is_otherwise_kept() {
        let a = [dep("c", "^1")];
        let nodes = [node("a", &a), node("b", &[]), node("c", &[])];
        assert_eq!(load_order(&nodes).unwrap(), vec![2, 0, 1]);
    }

    #[test]
    fn a_missing_dependency_is_named() {
        let a = [dep("ghost", "*")];
        let err = load_order(&[node("a", &a)]).unwrap_err().to_string();
        assert_eq!(
            err,
            "Plugin 'a' (/p): dependency 'ghost' is missing: expected 'ghost' listed in PLUGINS, found PLUGINS = [\"a\"]"
        );
    }

    #[test]
    fn a_wrong_version_is_named() {
        let a = [dep("b", ">=9.0.0")];
        let err = load_order(&[node("a", &a), node("b", &[])])
            .unwrap_err()
            .to_string();
        assert!(err.contains(
            "dependency 'b' has an unsupported version: expected b >=9.0.0, found b 1.2.0"
        ));
    }

    #[test]
    fn cycles_are_spelled_out() {
        let a = [dep("b", "*")];
        let b = [dep("c", "")];
        let c = [dep("a", "*")];
        let err = load_order(&[node("a", &a), node("b", &b), node("c", &c)])
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("dependency cycle: expected plugins whose dependencies form no cycle, found a -> b -> c -> a"), "{err}");
    }
}
