// The backup daemon's page: plain DOM, no framework. Every name that comes from a snapshot is shown with
// textContent, never as HTML.
'use strict';

let csrf = null;
let timer = null;
// Bumped at each navigation: a view whose request comes back after the user moved on must not render over the new one.
let generation = 0;
const stale = mine => mine !== generation;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function time(t) { return t ? new Date(t).toLocaleString() : ''; }

function showError(message) {
  const box = document.getElementById('error');
  box.textContent = message || '';
  box.hidden = !message;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : null;
  if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  return body;
}

async function post(path, body) {
  if (!csrf) csrf = (await api('/api/session')).csrf;
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body || {}) });
}

function link(hash, text, attrs) { return el('a', Object.assign({ href: hash }, attrs || {}), text); }

function browseHash(id, path) { return `#/browse/${id}/${encodeURIComponent(path || '')}`; }

function render(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes);
}

// Paths: each watched path with its state, its last snapshot and its timeline, polled every 3 s.
async function pathsView(mine) {
  const paths = await api('/api/paths');
  if (stale(mine)) return;
  if (paths.length === 0) {
    render(el('p', { class: 'muted' }, 'No watched directories yet: add one with backup add PATH.'));
    return;
  }
  render(el('h2', {}, 'Watched paths'), ...paths.map(p => el('div', { class: 'card', 'data-path': p.path },
    el('h3', {}, p.path),
    el('span', { class: 'state ' + p.state.replaceAll(' ', '-'), 'data-testid': 'state' }, p.state),
    p.error ? el('span', { class: 'error', 'data-testid': 'why' }, ' ' + p.error) : null,
    p.pendingChanges > 0 ? el('span', { class: 'muted' }, ` ${p.pendingChanges} changes pending`) : null,
    el('div', { class: 'muted' }, p.last
      ? ['last snapshot ', link(browseHash(p.last.id, ''), `#${p.last.id}${p.last.shortId ? ' ' + p.last.shortId : ''}`), ` at ${time(p.last.time)}: ${p.last.files} files, ${bytes(p.last.bytes)}`]
      : 'no snapshot yet'),
    el('div', { class: 'timeline', 'data-testid': 'timeline', 'data-count': p.snapshots.length },
      p.snapshots.map((s, i) => link(browseHash(s.id, ''), '', {
        title: `#${s.id} ${time(s.time)} (${s.files} files, ${bytes(s.bytes)})`,
        class: i === p.snapshots.length - 1 ? 'last' : null,
        'data-snapshot': s.id,
      }))))));
  timer = setTimeout(route, 3000);
}

// One folder of a snapshot: its entries, with download, versions and restore.
async function browseView(mine, id, path) {
  const tree = await api(`/api/snapshots/${id}/tree?path=${encodeURIComponent(path)}`);
  if (stale(mine)) return;
  const parts = path ? path.split('/') : [];
  const crumbs = el('div', { class: 'crumbs' }, link(browseHash(id, ''), tree.snapshot.path),
    parts.map((name, i) => ['/', link(browseHash(id, parts.slice(0, i + 1).join('/')), name)]));
  const rows = tree.entries.map(e => el('tr', { 'data-entry': e.path },
    el('td', {}, e.type === 'dir' ? link(browseHash(id, e.path), e.name + '/') : e.name),
    el('td', { class: 'num' }, e.type === 'dir' ? '' : bytes(e.size)),
    el('td', {}, time(e.mtime)),
    el('td', {},
      e.type === 'file' ? el('a', { href: `/api/snapshots/${id}/file?path=${encodeURIComponent(e.path)}`, download: e.name, 'data-testid': 'download' }, 'download') : null,
      e.type === 'dir' ? el('a', { href: `/api/snapshots/${id}/zip?path=${encodeURIComponent(e.path)}`, download: e.name + '.zip', 'data-testid': 'zip' }, 'zip') : null,
      ' ',
      e.type === 'file' ? link(`#/versions/${id}/${encodeURIComponent(e.path)}`, 'versions', { 'data-testid': 'versions' }) : null,
      ' ',
      el('button', { 'data-testid': 'restore', onclick: () => restoreForm(id, e.path) }, 'restore'))));
  render(el('h2', {}, `Snapshot #${id} of ${tree.snapshot.path}, ${time(tree.snapshot.time)}`), crumbs,
    el('p', {}, el('button', { onclick: () => restoreForm(id, path), 'data-testid': 'restore-here' }, path ? 'restore this folder' : 'restore the whole snapshot'), ' ',
      el('a', { href: `/api/snapshots/${id}/zip?path=${encodeURIComponent(path)}`, 'data-testid': 'zip-here' }, 'download as zip')),
    el('div', { id: 'restore' }),
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'name'), el('th', {}, 'size'), el('th', {}, 'modified'), el('th', {}, ''))), el('tbody', {}, rows)));
}

