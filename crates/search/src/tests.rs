use std::sync::Arc;

use chrono::{TimeZone, Utc};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use xinfang_domain::access::IdentityView;
use xinfang_domain::catalog::Purpose;
use xinfang_domain::fixtures;
use xinfang_domain::ids::{MatterId, UnitId, UserId};
use xinfang_domain::petition::{Contact, ContactRelation, Flags};
use xinfang_store::search_feed::MatterDoc;
use xinfang_store::{Store, StoreOptions};

use super::*;

const UNIT: &str = "上城区人力资源和社会保障局";

fn tokens(t: &mut ZhTokenizer, text: &str) -> Vec<String> {
    let mut stream = t.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[test]
fn a_unit_name_of_the_dictionary_is_one_word() {
    let plain = ZhTokenizer::new(Arc::new(Dictionary::default().jieba()));
    let (words, _) = plain.query_terms(UNIT);
    assert!(
        words.len() > 1,
        "without the dictionary jieba cuts it: {words:?}"
    );
    let mut d = Dictionary::default();
    d.add(UNIT);
    let mut with = ZhTokenizer::new(Arc::new(d.jieba()));
    let (words, bigrams) = with.query_terms(UNIT);
    assert_eq!(words, [(0, UNIT.to_owned())]);
    assert_eq!(bigrams.len(), UNIT.chars().count() - 1);
    assert!(tokens(&mut with, &format!("投诉{UNIT}拖欠工资")).contains(&UNIT.to_owned()));
}

#[test]
fn bad_queries_get_a_typed_answer() {
    assert_eq!(query_words(""), Err(QueryError::Empty));
    assert_eq!(
        query_words("  \t\u{0}\u{7} +-:()*\"\" "),
        Err(QueryError::Empty)
    );
    assert_eq!(query_words(&"工".repeat(1 << 20)), Err(QueryError::TooLong));
    assert_eq!(
        query_words(&"字 ".repeat(MAX_QUERY_WORDS + 1)),
        Err(QueryError::TooManyWords)
    );
    assert_eq!(
        query_words("工资 AND \"拖欠 工资\" title:x\u{1b}"),
        Ok(vec![
            "工资".to_owned(),
            "and".to_owned(),
            "拖欠 工资".replace(' ', ""),
            "titlex".to_owned()
        ])
    );
}

fn contact(id: &str, summary: &str, text: &str) -> Contact {
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap();
    let mut draft = fixtures::draft(id, at);
    draft.summary = summary.into();
    draft.full_text = text.into();
    draft.demands = String::new();
    Contact {
        matter: MatterId::parse("XF-1").unwrap(),
        relation: ContactRelation::First,
        draft,
        registered_by: UnitId::parse(fixtures::DISTRICT_BUREAU).unwrap(),
        clerk: UserId::parse("clerk").unwrap(),
        registered_at: at,
        flags: Flags::default(),
    }
}

fn doc(id: &str, received: &str, summary: &str, text: &str) -> MatterDoc {
    let unit = UnitId::parse(fixtures::DISTRICT_BUREAU).unwrap();
    MatterDoc {
        id: id.into(),
        status: "handling".into(),
        purpose: Purpose::Demand,
        domain: "劳动社保/工资拖欠".into(),
        region: "330102".into(),
        received_on: received.into(),
        flags: vec![],
        target_unit: None,
        holder_paths: vec![format!("city-xfj\u{1f}{unit}\u{1f}")],
        holders: vec![unit],
        summary: summary.into(),
        contacts: vec![contact(&format!("C-{id}"), summary, text)],
        changed_seq: 1,
    }
}

async fn index_of(docs: Vec<MatterDoc>) -> (SearchIndex, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("db"), &StoreOptions::default())
        .await
        .unwrap();
    let (index, opened) =
        SearchIndex::open(&dir.path().join("search"), &store, &Dictionary::default())
            .await
            .unwrap();
    assert_eq!(opened, Opened::Rebuilt(0));
    index.index_docs(docs, 1).await.unwrap();
    (index, dir)
}

fn ids(found: &Found) -> Vec<&str> {
    found.hits.iter().map(|h| h.matter.as_str()).collect()
}

