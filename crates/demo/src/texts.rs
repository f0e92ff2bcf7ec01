//! TEMPORARY stub with the final API; replaced by the real Chinese text generator.
use crate::city::City;
use rand::Rng;

pub const DOMAINS: [&str; 17] = [
    "城乡建设",
    "自然资源",
    "劳动和社会保障",
    "农业农村",
    "集资融资",
    "涉法涉诉",
    "生态环境",
    "交通运输",
    "教育",
    "卫生健康",
    "民政",
    "退役军人事务",
    "企业改制",
    "商贸旅游",
    "纪检监察",
    "组织人事",
    "其他",
];

pub fn subdomains(domain: &str) -> &'static [&'static str] {
    match domain {
        "城乡建设" => &["问题楼盘", "拆迁安置", "物业", "拖欠工程款", "城市更新"],
        _ => &[],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Suggestion,
    Accusation,
    Demand,
    Enquiry,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub domain: &'static str,
    pub subdomain: &'static str,
    pub purpose: Purpose,
    pub district: usize,
    pub street: usize,
    pub community: usize,
    pub subject: String,
    pub target: Option<String>,
    pub facts: Vec<String>,
}

pub fn topic(rng: &mut impl Rng, city: &City, domain: &str) -> Topic {
    let domain = DOMAINS
        .iter()
        .find(|d| **d == domain)
        .copied()
        .unwrap_or("其他");
    let district = rng.random_range(0..city.districts.len());
    let street = rng.random_range(0..city.districts[district].streets.len());
    let community = rng.random_range(0..city.districts[district].streets[street].communities.len());
    let purpose = match rng.random_range(0..10) {
        0 => Purpose::Accusation,
        1 => Purpose::Suggestion,
        2 => Purpose::Enquiry,
        _ => Purpose::Demand,
    };
    Topic {
        domain,
        subdomain: subdomains(domain).first().copied().unwrap_or(""),
        purpose,
        district,
        street,
        community,
        subject: format!("{}问题", city.districts[district].streets[street].name),
        target: None,
        facts: vec![format!("{}元", rng.random_range(1000..90000))],
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetitionText {
    pub summary: String,
    pub full_text: String,
    pub demands: String,
}

pub fn petition(_rng: &mut impl Rng, _city: &City, topic: &Topic, signer: &str) -> PetitionText {
    PetitionText {
        summary: format!("反映{}，要求尽快解决", topic.subject),
        full_text: format!(
            "尊敬的领导：\n我是{signer}，反映{}，涉及{}。\n此致 敬礼",
            topic.subject,
            topic.facts.join("，")
        ),
        demands: "要求尽快解决".into(),
    }
}

pub fn repeat_petition(
    rng: &mut impl Rng,
    city: &City,
    topic: &Topic,
    signer: &str,
    _earlier: &PetitionText,
    months_since: u32,
) -> PetitionText {
    let mut t = petition(rng, city, topic, signer);
    t.full_text = format!(
        "本人曾于{months_since}个月前反映，至今未解决。{}",
        t.full_text
    );
    t
}

pub fn copy_to_office(
    _rng: &mut impl Rng,
    original: &PetitionText,
    office_name: &str,
) -> PetitionText {
    let mut t = original.clone();
    t.full_text = format!("{office_name}：\n{}", t.full_text);
    t
}