function restoreForm(id, path) {
  const target = el('input', { type: 'text', id: 'restore-target', placeholder: '/absolute/target/folder' });
  const overwrite = el('input', { type: 'checkbox', id: 'restore-overwrite' });
  // Delete makes the target equal to the snapshot, which replaces what differs: it means overwrite too.
  const remove = el('input', { type: 'checkbox', id: 'restore-delete', onchange: () => {
    if (remove.checked) overwrite.checked = true;
    overwrite.disabled = remove.checked;
  } });
  const status = el('div', { id: 'restore-status', 'data-testid': 'restore-status' });
  const preview = el('div', { id: 'restore-preview-result', 'data-testid': 'restore-preview' });
  const request = dryRun => ({ snapshot: id, path, target: target.value, overwrite: overwrite.checked, delete: remove.checked, dryRun });
  const start = async () => {
    status.dataset.state = 'starting';
    status.textContent = 'starting…';
    try {
      showError('');
      const job = await post('/api/restore', request(false));
      follow(job.id, status);
    } catch (e) { status.textContent = 'refused: ' + e.message; status.dataset.state = 'failed'; }
  };
  const dryRun = async () => {
    preview.dataset.state = 'running';
    preview.textContent = 'looking at the target…';
    try {
      showError('');
      showPreview(preview, await post('/api/restore', request(true)));
      preview.dataset.state = 'done';
    } catch (e) { preview.textContent = 'refused: ' + e.message; preview.dataset.state = 'failed'; }
  };
  document.getElementById('restore').replaceChildren(el('div', { class: 'restore' },
    el('div', {}, `Restore ${path || 'the whole snapshot'} of snapshot #${id} (as backup restore --include does: into TARGET/${path || ''})`),
    el('label', {}, 'target ', target), ' ',
    el('label', {}, overwrite, ' overwrite files of the same name'), ' ',
    el('label', {}, remove, ' delete what the snapshot does not have (inside the target; also overwrites)'), ' ',
    el('button', { id: 'restore-preview', onclick: dryRun }, 'Preview'), ' ',
    el('button', { id: 'restore-start', onclick: start }, 'Restore'), preview, status));
}

// What a dry run says (the object of backup restore --dry-run --json): counts by what happens, then the paths it would delete.
function showPreview(box, d) {
  const count = t => t.files + t.directories + t.symlinks + t.other;
  const part = (name, testid, t) => [name, ' ', el('b', { 'data-testid': testid }, count(t)), t.bytes ? ` (${bytes(t.bytes)})` : '', ', '];
  const shown = d.deleted_paths.slice(0, 100);
  box.replaceChildren(
    el('div', {}, 'would ', part('create', 'preview-created', d.created), part('overwrite', 'preview-overwritten', d.overwritten),
      part('delete', 'preview-deleted', d.deleted), part('leave alone', 'preview-left-alone', d.left_alone),
      'in the way ', el('b', { 'data-testid': 'preview-in-the-way' }, d.in_the_way.length), '; nothing was written'),
    d.failures.length ? el('div', { class: 'error' }, `cannot look at ${d.failures.length}: ${d.failures.map(f => f.path + ': ' + f.reason).join('; ')}`) : null,
    d.in_the_way.length ? el('div', { class: 'error' }, `in the way (another kind of entry; delete replaces it): ${d.in_the_way.slice(0, 100).join(', ')}`) : null,
    shown.length ? el('ul', { 'data-testid': 'preview-deleted-paths' }, shown.map(p => el('li', { class: 'change-remove' }, p))) : null,
    d.deleted_paths.length > shown.length ? el('div', { class: 'muted' }, `and ${d.deleted_paths.length - shown.length} more`) : null);
}

