//! Identifiers and personal-data values that cannot hold a bad value ("parse, don't validate").

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a value was rejected. Messages are shown to users, so they are in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("身份证号码应为18位（前17位数字，末位数字或X）")]
    IdNumberShape,
    #[error("身份证号码校验位错误")]
    IdNumberCheckDigit,
    #[error("身份证号码中的出生日期无效")]
    IdNumberBirthDate,
    #[error("身份证号码中的地区码无效")]
    IdNumberRegion,
    #[error("电话号码格式不正确：应为11位手机号，或带区号的固定电话（如 0571-87654321）")]
    Phone,
    #[error("行政区划代码应为6位、9位或12位数字，且省级代码有效")]
    RegionCode,
    #[error("编号不能为空，且不得超过64个字符")]
    Identifier,
}

/// Province-level prefixes of GB/T 2260 (31 provinces plus Taiwan, Hong Kong and Macao).
const PROVINCE_PREFIXES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Administrative level of a region or unit (brief §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    National,
    Province,
    City,
    County,
    Township,
    Village,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::National,
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Village,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Level::National => "国家",
            Level::Province => "省",
            Level::City => "市",
            Level::County => "县(区)",
            Level::Township => "乡镇(街道)",
            Level::Village => "村(社区)",
        }
    }
}

/// A GB/T 2260 division code (6 digits), extended by 3 digits for townships and streets and by 3 more
/// for villages and communities.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        if !matches!(s.len(), 6 | 9 | 12) || !all_digits(s) {
            return Err(ParseError::RegionCode);
        }
        let province: u8 = s[..2].parse().map_err(|_| ParseError::RegionCode)?;
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(ParseError::RegionCode);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        match self.0.len() {
            12 => Level::Village,
            9 => Level::Township,
            _ if &self.0[2..] == "0000" => Level::Province,
            _ if &self.0[4..] == "00" => Level::City,
            _ => Level::County,
        }
    }

    /// The code of the region directly above, if any.
    pub fn parent(&self) -> Option<RegionCode> {
        let parent = match self.level() {
            Level::Village => self.0[..9].to_owned(),
            Level::Township => self.0[..6].to_owned(),
            Level::County => format!("{}00", &self.0[..4]),
            Level::City => format!("{}0000", &self.0[..2]),
            Level::Province | Level::National => return None,
        };
        Some(RegionCode(parent))
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn is_within(&self, other: &RegionCode) -> bool {
        let prefix = match other.level() {
            Level::Province => &other.0[..2],
            Level::City => &other.0[..4],
            _ => other.0.as_str(),
        };
        self.0.starts_with(prefix)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

impl FromStr for RegionCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An 18-digit 居民身份证 number (GB 11643): region, birth date, sequence and ISO 7064 MOD 11-2 check digit.
/// Stored upper-case, so the same person always has the same number.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = *b"10X98765432";

/// The check character of the first 17 digits of an ID number.
pub fn id_check_digit(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(ParseError::IdNumberShape);
        }
        if id_check_digit(&b[..17]) != b[17] {
            return Err(ParseError::IdNumberCheckDigit);
        }
        let province: u8 = s[..2].parse().map_err(|_| ParseError::IdNumberRegion)?;
        if !PROVINCE_PREFIXES.contains(&province) {
            return Err(ParseError::IdNumberRegion);
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .map_err(|_| ParseError::IdNumberBirthDate)?;
        if birth < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date") {
            return Err(ParseError::IdNumberBirthDate);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse time")
    }

    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// The form shown to roles that may not see personal data: 110***********1234.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[..3], &self.0[14..])
    }
}

/// Debug never prints the full number: logs are not a place for personal data.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl TryFrom<String> for IdNumber {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IdNumber> for String {
    fn from(c: IdNumber) -> String {
        c.0
    }
}

