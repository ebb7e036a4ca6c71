// 完整性: what the ledger, the checkpoint, the witness's cosignature and
// the verify are, in plain words, and how a court or an archive checks
// them without trusting the bureau. The page also shows the full
// checkpoint note, each witness's state and the last verify.
import { h, fill, fmtTime, fmtDate } from '../dom.js';
import { strings, t, lang } from '../i18n.js';
import { get } from '../api.js';
import { table } from '../ui.js';
import { integrityState, refreshBadge } from '../integrity.js';

const T = strings({
  zh: {
    title: '账本完整性', state: '当前状态', green: '正常', amber: '需关注', red: '异常',
    checkpoint: '最新检查点', origin: '日志名称', size: '记录条数', root: '根哈希', sigs: '签名',
    note: '检查点原文', witnesses: '监管部门见证节点', witnessForbidden: '您的角色不能查看见证节点的状态；上面的检查点是公开信息，任何人都可以核对。',
    noWitness: '尚未登记见证节点（casetrail witness add）。', name: '名称', url: '地址', cosignedSize: '已见证条数',
    cosignedAt: '最近见证时间', behindBy: '落后', lastError: '最近错误', failures: '连续失败', behindN: '{n} 条', ok: '正常',
    cosignedNote: '见证签名后的检查点', verify: '最近一次校验', lastDay: '夜间校验完成日期', never: '尚无记录',
    failureOpen: '存在未消除的完整性问题', failureNone: '没有未消除的完整性问题', failures2: '完整性问题记录',
    explain: '这些是什么', refresh: '重新读取',
    howTitle: '法院、档案馆如何自行核对（无需信任本局）',
    sumCheckpoint: '最新检查点包含 {n} 条记录。', sumWitness: '见证节点 {name} 已见证 {n} 条，落后 {behind} 条。',
    sumVerified: '夜间校验于 {day} 完成，未发现问题。', sumNever: '服务器尚未完成夜间校验（每天凌晨 2 点至 6 点进行）。',
  },
  en: {
    title: 'Ledger integrity', state: 'State', green: 'Sound', amber: 'Needs attention', red: 'Problem',
    checkpoint: 'Latest checkpoint', origin: 'Origin', size: 'Entries', root: 'Root hash', sigs: 'Signatures',
    note: 'Checkpoint note', witnesses: 'Witnesses of the supervisory department', witnessForbidden: 'Your role may not read the witnesses\' state; the checkpoint above is public and anyone can check it.',
    noWitness: 'No witness is recorded (casetrail witness add).', name: 'Name', url: 'Address', cosignedSize: 'Cosigned entries',
    cosignedAt: 'Last cosigned', behindBy: 'Behind', lastError: 'Last error', failures: 'Failures', behindN: '{n} entries', ok: 'OK',
    cosignedNote: 'Cosigned checkpoint', verify: 'Last verify', lastDay: 'Nightly verify finished', never: 'never yet',
    failureOpen: 'An integrity problem is open', failureNone: 'No integrity problem is open', failures2: 'Integrity findings',
    explain: 'What these are', refresh: 'Read again',
    howTitle: 'How a court or archive checks without trusting the bureau',
    sumCheckpoint: 'The latest checkpoint covers {n} entries.', sumWitness: 'Witness {name} cosigned {n} entries, {behind} behind.',
    sumVerified: 'The nightly verify finished on {day} and found no problem.', sumNever: 'The server has not finished a nightly verify yet (it runs between 02:00 and 06:00).',
  },
});

// Plain-Chinese explanations; the commands come from docs/api.md,
// docs/witness.md and docs/archive.md.
const EXPLAIN = [
  ['账本', '系统把每一份记录、每一次查阅敏感信息、每一次审批签名都按顺序追加到一本只能增加、不能修改的电子账本里。每条记录只保存内容的“指纹”（哈希值），账本像一棵树一样逐层汇总成一个根哈希。任何一条记录被改动、删除或调换顺序，根哈希都会改变。'],
  ['检查点', '检查点是本局用自己的密钥对“账本此刻有多少条、根哈希是多少”所作的签名声明，每隔一段时间生成一次，公开提供（/checkpoint），不含任何案件内容。'],
  ['见证签名', '区司法局执法监督科运行一台独立的见证节点。本局每产生新的检查点，就连同“新账本包含旧账本”的一致性证明推送给它；见证节点核对无误后加上自己的签名（副署）并自行保存。此后本局即使想回退或改写账本，也无法与监管部门手中的副本对上。'],
  ['校验', '校验程序重新计算全部记录的指纹、树和签名，并重新读取全部附件文件核对哈希。服务器每天凌晨 2 点至 6 点自动校验一次；发现问题会记为“完整性问题”，由系统管理员负责处理，下一次校验通过后消除。'],
];