// The paths a restore with delete removed: the first 100 of those the job kept (it keeps 1,000), then how many more.
function deletedList(r) {
  if (!r.deleted || !r.deletedPaths.length) return null;
  const shown = r.deletedPaths.slice(0, 100);
  return el('div', {},
    el('ul', { 'data-testid': 'restore-deleted-paths' }, shown.map(p => el('li', { class: 'change-remove' }, p))),
    r.deletedCount > shown.length ? el('div', { class: 'muted', 'data-testid': 'restore-deleted-more' }, `… and ${r.deletedCount - shown.length} more`) : null);
}

// Polls a background job (restore or check) until it ends, with a progress bar.
function follow(jobId, status, done) {
  const poll = async () => {
    const job = await api(`/api/jobs/${jobId}`);
    const p = job.progress;
    const fraction = job.state === 'done' ? 1 : (p.fraction || 0);
    status.dataset.state = job.state;
    status.replaceChildren(
      el('span', { class: 'progress' }, el('div', { style: null })), ' ',
      job.state === 'running' ? `${p.phase} ${p.itemsDone}${p.totalItems !== null ? ' of ' + p.totalItems : ''} ${p.current || ''}` : '',
      job.state === 'done' && job.kind === 'restore' ? `restored ${job.result.files} files, ${job.result.directories} folders (${bytes(job.result.bytes)}) to ${job.result.target}` : '',
      job.state === 'done' && job.kind === 'restore' && job.result.deleted ? `, after deleting ${job.result.deletedCount} entries the snapshot does not have` : '',
      job.state === 'done' && job.kind === 'restore' ? deletedList(job.result) : '',
      job.state === 'done' && job.kind === 'restore' && job.result.deleteFailures?.length ? `; could not delete ${job.result.deleteFailures.map(f => f.path + ': ' + f.reason).join('; ')}` : '',
      job.state === 'done' && job.kind === 'check' ? (job.result.ok ? `no errors (${job.result.snapshots} snapshots, ${job.result.trees} trees, ${job.result.packs} packs)` : `${job.result.errors.length} errors: ${job.result.errors.join('; ')}`) : '',
      job.state === 'failed' ? 'failed: ' + job.error : '');
    status.querySelector('.progress div').style.width = `${Math.round(fraction * 100)}%`;
    if (job.state === 'running') setTimeout(poll, 500);
    else if (done) done(job);
  };
  poll().catch(e => { status.textContent = e.message; });
}

