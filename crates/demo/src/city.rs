//! A made-up prefecture-level city for demo data: its administrative divisions with
//! GB/T 2260-style codes, some place texture (roads, estates, companies, schools …) per
//! district, and the units (petition bureaus, departments, governments, courts) that work there.
//!
//! Codes: province, city and district codes have 6 digits ("330000", "339900", "339902"),
//! streets/towns 9 digits (district code + 3), communities/villages 12 digits (street code + 3).
//! Street codes follow the usual pattern: 001–099 街道, 101–199 镇, 201–299 乡; community
//! codes 001–199 社区 (居委会), 201–399 村 (村委会).

use rand::Rng;
use std::collections::HashSet;

/// The made-up city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    /// e.g. "浙东省". Its first character is the real abbreviation of the province prefix.
    pub province_name: String,
    /// 6 digits, e.g. "330000".
    pub province_code: String,
    /// e.g. "澜江市".
    pub name: String,
    /// 6 digits, e.g. "339900".
    pub code: String,
    pub districts: Vec<District>,
}

/// A district (区), county (县) or county-level city (市) of the city, with place texture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    pub name: String,
    /// 6 digits, e.g. "339902".
    pub code: String,
    pub streets: Vec<Street>,
    /// Road names, e.g. "滨江大道".
    pub roads: Vec<String>,
    /// Residential projects (楼盘) without suffix, e.g. "锦江华府".
    pub estates: Vec<String>,
    /// Made-up companies of several kinds (see [`CompanyKind`] and [`District::companies_of`]).
    pub companies: Vec<String>,
    pub schools: Vec<String>,
    pub hospitals: Vec<String>,
    /// Factories and plants that may pollute or make noise.
    pub factories: Vec<String>,
    /// Former state-owned or collective enterprises (for 企业改制).
    pub state_enterprises: Vec<String>,
    pub scenic_spots: Vec<String>,
    /// Shops and clubs selling prepaid cards (gyms, salons, training schools …).
    pub shops: Vec<String>,
    pub nursing_homes: Vec<String>,
}

/// A street (街道), town (镇) or township (乡).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Street {
    pub name: String,
    /// 9 digits.
    pub code: String,
    pub communities: Vec<Community>,
}

/// A community (社区) or village (村).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub name: String,
    /// 12 digits.
    pub code: String,
}

impl Community {
    /// True for a village (村), false for an urban community (社区).
    pub fn is_village(&self) -> bool {
        self.name.ends_with('村')
    }
}

impl Street {
    /// True for a 街道, false for a town or township.
    pub fn is_subdistrict(&self) -> bool {
        self.name.ends_with("街道")
    }
}

/// Kinds of companies found in [`District::companies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompanyKind {
    /// Property developer (置业/房地产开发).
    Developer,
    /// Construction contractor (建设工程/建筑工程/市政工程).
    Contractor,
    /// Labour subcontractor (劳务).
    Labor,
    /// Property management (物业).
    Property,
    /// Manufacturing.
    Manufacturing,
    /// Investment / wealth management (for 集资融资).
    Finance,
    /// Taxi, coach and logistics companies.
    Transport,
    /// Trading companies.
    Trade,
}

const COMPANY_SUFFIXES: &[(CompanyKind, &[&str])] = &[
    (
        CompanyKind::Developer,
        &["置业有限公司", "房地产开发有限公司"],
    ),
    (
        CompanyKind::Contractor,
        &["建设工程有限公司", "建筑工程有限公司", "市政工程有限公司"],
    ),
    (CompanyKind::Labor, &["劳务有限公司", "建筑劳务有限公司"]),
    (
        CompanyKind::Property,
        &["物业服务有限公司", "物业管理有限公司"],
    ),
    (
        CompanyKind::Manufacturing,
        &[
            "机械制造有限公司",
            "纺织有限公司",
            "电子科技有限公司",
            "食品有限公司",
            "服饰有限公司",
            "汽车配件有限公司",
        ],
    ),
    (
        CompanyKind::Finance,
        &["投资管理有限公司", "资产管理有限公司", "财富管理有限公司"],
    ),
    (
        CompanyKind::Transport,
        &["出租汽车有限公司", "客运有限公司", "物流有限公司"],
    ),
    (CompanyKind::Trade, &["商贸有限公司", "贸易有限公司"]),
];

impl CompanyKind {
    /// All kinds, in a fixed order.
    pub const ALL: [CompanyKind; 8] = [
        CompanyKind::Developer,
        CompanyKind::Contractor,
        CompanyKind::Labor,
        CompanyKind::Property,
        CompanyKind::Manufacturing,
        CompanyKind::Finance,
        CompanyKind::Transport,
        CompanyKind::Trade,
    ];

    fn suffixes(self) -> &'static [&'static str] {
        COMPANY_SUFFIXES
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, s)| *s)
            .unwrap_or(&[])
    }

    /// The kind of a company name generated here, if recognisable.
    pub fn of(name: &str) -> Option<CompanyKind> {
        // Labour before contractor: "建筑劳务有限公司" would otherwise not match at all,
        // and developers are checked first for clarity.
        CompanyKind::ALL
            .into_iter()
            .find(|k| k.suffixes().iter().any(|s| name.ends_with(s)))
    }
}

impl District {
    /// Companies of one kind in this district (every kind has at least one).
    pub fn companies_of(&self, kind: CompanyKind) -> Vec<&str> {
        let suffixes = kind.suffixes();
        self.companies
            .iter()
            .filter(|c| suffixes.iter().any(|s| c.ends_with(s)) && CompanyKind::of(c) == Some(kind))
            .map(String::as_str)
            .collect()
    }

    /// "区" for an urban district, "县" for a county, "市" for a county-level city.
    pub fn suffix(&self) -> char {
        self.name.chars().last().unwrap_or('区')
    }
}