const HOW = [
  ['取得检查点（公开，无需登录）', 'curl -s "$BASE/checkpoint"'],
  ['证明某条记录在账本中（RFC 9162 包含证明）', 'curl -s "$BASE/api/v1/proof/inclusion?seq=记录号"'],
  ['证明新账本包含旧账本（一致性证明）', 'curl -s "$BASE/api/v1/proof/consistency?old=旧条数&new=新条数"'],
  ['对照监管部门见证节点保存的检查点校验本局账本', 'casetrail verify --against http://见证节点地址:8090'],
  ['核对归档案卷包（无需本系统，只需 Python 标准库或 casetrail）', 'python3 verify.py 案卷.tar\ncasetrail verify-package 案卷.tar --key 监管部门保存的日志公钥.pem'],
  ['用 OpenSSL 核对见证节点的 Ed25519 副署', 'openssl pkeyutl -verify -rawin -pubin -inkey witness-ed25519.pub -in 签名消息 -sigfile 签名'],
];

const EXPLAIN_EN = [
  ['Ledger', 'Every record, every read of protected information and every signed approval is appended, in order, to an electronic ledger that can only grow. The ledger keeps a fingerprint (hash) of each record\'s content and sums them level by level, like a tree, into one root hash. Changing, deleting or reordering any record changes the root hash.'],
  ['Checkpoint', 'A checkpoint is the bureau\'s signed statement, made with its own key, of how many entries the ledger has and what its root hash is. One is made every little while and is public (/checkpoint); it holds no case content.'],
  ['Witness cosignature', 'The district justice bureau\'s enforcement supervision section runs an independent witness. With each new checkpoint the bureau sends a proof that the new ledger contains the old one; the witness checks it, adds its own signature (cosignature) and keeps it. From then on the bureau cannot roll back or rewrite the ledger without disagreeing with the copy the supervisors hold.'],
  ['Verify', 'The verify recomputes every record\'s fingerprint, the tree and the signatures, and re-reads every attached file to check its hash. The server runs it every night between 02:00 and 06:00; a problem becomes an integrity finding for the system administrator, cured by the next verify that passes.'],
];

const HOW_EN = [
  ['Get the checkpoint (public, no sign-in)', 'curl -s "$BASE/checkpoint"'],
  ['Prove a record is in the ledger (RFC 9162 inclusion proof)', 'curl -s "$BASE/api/v1/proof/inclusion?seq=RECORD"'],
  ['Prove the new ledger contains the old (consistency proof)', 'curl -s "$BASE/api/v1/proof/consistency?old=OLD_SIZE&new=NEW_SIZE"'],
  ['Check the bureau\'s ledger against the checkpoint the witness holds', 'casetrail verify --against http://WITNESS:8090'],
  ['Check an archived case file (no casetrail needed: Python\'s standard library, or casetrail)', 'python3 verify.py case-file.tar\ncasetrail verify-package case-file.tar --key log-public-key-kept-by-supervisors.pem'],
  ['Check the witness\'s Ed25519 cosignature with OpenSSL', 'openssl pkeyutl -verify -rawin -pubin -inkey witness-ed25519.pub -in signed-message -sigfile signature'],
];

// One line each on the checkpoint, the witnesses and the verify.
function summary(s) {
  const lines = [];
  if (s.checkpoint) lines.push(T('sumCheckpoint', { n: s.checkpoint.size }));
  const w = s.witness;
  if (w) {
    for (const x of w.witnesses || []) {
      lines.push(T('sumWitness', { name: x.name, n: x.cosigned_size ?? 0, behind: x.entries_behind ?? 0 }));
    }
    if (!(w.witnesses || []).length) lines.push(T('noWitness'));
    const v = w.verify || {};
    if (v.integrity_failure_open) lines.push(T('failureOpen'));
    else if (v.last_day) lines.push(T('sumVerified', { day: fmtDate(v.last_day) }));
    else lines.push(T('sumNever'));
  }
  return lines;
}

