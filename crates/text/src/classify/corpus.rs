//! Labelled texts from CSV (the shared data's `labelled_*.csv`: columns `title` and/or `detail`, and
//! `label`), read by column name, padding stripped. The caller opens the files; this only parses.

use std::collections::HashMap;
use std::io::Read;

use super::{Example, labels};

/// Why a CSV file could not be read as labelled texts.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("CSV 文件无法读取：{0}")]
    Csv(#[from] csv::Error),
    #[error("CSV 文件缺少列：{0}")]
    MissingColumn(&'static str),
}

/// The texts of a file, and the rows left out with the reason (1-based row numbers, header excluded).
#[derive(Debug, Default)]
pub struct Labelled {
    pub examples: Vec<Example>,
    pub skipped: Vec<(usize, String)>,
}

/// Reads a board CSV: the text is the title and the detail (whichever the file has), one line each; the
/// label is mapped onto the domain tree ([`labels::tree_domain`]).
pub fn read_board_csv(input: impl Read) -> Result<Labelled, CorpusError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
    };
    let label_at = column("label").ok_or(CorpusError::MissingColumn("label"))?;
    let text_at: Vec<usize> = ["title", "detail"]
        .iter()
        .filter_map(|c| column(c))
        .collect();
    if text_at.is_empty() {
        return Err(CorpusError::MissingColumn("title 或 detail"));
    }
    let mut out = Labelled::default();
    for (row, record) in reader.records().enumerate() {
        let row = row + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.skipped.push((row, e.to_string()));
                continue;
            }
        };
        let label = record.get(label_at).unwrap_or("").trim();
        let Some(domain) = labels::tree_domain(label) else {
            out.skipped.push((row, format!("未知的分类「{label}」")));
            continue;
        };
        let text = text_at
            .iter()
            .filter_map(|&i| record.get(i))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if text.is_empty() {
            out.skipped.push((row, "没有文本".to_owned()));
            continue;
        }
        out.examples.push(Example {
            text,
            domain: Some(domain.to_owned()),
            purpose: None,
        });
    }
    Ok(out)
}

/// One example per text (compared in [`crate::normalize`]'s canonical form), in first-seen order. Where copies
/// of a text carry different domains, the most frequent wins (the first seen on a tie): the data has a
/// few such conflicts, and they are noise.
pub fn dedupe(examples: Vec<Example>) -> Vec<Example> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Example> = Vec::new();
    let mut votes: Vec<Vec<(Option<String>, usize)>> = Vec::new();
    for e in examples {
        let k = crate::normalize(&e.text);
        match at.get(&k) {
            Some(&i) => {
                let v = &mut votes[i];
                match v.iter_mut().find(|(d, _)| *d == e.domain) {
                    Some((_, n)) => *n += 1,
                    None => v.push((e.domain.clone(), 1)),
                }
                if out[i].purpose.is_none() {
                    out[i].purpose = e.purpose;
                }
            }
            None => {
                at.insert(k, out.len());
                votes.push(vec![(e.domain.clone(), 1)]);
                out.push(e);
            }
        }
    }
    for (e, v) in out.iter_mut().zip(votes) {
        let best = v.iter().fold(&v[0], |b, x| if x.1 > b.1 { x } else { b });
        e.domain = best.0.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_padding_stripped_bad_rows_reported() {
        let csv = "id,label,title,detail\n\
                   1, 劳动和社会保障 ,  拖欠工资 ,  公司拖欠工资三个月  \n\
                   2,天气,下雨,\n\
                   3,环境保护,,\n\
                   4,环境保护,噪音扰民,\n";
        let read = read_board_csv(csv.as_bytes()).expect("reads");
        assert_eq!(read.examples.len(), 2);
        assert_eq!(read.examples[0].text, "拖欠工资\n公司拖欠工资三个月");
        assert_eq!(read.examples[0].domain.as_deref(), Some("劳动和社会保障"));
        assert_eq!(read.examples[1].domain.as_deref(), Some("生态环境"));
        assert_eq!(read.skipped.iter().map(|s| s.0).collect::<Vec<_>>(), [2, 3]);
        assert!(matches!(
            read_board_csv("a,b\n1,2\n".as_bytes()),
            Err(CorpusError::MissingColumn("label"))
        ));
    }

    #[test]
    fn copies_vote_on_their_label() {
        let ex = |t: &str, d: &str| Example {
            text: t.into(),
            domain: Some(d.into()),
            purpose: None,
        };
        let out = dedupe(vec![
            ex("噪音扰民", "生态环境"),
            ex("噪音 扰民！", "城乡建设"),
            ex("噪音扰民。", "城乡建设"),
            ex("欠薪", "劳动和社会保障"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].domain.as_deref(), Some("城乡建设"));
    }
}