// ---------------------------------------------------------------------------------------------
// Name material
// ---------------------------------------------------------------------------------------------

/// (2-digit prefix, made-up province name). The first character is the real abbreviation.
const PROVINCES: &[(&str, &str)] = &[
    ("33", "浙东省"),
    ("32", "苏中省"),
    ("35", "闽中省"),
    ("43", "湘中省"),
    ("36", "赣中省"),
    ("34", "皖江省"),
];

const CITY_STEMS: &[&str] = &[
    "澜江", "临澄", "云泽", "清澜", "澄川", "汐江", "岚州", "沅溪",
];

const URBAN_DISTRICT_STEMS: &[&str] = &[
    "江北", "江南", "城东", "城西", "城南", "滨江", "新港", "东湖", "临江", "望海", "龙山", "湖滨",
];

/// First characters of made-up place names.
const PLACE_A: &[&str] = &[
    "东", "西", "南", "北", "新", "大", "小", "上", "下", "前", "后", "长", "永", "福", "安", "宁",
    "平", "和", "兴", "康", "泰", "庆", "丰", "乐", "华", "明", "金", "银", "玉", "石", "桃", "杏",
    "梅", "竹", "松", "柏", "柳", "枫", "桂", "荷", "兰", "凤", "龙", "云", "清", "青", "白", "红",
    "黄", "碧", "翠", "双", "三", "五", "九", "高", "马", "鹤", "鹿", "仙", "古", "沙", "溪", "峡",
];

/// Second characters of made-up place names.
const PLACE_B: &[&str] = &[
    "山", "岭", "峰", "岗", "塘", "湖", "河", "溪", "桥", "湾", "港", "洲", "坪", "坝", "林", "庄",
    "集", "店", "埠", "浦", "泾", "渡", "圩", "阳", "田", "泉", "口", "亭", "堰", "岙", "墩", "畈",
    "源", "潭", "滩", "坑",
];

/// Names of urban sub-districts (街道).
const SUBDISTRICT_WORDS: &[&str] = &[
    "文昌", "鼓楼", "湖滨", "春晖", "长安", "新华", "朝阳", "兴华", "滨河", "望江", "迎宾", "胜利",
    "光明", "东升", "南苑", "北苑", "城关", "江湾", "翠苑", "锦绣", "和平", "花园", "紫金", "凤凰",
    "龙泉", "青云", "白云", "明珠", "金沙", "翠屏", "香山", "月湖", "梅园", "桂花", "状元", "府前",
    "仓前", "塘桥", "西门", "东门", "南门", "北门", "新桥", "阳光", "学府", "清河", "双塔", "开元",
];

/// Names of urban communities (社区).
const COMMUNITY_WORDS: &[&str] = &[
    "幸福", "和谐", "阳光", "春晖", "翠竹", "康乐", "丽景", "锦绣", "滨河", "兴旺", "东风", "红星",
    "向阳", "建设", "友谊", "团结", "新风", "文化", "育才", "景苑", "枫林", "桂园", "荷塘", "柳岸",
    "金桥", "银湖", "玉泉", "松涛", "竹苑", "梅林", "杏花", "桃源", "晨光", "朝晖", "紫荆", "丹桂",
    "锦华", "嘉禾", "长青", "万福", "安居", "乐民", "百合", "芙蓉", "海棠", "水岸", "绿洲", "星光",
];

const VILLAGE_SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "胡", "郭", "何",
    "林", "高", "罗", "郑", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "田", "潘",
];

const ROAD_WORDS: &[&str] = &[
    "人民", "解放", "建设", "滨江", "文化", "振兴", "创业", "学府", "迎宾", "环城", "工业", "科技",
    "望江", "长虹", "金桥", "朝阳", "和平", "新华", "青年", "沿河", "凤凰", "太平", "育才", "兴业",
    "富民", "丰收", "世纪", "府前", "站前", "开元", "锦绣", "东海", "紫荆", "香樟", "银杏", "明珠",
];

const ROAD_SUFFIXES: &[&str] = &[
    "路", "路", "路", "大道", "街", "东路", "西路", "北路", "南路",
];

const ESTATE_PREFIXES: &[&str] = &[
    "锦江", "翡翠", "御景", "金域", "君悦", "滨江", "书香", "天澜", "云栖", "星河", "紫荆", "香樟",
    "丽水", "枫丹", "铂悦", "嘉禾", "和府", "恒信", "尚品", "东方", "江南", "兰亭", "桂语", "澜湾",
    "金色", "阳光", "世纪", "盛世", "翠湖", "锦绣", "玉兰", "海棠", "银杏", "明月", "春江", "名仕",
];

const ESTATE_SUFFIXES: &[&str] = &[
    "华府", "名苑", "花园", "公馆", "雅苑", "尚城", "家园", "新城", "丽景", "天著", "悦府", "蓝湾",
    "嘉园", "御园", "名邸", "学府", "春晓", "雅居", "豪庭", "府邸", "一品", "水岸",
];

/// Made-up trade names (字号) for companies.
const BRANDS: &[&str] = &[
    "恒达", "宏远", "鑫盛", "华鼎", "瑞丰", "金诚", "永信", "天恒", "博远", "润泽", "汇通", "鼎盛",
    "荣昌", "兴旺", "佳和", "中润", "昊阳", "明泰", "嘉利", "泰丰", "富源", "安泰", "和顺", "金鼎",
    "祥瑞", "宝丰", "凯旋", "旭升", "锦程", "新禾", "益友", "正阳", "天和", "福临", "晟达", "辰宇",
    "东盛", "华越", "信和", "宏图", "久盛", "聚源", "盈丰", "创联", "耀华", "启明", "良辰", "弘毅",
    "恒泰", "同创", "铭城", "德润", "丰泽", "华瑞", "骏达", "坤元", "隆盛", "卓信", "航宇", "兆丰",
    "海纳", "志诚", "乾元", "裕丰", "永盛", "远航", "金马", "鸿运", "大成", "盛元",
];