async function versionsView(mine, id, path) {
  const v = await api(`/api/snapshots/${id}/versions?path=${encodeURIComponent(path)}`);
  if (stale(mine)) return;
  render(el('h2', {}, `Versions of ${path} in ${v.source}`),
    el('table', { 'data-testid': 'versions-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'snapshot'), el('th', {}, 'time'), el('th', {}, 'size'), el('th', {}, 'modified'), el('th', {}, ''))),
      el('tbody', {}, v.versions.map(x => el('tr', { class: x.changed ? 'changed' : null },
        el('td', {}, link(browseHash(x.snapshot.id, ''), `#${x.snapshot.id}`)),
        el('td', {}, time(x.snapshot.time)),
        el('td', { class: 'num' }, x.present ? bytes(x.size) : 'absent'),
        el('td', {}, x.present ? time(x.mtime) : ''),
        el('td', {}, x.present && x.type === 'file' ? el('a', { href: `/api/snapshots/${x.snapshot.id}/file?path=${encodeURIComponent(path)}` }, 'download') : '',
          x.changed && x.present ? ' changed' : ''))))));
}

async function diffView(mine, params) {
  const paths = await api('/api/paths');
  if (stale(mine)) return;
  const snapshots = paths.flatMap(p => p.snapshots.filter(s => s.kind === 'repository'));
  const option = (s, chosen) => el('option', { value: s.id, selected: String(s.id) === chosen }, `#${s.id} ${s.path} ${time(s.time)}`);
  const from = el('select', { id: 'diff-from' }, snapshots.map(s => option(s, params.get('from'))));
  const to = el('select', { id: 'diff-to' }, snapshots.map(s => option(s, params.get('to') || String(snapshots.at(-1)?.id))));
  const result = el('div', { id: 'diff-result' });
  const show = () => { location.hash = `#/diff?from=${from.value}&to=${to.value}`; };
  render(el('h2', {}, 'Diff two snapshots'), el('p', {}, 'from ', from, ' to ', to, ' ', el('button', { id: 'diff-show', onclick: show }, 'Compare')), result);
  if (params.get('from') && params.get('to')) {
    const d = await api(`/api/diff?from=${params.get('from')}&to=${params.get('to')}`);
    if (stale(mine)) return;
    const kind = { '+': 'change-add', '-': 'change-remove', 'M': 'change-modify' };
    result.replaceChildren(el('p', { 'data-testid': 'diff-summary' }, `${d.added} added, ${d.removed} removed, ${d.modified} modified`),
      el('table', {}, el('tbody', {}, d.changes.map(c => el('tr', { class: kind[c.change], 'data-change': c.change },
        el('td', {}, c.change), el('td', {}, c.path), el('td', { class: 'num' }, c.change === 'M' ? `${bytes(c.before)} → ${bytes(c.after)}` : bytes(c.after ?? c.before)))))));
  }
}

async function repositoryView(mine) {
  const r = await api('/api/repository');
  if (stale(mine)) return;
  const row = (name, value) => el('tr', {}, el('th', {}, name), el('td', { class: 'num' }, value));
  const ratio = x => (x === null || x === undefined) ? '—' : x.toFixed(2);
  const status = el('div', { id: 'check-status', 'data-testid': 'check-status' });
  const check = r.lastCheck;
  render(el('h2', {}, `${r.kind === 'repository' ? 'Repository' : 'Zip archive folder'} ${r.root}`),
    el('table', { 'data-testid': 'repository-table' },
      row('snapshots', r.snapshots), row('logical size', bytes(r.logical)),
      r.kind === 'repository' ? [row('after deduplication', bytes(r.unique)), row('stored (packs)', bytes(r.stored)), row('chunks', r.chunks),
        row('deduplication ratio', ratio(r.deduplication)), row('compression ratio', ratio(r.compression))] : row('stored', bytes(r.stored))),
    el('h2', {}, 'Check'),
    el('p', { 'data-testid': 'last-check' }, check ? `last check ${time(check.time)}: ${check.ok ? 'no errors' : check.errors.length + ' errors: ' + check.errors.join('; ')}` : 'no check since the daemon started'),
    r.kind === 'repository' ? el('button', { id: 'check-start', onclick: async () => {
      try { follow((await post('/api/check')).id, status, () => setTimeout(() => { if (!stale(mine)) route(); }, 300)); } catch (e) { status.textContent = e.message; }
    } }, 'Check now') : null, status);
}

async function route() {
  clearTimeout(timer);
  const mine = ++generation;
  const hash = location.hash || '#/';
  const [pathPart, query] = hash.slice(1).split('?');
  const parts = pathPart.split('/').filter((x, i) => i > 0);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.getAttribute('href') === '#/' + (parts[0] || ''));
  try {
    showError('');
    if (parts[0] === 'browse') await browseView(mine, Number(parts[1]), decodeURIComponent(parts.slice(2).join('/')));
    else if (parts[0] === 'versions') await versionsView(mine, Number(parts[1]), decodeURIComponent(parts.slice(2).join('/')));
    else if (parts[0] === 'diff') await diffView(mine, new URLSearchParams(query || ''));
    else if (parts[0] === 'repository') await repositoryView(mine);
    else await pathsView(mine);
  } catch (e) {
    if (stale(mine)) return;
    showError(e.message);
    if (!parts[0]) timer = setTimeout(route, 3000);
  }
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', route);