export async function render(main, params, ctx) {
  document.title = T('title') + ' · ' + t('app');
  refreshBadge();
  const s = await integrityState();
  const cp = s.checkpoint;
  const w = s.witness;
  const parts = [
    h('div.spread', h('h1', T('title')),
      h('button', { type: 'button', onclick: () => ctx.refresh() }, T('refresh'))),
    h('section.panel', { 'aria-labelledby': 'ig-state' },
      h('h2#ig-state', T('state')),
      h('p', h('span.ig-state.' + s.state, T(s.state)), s.reasons.length ? '：' + s.reasons.join('；') : ''),
      h('ul', summary(s).map((x) => h('li', x)))),
  ];
  parts.push(h('section.panel', { 'aria-labelledby': 'ig-cp' },
    h('h2#ig-cp', T('checkpoint')),
    cp ? h('dl.facts',
      h('dt', T('origin')), h('dd.mono', cp.origin),
      h('dt', T('size')), h('dd', h('strong.ig-size-full', String(cp.size))),
      h('dt', T('root')), h('dd.mono', cp.root),
      h('dt', T('sigs')), h('dd', cp.signatures.map((x) => h('div.mono', x.name))),
    ) : null,
    s.note ? [h('h3', T('note')), h('pre.ig-note', s.note)] : null));

  const ws = h('section.panel', { 'aria-labelledby': 'ig-w' }, h('h2#ig-w', T('witnesses')));
  if (s.forbidden || !w) ws.append(h('p.muted', T('witnessForbidden')));
  else if (!w.witnesses.length) ws.append(h('p.muted', T('noWitness')));
  else {
    ws.append(table({
      columns: [
        { key: 'name', label: T('name'), render: (x) => [x.name, h('div.muted.mono', x.url)] },
        { key: 'cosigned_size', label: T('cosignedSize'), render: (x) => x.cosigned_size ?? '—' },
        { key: 'cosigned_at', label: T('cosignedAt'), render: (x) => fmtTime(x.cosigned_at) || '—' },
        { key: 'behind', label: T('behindBy'), render: (x) => (x.behind ? h('span.flag.warn', T('behindN', { n: x.entries_behind })) : h('span.flag.ok', x.entries_behind ? T('behindN', { n: x.entries_behind }) : T('ok'))) },
        { key: 'last_error', label: T('lastError'), render: (x) => (x.last_error ? h('span.flag.bad', x.last_error) : '—') },
        { key: 'failures', label: T('failures'), render: (x) => String(x.failures ?? 0) },
      ],
      rows: w.witnesses,
    }));
    for (const x of w.witnesses) {
      if (x.checkpoint) ws.append(h('details', h('summary', T('cosignedNote') + ' · ' + x.name), h('pre.ig-note', x.checkpoint)));
    }
  }
  parts.push(ws);

  if (w && w.verify) {
    let findings = [];
    try { findings = (await get('/api/v1/findings', { code: 'integrity-failure', limit: 5 })).items; } catch (e) { findings = []; }
    parts.push(h('section.panel', { 'aria-labelledby': 'ig-v' },
      h('h2#ig-v', T('verify')),
      h('dl.facts',
        h('dt', T('lastDay')), h('dd', w.verify.last_day ? fmtDate(w.verify.last_day) : T('never')),
        h('dt', T('state')), h('dd', w.verify.integrity_failure_open ? h('span.flag.bad', T('failureOpen')) : h('span.flag.ok', T('failureNone')))),
      findings.length ? [h('h3', T('failures2')), h('ul', findings.map((f) => h('li',
        fmtTime(f.detected_at || f.detected), ' ', f.detail || '', f.cured ? h('span.flag.ok', ' ✓ ' + fmtTime(f.cured_at || f.cured)) : h('span.flag.bad', T('red')))))] : null));
  }

  parts.push(h('section.panel', { 'aria-labelledby': 'ig-x' },
    h('h2#ig-x', T('explain')),
    h('dl.facts', (lang() === 'en' ? EXPLAIN_EN : EXPLAIN).map(([k, v]) => [h('dt', k), h('dd', v)]))));
  parts.push(h('section.panel', { 'aria-labelledby': 'ig-how' },
    h('h2#ig-how', T('howTitle')),
    h('p', '检查点和证明都是公开的，只含哈希值。核对的一方只需要：本局的日志公钥（由监管部门另行保存一份），以及见证节点的公钥。BASE 是本系统的地址。'),
    h('ol', (lang() === 'en' ? HOW_EN : HOW).map(([k, cmd]) => h('li', h('p', k), h('pre.cmd', cmd))))));
  fill(main, parts);
}