/// Trade names for small shops and clubs.
const SHOP_BRANDS: &[&str] = &[
    "悦动", "力美", "尚美", "乐享", "优品", "佳美", "名匠", "魅力", "美颜", "星辰", "彩虹", "阳光",
    "动感", "伊人", "初见", "悦己", "飞扬", "臻美", "乐途", "百味", "一品", "小鹿", "青橙", "海豚",
];

const SHOP_KINDS: &[&str] = &[
    "健身会所",
    "美容美发店",
    "教育培训学校",
    "游泳馆",
    "洗车行",
    "母婴生活馆",
    "瑜伽馆",
    "美容养生馆",
    "儿童乐园",
    "干洗店",
];

const FACTORY_KINDS: &[&str] = &[
    "化工有限公司",
    "印染有限公司",
    "新材料科技有限公司",
    "塑料制品厂",
    "铸造有限公司",
    "石材加工厂",
    "混凝土有限公司",
    "电镀厂",
    "皮革有限公司",
    "木业有限公司",
    "饲料有限公司",
    "再生资源有限公司",
];

const SOE_NAMES: &[&str] = &[
    "红星",
    "东方红",
    "前进",
    "红旗",
    "曙光",
    "胜利",
    "向阳",
    "跃进",
    "先锋",
    "光明",
];

const SOE_KINDS: &[&str] = &[
    "机械厂",
    "农机厂",
    "化肥厂",
    "五金厂",
    "罐头厂",
    "丝绸厂",
    "棉纺厂",
    "水泥厂",
    "酒厂",
    "造纸厂",
    "电机厂",
    "玻璃厂",
    "印刷厂",
    "制药厂",
];

const ORDINALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// First and second characters of the further trade names a large city needs (see [`Size`]).
const BRAND_A: &[&str] = &[
    "恒", "宏", "鑫", "华", "瑞", "金", "永", "天", "博", "润", "汇", "鼎", "荣", "兴", "佳", "中",
    "昊", "明", "嘉", "泰", "富", "安", "和", "祥", "宝", "凯", "旭", "锦", "新", "益", "正", "福",
    "晟", "辰", "东", "信", "久", "聚", "盈", "创", "耀", "启", "良", "弘", "同", "铭", "德", "丰",
    "骏", "坤", "隆", "卓", "航", "兆", "海", "志", "乾", "裕", "远", "鸿", "大", "盛", "万", "国",
];
const BRAND_B: &[&str] = &[
    "达", "远", "盛", "鼎", "丰", "诚", "信", "恒", "泽", "通", "昌", "旺", "和", "润", "阳", "泰",
    "利", "源", "顺", "瑞", "升", "程", "禾", "友", "宇", "越", "图", "元", "联", "华", "明", "毅",
    "成", "航", "纳", "运", "辉", "腾", "发", "业", "邦", "嘉", "安", "美", "景", "峰", "川", "驰",
];

/// Tails of further village names ("东山头村").
const VILLAGE_TAILS: &[&str] = &["头", "口", "下", "上", "里", "埠", "前", "后"];

/// Kinds of further schools.
const SCHOOL_KINDS: &[&str] = &["小学", "中学", "幼儿园", "中心小学", "实验学校", "初级中学"];

/// How large the city is. The base pools (5–10 streets a district, 3–8 communities a street, 5–7
/// estates, about 14 companies …) are those of a city receiving a few thousand matters a year; a city
/// receiving more is larger: it has more estates, companies, schools and villages, so that letters
/// about one of them within a month stay as rare as in the small city. Pools grow in proportion to the
/// matters beyond [`Size::BASE_MATTERS`] a year (up to [`Size::MAX_FACTOR`] times), streets and their
/// communities each by its square root (so communities too grow in proportion).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    factor: f64,
}

impl Size {
    /// Matters a year of the city the base pools are made for.
    pub const BASE_MATTERS: u32 = 4_000;
    /// Pools stop growing at this factor (100,000 matters a year).
    pub const MAX_FACTOR: f64 = 25.0;

    /// The base city.
    pub const fn base() -> Size {
        Size { factor: 1.0 }
    }

    /// The city that receives `matters` matters a year.
    pub fn for_matters(matters: u32) -> Size {
        Size {
            factor: (f64::from(matters) / f64::from(Self::BASE_MATTERS))
                .clamp(1.0, Self::MAX_FACTOR),
        }
    }

    /// How many times the base pools.
    pub fn factor(self) -> f64 {
        self.factor
    }

    fn grown(self) -> bool {
        self.factor > 1.0
    }

    /// `n` items of the base city, grown in proportion.
    fn pool(self, n: usize) -> usize {
        (n as f64 * self.factor).round() as usize
    }

    /// `n` items of the base city, grown by the square root of the factor.
    fn tree(self, n: usize) -> usize {
        (n as f64 * self.factor.sqrt()).round() as usize
    }
}

/// A trade name: one of [`BRANDS`], or in a grown city also one made of two characters.
fn brand<R: Rng + ?Sized>(r: &mut R, size: Size) -> String {
    if !size.grown() || r.random_bool(0.3) {
        pick(r, BRANDS).to_string()
    } else {
        format!("{}{}", pick(r, BRAND_A), pick(r, BRAND_B))
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Keeps names unique within one city.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
}

impl Names {
    /// Draws candidates until one is unused; after many failures, varies the candidate.
    fn unique<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        mut make: impl FnMut(&mut R) -> String,
    ) -> String {
        for _ in 0..200 {
            let c = make(rng);
            if self.used.insert(c.clone()) {
                return c;
            }
        }
        let base = make(rng);
        for n in 2.. {
            let c = format!("{}{}", ORDINALS[n % ORDINALS.len()], base);
            let c = if n >= ORDINALS.len() {
                format!("{c}{n}")
            } else {
                c
            };
            if self.used.insert(c.clone()) {
                return c;
            }
        }
        unreachable!("an unbounded loop always finds a fresh name")
    }

    fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }
}

