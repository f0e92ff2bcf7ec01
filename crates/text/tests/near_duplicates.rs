//! Near-duplicate lookup on the kinds of copies petition offices see, and the hard negatives beside them:
//! another problem in the same place and domain.

use xinfang_text::dedup::DedupIndex;

const LETTER: &str = "尊敬的领导：我们是江川市上城区望江街道某小区的业主。小区3号楼电梯自今年五月起停运，\
至今已两个多月，物业公司以维修资金不足为由拒绝维修。楼内有十多位七十岁以上的老人，上下楼十分困难，\
有一位老人因此无法按时去医院复诊。我们多次向物业和社区反映，均无结果。恳请政府督促物业尽快修复电梯，\
并公开维修资金的使用情况。";

const SECOND_PARAGRAPH: &str = "此外，小区地下车库雨天积水严重，业主车辆多次被淹，希望一并解决。";

const OTHER_PROBLEM: &str = "尊敬的领导：我们是江川市上城区望江街道某小区的业主。小区东门外的菜市场每天清晨\
四点开始卸货，噪音很大，周边居民长期无法休息，还有商贩占道经营，垃圾随意堆放，气味难闻。我们多次向\
城管和街道反映，均无结果。恳请政府督促有关部门依法整治。";

fn index() -> DedupIndex<&'static str> {
    let mut index = DedupIndex::new();
    index.insert("original", LETTER);
    index.insert("other", OTHER_PROBLEM);
    index
}

fn best(index: &DedupIndex<&'static str>, text: &str) -> Option<(&'static str, f64)> {
    index
        .near_duplicates(text, 0.8)
        .first()
        .map(|d| (d.id, d.similarity.containment))
}

#[test]
fn copies_sent_to_several_offices_are_found() {
    let (id, score) = best(&index(), LETTER).unwrap();
    assert_eq!(id, "original");
    assert!((score - 1.0).abs() < 1e-9);
}

#[test]
fn edited_copies_greetings_signatures_and_reordered_paragraphs_are_found() {
    let index = index();
    let greeted =
        format!("市长您好！\n{LETTER}\n此致\n敬礼\n全体业主 2025年7月3日 联系电话13800138000");
    let edited = LETTER
        .replace("两个多月", "六十多天")
        .replace("十多位", "十几位")
        .replace("恳请", "请求");
    let (first, second) = LETTER.split_at(LETTER.find("我们多次").unwrap());
    let reordered = format!("{second}{first}");
    let extended = format!("{LETTER}{SECOND_PARAGRAPH}");
    let spaced = LETTER.replace('，', " , ").replace('。', "。\n\n");
    for (what, text) in [
        ("greeting and signature", greeted.as_str()),
        ("edited", edited.as_str()),
        ("reordered", reordered.as_str()),
        ("a paragraph added", extended.as_str()),
        ("layout", spaced.as_str()),
    ] {
        let found = best(&index, text);
        assert_eq!(found.map(|f| f.0), Some("original"), "{what}: {found:?}");
    }
}

#[test]
fn another_problem_in_the_same_place_is_not_a_duplicate() {
    let index = index();
    let found = index.near_duplicates(OTHER_PROBLEM, 0.8);
    assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), ["other"]);
    let scores = index.near_duplicates(LETTER, 0.0);
    let other = scores
        .iter()
        .find(|d| d.id == "other")
        .map(|d| d.similarity.containment);
    assert!(
        other.is_none_or(|s| s < 0.5),
        "shared greeting and place only: {other:?}"
    );
}

#[test]
fn short_or_empty_texts_are_never_called_copies() {
    let mut index = DedupIndex::new();
    index.insert(1, "请处理");
    index.insert(2, "");
    assert!(index.is_empty());
    assert!(index.near_duplicates("请处理", 0.0).is_empty());
    assert!(index.near_duplicates("😀😀😀\u{0}\u{1}", 0.0).is_empty());
}

#[test]
fn among_many_templated_texts_the_copy_and_only_it_is_found() {
    // Ten thousand texts from one template: the greeted copy finds its original and nothing else.
    let mut index = DedupIndex::new();
    for i in 0..10_000u32 {
        let text = format!(
            "第{i}号来信反映江川市第{}小区{}号楼的问题：{}",
            i % 97,
            i % 13,
            i.wrapping_mul(2_654_435_761)
        );
        index.insert(i, &text);
    }
    index.insert(99_999, LETTER);
    let found = index.near_duplicates(&format!("您好，{LETTER}谢谢"), 0.8);
    assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), [99_999]);
}
