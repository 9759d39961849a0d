// -o html: one self-contained page a person can read (inline CSS and JS; a
// Content-Security-Policy forbids any network use). One card per image, problems
// first, with the explanation per policy and where the image is used; status
// checkboxes filter the cards. Every value from manifests, policies or registries is
// escaped; the script carries no data, it only toggles `hidden`.

import type { ImageResult, PolicyVerdict, Result, Status } from '../engine/result.js';
import { blocking } from '../engine/result.js';
import { bySeverity, summaryLine, workload } from './findings.js';

const STATUSES: Status[] = ['fail', 'error', 'warn', 'unmatched', 'skip', 'pass'];

export function format(result: Readonly<Result>): string {
  const images = bySeverity(result.results);
  const filters = STATUSES.map((s) => {
    const n = result.summary[s];
    return `<label class="filter"><input type="checkbox" name="status" value="${s}" checked${n === 0 ? ' disabled' : ''}> ${badge(s)} <span class="count">${n}</span></label>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kubectl verify-images report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>kubectl verify-images</h1>
<p class="summary">${esc(summaryLine(result))}</p>
</header>
<nav class="filters" aria-label="Filter by status">
${filters}
<span class="presets"><button type="button" data-preset="problems">Problems only</button> <button type="button" data-preset="all">All</button></span>
</nav>
<p id="shown" aria-live="polite">Showing ${images.length} of ${images.length} images</p>
<main>
${images.map((image, i) => card(image, i, result.unmatched)).join('\n')}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function card(image: ImageResult, i: number, unmatched: Result['unmatched']): string {
  const blocks = blocking(image, unmatched);
  const facts = [`<dt>Normalized</dt><dd><code>${esc(image.normalized)}</code></dd>`];
  facts.push(`<dt>Digest</dt><dd>${image.digest ? `<code>${esc(image.digest)}</code>` : 'not resolved'}</dd>`);
  const reasons = image.reasons?.length ? `<ul class="reasons">${image.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const policies = image.policies.length
    ? `<table class="policies"><thead><tr><th>Status</th><th>Policy</th><th>Rule</th><th>Mode</th><th>Explanation</th></tr></thead><tbody>${image.policies.map(policyRow).join('')}</tbody></table>`
    : `<p class="none">${image.status === 'unmatched' ? 'No policy matches this image.' : 'No policy could be applied.'}</p>`;
  const uses = image.uses.length
    ? `<h3>Used by</h3><ul class="uses">${image.uses
        .map((u) => `<li><code>${esc(`${u.file}:${u.line}`)}</code> ${esc(workload(u))}, container <code>${esc(u.container)}</code></li>`)
        .join('')}</ul>`
    : '';
  const tag = blocks ? ` <span class="blocks">${blocks === 'fail' ? 'blocks the sync' : 'undecided: blocks the sync'}</span>` : '';
  return `<article class="image ${image.status}" data-status="${image.status}" id="image-${i + 1}">
<h2>${badge(image.status)} <code class="ref">${esc(image.image)}</code>${tag}</h2>
<dl>${facts.join('')}</dl>
${reasons}${policies}${uses}
</article>`;
}

function policyRow(p: PolicyVerdict): string {
  const reasons = p.reasons.length ? `<ul>${p.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const signers = p.signers?.length ? `<p class="signers">signed by ${p.signers.map((s) => `<code>${esc(s)}</code>`).join(', ')}</p>` : '';
  const onError = p.status === 'error' ? `<p class="onerror">failure policy: ${p.onError === 'block' ? 'blocks' : 'allows'}</p>` : '';
  return `<tr><td>${badge(p.status)}</td><td>${esc(p.policy)}<br><small><code>${esc(`${p.file}:${p.line}`)}</code></small></td><td><code>${esc(p.rule)}</code></td><td>${esc(p.mode)}</td><td>${reasons}${signers}${onError}${reasons || signers || onError ? '' : '-'}</td></tr>`;
}

function badge(status: Status): string {
  return `<span class="badge ${status}">${status}</span>`;
}

/** Text and attribute values: the five characters that can change HTML's meaning. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--card:#151b23}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:1.5rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
h1{margin:0;font-size:1.5rem}h2{margin:0 0 .5rem;font-size:1.05rem;overflow-wrap:anywhere}h3{margin:.75rem 0 .25rem;font-size:.9rem;color:var(--muted)}
.summary,#shown{color:var(--muted);margin:.25rem 0 1rem}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem;border:1px solid var(--line);border-radius:8px}
.filter{display:inline-flex;gap:.35rem;align-items:center;cursor:pointer}.filter:has(input:disabled){opacity:.45;cursor:default}
.presets{margin-left:auto}button{font:inherit;padding:.2rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);cursor:pointer}
.badge{display:inline-block;min-width:5.5em;padding:.05rem .5rem;border-radius:1rem;font-size:.8rem;font-weight:600;text-align:center;text-transform:uppercase;color:#fff}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.warn{background:#9a6700}.badge.error{background:#8250df}.badge.skip{background:#0969da}.badge.unmatched{background:#6e7781}
.image{border:1px solid var(--line);border-left:6px solid #6e7781;border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;background:var(--card)}
.image.pass{border-left-color:#1a7f37}.image.fail{border-left-color:#cf222e}.image.warn{border-left-color:#9a6700}.image.error{border-left-color:#8250df}.image.skip{border-left-color:#0969da}
.blocks{font-size:.8rem;color:#cf222e;font-weight:600;margin-left:.5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;margin:0 0 .5rem;font-size:.9rem}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
code{font:.85rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:break-word}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-top:1px solid var(--line)}th{color:var(--muted);font-weight:600}
td ul,.reasons{margin:0;padding-left:1.1rem}li{white-space:pre-wrap;overflow-wrap:anywhere}.signers,.onerror,.none{margin:.25rem 0 0;color:var(--muted)}.signers code{overflow-wrap:anywhere}
.uses{margin:0;padding-left:1.1rem;font-size:.9rem}
[hidden]{display:none!important}
`;

const SCRIPT = `
(() => {
  const boxes = [...document.querySelectorAll('.filters input[name=status]')];
  const cards = [...document.querySelectorAll('article.image')];
  const shown = document.getElementById('shown');
  const apply = () => {
    const on = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
    let n = 0;
    for (const card of cards) {
      card.hidden = !on.has(card.dataset.status);
      if (!card.hidden) n++;
    }
    shown.textContent = 'Showing ' + n + ' of ' + cards.length + ' images';
  };
  for (const b of boxes) b.addEventListener('change', apply);
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const problemsOnly = button.dataset.preset === 'problems';
      for (const b of boxes) b.checked = !problemsOnly || (b.value !== 'pass' && b.value !== 'skip');
      apply();
    });
  }
  apply();
})();
`;
