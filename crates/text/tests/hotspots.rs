//! Hot spots on a small planted set: three problems, each in one place, written by different people in
//! different words, among letters about many other problems in the same places.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xinfang_text::hotspots::{Matter, Params, hotspots};

const NAMES: &[&str] = &[
    "张建国",
    "李秀英",
    "王志强",
    "刘美华",
    "陈国平",
    "杨晓燕",
    "赵德明",
    "黄丽娟",
    "周永康",
    "吴海涛",
    "徐春梅",
    "孙立新",
];

/// A letter about one problem: an opening, some of the problem's facts in any order, a demand and a
/// closing, each picked from several wordings; the writer's name and a few words of their own.
fn letter(r: &mut ChaCha8Rng, facts: &[&str], demands: &[&str]) -> String {
    let openings = [
        "尊敬的领导：",
        "各位领导好，",
        "我是附近的居民，现反映一个问题。",
        "本人想反映以下情况：",
    ];
    let closings = ["盼复。", "谢谢！", "请尽快处理。", "恳请领导重视。"];
    let mut chosen: Vec<&str> = facts.to_vec();
    for i in (1..chosen.len()).rev() {
        let j = r.random_range(0..=i);
        chosen.swap(i, j);
    }
    chosen.truncate(r.random_range(2..=chosen.len()));
    format!(
        "{}{}{}{}反映人：{}，{}岁。",
        openings.choose(r).expect("some"),
        chosen.concat(),
        demands.choose(r).expect("some"),
        closings.choose(r).expect("some"),
        NAMES.choose(r).expect("some"),
        r.random_range(30..80)
    )
}

struct Problem {
    region: &'static str,
    domain: &'static str,
    facts: &'static [&'static str],
    demands: &'static [&'static str],
}

const PLANTED: [Problem; 3] = [
    Problem {
        region: "330106001001",
        domain: "城乡建设",
        facts: &[
            "锦绣花园小区3号楼的电梯自上月起多次停运，",
            "锦绣花园3号楼电梯困人两次，老人只能爬十八层楼，",
            "物业公司说维修基金用不了，锦绣花园的电梯一直没人修，",
            "3号楼住着很多老人，电梯停运后出行非常困难。",
        ],
        demands: &[
            "请督促物业尽快修好锦绣花园3号楼电梯。",
            "要求启用维修基金更换锦绣花园3号楼电梯。",
        ],
    },
    Problem {
        region: "330108002003",
        domain: "劳动和社会保障",
        facts: &[
            "我们在恒达纺织厂干活，恒达纺织厂已拖欠工资四个月，",
            "恒达纺织厂老板说资金周转不开，一百多名工人的工资共计86万元没有发，",
            "我们多次找恒达纺织厂讨薪都没有结果，",
            "快过年了，工人们连回家的路费都没有。",
        ],
        demands: &[
            "请劳动监察部门督促恒达纺织厂支付拖欠的工资。",
            "要求恒达纺织厂尽快结清86万元欠薪。",
        ],
    },
    Problem {
        region: "330110003002",
        domain: "教育",
        facts: &[
            "青山实验小学这学期额外收取每人1200元的课后服务费，",
            "青山实验小学收费没有公示，也没有开收据，",
            "家长们对青山实验小学的1200元课后服务费意见很大，",
            "不交费的学生被安排在走廊自习。",
        ],
        demands: &[
            "请教育局核查青山实验小学乱收费问题并退还费用。",
            "要求青山实验小学退还1200元课后服务费。",
        ],
    },
];

/// Other problems, in the same places and elsewhere: each one letter.
const BACKGROUND: &[&str] = &[
    "小区门口的路灯坏了半年没人修，晚上出行很不安全。",
    "邻居在楼顶违章搭建阳光房，影响楼下住户采光。",
    "村里的土地承包费多年没有公开，村民有意见。",
    "公交车站撤销后，老人到医院看病要走很远的路。",
    "菜市场周边占道经营严重，早上堵得车都过不去。",
    "我的养老保险转移手续办了三个月还没有办好。",
    "饭店油烟直排进居民楼，窗户都不敢打开。",
    "拆迁补偿款比周边低了一截，要求重新评估。",
    "孩子上学划片不合理，离家近的学校进不去。",
    "医院挂号难，专家号一放出来就被黄牛抢光。",
    "出租车拒载现象严重，投诉后没有回音。",
    "工地夜间施工噪音很大，影响休息。",
    "村道年久失修坑洼不平，下雨天积水严重。",
    "低保申请被驳回，理由没有说清楚。",
    "物业费上涨没有经过业主大会表决。",
    "河道里有人偷倒建筑垃圾，河水发臭。",
    "退役军人优待政策没有落实到位。",
    "网上购物被骗，报警后没有立案。",
    "商品房交房面积比合同少了五个平方。",
    "企业改制时的职工安置费至今没有发放。",
    "农村宅基地审批迟迟没有结果。",
    "小区停车位只租不售，租金一年涨了两次。",
    "社区卫生服务中心药品短缺，慢性病药开不到。",
    "学校食堂饭菜质量差，价格还贵。",
];

