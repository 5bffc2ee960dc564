'use client';
/**
 * A download link that says it is working: a click fetches the file itself (the page stays, the
 * link reads "Exporting…", is aria-disabled and ignores further clicks until the file is saved),
 * then hands the bytes to the browser as a download under the server's file name. A refused or
 * failed export shows the server's message next to the link instead of an error page. The href
 * stays a plain link, so it also works without JavaScript (and opens in a new tab on a middle click).
 * The file passes through the browser's memory before it is saved: fine for a study's zip (tens of
 * MiB; a 10-phase 4D CT is a few hundred), not meant for gigabytes.
 */
import { useRef, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

export interface DownloadLinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'download'> {
  href: string;
  /** The label while the file is prepared, e.g. "Exporting…". */
  pendingLabel?: string;
  children: ReactNode;
}

/** The file name of a Content-Disposition header, else the URL's last segment. */
function fileNameOf(disposition: string | null, href: string): string {
  const m = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  if (m) return decodeURIComponent(m[1]);
  return href.split('?')[0].split('/').filter(Boolean).pop() ?? 'download';
}

export function DownloadLink({ href, pendingLabel = 'Exporting…', children, className, onClick, style, ...rest }: DownloadLinkProps) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const busy = useRef(false);

  const click = async (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    // Modified clicks (new tab, save as) stay the browser's.
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    if (busy.current) return;
    busy.current = true;
    setPending(true);
    setError(null);
    try {
      const res = await fetch(href, { credentials: 'same-origin' });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: string } | null;
        throw new Error(body?.error ?? `The download failed (HTTP ${res.status}); try again, or ask an administrator to check the server log.`);
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = fileNameOf(res.headers.get('content-disposition'), href);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (x) {
      setError((x as Error).message || 'The download failed; try again.');
    } finally {
      busy.current = false;
      setPending(false);
    }
  };

  return (
    <>
      <a
        {...rest}
        href={href}
        download
        className={className}
        onClick={click}
        aria-disabled={pending || undefined}
        aria-busy={pending || undefined}
        data-pending={pending ? 'true' : undefined}
        style={pending ? { ...style, cursor: 'progress', opacity: 0.7 } : style}
      >
        {pending ? pendingLabel : children}
      </a>
      {error ? (
        <span className="error" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
