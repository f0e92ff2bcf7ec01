//! The shared public data's domain labels (a city message board's first level) on xinfang's domain tree.
//!
//! The board names seven first-level domains; xinfang's default tree (brief §4) is wider and names some of
//! them differently. Each board label maps to the node that covers the same problems. The board's labels
//! have no second level, so a model trained on them suggests first levels only.

/// `(board label, xinfang first-level domain)`.
pub const BOARD_TO_TREE: &[(&str, &str)] = &[
    ("城乡建设", "城乡建设"),
    ("劳动和社会保障", "劳动和社会保障"),
    ("教育文体", "教育"),
    ("商贸旅游", "商贸旅游"),
    ("环境保护", "生态环境"),
    ("卫生计生", "卫生健康"),
    ("交通运输", "交通运输"),
];

/// xinfang's domain for a board label (padding ignored), or `None` for a label the board does not use.
pub fn tree_domain(board_label: &str) -> Option<&'static str> {
    let label = board_label.trim();
    BOARD_TO_TREE
        .iter()
        .find(|(board, _)| *board == label)
        .map(|(_, tree)| *tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::catalog::{DomainPath, DomainTree};

    #[test]
    fn every_board_label_is_a_node_of_the_default_tree() {
        let tree = DomainTree::default();
        for (board, ours) in BOARD_TO_TREE {
            assert!(
                tree.contains(&DomainPath::new(ours, None)),
                "{board} → {ours}"
            );
        }
        assert_eq!(tree_domain(" 环境保护 "), Some("生态环境"));
        assert_eq!(tree_domain("卫生计生"), Some("卫生健康"));
        assert_eq!(tree_domain("天气"), None);
    }
}
