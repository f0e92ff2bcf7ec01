//! The purpose (信访目的) by cue words, until staff choices are enough to learn it.
//!
//! There is no labelled data for purpose, so these rules are small and written down, and their confidence
//! says how much they saw, not how often they are right: it is a score in 0..1 that grows with the cue
//! weight of the chosen purpose and falls with the weight of the others, never a calibrated probability.
//! With no cue at all the answer is 申诉求决 (asking for a concrete solution, the common case of
//! petitions) at a low score. Once a database holds enough registered contacts, `xinfang train --data`
//! learns purpose like domain, and the rules stand aside.

use xinfang_domain::catalog::Purpose;

/// Cue words and their weight. Weights say how strongly a word points at its purpose on its own: 举报 is
/// close to proof of an accusation, 希望 only a hint of a suggestion.
const CUES: &[(Purpose, &[(&str, f32)])] = &[
    (
        Purpose::Accusation,
        &[
            ("举报", 3.0),
            ("检举", 3.0),
            ("控告", 3.0),
            ("揭发", 3.0),
            ("实名举报", 2.0),
            ("贪污", 2.0),
            ("受贿", 2.0),
            ("索贿", 2.0),
            ("行贿", 2.0),
            ("挪用", 1.5),
            ("腐败", 2.0),
            ("违纪", 2.0),
            ("渎职", 2.0),
            ("滥用职权", 2.0),
            ("以权谋私", 2.0),
            ("保护伞", 2.0),
            ("包庇", 1.5),
            ("虚报冒领", 2.0),
            ("侵吞", 2.0),
            ("违法违规", 1.0),
            ("查处", 1.0),
        ],
    ),
    (
        Purpose::Suggestion,
        &[
            ("建议", 2.0),
            ("提议", 2.0),
            ("倡议", 2.0),
            ("呼吁", 1.5),
            ("献计", 2.0),
            ("意见和建议", 2.0),
            ("能否考虑", 1.5),
            ("希望政府", 1.0),
            ("希望相关部门", 1.0),
            ("增设", 1.0),
            ("优化", 0.5),
            ("完善", 0.5),
        ],
    ),
    (
        Purpose::Enquiry,
        &[
            ("请问", 2.0),
            ("咨询", 2.0),
            ("想问", 2.0),
            ("想了解", 1.5),
            ("如何办理", 1.5),
            ("怎么办理", 1.5),
            ("需要哪些", 1.5),
            ("是否可以", 1.0),
            ("能不能", 0.5),
            ("什么时候", 0.5),
            ("何时", 0.5),
            ("政策", 0.5),
            ("？", 0.5),
            ("?", 0.5),
        ],
    ),
    (
        Purpose::Demand,
        &[
            ("要求", 1.0),
            ("请求", 1.0),
            ("恳请", 1.5),
            ("解决", 1.0),
            ("拖欠", 2.0),
            ("欠薪", 2.0),
            ("讨薪", 2.0),
            ("赔偿", 1.5),
            ("补偿", 1.5),
            ("退还", 1.5),
            ("返还", 1.5),
            ("申诉", 2.0),
            ("维权", 1.5),
            ("救助", 1.0),
            ("给个说法", 1.5),
            ("主持公道", 1.5),
            ("落实", 0.5),
        ],
    ),
];

/// How much of a text the rules read: cue words of a letter are in its first part, and a bound keeps the
/// work small whatever is pasted.
const READ_CHARS: usize = 4_000;

/// The purpose the cue words point at, with its score in 0..1 and every purpose's score (for
/// alternatives), in `Purpose::ALL` order.
pub fn by_cues(text: &str) -> (Purpose, f32, [f32; 4]) {
    let head: String = text.chars().take(READ_CHARS).collect();
    let mut weight = [0f32; 4];
    for (purpose, cues) in CUES {
        let slot = Purpose::ALL
            .iter()
            .position(|p| p == purpose)
            .expect("every purpose is in ALL");
        for (cue, w) in *cues {
            // Each cue counts once, and a repeated cue a little more: a letter that says 举报 five times
            // is not five accusations.
            let n = head.matches(cue).take(3).count();
            if n > 0 {
                weight[slot] += w * (1.0 + 0.25 * (n as f32 - 1.0));
            }
        }
    }
    let total: f32 = weight.iter().sum();
    // Scores: a purpose's share of the cue weight, shrunk toward an even split by a pseudo-weight, so few
    // cues never claim certainty; no cues gives 申诉求决 at the prior.
    const PRIOR: f32 = 2.0;
    let demand = Purpose::ALL
        .iter()
        .position(|p| *p == Purpose::Demand)
        .expect("demand is a purpose");
    let mut scores = [0f32; 4];
    for (s, w) in scores.iter_mut().zip(weight) {
        *s = (w + PRIOR / 4.0) / (total + PRIOR);
    }
    let best = if total == 0.0 {
        demand
    } else {
        (0..4)
            .max_by(|&a, &b| weight[a].total_cmp(&weight[b]).then(b.cmp(&a)))
            .expect("four purposes")
    };
    (Purpose::ALL[best], scores[best], scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_words_choose_the_purpose() {
        assert_eq!(by_cues("实名举报某局局长贪污受贿").0, Purpose::Accusation);
        assert_eq!(by_cues("建议在小区门口增设公交站点").0, Purpose::Suggestion);
        assert_eq!(by_cues("请问公积金如何办理提取？").0, Purpose::Enquiry);
        assert_eq!(by_cues("公司拖欠工资半年，恳请帮忙解决").0, Purpose::Demand);
        let (p, none, _) = by_cues("");
        assert_eq!(p, Purpose::Demand);
        let (_, strong, _) = by_cues("举报，检举，控告，揭发贪污受贿");
        assert!(
            none < 0.5 && strong > 0.8 && strong < 1.0,
            "{none} {strong}"
        );
    }
}
