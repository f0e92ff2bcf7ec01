//! Made-up people: names from common surnames and given-name characters, valid-looking
//! 18-digit resident ID numbers (GB 11643) of the city's districts, mobile numbers and addresses.

use crate::city::{City, pick};
use rand::Rng;

/// Reference year for ages.
pub const REFERENCE_YEAR: i32 = 2026;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    /// 18-digit 居民身份证号码 with a valid check digit.
    pub id_number: String,
    /// 11-digit mobile number.
    pub phone: String,
    /// City + district + street + community + building/room or group/house number.
    pub address: String,
    pub gender: Gender,
}

/// Surnames with rough relative frequencies (per mille of the population).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 26),
    ("赵", 23),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 14),
    ("马", 13),
    ("朱", 12),
    ("胡", 11),
    ("郭", 11),
    ("何", 10),
    ("林", 9),
    ("高", 9),
    ("罗", 9),
    ("郑", 8),
    ("梁", 8),
    ("谢", 7),
    ("宋", 6),
    ("唐", 6),
    ("许", 6),
    ("韩", 5),
    ("冯", 5),
    ("邓", 5),
    ("曹", 5),
    ("彭", 5),
    ("曾", 5),
    ("肖", 5),
    ("田", 4),
    ("董", 4),
    ("袁", 4),
    ("潘", 4),
    ("于", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("余", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("苏", 3),
    ("魏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 2),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("韦", 2),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("陶", 2),
    ("黎", 2),
    ("贺", 2),
    ("顾", 2),
    ("毛", 2),
    ("郝", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("钱", 2),
    ("严", 2),
    ("覃", 1),
    ("武", 2),
    ("戴", 2),
    ("莫", 1),
    ("孔", 1),
    ("向", 1),
    ("汤", 1),
    ("欧阳", 1),
    ("诸葛", 1),
    ("司马", 1),
];

/// Given names and characters by gender and generation: [born before 1965, 1965–1984, 1985 on].
const MALE_NAMES: [&[&str]; 3] = [
    &[
        "建国", "国庆", "建华", "志强", "国强", "建军", "德明", "福生", "永康", "金根", "水生",
        "长林", "振华", "家福", "树林", "广明", "学文", "明德", "宝山", "春生", "德胜", "洪福",
        "忠良", "有才",
    ],
    &[
        "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "刚", "辉", "鹏", "波", "海峰", "建平",
        "志刚", "晓东", "海涛", "立新", "卫东", "新华", "建伟", "俊杰", "国平", "永强", "志勇",
        "文斌", "红兵",
    ],
    &[
        "浩然", "子轩", "宇航", "俊豪", "博文", "梓豪", "一鸣", "浩宇", "天佑", "思远", "睿", "轩",
        "昊", "晨", "宇", "鑫", "皓", "凯", "博", "子墨", "嘉懿", "明轩", "俊熙", "宇辰",
    ],
];

const FEMALE_NAMES: [&[&str]; 3] = [
    &[
        "秀英", "桂兰", "玉兰", "秀兰", "桂英", "凤英", "淑珍", "玉珍", "素芬", "月娥", "翠花",
        "兰英", "秀珍", "金凤", "春梅", "彩霞", "桂芳", "玉梅", "淑英", "美华",
    ],
    &[
        "丽", "艳", "敏", "静", "芳", "娟", "霞", "燕", "红", "萍", "丽华", "晓燕", "秀梅", "海燕",
        "红梅", "丽娟", "美玲", "晓红", "春燕", "雪梅", "慧敏", "玉婷", "小琴", "建芬",
    ],
    &[
        "欣怡", "梓涵", "诗琪", "雨萱", "佳怡", "子涵", "思雨", "可欣", "雅琪", "梦瑶", "婉清",
        "晓雯", "佳琪", "婷", "颖", "琳", "洁", "倩", "雪", "悦", "一诺", "语桐", "芷若", "沐晨",
    ],
];

/// Characters combined into two-character given names.
const MALE_CHARS: (&[&str], &[&str]) = (
    &[
        "建", "国", "志", "永", "德", "文", "明", "海", "振", "立", "家", "俊", "宏", "子", "浩",
        "成", "世", "传", "兴", "春",
    ],
    &[
        "华", "明", "强", "平", "军", "林", "东", "军", "斌", "峰", "涛", "伟", "勇", "刚", "辉",
        "杰", "宇", "龙", "生", "安",
    ],
);

const FEMALE_CHARS: (&[&str], &[&str]) = (
    &[
        "秀", "桂", "玉", "丽", "晓", "春", "美", "雪", "慧", "佳", "雅", "思", "海", "红", "彩",
        "淑", "月", "静", "诗", "梦",
    ],
    &[
        "英", "兰", "芳", "华", "燕", "梅", "霞", "琴", "萍", "娟", "玲", "婷", "敏", "丹", "莉",
        "琳", "雯", "洁", "琪", "蓉",
    ],
);

/// Mobile number prefixes with rough weights.
const MOBILE_PREFIXES: &[(&str, u32)] = &[
    ("130", 4),
    ("131", 4),
    ("132", 4),
    ("133", 4),
    ("134", 4),
    ("135", 6),
    ("136", 6),
    ("137", 6),
    ("138", 7),
    ("139", 7),
    ("145", 1),
    ("147", 1),
    ("150", 4),
    ("151", 4),
    ("152", 4),
    ("153", 3),
    ("155", 3),
    ("156", 3),
    ("157", 3),
    ("158", 4),
    ("159", 4),
    ("166", 1),
    ("170", 1),
    ("173", 2),
    ("175", 1),
    ("176", 2),
    ("177", 2),
    ("178", 2),
    ("180", 3),
    ("181", 3),
    ("182", 3),
    ("183", 3),
    ("184", 1),
    ("185", 3),
    ("186", 4),
    ("187", 4),
    ("188", 3),
    ("189", 4),
    ("191", 1),
    ("193", 1),
    ("195", 1),
    ("198", 2),
    ("199", 2),
];

fn weighted<'a, R: Rng + ?Sized>(rng: &mut R, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (s, w) in items {
        if x < *w {
            return s;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A made-up full name for a person of the given gender born in `birth_year`.
pub fn name_for(rng: &mut impl Rng, gender: Gender, birth_year: i32) -> String {
    let surname = weighted(rng, SURNAMES);
    let era = if birth_year < 1965 {
        0
    } else if birth_year < 1985 {
        1
    } else {
        2
    };
    let (whole, chars) = match gender {
        Gender::Male => (MALE_NAMES[era], MALE_CHARS),
        Gender::Female => (FEMALE_NAMES[era], FEMALE_CHARS),
    };
    let given = if rng.random_bool(0.6) {
        pick(rng, whole).to_string()
    } else {
        let a = pick(rng, chars.0);
        let mut b = pick(rng, chars.1);
        while b == a {
            b = pick(rng, chars.1);
        }
        format!("{a}{b}")
    };
    format!("{surname}{given}")
}

/// A made-up full name of an adult of random gender (for staff users, contacts …).
pub fn random_name(rng: &mut impl Rng) -> String {
    let gender = if rng.random_bool(0.5) {
        Gender::Male
    } else {
        Gender::Female
    };
    let year = rng.random_range(1960..=2000);
    name_for(rng, gender, year)
}

/// ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.
///
/// Non-digit characters count as 0; callers pass exactly 17 ASCII digits.
pub fn id_check_digit(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CODES[(sum % 11) as usize]
}

/// True when `id` has 17 digits, a correct check character and a real birth date.
pub fn id_is_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if id_check_digit(&id[..17]) != b[17] as char {
        return false;
    }
    let year: i32 = id[6..10].parse().unwrap_or(0);
    let month: u32 = id[10..12].parse().unwrap_or(0);
    let day: u32 = id[12..14].parse().unwrap_or(0);
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// An 18-digit ID number for someone registered in `region` (6 digits) with this birth date.
pub fn id_number(
    rng: &mut impl Rng,
    region: &str,
    year: i32,
    month: u32,
    day: u32,
    gender: Gender,
) -> String {
    let mut seq: u32 = rng.random_range(0..500) * 2;
    if gender == Gender::Male {
        seq += 1;
    }
    let first17 = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = id_check_digit(&first17);
    format!("{first17}{check}")
}

/// A mobile number matching ^1[3-9]\d{9}$ with a realistic prefix.
pub fn phone(rng: &mut impl Rng) -> String {
    let prefix = weighted(rng, MOBILE_PREFIXES);
    let rest: u32 = rng.random_range(0..100_000_000);
    format!("{prefix}{rest:08}")
}

/// A made-up person living anywhere in the city.
pub fn person(rng: &mut impl Rng, city: &City) -> Person {
    let d = rng.random_range(0..city.districts.len());
    let s = rng.random_range(0..city.districts[d].streets.len());
    let c = rng.random_range(0..city.districts[d].streets[s].communities.len());
    person_at(rng, city, d, s, c)
}

/// A made-up person living in community `community` of street `street` of district `district`
/// (indices into the city; out-of-range indices are clamped).
pub fn person_at(
    rng: &mut impl Rng,
    city: &City,
    district: usize,
    street: usize,
    community: usize,
) -> Person {
    let gender = if rng.random_bool(0.55) {
        Gender::Male
    } else {
        Gender::Female
    };
    let year = rng.random_range(REFERENCE_YEAR - 85..=REFERENCE_YEAR - 18);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=days_in_month(year, month));
    let name = name_for(rng, gender, year);

    let d = &city.districts[district.min(city.districts.len() - 1)];
    let s = &d.streets[street.min(d.streets.len() - 1)];
    let c = &s.communities[community.min(s.communities.len() - 1)];
    // Most people's ID was issued where they live; some moved in from another district.
    let region = if rng.random_bool(0.85) {
        d.code.clone()
    } else {
        pick(rng, &city.districts).code.clone()
    };
    let id_number = id_number(rng, &region, year, month, day, gender);
    let phone = phone(rng);

    let detail = if c.is_village() {
        format!(
            "{}组{}号",
            rng.random_range(1..=12),
            rng.random_range(1..=88)
        )
    } else {
        let floor = rng.random_range(1..=18);
        let room = rng.random_range(1..=4);
        if rng.random_bool(0.7) {
            format!(
                "{}{}幢{}单元{floor}{room:02}室",
                pick(rng, &d.estates),
                rng.random_range(1..=32),
                rng.random_range(1..=4)
            )
        } else {
            format!(
                "{}{}号{}幢{}{:02}室",
                pick(rng, &d.roads),
                rng.random_range(1..=399),
                rng.random_range(1..=12),
                floor.min(7),
                room
            )
        }
    };
    let address = format!("{}{}{}{}{detail}", city.name, d.name, s.name, c.name);

    Person {
        name,
        id_number,
        phone,
        address,
        gender,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::generate_city;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn known_check_digits() {
        assert_eq!(id_check_digit("11010519491231002"), 'X');
        assert!(id_is_valid("11010519491231002X"));
        assert!(!id_is_valid("110105194912310021"));
        assert!(!id_is_valid("11010519490231002X"));
    }

    #[test]
    fn people_are_valid() {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let city = generate_city(&mut rng);
        let district_codes: Vec<&str> = city.districts.iter().map(|d| d.code.as_str()).collect();
        for _ in 0..2000 {
            let p = person(&mut rng, &city);
            let id = &p.id_number;
            assert!(id_is_valid(id), "{id}");
            assert_eq!(id_check_digit(&id[..17]), id.chars().last().unwrap_or(' '));
            assert!(district_codes.contains(&&id[..6]), "{id}");
            let year: i32 = id[6..10].parse().unwrap_or(0);
            assert!(
                (REFERENCE_YEAR - 85..=REFERENCE_YEAR - 18).contains(&year),
                "{id}"
            );
            let seq: u32 = id[14..17].parse().unwrap_or(0);
            assert_eq!(seq % 2 == 1, p.gender == Gender::Male, "{id}");

            let b = p.phone.as_bytes();
            assert_eq!(b.len(), 11, "{}", p.phone);
            assert_eq!(b[0], b'1');
            assert!((b'3'..=b'9').contains(&b[1]), "{}", p.phone);
            assert!(b.iter().all(u8::is_ascii_digit));

            let n = p.name.chars().count();
            assert!((2..=4).contains(&n), "{}", p.name);
            assert!(p.address.starts_with(&city.name));
            assert!(
                p.address.ends_with('室') || p.address.ends_with('号'),
                "{}",
                p.address
            );
        }
    }

    #[test]
    fn deterministic() {
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = ChaCha8Rng::seed_from_u64(3);
        let ca = generate_city(&mut a);
        let cb = generate_city(&mut b);
        for _ in 0..50 {
            assert_eq!(person(&mut a, &ca), person(&mut b, &cb));
        }
    }
}