fn place_stem<R: Rng + ?Sized>(rng: &mut R) -> String {
    format!("{}{}", pick(rng, PLACE_A), pick(rng, PLACE_B))
}

/// Drops a trailing suffix such as "街道", "镇", "社区", "村", "区", "县", "市".
pub fn stem(name: &str) -> &str {
    for suffix in ["街道", "社区", "镇", "乡", "村", "区", "县", "市", "省"] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

// ---------------------------------------------------------------------------------------------
// City generation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum DistrictType {
    Urban,
    County,
    CountyCity,
}

/// Generates the whole city of the base size. Deterministic for a given RNG state.
pub fn generate_city(rng: &mut impl Rng) -> City {
    generate_city_sized(rng, Size::base())
}

/// Generates the whole city of a size. Deterministic for a given RNG state and size; the base size
/// draws exactly what [`generate_city`] always drew.
pub fn generate_city_sized(rng: &mut impl Rng, size: Size) -> City {
    let (prefix, province_name) = *pick(rng, PROVINCES);
    let city_part: u32 = rng.random_range(95..=99);
    let code = format!("{prefix}{city_part:02}00");
    let city_stem = *pick(rng, CITY_STEMS);
    let mut names = Names::default();
    names.reserve(city_stem);
    let city_name = format!("{city_stem}市");

    let n_districts: usize = rng.random_range(6..=8);
    let n_urban: usize = rng.random_range(3..=4);
    let n_county_city: usize = if rng.random_bool(0.5) { 1 } else { 0 };
    let n_county = n_districts - n_urban - n_county_city;

    let prefix4 = &code[..4];
    let mut plan: Vec<(DistrictType, String, String)> = Vec::new();
    let mut urban_stems: Vec<&str> = URBAN_DISTRICT_STEMS.to_vec();
    for i in 0..n_urban {
        let stem = urban_stems.swap_remove(rng.random_range(0..urban_stems.len()));
        names.reserve(stem);
        plan.push((
            DistrictType::Urban,
            format!("{prefix4}{:02}", 2 + i),
            format!("{stem}区"),
        ));
    }
    for i in 0..n_county {
        let stem = names.unique(rng, |r| place_stem(r));
        plan.push((
            DistrictType::County,
            format!("{prefix4}{:02}", 21 + i),
            format!("{stem}县"),
        ));
    }
    for i in 0..n_county_city {
        let stem = names.unique(rng, |r| place_stem(r));
        plan.push((
            DistrictType::CountyCity,
            format!("{prefix4}{:02}", 81 + i),
            format!("{stem}市"),
        ));
    }

    let districts = plan
        .into_iter()
        .map(|(kind, dcode, dname)| {
            generate_district(rng, &mut names, city_stem, kind, &dcode, &dname, size)
        })
        .collect();

    City {
        province_name: province_name.to_string(),
        province_code: format!("{prefix}0000"),
        name: city_name,
        code,
        districts,
    }
}

