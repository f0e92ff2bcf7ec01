//! The model file: compact, versioned, checked, and the same bytes for the same data.
//!
//! ```text
//! "XFCLASS\0"  magic (8 bytes)
//! u32          format version (1)
//! model        domain model
//! u8           1 if a purpose model follows (learned from staff choices), else 0
//! model        purpose model, when present
//! u64          FNV-1a 64 of every byte before it
//!
//! model := u32 labels, each (u32 length, UTF-8) · u32 features · keys as varint deltas (ascending) ·
//!          u16 IDF × 2048 per feature · f32 scale, f32 bias per label · f32 temperature ·
//!          i8 weight per feature and label (feature-major)
//! ```
//! Integers and floats are little-endian. Features whose weights all round to zero are not stored.

use super::linear::LinearModel;

const MAGIC: &[u8; 8] = b"XFCLASS\0";
pub const VERSION: u32 = 1;
/// Bounds that no real model comes near, so a damaged length cannot make loading allocate gigabytes.
const MAX_LABELS: usize = 10_000;
const MAX_FEATURES: usize = 50_000_000;

/// Why a model file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("不是 xinfang 分类模型文件")]
    NotAModel,
    #[error("分类模型格式版本 {0} 不受支持（本程序读取版本 {VERSION}）")]
    UnsupportedVersion(u32),
    #[error("分类模型文件不完整")]
    Truncated,
    #[error("分类模型文件已损坏（校验和不符）")]
    Checksum,
    #[error("分类模型文件内容无效：{0}")]
    Invalid(&'static str),
}

pub(crate) fn encode(domain: &LinearModel, purpose: Option<&LinearModel>) -> Vec<u8> {
    let mut out = Vec::with_capacity(domain.features() * (domain.labels.len() + 4) + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    write_model(&mut out, domain);
    match purpose {
        Some(p) => {
            out.push(1);
            write_model(&mut out, p);
        }
        None => out.push(0),
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

pub(crate) fn decode(bytes: &[u8]) -> Result<(LinearModel, Option<LinearModel>), ModelError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(ModelError::NotAModel);
    }
    let mut r = Reader {
        bytes,
        at: MAGIC.len(),
    };
    let version = r.u32()?;
    if version != VERSION {
        return Err(ModelError::UnsupportedVersion(version));
    }
    if bytes.len() < MAGIC.len() + 4 + 8 {
        return Err(ModelError::Truncated);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(sum.try_into().expect("8 bytes")) {
        return Err(ModelError::Checksum);
    }
    r.bytes = body;
    let domain = read_model(&mut r)?;
    let purpose = match r.take(1)?[0] {
        0 => None,
        1 => Some(read_model(&mut r)?),
        _ => return Err(ModelError::Invalid("purpose flag")),
    };
    if r.at != body.len() {
        return Err(ModelError::Invalid("trailing bytes"));
    }
    Ok((domain, purpose))
}

fn write_model(out: &mut Vec<u8>, m: &LinearModel) {
    out.extend_from_slice(&(m.labels.len() as u32).to_le_bytes());
    for l in &m.labels {
        out.extend_from_slice(&(l.len() as u32).to_le_bytes());
        out.extend_from_slice(l.as_bytes());
    }
    out.extend_from_slice(&(m.keys.len() as u32).to_le_bytes());
    let mut prev = 0u64;
    for &k in &m.keys {
        let mut d = k - prev;
        prev = k;
        loop {
            let byte = (d & 0x7F) as u8;
            d >>= 7;
            if d == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    for &i in &m.idf {
        out.extend_from_slice(&i.to_le_bytes());
    }
    for (s, b) in m.scales.iter().zip(&m.bias) {
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
    }
    out.extend_from_slice(&m.temperature.to_le_bytes());
    out.extend(m.weights.iter().map(|&w| w as u8));
}

fn read_model(r: &mut Reader) -> Result<LinearModel, ModelError> {
    let n_labels = r.u32()? as usize;
    if !(2..=MAX_LABELS).contains(&n_labels) {
        return Err(ModelError::Invalid("label count"));
    }
    let mut labels = Vec::with_capacity(n_labels);
    for _ in 0..n_labels {
        let len = r.u32()? as usize;
        let text = std::str::from_utf8(r.take(len)?).map_err(|_| ModelError::Invalid("label"))?;
        labels.push(text.to_owned());
    }
    let n = r.u32()? as usize;
    if n > MAX_FEATURES {
        return Err(ModelError::Invalid("feature count"));
    }
    let mut keys = Vec::with_capacity(n.min(r.remaining()));
    let mut prev = 0u64;
    for i in 0..n {
        let mut d = 0u64;
        let mut shift = 0;
        loop {
            let byte = r.take(1)?[0];
            if shift > 63 {
                return Err(ModelError::Invalid("key"));
            }
            d |= u64::from(byte & 0x7F) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        if i > 0 && d == 0 {
            return Err(ModelError::Invalid("keys not ascending"));
        }
        prev = prev.checked_add(d).ok_or(ModelError::Invalid("key"))?;
        keys.push(prev);
    }
    let idf_bytes = r.take(n * 2)?;
    let idf = idf_bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut scales = Vec::with_capacity(n_labels);
    let mut bias = Vec::with_capacity(n_labels);
    for _ in 0..n_labels {
        scales.push(r.f32()?);
        bias.push(r.f32()?);
    }
    let temperature = r.f32()?;
    if !(temperature.is_finite() && temperature > 0.0)
        || scales.iter().chain(&bias).any(|v| !v.is_finite())
    {
        return Err(ModelError::Invalid("numbers"));
    }
    let len = n.checked_mul(n_labels).ok_or(ModelError::Truncated)?;
    let weights = r.take(len)?.iter().map(|&b| b as i8).collect();
    Ok(LinearModel::new(
        labels,
        keys,
        idf,
        weights,
        scales,
        bias,
        temperature,
    ))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).ok_or(ModelError::Truncated)?;
        let out = self.bytes.get(self.at..end).ok_or(ModelError::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
