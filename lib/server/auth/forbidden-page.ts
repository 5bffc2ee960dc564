/**
 * The 403 page the proxy answers for a page the role may not open: the app's header (brand, the
 * links the role may follow, who is signed in, sign-out) and the reason, in the app's colours.
 * Plain HTML with inline styles: the proxy answers before any page or stylesheet is built.
 * Sign-out goes to next-auth's sign-out page, which posts the form with its CSRF token.
 */
import { navLinksFor } from './nav-links';
import { isRole } from './roles';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}',
  'header{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.25rem;background:#10243e;color:#fff;flex-wrap:wrap}',
  'header a{color:#dbe7f5;text-decoration:none}header .brand{font-weight:700;color:#fff}header .spacer{flex:1}',
  'main{max-width:40rem;margin:3rem auto;padding:1.5rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}',
  'header nav{display:flex;gap:1.5rem;flex-wrap:wrap}h1{margin-top:0}.signout{color:#fff;border:1px solid #dbe7f5;border-radius:4px;padding:.2rem .6rem}',
  // A phone: the card keeps a margin; the header's links wrap (tests/e2e/narrow-screens.spec.ts).
  'main a{color:#0b5cad}@media (max-width:42rem){header{gap:.6rem 1.25rem;padding:.6rem .75rem}main{margin:1rem .5rem;padding:1rem}}',
].join('');

export function forbiddenPageHtml({ role, message, who }: { role: unknown; message: string; who?: string | null }): string {
  const links = isRole(role) ? navLinksFor(role) : [];
  const nav = links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join('');
  const whoText = [who, isRole(role) ? role.toLowerCase() : null].filter(Boolean).join(' · ');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Not allowed · iSeg QA</title><link rel="icon" href="/favicon.ico"><style>${STYLE}</style></head><body>` +
    `<header><a class="brand" href="/">iSeg QA</a><nav aria-label="Main">${nav}</nav><span class="spacer"></span>` +
    (whoText ? `<span data-testid="who">${escapeHtml(whoText)}</span>` : '') +
    `<a class="signout" href="/api/auth/signout?callbackUrl=%2Flogin">Sign out</a></header>` +
    `<main><h1>Not allowed</h1><p role="alert">${escapeHtml(message)}</p><p>Ask an administrator if you need this page for your work.</p>` +
    `<p><a href="/">Back to the cohort</a></p></main></body></html>`
  );
}