/// A mainland mobile number (11 digits, 13x–19x) or a landline with its area code (0xx-xxxxxxxx).
/// Stored normalised: no spaces, no +86, landlines as "area-number".
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let cleaned: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '(' | ')'))
            .collect();
        let cleaned = cleaned
            .strip_prefix("+86")
            .or_else(|| cleaned.strip_prefix("0086"))
            .unwrap_or(&cleaned)
            .trim_start_matches('-');
        let digits: String = cleaned.chars().filter(|c| *c != '-').collect();
        if !all_digits(&digits) {
            return Err(ParseError::Phone);
        }
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            return Ok(Self(digits));
        }
        if b[0] == b'0' && (10..=12).contains(&b.len()) {
            // Area codes are 3 digits for 010 and 02x, otherwise 4.
            let area_len = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
            let (area, number) = digits.split_at(area_len);
            if (7..=8).contains(&number.len()) && number.as_bytes()[0] != b'0' {
                return Ok(Self(format!("{area}-{number}")));
            }
        }
        Err(ParseError::Phone)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}****{}", &self.0[..3], &self.0[n - 4..])
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl TryFrom<String> for Phone {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(c: Phone) -> String {
        c.0
    }
}

/// A string schema for the API document, for types that travel as strings.
#[cfg(feature = "openapi")]
macro_rules! string_schema {
    ($name:ident, $description:expr, $pattern:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .pattern($pattern)
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

#[cfg(feature = "openapi")]
string_schema!(
    RegionCode,
    "GB/T 2260 行政区划代码（6、9 或 12 位）",
    Some("^([0-9]{6}|[0-9]{9}|[0-9]{12})$")
);
#[cfg(feature = "openapi")]
string_schema!(IdNumber, "18 位居民身份证号码", Some("^[0-9]{17}[0-9Xx]$"));
#[cfg(feature = "openapi")]
string_schema!(Phone, "手机或固定电话号码", Some("^[0-9+\\- ]{5,20}$"));

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, ParseError> {
                let s = s.trim();
                if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
                    return Err(ParseError::Identifier);
                }
                Ok(Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }

        #[cfg(feature = "openapi")]
        string_schema!($name, "编号（1 至 64 个字符）", None::<String>);
    };
}

text_id!(
    /// A unit (单位): a petition bureau, a department or a government.
    UnitId
);
text_id!(
    /// A matter (信访事项).
    MatterId
);
text_id!(
    /// A contact (件次): one letter, visit, online submission or call.
    ContactId
);
text_id!(
    /// A staff account or a petitioner account.
    UserId
);
text_id!(
    /// A supervision order (督办单).
    OrderId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_number_accepts_valid_and_rejects_bad_check_digit() {
        let id = IdNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert!(!id.is_male());
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(ParseError::IdNumberCheckDigit)
        );
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err(ParseError::IdNumberShape)
        );
    }

    #[test]
    fn id_number_rejects_impossible_birth_date() {
        // 1949-02-30 with a correct check digit for those 17 digits.
        let first17 = b"11010519490230002";
        let check = id_check_digit(first17) as char;
        let s = format!("{}{}", std::str::from_utf8(first17).unwrap(), check);
        assert_eq!(IdNumber::parse(&s), Err(ParseError::IdNumberBirthDate));
    }

    #[test]
    fn id_number_debug_is_masked() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(
            Phone::parse("+86 138 0013 8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            Phone::parse("0571-87654321").unwrap().as_str(),
            "0571-87654321"
        );
        assert_eq!(
            Phone::parse("010 6512 3456").unwrap().as_str(),
            "010-65123456"
        );
        assert!(Phone::parse("12345678901").is_err());
        assert!(Phone::parse("1380013800").is_err());
        assert!(Phone::parse("abc").is_err());
        assert!(Phone::parse("").is_err());
    }

    #[test]
    fn region_codes() {
        let county = RegionCode::parse("330106").unwrap();
        assert_eq!(county.level(), Level::County);
        assert_eq!(county.parent().unwrap().as_str(), "330100");
        assert_eq!(
            county.parent().unwrap().parent().unwrap().as_str(),
            "330000"
        );
        let street = RegionCode::parse("330106001").unwrap();
        assert_eq!(street.level(), Level::Township);
        assert!(street.is_within(&RegionCode::parse("330100").unwrap()));
        assert!(!street.is_within(&RegionCode::parse("330200").unwrap()));
        assert!(RegionCode::parse("990000").is_err());
        assert!(RegionCode::parse("33010").is_err());
        assert!(RegionCode::parse("33010a").is_err());
    }
}
