// The console's forms send JSON to the API (/api/v1/…) with the session's CSRF token and show its
// answer: a refusal's Chinese message next to the form, the field at fault marked. Pages work with
// the keyboard alone; nothing here decides what is allowed, the API does.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, path, body) {
  const headers = { "X-CSRF-Token": csrf() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    return { ok: false, status: 0, body: { message: "无法连接服务器，请检查网络后重试" } };
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) data = await response.json();
  return { ok: response.ok, status: response.status, body: data };
}

function showError(form, answer) {
  const box = form.querySelector(".error");
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  if (!answer) {
    if (box) box.hidden = true;
    return;
  }
  const message = answer.body?.message || `操作失败（${answer.status}）`;
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  const field = answer.body?.details?.field;
  if (field) {
    const name = field.split(/[.[]/)[0];
    const input = form.querySelector(`[name="${name}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }
}

async function busy(form, work) {
  const buttons = form.querySelectorAll("button[type=submit]");
  buttons.forEach((b) => (b.disabled = true));
  try {
    return await work();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

// A field's value as the API types it: data-type number, bool, list (a multiple select) or words
// (a list typed with 、 or commas).
function valueOf(el) {
  switch (el.dataset.type) {
    case "number":
      return el.value === "" ? undefined : Number(el.value);
    case "bool":
      return el.value === "true";
    case "list":
      return Array.from(el.selectedOptions).map((o) => o.value);
    case "words":
      return el.value.split(/[、,，;；\s]+/).filter(Boolean);
    default:
      return el.value;
  }
}

function actionForms() {
  document.querySelectorAll("form.action").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = JSON.parse(form.dataset.base);
      form.querySelectorAll("[name]").forEach((el) => {
        const v = valueOf(el);
        if (v !== undefined) body[el.name] = v;
      });
      const answer = await busy(form, () =>
        api("POST", `/api/v1/matters/${encodeURIComponent(form.dataset.matter)}/actions`, body),
      );
      if (answer.ok) {
        window.location.reload();
      } else {
        showError(form, answer);
      }
    });
  });
  const receipt = document.getElementById("issue-receipt");
  if (receipt) {
    receipt.addEventListener("click", async () => {
      const matter = receipt.dataset.matter;
      const answer = await api("POST", `/api/v1/matters/${encodeURIComponent(matter)}/documents`, {
        kind: "receipt",
        about: receipt.dataset.contact,
      });
      if (answer.ok) window.location.href = receiptPage(matter, answer.body);
      else alert(answer.body?.message || "出具回执失败");
    });
  }
}

function signIn() {
  const form = document.getElementById("login-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await busy(form, () =>
      api("POST", "/api/v1/session", {
        user: form.elements.namedItem("user").value.trim(),
        password: form.elements.namedItem("password").value,
      }),
    );
    if (!answer.ok) return showError(form, answer);
    const next = new URLSearchParams(window.location.search).get("next");
    window.location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  });
}

function accountForms() {
  document.getElementById("logout")?.addEventListener("click", async () => {
    await api("DELETE", "/api/v1/session");
    window.location.href = "/login";
  });
  const form = document.getElementById("password-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await busy(form, () =>
      api("PUT", "/api/v1/me/password", {
        current_password: form.elements.namedItem("current_password").value,
        new_password: form.elements.namedItem("new_password").value,
      }),
    );
    if (answer.ok) window.location.href = "/";
    else showError(form, answer);
  });
}

// Saved views of the matter list: kept in this browser, per user, as the list's query string.
function savedViews() {
  const nav = document.getElementById("saved-views");
  const save = document.getElementById("save-view");
  if (!nav || !save) return;
  const key = `xinfang.views.${document.querySelector(".who")?.textContent || ""}`;
  const load = () => JSON.parse(localStorage.getItem(key) || "[]");
  const draw = () => {
    nav.replaceChildren();
    for (const view of load()) {
      const a = document.createElement("a");
      a.href = `/matters?${view.query}`;
      a.textContent = view.name;
      nav.append(a);
    }
  };
  save.addEventListener("click", () => {
    const name = prompt("视图名称", document.querySelector("h1")?.textContent || "我的视图");
    if (!name) return;
    const query = new URLSearchParams(new FormData(document.getElementById("filters")));
    for (const [k, v] of Array.from(query.entries())) if (!v) query.delete(k);
    const views = load().filter((v) => v.name !== name);
    views.push({ name, query: query.toString() });
    localStorage.setItem(key, JSON.stringify(views));
    draw();
  });
  draw();
}

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function registration() {
  const form = document.getElementById("register-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const uploaded = [];
  const reviews = new Map(); // candidate matter → the clerk's decision
  let link = null;

  // Field checks by the server's own parsers, as typed; each field waits for its own pause.
  const checkNow = async (input, param, hint) => {
    const value = input.value.trim();
    if (!value) {
      hint.textContent = "";
      hint.className = "check";
      input.removeAttribute("aria-invalid");
      return;
    }
    const answer = await api("GET", `/api/v1/check?${param}=${encodeURIComponent(value)}`);
    const verdict = answer.body?.[param];
    if (!verdict) return;
    hint.textContent = verdict.ok ? verdict.message || "✔ 格式正确" : verdict.message;
    hint.className = verdict.ok ? "check ok" : "check bad";
    if (verdict.ok) input.removeAttribute("aria-invalid");
    else input.setAttribute("aria-invalid", "true");
  };
  const checker = (input, param, hint) => {
    const later = debounce(() => checkNow(input, param, hint), 250);
    input.addEventListener("input", later);
  };
  const watchPerson = (row) => {
    const id = row.querySelector('[data-p="id_number"]');
    const phone = row.querySelector('[data-p="phone"]');
    checker(id, "id_number", $(id.getAttribute("aria-describedby")));
    checker(phone, "phone", $(phone.getAttribute("aria-describedby")));
    row.querySelectorAll("input").forEach((i) => i.addEventListener("input", () => lookSimilar()));
  };
  form.querySelectorAll(".petitioner").forEach(watchPerson);
  checker($("r-region"), "region", $("r-region-check"));

  $("add-petitioner").addEventListener("click", () => {
    const rows = form.querySelectorAll(".petitioner");
    const n = rows.length;
    const row = rows[0].cloneNode(true);
    row.querySelectorAll("input").forEach((i) => {
      i.value = "";
      i.removeAttribute("aria-invalid");
      i.id = i.id.replace(/^p\d+/, `p${n}`);
      if (i.getAttribute("aria-describedby")) i.setAttribute("aria-describedby", i.getAttribute("aria-describedby").replace(/^p\d+/, `p${n}`));
    });
    row.querySelectorAll("label").forEach((l) => (l.htmlFor = l.htmlFor.replace(/^p\d+/, `p${n}`)));
    row.querySelectorAll("small").forEach((s) => {
      s.id = s.id.replace(/^p\d+/, `p${n}`);
      s.textContent = "";
    });
    rows[rows.length - 1].after(row);
    watchPerson(row);
    row.querySelector("input").focus();
  });

  const subdomains = () => {
    const option = $("r-domain").selectedOptions[0];
    const children = option?.dataset.children ? option.dataset.children.split("|") : [];
    const sub = $("r-subdomain");
    const keep = sub.value;
    sub.replaceChildren(new Option("（不细分）", ""), ...children.map((c) => new Option(c, c)));
    if (children.includes(keep)) sub.value = keep;
  };
  $("r-domain").addEventListener("change", subdomains);
  subdomains();

  const text = () => [$("r-summary").value, $("r-text").value, $("r-demands").value].join("\n").trim();

  // Domain and purpose suggested from the text; one click applies them.
  const suggest = debounce(async () => {
    const box = $("suggestions");
    if (text().length < 6) return;
    const answer = await api("POST", "/api/v1/classify", { text: text() });
    if (!answer.ok) return;
    const s = answer.body;
    box.replaceChildren();
    const p = document.createElement("p");
    p.textContent = `内容分类：${s.domain}${s.domain_second ? " / " + s.domain_second : ""}（把握 ${Math.round(s.domain_confidence * 100)}%）`;
    const purpose = document.createElement("p");
    const purposeOption = Array.from($("r-purpose").options).find((o) => o.value === s.purpose);
    purpose.textContent = purposeOption ? `信访目的：${purposeOption.textContent}` : "";
    const apply = document.createElement("button");
    apply.type = "button";
    apply.className = "secondary";
    apply.id = "apply-suggestion";
    apply.textContent = "采用建议";
    apply.addEventListener("click", () => {
      $("r-domain").value = s.domain;
      subdomains();
      if (s.domain_second) $("r-subdomain").value = s.domain_second;
      if (s.purpose) $("r-purpose").value = s.purpose;
    });
    box.append(p, purpose, apply);
  }, 400);

  const petitioners = () =>
    Array.from(form.querySelectorAll(".petitioner"))
      .map((row) => {
        const get = (k) => row.querySelector(`[data-p="${k}"]`).value.trim();
        return { name: get("name"), id_number: get("id_number"), phone: get("phone"), address: get("address") };
      })
      .filter((p) => p.name || p.id_number || p.phone);

  const decision = (c, confirmed) => ({
    candidate: c.matter.id,
    relation: c.relation,
    confirmed,
    reasons: (c.reasons || []).map((r) => r.code),
    score_permille: Math.round(c.score * 1000),
  });

  const drawCandidates = (candidates) => {
    const box = $("similar");
    box.replaceChildren();
    if (!candidates.length) {
      box.innerHTML = '<p class="hint">未发现相近的已登记事项。</p>';
      return;
    }
    for (const c of candidates) {
      const item = document.createElement("div");
      const id = c.matter.id;
      item.className = "candidate" + (link && link.candidate === id ? " linked" : "");
      item.dataset.candidate = id;
      const title = document.createElement("p");
      const a = document.createElement("a");
      a.href = `/matters/${encodeURIComponent(id)}`;
      a.target = "_blank";
      a.textContent = id;
      title.append(a, ` · ${c.relation_label}（相似度 ${Math.round(c.score * 100)}%）`);
      const summary = document.createElement("p");
      summary.className = "hint";
      summary.textContent = c.matter.summary || "";
      const reasons = document.createElement("ul");
      for (const r of c.reasons || []) {
        const li = document.createElement("li");
        li.textContent = r.label;
        reasons.append(li);
      }
      const yes = document.createElement("button");
      yes.type = "button";
      yes.textContent = "关联到此事项";
      yes.dataset.link = id;
      yes.addEventListener("click", () => {
        link = decision(c, true);
        $("link-note").textContent = `将作为${c.relation_label}登记到事项 ${id}`;
        drawCandidates(candidates);
      });
      const no = document.createElement("button");
      no.type = "button";
      no.className = "secondary";
      no.textContent = "不是同一问题";
      no.addEventListener("click", () => {
        reviews.set(id, decision(c, false));
        if (link && link.candidate === id) {
          link = null;
          $("link-note").textContent = "";
        }
        item.remove();
      });
      item.append(title, summary, reasons, yes, " ", no);
      box.append(item);
    }
  };

  const lookSimilar = debounce(async () => {
    if (text().length < 6 && !petitioners().length) return;
    const region = $("r-region").value.trim();
    const answer = await api("POST", "/api/v1/similar", {
      summary: $("r-summary").value,
      full_text: $("r-text").value,
      demands: $("r-demands").value,
      petitioners: petitioners().map((p) => ({ name: p.name, id_number: p.id_number, phone: p.phone })),
      region: /^\d{6}(\d{3})?(\d{3})?$/.test(region) ? region : undefined,
      domain: $("r-domain").value,
      target_unit: $("r-target").value || undefined,
    });
    if (answer.ok) drawCandidates((answer.body.candidates || []).filter((c) => !reviews.has(c.matter.id)));
  }, 500);

  for (const id of ["r-summary", "r-text", "r-demands"]) {
    $(id).addEventListener("input", () => {
      suggest();
      lookSimilar();
    });
  }
  $("r-region").addEventListener("change", lookSimilar);

  $("r-files").addEventListener("change", async (event) => {
    for (const file of event.target.files) {
      const response = await fetch(`/api/v1/files?name=${encodeURIComponent(file.name)}`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf(), "Content-Type": file.type || "application/octet-stream" },
        body: file,
      });
      const li = document.createElement("li");
      if (response.ok) {
        const u = await response.json();
        uploaded.push({ name: u.name, media_type: u.media_type, size: u.size, sha256: u.sha256 });
        li.textContent = `已上传：${u.name}`;
      } else {
        const body = await response.json().catch(() => ({}));
        li.textContent = `${file.name}：${body.message || "上传失败"}`;
        li.className = "error";
      }
      $("uploaded").append(li);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const flags = {};
    form.querySelectorAll("[data-flag]").forEach((f) => (flags[f.dataset.flag] = f.checked));
    const received = $("r-received").value;
    const contact = {
      channel: $("r-channel").value,
      received_at: received ? new Date(`${received}:00+08:00`).toISOString() : "",
      petitioners: petitioners().map((p) => ({
        name: p.name,
        id_number: p.id_number || undefined,
        phone: p.phone || undefined,
        address: p.address,
      })),
      person_count: Number($("r-persons").value || 1),
      location: { region: $("r-region").value.trim(), address: $("r-address").value },
      target: $("r-target").value ? { name: $("r-target").selectedOptions[0].textContent, unit: $("r-target").value } : undefined,
      purpose: $("r-purpose").value,
      domain: { first: $("r-domain").value, second: $("r-subdomain").value || undefined },
      summary: $("r-summary").value,
      full_text: $("r-text").value,
      demands: $("r-demands").value,
      attachments: uploaded,
      flags,
    };
    const body = { contact, reviews: Array.from(reviews.values()) };
    if (link) {
      body.link = { matter: link.candidate, relation: link.relation };
      body.reviews.push(link);
    }
    const answer = await busy(form, () => api("POST", "/api/v1/matters", body));
    if (!answer.ok) {
      const field = answer.body?.details?.field || "";
      const map = { received_at: "received_at", summary: "summary", location: "region", person_count: "person_count", purpose: "purpose", domain: "domain" };
      showError(form, { ...answer, body: { ...answer.body, details: field ? { field: map[field.split(/[.[]/)[0]] || field } : undefined } });
      return;
    }
    const { matter, contact: contactId } = answer.body;
    const receipt = await api("POST", `/api/v1/matters/${encodeURIComponent(matter)}/documents`, { kind: "receipt", about: contactId });
    window.location.href = receipt.ok
      ? receiptPage(matter, receipt.body)
      : `/matters/${encodeURIComponent(matter)}`;
  });
}

function tokens() {
  const form = document.getElementById("token-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const roles = Array.from(form.querySelectorAll("[data-role]:checked")).map((r) => r.value);
    const answer = await busy(form, () =>
      api("POST", "/api/v1/tokens", {
        name: form.elements.namedItem("name").value,
        unit: form.elements.namedItem("unit").value,
        roles,
      }),
    );
    if (!answer.ok) return showError(form, answer);
    showError(form, null);
    const secret = document.getElementById("token-secret");
    secret.textContent = `令牌已创建，请立即保存（只显示这一次）：${answer.body.secret}`;
    secret.hidden = false;
  });
  document.querySelectorAll("[data-revoke]").forEach((b) =>
    b.addEventListener("click", async () => {
      if (!confirm("吊销后使用该令牌的系统将无法访问，确定吊销？")) return;
      const answer = await api("DELETE", `/api/v1/tokens/${encodeURIComponent(b.dataset.revoke)}`);
      if (answer.ok) window.location.reload();
      else alert(answer.body?.message || "吊销失败");
    }),
  );
}

function accounts() {
  const create = document.getElementById("new-user-form");
  if (!create) return;
  const rolesOf = (form) => Array.from(form.querySelectorAll("[data-role]:checked")).map((r) => r.value);
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = (name) => create.elements.namedItem(name).value;
    const answer = await busy(create, () =>
      api("POST", "/api/v1/users", { id: field("id").trim(), name: field("name").trim(), unit: field("unit"), roles: rolesOf(create) }),
    );
    if (!answer.ok) return showError(create, answer);
    showError(create, null);
    const note = document.getElementById("new-user-password");
    note.textContent = `已新建用户 ${answer.body.id}，一次性密码（只显示这一次）：${answer.body.one_time_password}`;
    note.hidden = false;
  });
  const domainsOf = (form) => Array.from(form.querySelectorAll("[data-domain]:checked")).map((d) => d.value);
  document.querySelectorAll("form.unit-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await busy(form, () =>
        api("PUT", `/api/v1/units/${encodeURIComponent(form.dataset.unit)}`, {
          name: form.elements.namedItem("name").value.trim(),
          domains: domainsOf(form),
        }),
      );
      if (answer.ok) window.location.reload();
      else showError(form, answer);
    });
  });
  for (const [id, path, body] of [
    ["new-unit-form", "/api/v1/units", (f, field) => ({
      id: field("id").trim(), name: field("name").trim(), parent: field("parent"), kind: field("kind"),
      level: field("level"), region: field("region"), domains: domainsOf(f),
    })],
    ["new-region-form", "/api/v1/regions", (_, field) => ({ code: field("code").trim(), name: field("name").trim() })],
  ]) {
    const form = document.getElementById(id);
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      const field = (name) => form.elements.namedItem(name).value;
      const answer = await busy(form, () => api("POST", path, body(form, field)));
      if (answer.ok) window.location.reload();
      else showError(form, answer);
    });
  }
  document.querySelectorAll("form.user-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await busy(form, () =>
        api("PUT", `/api/v1/users/${encodeURIComponent(form.dataset.user)}`, {
          roles: rolesOf(form),
          active: form.elements.namedItem("active").checked,
        }),
      );
      if (answer.ok) window.location.reload();
      else showError(form, answer);
    });
  });
}

function templates() {
  document.querySelectorAll("form.template-form").forEach((form) => {
    const put = async (template) => {
      const answer = await busy(form, () =>
        api("PUT", `/api/v1/document-templates/${encodeURIComponent(form.dataset.kind)}`, {
          unit: form.dataset.unit,
          template,
        }),
      );
      if (!answer.ok) return showError(form, answer);
      window.location.reload();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      // By name through `elements`: `form.title` and `form.prefix` are properties of the form itself.
      const field = (name) => form.elements.namedItem(name).value;
      put({ prefix: field("prefix"), title: field("title"), addressee: field("addressee"), body: field("body") });
    });
    form.querySelector("[data-reset]")?.addEventListener("click", () => put(null));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  signIn();
  receiptSecret();
  accountForms();
  actionForms();
  savedViews();
  registration();
  tokens();
  templates();
  accounts();
});

// The receipt's 查询密码 exists only in the answer to issuing it: it travels to the receipt page in the
// fragment, which browsers never send to a server, and is taken out of the address once shown.
function receiptPage(matter, issued) {
  const secret = issued.portal_secret ? `#secret=${encodeURIComponent(issued.portal_secret)}` : "";
  return `/matters/${encodeURIComponent(matter)}/receipt?n=${issued.n}${secret}`;
}

function receiptSecret() {
  const line = document.getElementById("portal-secret-line");
  const secret = new URLSearchParams(window.location.hash.slice(1)).get("secret");
  if (!line || !secret) return;
  document.getElementById("portal-secret").textContent = secret;
  line.hidden = false;
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