fn generate_district<R: Rng + ?Sized>(
    rng: &mut R,
    names: &mut Names,
    city_stem: &str,
    kind: DistrictType,
    code: &str,
    name: &str,
    size: Size,
) -> District {
    let base_streets: usize = rng.random_range(5..=10);
    let n_streets = size.tree(base_streets);
    // How many of them are 街道, 镇, 乡.
    let (n_sub, n_town) = match kind {
        DistrictType::Urban => {
            let towns = size.tree(rng.random_range(1..=2));
            (n_streets - towns, towns)
        }
        DistrictType::County | DistrictType::CountyCity => {
            let subs = size.tree(rng.random_range(1..=2));
            let townships = if base_streets >= 6 {
                size.tree(rng.random_range(0..=2))
            } else {
                0
            };
            (subs, n_streets - subs - townships)
        }
    };
    let n_township = n_streets - n_sub - n_town;

    let mut streets = Vec::with_capacity(n_streets);
    for i in 0..n_sub {
        let sname = names.unique(rng, |r| {
            if size.grown() && r.random_bool(0.5) {
                format!("{}街道", place_stem(r))
            } else {
                format!("{}街道", pick(r, SUBDISTRICT_WORDS))
            }
        });
        let scode = format!("{code}{:03}", i + 1);
        streets.push(generate_street(rng, names, sname, scode, 0, size));
    }
    for i in 0..n_town {
        let sname = names.unique(rng, |r| format!("{}镇", place_stem(r)));
        let scode = format!("{code}{:03}", 101 + i);
        streets.push(generate_street(rng, names, sname, scode, 1, size));
    }
    for i in 0..n_township {
        let sname = names.unique(rng, |r| format!("{}乡", place_stem(r)));
        let scode = format!("{code}{:03}", 201 + i);
        streets.push(generate_street(rng, names, sname, scode, 2, size));
    }

    let street_stems: Vec<String> = streets.iter().map(|s| stem(&s.name).to_string()).collect();
    let town_stems: Vec<String> = streets
        .iter()
        .filter(|s| !s.is_subdistrict())
        .map(|s| s.name.clone())
        .collect();

    let n_roads = size.pool(rng.random_range(4..=6));
    let roads = (0..n_roads)
        .map(|_| {
            names.unique(rng, |r| {
                let w = if r.random_bool(0.7) {
                    pick(r, ROAD_WORDS).to_string()
                } else {
                    place_stem(r)
                };
                format!("{w}{}", pick(r, ROAD_SUFFIXES))
            })
        })
        .collect();

    let n_estates = size.pool(rng.random_range(5..=7));
    let estates = (0..n_estates)
        .map(|_| {
            names.unique(rng, |r| {
                if size.grown() && r.random_bool(0.5) {
                    format!("{}{}", place_stem(r), pick(r, ESTATE_SUFFIXES))
                } else {
                    format!("{}{}", pick(r, ESTATE_PREFIXES), pick(r, ESTATE_SUFFIXES))
                }
            })
        })
        .collect();

    // At least one company of every kind, a few more developers, contractors and factories.
    let mut kinds: Vec<CompanyKind> = CompanyKind::ALL.to_vec();
    kinds.extend([
        CompanyKind::Developer,
        CompanyKind::Developer,
        CompanyKind::Contractor,
        CompanyKind::Property,
        CompanyKind::Manufacturing,
        CompanyKind::Manufacturing,
    ]);
    // A grown city: the same mix, as many times over as it has grown.
    let base_kinds = kinds.len();
    let n_companies = size.pool(base_kinds);
    let kinds: Vec<CompanyKind> = kinds.into_iter().cycle().take(n_companies).collect();
    let companies = kinds
        .into_iter()
        .map(|k| {
            names.unique(rng, |r| {
                let suffixes = k.suffixes();
                format!("{city_stem}{}{}", brand(r, size), pick(r, suffixes))
            })
        })
        .collect();

    let dstem = stem(name).to_string();
    let mut schools = Vec::new();
    schools.push(names.unique(rng, |_| format!("{name}实验小学")));
    schools.push(names.unique(rng, |r| format!("{}小学", pick(r, &street_stems))));
    schools.push(names.unique(rng, |r| format!("{name}第{}中学", pick(r, &ORDINALS[1..6]))));
    schools.push(names.unique(rng, |r| format!("{}中学", pick(r, &street_stems))));
    schools.push(names.unique(rng, |r| format!("{}幼儿园", pick(r, COMMUNITY_WORDS))));
    if !town_stems.is_empty() && rng.random_bool(0.7) {
        schools.push(names.unique(rng, |r| format!("{}中心小学", pick(r, &town_stems))));
    }
    for _ in schools.len()..size.pool(schools.len()) {
        schools.push(names.unique(rng, |r| {
            let place = match r.random_range(0..3) {
                0 => pick(r, &street_stems).clone(),
                1 => pick(r, COMMUNITY_WORDS).to_string(),
                _ => place_stem(r),
            };
            format!("{place}{}", pick(r, SCHOOL_KINDS))
        }));
    }

    let mut hospitals = vec![format!("{name}人民医院"), format!("{name}中医院")];
    if let Some(t) = town_stems.first() {
        hospitals.push(format!("{t}卫生院"));
    }
    hospitals.push(names.unique(rng, |r| {
        format!("{}社区卫生服务中心", pick(r, &street_stems))
    }));
    hospitals.push(names.unique(rng, |r| format!("{city_stem}{}医院", pick(r, BRANDS))));
    for _ in hospitals.len()..size.pool(hospitals.len()) {
        hospitals.push(names.unique(rng, |r| match r.random_range(0..3) {
            0 if !town_stems.is_empty() => format!("{}卫生院", pick(r, &town_stems)),
            1 => format!("{}社区卫生服务中心", pick(r, &street_stems)),
            _ => format!("{city_stem}{}医院", brand(r, size)),
        }));
    }

    let n_factories = size.pool(rng.random_range(3..=4));
    let factories = (0..n_factories)
        .map(|_| {
            names.unique(rng, |r| {
                let place = if r.random_bool(0.5) {
                    city_stem.to_string()
                } else {
                    pick(r, &street_stems).clone()
                };
                format!("{place}{}{}", brand(r, size), pick(r, FACTORY_KINDS))
            })
        })
        .collect();

    let city_name = format!("{city_stem}市");
    let state_enterprises = (0..size.pool(2))
        .map(|_| {
            names.unique(rng, |r| match r.random_range(0..3) {
                0 => format!(
                    "{city_name}第{}{}",
                    pick(r, &ORDINALS[1..6]),
                    pick(r, SOE_KINDS)
                ),
                1 => format!("{city_name}{}{}", pick(r, SOE_NAMES), pick(r, SOE_KINDS)),
                _ => format!("{dstem}{}{}", pick(r, SOE_NAMES), pick(r, SOE_KINDS)),
            })
        })
        .collect();

    let scenic_spots = (0..size.pool(2))
        .map(|_| {
            names.unique(rng, |r| {
                let kinds = [
                    "山风景区",
                    "古镇景区",
                    "湿地公园",
                    "温泉度假村",
                    "峡谷漂流景区",
                    "生态农庄",
                    "森林公园",
                ];
                format!("{}{}", place_stem(r), pick(r, &kinds))
            })
        })
        .collect();

    let n_shops = size.pool(rng.random_range(3..=4));
    let shops = (0..n_shops)
        .map(|_| {
            names.unique(rng, |r| {
                let shop_brand = if !size.grown() {
                    pick(r, SHOP_BRANDS).to_string()
                } else {
                    match r.random_range(0..3) {
                        0 => pick(r, SHOP_BRANDS).to_string(),
                        1 => pick(r, COMMUNITY_WORDS).to_string(),
                        _ => brand(r, size),
                    }
                };
                format!("{shop_brand}{}", pick(r, SHOP_KINDS))
            })
        })
        .collect();

    let mut nursing_homes = vec![names.unique(rng, |_| format!("{name}社会福利中心"))];
    nursing_homes.push(names.unique(rng, |r| {
        if !town_stems.is_empty() && r.random_bool(0.5) {
            format!("{}敬老院", pick(r, &town_stems))
        } else {
            format!("{}{}康养中心", city_stem, pick(r, BRANDS))
        }
    }));
    nursing_homes.push(names.unique(rng, |r| format!("{}颐养院", pick(r, COMMUNITY_WORDS))));
    for _ in nursing_homes.len()..size.pool(nursing_homes.len()) {
        nursing_homes.push(names.unique(rng, |r| match r.random_range(0..3) {
            0 if !town_stems.is_empty() => format!("{}敬老院", pick(r, &town_stems)),
            1 => format!("{}颐养院", place_stem(r)),
            _ => format!("{city_stem}{}康养中心", brand(r, size)),
        }));
    }

    District {
        name: name.to_string(),
        code: code.to_string(),
        streets,
        roads,
        estates,
        companies,
        schools,
        hospitals,
        factories,
        state_enterprises,
        scenic_spots,
        shops,
        nursing_homes,
    }
}