#[tokio::test]
async fn words_are_found_as_words_and_as_substrings_with_snippets() {
    let (index, _dir) = index_of(vec![
        doc(
            "XF-1",
            "2025-03-01",
            "公司拖欠工资三个月",
            "我们在工地干活，老板拖欠工资。",
        ),
        doc(
            "XF-2",
            "2025-03-05",
            "小区超市场地被占用",
            "超市场地堆放杂物。",
        ),
        doc("XF-3", "2025-02-01", "市场管理混乱", "农贸市场乱收费。"),
    ])
    .await;
    let who = Viewer::operator();
    let q = |text: &str, order| SearchQuery {
        text: text.into(),
        order,
        limit: 10,
        ..SearchQuery::default()
    };
    let found = index
        .search(&q("拖欠工资", SortOrder::Relevance), &who)
        .unwrap();
    assert_eq!(ids(&found), ["XF-1"]);
    assert_eq!(found.total, 1);
    // 市场 inside 超市场地: jieba cuts 超市/场地, the bigrams still find it; the whole word ranks first.
    let found = index
        .search(&q("市场", SortOrder::Relevance), &who)
        .unwrap();
    assert_eq!(ids(&found), ["XF-3", "XF-2"]);
    let found = index.search(&q("市场", SortOrder::Received), &who).unwrap();
    assert_eq!(ids(&found), ["XF-2", "XF-3"]);
    let text = "公司拖欠工资三个月\n我们在工地干活，老板拖欠工资。";
    let found = index
        .search(&q("工资 老板", SortOrder::Relevance), &who)
        .unwrap();
    let s = found.snippet(IdentityView::Full, text).unwrap();
    let marked: Vec<String> = s
        .highlights
        .iter()
        .map(|&(a, b)| s.text.chars().skip(a).take(b - a).collect())
        .collect();
    assert!(marked.contains(&"工资".to_owned()), "{marked:?}");
    assert!(marked.contains(&"老板".to_owned()), "{marked:?}");
    // Filters.
    let mut filtered = q("市场", SortOrder::Relevance);
    filtered.received_from = NaiveDate::from_ymd_opt(2025, 3, 1);
    assert_eq!(ids(&index.search(&filtered, &who).unwrap()), ["XF-2"]);
    filtered.received_from = None;
    filtered.region = Some("330100".into());
    filtered.domain = Some("劳动社保".into());
    filtered.statuses = vec!["handling".into()];
    assert_eq!(index.search(&filtered, &who).unwrap().total, 2);
    filtered.region = Some("330200".into());
    assert_eq!(index.search(&filtered, &who).unwrap().total, 0);
    // Bad input: typed errors or nothing found, never a panic.
    for bad in ["", "   ", "\u{0}\u{1b}[\u{7f}", "+:(\"*", "😀"] {
        assert!(matches!(
            index.search(&q(bad, SortOrder::Relevance), &who),
            Err(SearchError::Query(QueryError::Empty))
        ));
    }
    for odd in ["工资😀", "title:工资 OR 1=1", "a", "ｱｲｳ", "工"] {
        assert!(
            index.search(&q(odd, SortOrder::Relevance), &who).is_ok(),
            "{odd}"
        );
    }
    assert!(matches!(
        index.search(&q(&"工".repeat(1 << 20), SortOrder::Relevance), &who),
        Err(SearchError::Query(QueryError::TooLong))
    ));
}

#[tokio::test]
async fn totals_count_up_to_the_cap_and_say_when_there_are_more() {
    let docs = (0..=COUNT_CAP)
        .map(|i| {
            doc(
                &format!("XF-{i}"),
                "2025-03-01",
                "拖欠工资",
                if i == 7 {
                    "工地拖欠工资，宿舍没有暖气。"
                } else {
                    "工地拖欠工资。"
                },
            )
        })
        .collect();
    let (index, _dir) = index_of(docs).await;
    let who = Viewer::operator();
    let q = |text: &str, order| SearchQuery {
        text: text.into(),
        order,
        limit: 20,
        ..SearchQuery::default()
    };
    for order in [SortOrder::Relevance, SortOrder::Received] {
        let found = index.search(&q("工资", order), &who).unwrap();
        assert_eq!((found.total, found.total_is_exact), (COUNT_CAP, false));
        assert_eq!(found.hits.len(), 20);
    }
    // Under the cap, the count is exact.
    let found = index
        .search(&q("暖气", SortOrder::Relevance), &who)
        .unwrap();
    assert_eq!((found.total, found.total_is_exact), (1, true));
    assert_eq!(ids(&found), ["XF-7"]);
}
