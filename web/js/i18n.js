// Chinese (zh-CN) by default, English when chosen; the choice is kept in
// this browser. Each module keeps its own strings beside its code:
//
//   const T = strings({zh: {hello: '你好，{name}'}, en: {hello: 'Hello, {name}'}});
//   T('hello', {name})
//
// A key missing in English falls back to Chinese, and a missing key shows
// itself, so a gap is visible rather than blank.

const KEY = 'casetrail.lang';

export function lang() {
  const v = localStorage.getItem(KEY);
  return v === 'en' ? 'en' : 'zh';
}

export function setLang(v) {
  localStorage.setItem(KEY, v === 'en' ? 'en' : 'zh');
  document.documentElement.lang = v === 'en' ? 'en' : 'zh-CN';
}

export function strings(dict) {
  return (key, vars) => {
    let s = (dict[lang()] && dict[lang()][key]) ?? (dict.zh && dict.zh[key]) ?? key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
    return s;
  };
}

// Strings every page uses.
export const t = strings({
  zh: {
    app: '行政执法全过程记录系统', bureau: '行政审批局',
    loading: '正在加载…', save: '保存', cancel: '取消', close: '关闭', submit: '提交',
    search: '搜索', filter: '筛选', reset: '重置', prev: '上一页', next: '下一页',
    page: '第 {page} / {pages} 页，共 {total} 条', none: '没有记录', yes: '是', no: '否',
    error: '出错了', retry: '重试', print: '打印', download: '下载', back: '返回',
    signout: '退出', language: 'English', langLabel: '切换语言',
    required: '必填', optional: '选填', details: '详情', actions: '操作',
    forbidden: '您没有权限查看此内容。', notFound: '找不到该页面。',
    sessionEnded: '登录已失效，请重新登录。', saved: '已保存', working: '正在处理…',
    yellow: '黄牌', red: '红牌', provisional: '暂定', daysLeft: '剩余 {n} 个工作日',
    overdueBy: '已超期 {n} 个工作日', dueToday: '今日到期',
    withheld: '内容受保护：您没有相应的查阅权限',
    discard: '放弃已填写的内容并关闭？', skip: '跳到正文',
  },
  en: {
    app: 'Administrative enforcement full-process records', bureau: 'Administrative Approval Bureau',
    loading: 'Loading…', save: 'Save', cancel: 'Cancel', close: 'Close', submit: 'Submit',
    search: 'Search', filter: 'Filter', reset: 'Reset', prev: 'Previous', next: 'Next',
    page: 'Page {page} of {pages}, {total} in all', none: 'Nothing here', yes: 'Yes', no: 'No',
    error: 'Something went wrong', retry: 'Retry', print: 'Print', download: 'Download', back: 'Back',
    signout: 'Sign out', language: '中文', langLabel: 'Switch language',
    required: 'required', optional: 'optional', details: 'Details', actions: 'Actions',
    forbidden: 'You may not see this.', notFound: 'No such page.',
    sessionEnded: 'Your session has ended; please sign in again.', saved: 'Saved', working: 'Working…',
    yellow: 'Yellow card', red: 'Red card', provisional: 'provisional', daysLeft: '{n} working days left',
    overdueBy: 'Overdue by {n} working days', dueToday: 'Due today',
    withheld: 'Protected: you are not cleared to read this',
    discard: 'Discard what you typed and close?', skip: 'Skip to the content',
  },
});

const ROLES = {
  clerk: ['窗口受理人员', 'Window clerk'], handler: ['承办人', 'Handler'],
  reviewer: ['审核人', 'Reviewer'], legal: ['法制审核人员', 'Legal reviewer'],
  approver: ['批准人', 'Approver'], head: ['局负责人', 'Head of bureau'],
  archivist: ['档案管理员', 'Archivist'], supervisor: ['监管部门', 'Supervisory department'],
  sysadmin: ['系统管理员', 'System administrator'], secadmin: ['安全保密管理员', 'Security administrator'],
  auditor: ['安全审计员', 'Security auditor'], 'case-auditor': ['执法监督评查人员', 'Case auditor'],
  officer: ['执法人员', 'Enforcement officer'], server: ['送达人', 'Server of documents'],
  presiding: ['听证主持人', 'Presiding officer'], party: ['当事人', 'Party'],
  applicant: ['申请人', 'Applicant'], 'interested-party': ['利害关系人', 'Interested party'],
};

export function roleName(code) {
  const r = ROLES[code];
  return r ? r[lang() === 'en' ? 1 : 0] : code;
}

const STAGES = {
  application: ['申请', 'Application'], acceptance: ['受理', 'Acceptance'],
  investigation: ['审查', 'Examination'], decision: ['决定', 'Decision'],
  service: ['送达', 'Service'], archive: ['归档', 'Archive'], closed: ['已办结', 'Closed'],
};

export function stageName(code) {
  const s = STAGES[code];
  return s ? s[lang() === 'en' ? 1 : 0] : code;
}

const MARKS = {
  none: ['无', 'none'], 'commercial-secret': ['商业秘密', 'commercial secret'],
  personal: ['个人信息', 'personal information'],
  'sensitive-personal': ['敏感个人信息', 'sensitive personal information'],
  'state-secret': ['国家秘密', 'state secret'],
};

export function markName(code) {
  const s = MARKS[code];
  return s ? s[lang() === 'en' ? 1 : 0] : code;
}