/// `level`: 0 街道, 1 镇, 2 乡.
fn generate_street<R: Rng + ?Sized>(
    rng: &mut R,
    names: &mut Names,
    name: String,
    code: String,
    level: u8,
    size: Size,
) -> Street {
    let n: usize = size.tree(rng.random_range(3..=8));
    let n_urban = match level {
        0 => {
            if rng.random_bool(0.2) {
                n - size.tree(1)
            } else {
                n
            }
        }
        1 => size.tree(rng.random_range(1..=2)).min(n - 1),
        _ => 0,
    };
    let mut communities = Vec::with_capacity(n);
    for i in 0..n_urban {
        let cname = names.unique(rng, |r| {
            let w = if size.grown() && r.random_bool(0.6) {
                place_stem(r)
            } else {
                pick(r, COMMUNITY_WORDS).to_string()
            };
            match r.random_range(0..6) {
                0 => format!("{w}里社区"),
                1 => format!("{w}苑社区"),
                2 => format!("{w}新村社区"),
                _ => format!("{w}社区"),
            }
        });
        communities.push(Community {
            name: cname,
            code: format!("{code}{:03}", i + 1),
        });
    }
    for i in 0..(n - n_urban) {
        let cname = names.unique(rng, |r| {
            if size.grown() && r.random_bool(0.4) {
                format!("{}{}村", place_stem(r), pick(r, VILLAGE_TAILS))
            } else if r.random_bool(0.35) {
                let tail = pick(r, &["", "", "湾", "坞", "庄", "岙"]);
                format!("{}家{tail}村", pick(r, VILLAGE_SURNAMES))
            } else {
                format!("{}村", place_stem(r))
            }
        });
        communities.push(Community {
            name: cname,
            code: format!("{code}{:03}", 201 + i),
        });
    }
    Street {
        name,
        code,
        communities,
    }
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

/// What a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKind {
    PetitionBureau,
    Department,
    Government,
    Court,
}

/// The administrative level of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Province,
    City,
    County,
    Township,
}

/// One unit of the organisation tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitSpec {
    /// Stable key: region code + "-" + abbreviation, e.g. "339902-rsj".
    pub key: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    /// 6 digits for province, city and district units, 9 digits for street offices.
    pub region_code: String,
    pub parent_key: Option<String>,
    /// First-level domains the unit is competent for. Empty for petition bureaus and street
    /// offices; governments carry "其他" (matters no department is competent for).
    pub domains: Vec<&'static str>,
}

/// Functional departments: (abbreviation, city-level name, county-level name, domains).
/// An empty county-level name means the department exists at city level only.
const DEPARTMENTS: &[(&str, &str, &str, &[&str])] = &[
    ("zjj", "住房和城乡建设局", "住房和城乡建设局", &["城乡建设"]),
    ("cgj", "城市管理局", "综合行政执法局", &["城乡建设"]),
    (
        "zrzyj",
        "自然资源和规划局",
        "自然资源和规划局",
        &["自然资源"],
    ),
    (
        "rsj",
        "人力资源和社会保障局",
        "人力资源和社会保障局",
        &["劳动和社会保障", "组织人事"],
    ),
    ("nyncj", "农业农村局", "农业农村局", &["农业农村"]),
    ("jrj", "地方金融管理局", "金融工作局", &["集资融资"]),
    ("gaj", "公安局", "公安分局", &["涉法涉诉"]),
    ("sthjj", "生态环境局", "生态环境分局", &["生态环境"]),
    ("jtysj", "交通运输局", "交通运输局", &["交通运输"]),
    ("jyj", "教育局", "教育局", &["教育"]),
    ("wjw", "卫生健康委员会", "卫生健康局", &["卫生健康"]),
    ("mzj", "民政局", "民政局", &["民政"]),
    (
        "tyjrswj",
        "退役军人事务局",
        "退役军人事务局",
        &["退役军人事务"],
    ),
    ("gzw", "人民政府国有资产监督管理委员会", "", &["企业改制"]),
    ("swj", "商务局", "商务局", &["商贸旅游"]),
    (
        "wgllj",
        "文化广电旅游局",
        "文化和广电旅游体育局",
        &["商贸旅游"],
    ),
    ("scjgj", "市场监督管理局", "市场监督管理局", &["商贸旅游"]),
    ("jw", "纪委监委", "纪委监委", &["纪检监察"]),
    ("zzb", "委组织部", "委组织部", &["组织人事"]),
];

