"""The SQLite FTS5 (trigram) side of scripts/bench/search_vs_fts5: builds an FTS5 table over the same
texts, runs the same queries and measures latency and recall of the same words, then prints both sides.
"""
import json
import os
import sqlite3
import sys
import time


def pct(xs, p):
    xs = sorted(xs)
    return xs[round((len(xs) - 1) * p)]


def main(work):
    ours = json.load(open(os.path.join(work, "tantivy.json"), encoding="utf-8"))
    db_path = os.path.join(work, "fts5.db")
    # With XT_BENCH_REUSE set (see bench_search), the FTS5 table of a previous run is queried again.
    reuse = bool(os.environ.get("XT_BENCH_REUSE")) and os.path.exists(db_path)
    if not reuse and os.path.exists(db_path):
        os.remove(db_path)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    if not reuse:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'trigram')")
    texts = []
    started = time.perf_counter()
    with open(os.path.join(work, "texts.jsonl"), encoding="utf-8") as f:
        batch = []
        for line in f:
            row = json.loads(line)
            rowid = int(row["id"][1:])
            texts.append(row["text"])
            if reuse:
                continue
            batch.append((rowid, row["text"]))
            if len(batch) == 10000:
                db.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", batch)
                batch = []
        if batch:
            db.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", batch)
    db.commit()
    build = time.perf_counter() - started
    size = os.path.getsize(db_path)
    if reuse:
        print(f"FTS5 trigram: reusing the table of {len(texts)} texts, {size / 1e9:.2f} GB (SQLite {sqlite3.sqlite_version})")
    else:
        print(f"FTS5 trigram: {len(texts)} texts indexed in {build:.1f} s, {size / 1e9:.2f} GB (SQLite {sqlite3.sqlite_version})")
    load_before = os.getloadavg()

    def fts_query(text):
        # Each word a quoted string: FTS5's own syntax characters mean nothing inside quotes.
        return " AND ".join('"' + w.replace('"', '""') + '"' for w in text.split())

    latency = {}
    for name, queries in (("one word", ours["one_word_queries"]), ("two words", ours["two_word_queries"])):
        times = []
        for rnd in range(2):
            for q in queries:
                t = time.perf_counter()
                db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts_query(q),)).fetchone()
                db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT 20", (fts_query(q),)).fetchall()
                if rnd == 1:
                    times.append((time.perf_counter() - t) * 1e3)
        latency[name] = (pct(times, 0.5), pct(times, 0.99), max(times))

    rel = {2: 0, 3: 0}
    hit_fts = {2: 0, 3: 0}
    hit_ours = {2: 0, 3: 0}
    mismatched = 0
    for row in ours["recall_words"]:
        w = row["word"]
        k = 2 if len(w) == 2 else 3
        relevant = {i for i, text in enumerate(texts) if w in text}
        if len(relevant) != row["relevant"]:
            mismatched += 1
        found = {r[0] for r in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query(w),))}
        rel[k] += len(relevant)
        hit_fts[k] += len(relevant & found)
        hit_ours[k] += row["found"]
    assert mismatched == 0, f"{mismatched} words counted differently by the two sides"

    load_after = os.getloadavg()
    print()
    print(f"{ours['matters']:,} matters; one run, same texts, same queries; load average (1/5/15 min) "
          f"{'/'.join(f'{x:.2f}' for x in load_before)} before the FTS5 queries, "
          f"{'/'.join(f'{x:.2f}' for x in load_after)} after")
    print(f"| | ours (tantivy + jieba + bigrams) | SQLite FTS5 trigram |")
    print(f"|---|---|---|")
    ours_build = "reused" if ours.get("reused") else f"{ours['index_seconds']:.0f} s"
    fts_build = "reused" if reuse else f"{build:.0f} s"
    print(f"| build | {ours_build}, {ours['index_bytes'] / 1e9:.2f} GB | {fts_build}, {size / 1e9:.2f} GB |")
    for name in ("one word", "two words"):
        mine = ours["latency"][f"{name}, Relevance"]
        by_date = ours["latency"][f"{name}, Received"]
        p50, p99, top = latency[name]
        ms = lambda m: f"{m['p50_ms']:.1f} / {m['p99_ms']:.1f} / {m.get('max_ms', float('nan')):.1f}"
        print(f"| {name}: p50 / p99 / max (ms) | {ms(mine)} (newest first: {ms(by_date)}) | {p50:.1f} / {p99:.1f} / {top:.1f} |")
    for k, label in ((2, "2-character words"), (3, "3+-character words")):
        print(f"| recall, {label} | {hit_ours[k] / max(rel[k], 1):.4f} | {hit_fts[k] / max(rel[k], 1):.4f} |")
    total = rel[2] + rel[3]
    print(f"| recall, all sampled words | {(hit_ours[2] + hit_ours[3]) / max(total, 1):.4f} | {(hit_fts[2] + hit_fts[3]) / max(total, 1):.4f} |")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/xt-search")
