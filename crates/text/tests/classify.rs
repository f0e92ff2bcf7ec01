//! The classifier on a tiny inline corpus: it learns, its file round-trips byte for byte, the same data
//! gives the same bytes, damaged or foreign files are refused with a reason, odd input gets an answer.

use xinfang_domain::catalog::Purpose;
use xinfang_text::classify::{
    Classifier, ClassifyError, Example, ModelError, PurposeSource, TrainError, TrainOptions, train,
};

const LABOUR: &[&str] = &[
    "公司拖欠农民工工资三个月，老板不接电话",
    "工地包工头欠薪跑路，二十多名工人讨薪无门",
    "单位不给缴纳社保，辞职后也不结清工资",
    "劳动合同到期被辞退，没有经济补偿",
    "养老保险待遇迟迟不发放，请求人社局处理",
    "我们在厂里干了半年，工资一分没拿到",
];
const HOUSING: &[&str] = &[
    "小区开发商延期交房两年，业主无法入住",
    "楼盘烂尾，购房款交了却拿不到房子",
    "物业公司乱收费，小区电梯长期停运",
    "拆迁安置房迟迟不分配，安置补偿不到位",
    "小区房屋质量问题严重，墙体开裂漏水",
    "开发商不办房产证，业主多次反映无果",
];
const ENVIRONMENT: &[&str] = &[
    "化工厂夜间偷排废气，气味刺鼻影响居民",
    "河道被工厂排放污水染黑，鱼虾死亡",
    "搅拌站粉尘污染严重，噪音扰民到深夜",
    "垃圾焚烧厂臭气熏天，周边居民难以入睡",
    "养殖场污水直排农田，环境污染严重",
    "工地夜间施工噪音扰民，多次投诉无人管",
];

fn corpus() -> Vec<Example> {
    let mut out = Vec::new();
    for (domain, texts) in [
        ("劳动和社会保障", LABOUR),
        ("城乡建设", HOUSING),
        ("生态环境", ENVIRONMENT),
    ] {
        for t in texts {
            out.push(Example {
                text: (*t).to_owned(),
                domain: Some(domain.to_owned()),
                purpose: None,
            });
        }
    }
    out
}

fn options() -> TrainOptions {
    TrainOptions {
        min_df: 1,
        calibration_folds: 3,
        ..TrainOptions::default()
    }
}

#[test]
fn learns_domains_and_suggests_with_confidence() {
    let model = train(&corpus(), &options()).expect("trains");
    let s = model
        .suggest("建筑公司拖欠我们工人的工资，要求尽快发放")
        .expect("a suggestion");
    assert_eq!(s.domain, "劳动和社会保障");
    assert!(s.domain_confidence > 1.0 / 3.0 && s.domain_confidence <= 1.0);
    assert_eq!(s.alternatives.len(), 2);
    assert!(
        s.alternatives
            .iter()
            .all(|a| a.confidence <= s.domain_confidence)
    );
    let total: f64 = s.domain_confidence + s.alternatives.iter().map(|a| a.confidence).sum::<f64>();
    assert!((total - 1.0).abs() < 1e-3, "{total}");
    // No purpose was labelled: the cue words decide, and say so.
    assert_eq!(s.purpose, Purpose::Demand);
    assert_eq!(s.purpose_source, PurposeSource::Rules);
    assert_eq!(
        model
            .suggest("工厂排放污水，河水发黑发臭")
            .expect("ok")
            .domain,
        "生态环境"
    );
}

#[test]
fn model_files_round_trip_and_are_deterministic() {
    let a = train(&corpus(), &options()).expect("trains");
    let b = train(&corpus(), &options()).expect("trains");
    let bytes = a.to_bytes();
    assert_eq!(bytes, b.to_bytes(), "same data, same bytes");
    let loaded = Classifier::from_bytes(&bytes).expect("loads");
    assert_eq!(loaded.to_bytes(), bytes);
    let text = "小区物业乱收费";
    assert_eq!(loaded.suggest(text), a.suggest(text));
}

#[test]
fn damaged_and_foreign_files_are_refused() {
    let bytes = train(&corpus(), &options()).expect("trains").to_bytes();
    assert_eq!(
        Classifier::from_bytes(b"PK\x03\x04 a zip file").unwrap_err(),
        ModelError::NotAModel
    );
    assert_eq!(
        Classifier::from_bytes(b"").unwrap_err(),
        ModelError::NotAModel
    );
    assert_eq!(
        Classifier::from_bytes(&bytes[..bytes.len() / 2]).unwrap_err(),
        ModelError::Checksum
    );
    assert_eq!(
        Classifier::from_bytes(&bytes[..10]).unwrap_err(),
        ModelError::Truncated
    );
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x40;
    assert_eq!(
        Classifier::from_bytes(&flipped).unwrap_err(),
        ModelError::Checksum
    );
    let mut future = bytes.clone();
    future[8] = 99;
    assert_eq!(
        Classifier::from_bytes(&future).unwrap_err(),
        ModelError::UnsupportedVersion(99)
    );
}

#[test]
fn odd_input_gets_an_answer() {
    let model = train(&corpus(), &options()).expect("trains");
    for text in ["", "   \n\t", "😀🏠👍", "\u{0}\u{7}\u{1b}[", "，。！？…"] {
        assert_eq!(model.suggest(text), Err(ClassifyError::NoText), "{text:?}");
    }
    let huge = "工资".repeat(500_000);
    assert_eq!(
        model.suggest(&huge).expect("answers").domain,
        "劳动和社会保障"
    );
    let mixed = "Привет 😀 欠薪 مرحبا \u{202e}abc１２３";
    assert!(model.suggest(mixed).is_ok());
    assert_eq!(train(&[], &options()).unwrap_err(), TrainError::NoExamples);
    assert!(matches!(
        train(&corpus()[..3], &options()).unwrap_err(),
        TrainError::OneLabel(_)
    ));
}

#[test]
fn purpose_is_learned_from_enough_staff_choices() {
    let mut examples = corpus();
    for (i, e) in examples.iter_mut().enumerate() {
        e.purpose = Some(if i % 2 == 0 {
            Purpose::Demand
        } else {
            Purpose::Suggestion
        });
    }
    // 18 choices: too few, the rules stay.
    assert!(
        !train(&examples, &options())
            .expect("trains")
            .learned_purpose()
    );
    let mut many = Vec::new();
    for round in 0..4 {
        for e in &examples {
            let mut e = e.clone();
            e.text = format!("{}（第{round}次）", e.text);
            many.push(e);
        }
    }
    let model = train(&many, &options()).expect("trains");
    assert!(model.learned_purpose());
    let s = model.suggest("公司拖欠农民工工资三个月").expect("ok");
    assert_eq!(s.purpose_source, PurposeSource::Model);
}

#[test]
fn the_builtin_model_loads_and_knows_the_shared_data_domains() {
    let model = Classifier::builtin().expect("the committed model loads");
    assert_eq!(model.domain_labels().len(), 7);
    let s = model
        .suggest("某建筑公司拖欠农民工工资半年，多次讨要无果，请求劳动监察部门帮助追讨欠薪")
        .expect("ok");
    assert_eq!(s.domain, "劳动和社会保障");
    assert!(s.domain_confidence > 0.5, "{}", s.domain_confidence);
}
