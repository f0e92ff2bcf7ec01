//! `xinfang train` and `xinfang classify`: learning the classifier from labelled texts and staff choices,
//! and suggesting domain and purpose for texts in batch (JSON Lines in, JSON Lines out, in order).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use xinfang_text::classify::{
    Classifier, ClassifyError, Example, Suggestion, TrainOptions, corpus, train,
};

use crate::config::Settings;

/// The labelled files of the shared data, read when present in the folder given.
const LABELLED_FILES: [&str; 3] = [
    "labelled_full.csv",
    "labelled_details.csv",
    "labelled_titles.csv",
];

/// Contacts read from the database per query.
const PAGE: i64 = 5_000;

/// The model: `--model`, else the `classify_model` setting, else the one built in.
pub fn load_model(path: Option<&Path>, settings: &Settings) -> anyhow::Result<Classifier> {
    match path.or(settings.classify_model.as_deref()) {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("无法读取分类模型 {}", path.display()))?;
            Classifier::from_bytes(&bytes)
                .with_context(|| format!("无法加载分类模型 {}", path.display()))
        }
        None => Ok(Classifier::builtin()
            .context("内置分类模型无法加载")?
            .clone()),
    }
}

pub async fn train_model(
    settings: &Settings,
    labelled: Option<&Path>,
    from_database: bool,
    out: &Path,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        labelled.is_some() || from_database,
        "请用 --labelled 指定带标注的文本目录，或用 --data / --database-url 指定数据库（或两者都给）"
    );
    let mut examples: Vec<Example> = Vec::new();
    if let Some(dir) = labelled {
        let mut found = 0;
        for file in LABELLED_FILES {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            found += 1;
            let f = std::fs::File::open(&path)
                .with_context(|| format!("无法打开 {}", path.display()))?;
            let read = corpus::read_board_csv(std::io::BufReader::new(f))
                .with_context(|| format!("无法读取 {}", path.display()))?;
            println!(
                "{}：{} 条文本，跳过 {} 行",
                path.display(),
                read.examples.len(),
                read.skipped.len()
            );
            for (row, reason) in read.skipped.iter().take(5) {
                println!("  第 {row} 行：{reason}");
            }
            examples.extend(read.examples);
        }
        anyhow::ensure!(
            found > 0,
            "目录 {} 中没有 {} 中的任何文件",
            dir.display(),
            LABELLED_FILES.join("、")
        );
    }
    if from_database {
        let store = settings.open_store().await?;
        let mut after = 0;
        let mut n = 0;
        loop {
            let page = store.staff_choices_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            n += page.len();
            examples.extend(page.into_iter().map(|c| Example {
                text: c.text,
                domain: Some(c.domain),
                purpose: Some(c.purpose),
            }));
        }
        store.close().await;
        println!(
            "{}：{n} 个已登记件次（工作人员选定的内容分类与信访目的）",
            settings.describe_target()
        );
    }
    let examples = corpus::dedupe(examples);
    println!("训练文本（去重后）：{} 条", examples.len());
    let started = std::time::Instant::now();
    let model = train(&examples, &TrainOptions::default())?;
    let bytes = model.to_bytes();
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, &bytes).with_context(|| format!("无法写入 {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("无法写入 {}", out.display()))?;
    println!(
        "已写入分类模型 {}：{} 字节，{} 个特征，内容分类 {} 个（{}），信访目的{}，用时 {:.1} 秒",
        out.display(),
        bytes.len(),
        model.features(),
        model.domain_labels().len(),
        model.domain_labels().join("、"),
        if model.learned_purpose() {
            "由工作人员的选择学得"
        } else {
            "按提示词规则判断（工作人员的选择不足）"
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One line of `xinfang classify`'s input.
#[derive(serde::Deserialize)]
struct Input {
    text: serde_json::Value,
}

/// Reads JSON Lines `{"text": …}` and writes one JSON line per input line, in order: the suggestion, or
/// `{"error": {"code", "message"}}` for a line that cannot be classified.
pub fn classify_stream(
    model: &Classifier,
    input: impl BufRead,
    output: impl Write,
) -> anyhow::Result<()> {
    let mut input = input;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, output);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("无法读取标准输入")?
            == 0
        {
            break;
        }
        match answer(model, &line) {
            Ok(suggestion) => serde_json::to_writer(&mut out, &suggestion)?,
            Err(error) => serde_json::to_writer(&mut out, &error)?,
        }
        out.write_all(b"\n")?;
        // Interactive use: answer now when no more input is waiting.
        if input.fill_buf().map(<[u8]>::is_empty).unwrap_or(true) {
            out.flush()?;
        }
    }
    out.flush().context("无法写入标准输出")?;
    Ok(())
}

/// The suggestion for one line (its fields in their documented order), or the error on that line.
fn answer(model: &Classifier, line: &[u8]) -> Result<Suggestion, serde_json::Value> {
    let error = |code: &str, message: &str| {
        Err(serde_json::json!({"error": {"code": code, "message": message}}))
    };
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(line) = std::str::from_utf8(line) else {
        return error("invalid_utf8", "该行不是有效的 UTF-8 文本");
    };
    if line.trim().is_empty() {
        return error(
            "empty_line",
            "空行：每行应为一个 JSON 对象，如 {\"text\": \"…\"}",
        );
    }
    let input: Input = match serde_json::from_str(line) {
        Ok(i) => i,
        Err(e) if e.is_data() => {
            return error("missing_text", "缺少 text 字段：每行应为 {\"text\": \"…\"}");
        }
        Err(_) => return error("invalid_json", "该行不是有效的 JSON 对象"),
    };
    let Some(text) = input.text.as_str() else {
        return error("invalid_text", "text 应为字符串");
    };
    match model.suggest(text) {
        Ok(s) => Ok(s),
        Err(e @ ClassifyError::NoText) => error("no_text", &e.to_string()),
    }
}

pub fn classify(settings: &Settings, model: Option<&PathBuf>) -> anyhow::Result<()> {
    let model = load_model(model.map(PathBuf::as_path), settings)?;
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    classify_stream(
        &model,
        std::io::BufReader::with_capacity(1 << 16, stdin),
        stdout,
    )
}