fn matters() -> (Vec<Matter<u32>>, Vec<Vec<u32>>) {
    let mut r = ChaCha8Rng::seed_from_u64(7);
    let mut out = Vec::new();
    let mut planted = Vec::new();
    let places = [
        "330106001001",
        "330108002003",
        "330110003002",
        "330105004001",
    ];
    for p in &PLANTED {
        let mut members = Vec::new();
        for k in 0..r.random_range(6..=9) {
            let id = out.len() as u32;
            members.push(id);
            out.push(Matter {
                id,
                text: letter(&mut r, p.facts, p.demands),
                // Spread over the window, more in its later half.
                day: 100 + r.random_range(0..10) + 2 * k,
                region: p.region.into(),
                domain: p.domain.into(),
                collective: k % 3 == 0,
                national: k == 1,
                persons: if k % 3 == 0 { 12 } else { 1 },
            });
        }
        planted.push(members);
    }
    for (k, text) in BACKGROUND.iter().cycle().take(60).enumerate() {
        let id = out.len() as u32;
        let facts = [*text, "情况属实，"];
        out.push(Matter {
            id,
            text: letter(&mut r, &facts, &["请有关部门调查处理。", "希望尽快解决。"]),
            day: 90 + r.random_range(0..40),
            region: places[k % places.len()].into(),
            domain: ["城乡建设", "劳动和社会保障", "教育", "其他"][k % 4].into(),
            collective: false,
            national: false,
            persons: 1,
        });
    }
    (out, planted)
}

#[test]
fn planted_problems_are_found_and_little_else() {
    let (matters, planted) = matters();
    let found = hotspots(&matters, &Params::window(100, 129));
    let mut hits = 0;
    for plant in &planted {
        let hit = found.iter().any(|h| {
            let shared = h.members.iter().filter(|m| plant.contains(m)).count();
            2 * shared > h.size() && 2 * shared >= plant.len()
        });
        hits += usize::from(hit);
    }
    let spurious = found
        .iter()
        .filter(|h| {
            !planted
                .iter()
                .any(|plant| 2 * h.members.iter().filter(|m| plant.contains(m)).count() > h.size())
        })
        .count();
    assert_eq!(hits, planted.len(), "found {found:#?}");
    assert_eq!(spurious, 0, "found {found:#?}");
}

#[test]
fn a_hot_spot_says_where_when_how_many_and_what() {
    let (matters, planted) = matters();
    let found = hotspots(&matters, &Params::window(100, 129));
    let lift = found
        .iter()
        .find(|h| h.members.iter().all(|m| planted[0].contains(m)))
        .expect("the lift is a hot spot");
    let members: Vec<&Matter<u32>> = matters
        .iter()
        .filter(|m| lift.members.contains(&m.id))
        .collect();
    assert_eq!(lift.region, "330106001001");
    assert_eq!(
        lift.people,
        members.iter().map(|m| u64::from(m.persons)).sum::<u64>()
    );
    assert_eq!(lift.first_day, members.iter().map(|m| m.day).min().unwrap());
    assert_eq!(lift.earlier + lift.later, lift.size());
    let collective = members.iter().filter(|m| m.collective).count();
    assert!((lift.collective_share - collective as f64 / lift.size() as f64).abs() < 1e-9);
    assert!(
        lift.label
            .iter()
            .any(|p| p.contains("锦绣花园") || p.contains("电梯")),
        "{:?}",
        lift.label
    );
    for name in NAMES {
        assert!(
            lift.label.iter().all(|p| !p.contains(name)),
            "{:?}",
            lift.label
        );
    }
    // Matters outside the window are not clustered.
    let late = hotspots(&matters, &Params::window(200, 229));
    assert!(late.is_empty());
}

#[test]
fn one_company_is_not_one_problem_across_kinds_of_complaint() {
    // Letters naming one factory in one place: half about its unpaid wages, half about its waste water.
    // Same names, two problems: with their domains they are two hot spots, without them one.
    let mut r = ChaCha8Rng::seed_from_u64(11);
    let wages = [
        "恒达纺织厂拖欠我们工资四个月，",
        "恒达纺织厂老板说资金周转不开，",
        "我们多次找恒达纺织厂都没有结果，",
    ];
    let water = [
        "恒达纺织厂的排污口附近河水发黑，",
        "恒达纺织厂晚上偷排废水，",
        "我们多次找恒达纺织厂都没有结果，",
    ];
    let mut matters = Vec::new();
    for k in 0..12u32 {
        let (facts, domain) = if k % 2 == 0 {
            (&wages, "劳动和社会保障")
        } else {
            (&water, "生态环境")
        };
        matters.push(Matter {
            id: k,
            text: letter(&mut r, facts, &["请尽快处理恒达纺织厂的问题。"]),
            day: 100 + k as i32,
            region: "330108002003".into(),
            domain: domain.into(),
            collective: false,
            national: false,
            persons: 1,
        });
    }
    let params = Params {
        threshold: 0.3,
        ..Params::window(100, 129)
    };
    let found = hotspots(&matters, &params);
    assert_eq!(found.len(), 2, "{found:#?}");
    for h in &found {
        assert!(
            h.members.iter().all(|m| m % 2 == h.members[0] % 2),
            "{h:#?}"
        );
    }
    for m in &mut matters {
        m.domain.clear();
    }
    let found = hotspots(&matters, &params);
    assert_eq!(found.len(), 1, "{found:#?}");
}