/// All units of the city, parents listed before children.
///
/// Order: province government, province petition bureau, city government, city petition
/// bureau, city departments, intermediate court; then per district its government, petition
/// bureau, departments, court and street offices.
///
/// Parents: city bureau → province bureau; city government → province government; city
/// departments and the intermediate court → city government; district bureau → city bureau;
/// district government → city government; district departments and street offices → district
/// government; district courts → intermediate court.
pub fn units(city: &City) -> Vec<UnitSpec> {
    let mut out = Vec::new();
    let pcode = &city.province_code;
    let pname = &city.province_name;
    let key = |code: &str, abbr: &str| format!("{code}-{abbr}");

    out.push(UnitSpec {
        key: key(pcode, "zf"),
        name: format!("{pname}人民政府"),
        kind: UnitKind::Government,
        level: Level::Province,
        region_code: pcode.clone(),
        parent_key: None,
        domains: vec!["其他"],
    });
    out.push(UnitSpec {
        key: key(pcode, "xfj"),
        name: format!("{pname}信访局"),
        kind: UnitKind::PetitionBureau,
        level: Level::Province,
        region_code: pcode.clone(),
        parent_key: None,
        domains: vec![],
    });

    let ccode = &city.code;
    let cname = &city.name;
    let city_gov = key(ccode, "zf");
    let city_bureau = key(ccode, "xfj");
    let city_court = key(ccode, "zy");
    out.push(UnitSpec {
        key: city_gov.clone(),
        name: format!("{cname}人民政府"),
        kind: UnitKind::Government,
        level: Level::City,
        region_code: ccode.clone(),
        parent_key: Some(key(pcode, "zf")),
        domains: vec!["其他"],
    });
    out.push(UnitSpec {
        key: city_bureau.clone(),
        name: format!("{cname}信访局"),
        kind: UnitKind::PetitionBureau,
        level: Level::City,
        region_code: ccode.clone(),
        parent_key: Some(key(pcode, "xfj")),
        domains: vec![],
    });
    for (abbr, name, _, domains) in DEPARTMENTS {
        let full = if *abbr == "zzb" {
            format!("中共{}委组织部", city.name)
        } else {
            format!("{}{name}", city.name)
        };
        out.push(UnitSpec {
            key: key(ccode, abbr),
            name: full,
            kind: UnitKind::Department,
            level: Level::City,
            region_code: ccode.clone(),
            parent_key: Some(city_gov.clone()),
            domains: domains.to_vec(),
        });
    }
    out.push(UnitSpec {
        key: city_court.clone(),
        name: format!("{cname}中级人民法院"),
        kind: UnitKind::Court,
        level: Level::City,
        region_code: ccode.clone(),
        parent_key: Some(city_gov.clone()),
        domains: vec!["涉法涉诉"],
    });

    for d in &city.districts {
        let dcode = &d.code;
        let dgov = key(dcode, "zf");
        out.push(UnitSpec {
            key: dgov.clone(),
            name: format!("{}人民政府", d.name),
            kind: UnitKind::Government,
            level: Level::County,
            region_code: dcode.clone(),
            parent_key: Some(city_gov.clone()),
            domains: vec!["其他"],
        });
        out.push(UnitSpec {
            key: key(dcode, "xfj"),
            name: format!("{}信访局", d.name),
            kind: UnitKind::PetitionBureau,
            level: Level::County,
            region_code: dcode.clone(),
            parent_key: Some(city_bureau.clone()),
            domains: vec![],
        });
        for (abbr, _, county_name, domains) in DEPARTMENTS {
            if county_name.is_empty() {
                continue;
            }
            let mut county_name = county_name.to_string();
            // Urban districts have police and environment branches (分局) of the city bureaus;
            // counties and county-level cities have bureaus of their own.
            if d.suffix() != '区' {
                county_name = county_name.replace("分局", "局");
            }
            let full = if *abbr == "zzb" {
                format!("中共{}委组织部", d.name)
            } else {
                format!("{}{county_name}", d.name)
            };
            out.push(UnitSpec {
                key: key(dcode, abbr),
                name: full,
                kind: UnitKind::Department,
                level: Level::County,
                region_code: dcode.clone(),
                parent_key: Some(dgov.clone()),
                domains: domains.to_vec(),
            });
        }
        out.push(UnitSpec {
            key: key(dcode, "fy"),
            name: format!("{}人民法院", d.name),
            kind: UnitKind::Court,
            level: Level::County,
            region_code: dcode.clone(),
            parent_key: Some(city_court.clone()),
            domains: vec!["涉法涉诉"],
        });
        for s in &d.streets {
            let (abbr, name) = if s.is_subdistrict() {
                ("bsc", format!("{}办事处", s.name))
            } else {
                ("zf", format!("{}人民政府", s.name))
            };
            out.push(UnitSpec {
                key: key(&s.code, abbr),
                name,
                kind: UnitKind::Government,
                level: Level::Township,
                region_code: s.code.clone(),
                parent_key: Some(dgov.clone()),
                domains: vec![],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn city(seed: u64) -> City {
        generate_city(&mut ChaCha8Rng::seed_from_u64(seed))
    }

    fn digits(s: &str, n: usize) -> bool {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
    }

    #[test]
    fn codes_have_right_shape_and_are_unique() {
        for seed in 0..30 {
            let c = city(seed);
            assert!(digits(&c.province_code, 6) && c.province_code.ends_with("0000"));
            assert!(digits(&c.code, 6) && c.code.ends_with("00"));
            assert_eq!(&c.code[..2], &c.province_code[..2]);
            assert!((6..=8).contains(&c.districts.len()));
            let mut codes = HashSet::new();
            let mut names = HashSet::new();
            for d in &c.districts {
                assert!(digits(&d.code, 6), "{}", d.code);
                assert_eq!(&d.code[..4], &c.code[..4]);
                assert!(codes.insert(d.code.clone()));
                assert!(names.insert(d.name.clone()));
                assert!((5..=10).contains(&d.streets.len()));
                assert!(
                    d.streets
                        .iter()
                        .flat_map(|s| &s.communities)
                        .any(Community::is_village)
                );
                for k in CompanyKind::ALL {
                    assert!(!d.companies_of(k).is_empty(), "{k:?} missing in {}", d.name);
                }
                for list in [
                    &d.roads,
                    &d.estates,
                    &d.schools,
                    &d.hospitals,
                    &d.factories,
                    &d.shops,
                ] {
                    assert!(!list.is_empty());
                }
                for s in &d.streets {
                    assert!(digits(&s.code, 9), "{}", s.code);
                    assert!(s.code.starts_with(&d.code));
                    assert!(codes.insert(s.code.clone()));
                    assert!(names.insert(s.name.clone()), "dup {}", s.name);
                    assert!(
                        s.name.ends_with("街道")
                            || s.name.ends_with('镇')
                            || s.name.ends_with('乡')
                    );
                    assert!((3..=8).contains(&s.communities.len()));
                    for cm in &s.communities {
                        assert!(digits(&cm.code, 12), "{}", cm.code);
                        assert!(cm.code.starts_with(&s.code));
                        assert!(codes.insert(cm.code.clone()));
                        assert!(names.insert(cm.name.clone()), "dup {}", cm.name);
                        assert!(cm.name.ends_with("社区") || cm.name.ends_with('村'));
                        let n: u32 = cm.code[9..].parse().unwrap_or(0);
                        assert_eq!(cm.is_village(), n > 200, "{} {}", cm.name, cm.code);
                    }
                }
            }
        }
    }

    #[test]
    fn a_larger_city_has_larger_pools_and_still_unique_names_and_codes() {
        for (seed, matters) in [(1, 30_000), (2, 100_000)] {
            let size = Size::for_matters(matters);
            let big = generate_city_sized(&mut ChaCha8Rng::seed_from_u64(seed), size);
            let small = city(seed);
            let count =
                |c: &City, f: fn(&District) -> usize| c.districts.iter().map(f).sum::<usize>();
            let grown = |f: fn(&District) -> usize| count(&big, f) as f64 / count(&small, f) as f64;
            // Districts are drawn first: the same ones, with more in them.
            assert_eq!(big.districts.len(), small.districts.len());
            let f = size.factor();
            assert!(grown(|d| d.estates.len()) > 0.6 * f, "estates");
            assert!(grown(|d| d.companies.len()) > 0.9 * f, "companies");
            assert!(grown(|d| d.schools.len()) > 0.6 * f, "schools");
            let villages = |d: &District| {
                d.streets
                    .iter()
                    .flat_map(|s| &s.communities)
                    .filter(|c| c.is_village())
                    .count()
            };
            assert!(grown(villages) > 0.4 * f, "villages");
            let mut codes = HashSet::new();
            let mut names = HashSet::new();
            for d in &big.districts {
                for k in CompanyKind::ALL {
                    assert!(!d.companies_of(k).is_empty());
                }
                for s in &d.streets {
                    assert!(
                        digits(&s.code, 9) && codes.insert(s.code.clone()),
                        "{}",
                        s.code
                    );
                    assert!(names.insert(s.name.clone()), "dup {}", s.name);
                    for cm in &s.communities {
                        assert!(digits(&cm.code, 12) && codes.insert(cm.code.clone()));
                        assert!(names.insert(cm.name.clone()), "dup {}", cm.name);
                        let n: u32 = cm.code[9..].parse().unwrap_or(0);
                        assert_eq!(cm.is_village(), n > 200, "{} {}", cm.name, cm.code);
                        assert!(n < 400, "{}", cm.code);
                    }
                }
                for list in [&d.estates, &d.companies, &d.schools, &d.factories, &d.shops] {
                    for name in list {
                        assert!(names.insert(name.clone()), "dup {name}");
                    }
                }
            }
        }
        // Up to the base size, the city is the one it always was.
        assert_eq!(
            generate_city_sized(&mut ChaCha8Rng::seed_from_u64(3), Size::for_matters(4_000)),
            city(3)
        );
    }

    #[test]
    fn same_seed_same_city() {
        assert_eq!(city(7), city(7));
        assert_ne!(city(7), city(8));
    }

    #[test]
    fn units_are_ordered_and_cover_all_domains() {
        for seed in 0..10 {
            let c = city(seed);
            let us = units(&c);
            let mut seen = HashSet::new();
            for u in &us {
                if let Some(p) = &u.parent_key {
                    assert!(seen.contains(p), "{} before its parent {p}", u.key);
                }
                assert!(seen.insert(u.key.clone()), "duplicate key {}", u.key);
                for d in &u.domains {
                    assert!(crate::texts::DOMAINS.contains(d), "{d}");
                }
            }
            let bureaus: Vec<_> = us
                .iter()
                .filter(|u| u.kind == UnitKind::PetitionBureau)
                .collect();
            assert_eq!(bureaus.len(), 2 + c.districts.len());
            let n_streets: usize = c.districts.iter().map(|d| d.streets.len()).sum();
            assert_eq!(
                us.iter().filter(|u| u.level == Level::Township).count(),
                n_streets
            );
            for d in &c.districts {
                for dom in crate::texts::DOMAINS {
                    let ok = us.iter().any(|u| {
                        (u.region_code == d.code || u.region_code == c.code)
                            && u.kind != UnitKind::PetitionBureau
                            && u.domains.contains(&dom)
                    });
                    assert!(ok, "no unit for {dom} in {}", d.name);
                }
            }
            let city_bureau = us
                .iter()
                .find(|u| u.key == format!("{}-xfj", c.code))
                .map(|u| u.parent_key.clone());
            assert_eq!(city_bureau, Some(Some(format!("{}-xfj", c.province_code))));
        }
    }
}
